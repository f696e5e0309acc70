"""The shopper's pay-by-link page (public: the link's token is the only key)."""

from django.urls import path

from orders.paylink import views

urlpatterns = [path("pay/<str:token>/", views.pay_link, name="pay-link")]
