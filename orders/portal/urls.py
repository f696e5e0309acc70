from django.urls import path

from orders.portal import assisted, saved_carts, views

urlpatterns = [
    path("orders/pickups/", views.pickup_queue, name="pickup-queue"),
    path("orders/pickups/<int:fulfillment_id>/", views.pick_list, name="pick"),
    path("orders/pickups/<int:fulfillment_id>/scan/", views.pick_scan, name="pick-scan"),
    path("orders/pickups/<int:fulfillment_id>/<slug:action>/", views.pick_action, name="pick-action"),
    path("orders/counter/", views.counter, name="counter"),
    path("orders/counter/<int:fulfillment_id>/hand-over/", views.hand_over, name="hand-over"),
    path("orders/customer/<int:customer_id>/orders/", views.customer_orders, name="customer-orders"),
    path("orders/customer/<int:customer_id>/pickups/", views.customer_pickups, name="customer-pickups"),
    path("orders/customer/<int:customer_id>/cart/", views.customer_cart, name="customer-cart"),
    path("orders/sell/<int:customer_id>/", assisted.assisted_order, name="assisted"),
    path("orders/sell/<int:customer_id>/add/", assisted.basket_add, name="assisted-add"),
    path("orders/sell/<int:customer_id>/set/", assisted.basket_set, name="assisted-set"),
    path("orders/sell/<int:customer_id>/place/", assisted.place, name="assisted-place"),
    path("orders/sell/<int:customer_id>/shipping/", assisted.shipping_methods, name="assisted-shipping"),
    path("orders/sell/<int:customer_id>/save/", saved_carts.save_basket, name="assisted-save"),
    path("orders/sell/<int:customer_id>/saved/<int:saved_cart_id>/reopen/", saved_carts.reopen, name="saved-reopen"),
    path("orders/sell/<int:customer_id>/saved/<int:saved_cart_id>/send/", saved_carts.send, name="saved-send"),
    path("orders/", views.order_search, name="search"),
    path("orders/<str:number>/", views.order_detail, name="detail"),
    path("orders/<str:number>/cancel/", views.order_cancel, name="cancel"),
    path("orders/<str:number>/receipt/", views.receipt, name="receipt"),
]
