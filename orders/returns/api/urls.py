from django.urls import path

from orders.returns.api import views

urlpatterns = [
    path("returns/", views.MyReturnsView.as_view(), name="my-returns"),
    path("returns/<str:rma_number>/", views.MyReturnView.as_view(), name="my-return"),
    path("returns/<str:rma_number>/qr.svg", views.MyReturnQrView.as_view(), name="my-return-qr"),
    path("returns/<str:rma_number>/cancel/", views.MyReturnCancelView.as_view(), name="my-return-cancel"),
    path("pos/returns/", views.PosReturnView.as_view(), name="pos-return"),
]
