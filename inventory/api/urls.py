from django.urls import path

from inventory.api import views

urlpatterns = [
    path("products/", views.ProductListView.as_view(), name="product-list"),
    path("products/<int:pk>/", views.ProductDetailView.as_view(), name="product-detail"),
    path("availability/", views.AvailabilityView.as_view(), name="availability"),
]
