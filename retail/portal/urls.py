from django.urls import path

from retail.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("store/", views.switch_store, name="switch-store"),
    path("approval-pin/", views.approval_pin, name="approval-pin"),
    path("language/", views.language, name="language"),
]
