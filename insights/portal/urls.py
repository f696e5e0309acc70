from django.urls import path

from insights.portal import views

app_name = "insights_portal"
urlpatterns = [
    path("insights/", views.index, name="index"),
    path("insights/csv/<slug:figure>/", views.download, name="csv"),
]
