from django.urls import path

from orders.returns.portal import views

urlpatterns = [
    path("returns/", views.desk, name="desk"),
    path("returns/order/<str:number>/", views.order_return, name="order"),
    path("returns/order/<str:number>/preview/", views.order_preview, name="order-preview"),
    path("returns/customer/<int:customer_id>/", views.purchases, name="purchases"),
    path("returns/customer/<int:customer_id>/no-receipt/", views.receiptless, name="receiptless"),
    path(
        "returns/customer/<int:customer_id>/no-receipt/preview/", views.receiptless_preview, name="receiptless-preview"
    ),
    path("returns/<str:rma_number>/", views.detail, name="detail"),
    path("returns/<str:rma_number>/preview/", views.detail_preview, name="detail-preview"),
    path("returns/<str:rma_number>/reject/", views.reject, name="reject"),
    path("returns/<str:rma_number>/receipt/", views.receipt, name="receipt"),
    path("returns/<str:rma_number>/lines/<int:line_id>/release/", views.release, name="release"),
    path("customers/<int:customer_id>/returns/", views.customer_returns, name="customer-returns"),
]
