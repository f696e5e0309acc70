from django.urls import path

from retail.api import views

urlpatterns = [
    path("stores/", views.StoreListView.as_view(), name="store-list"),
    path("stores/<slug:code>/", views.StoreDetailView.as_view(), name="store-detail"),
]
