"""The shopper's pay-by-link page and saved-cart link (public: the link's token is the only key to look)."""

from django.urls import path

from orders.paylink import cart_link, views

urlpatterns = [
    path("pay/<str:token>/", views.pay_link, name="pay-link"),
    path("cart/<str:token>/", cart_link.saved_cart_link, name="saved-cart-link"),
]
