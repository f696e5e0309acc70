from django.urls import path

from webhooks.api import views

urlpatterns = [
    path("webhooks/", views.SubscriptionListView.as_view(), name="webhook-subscriptions"),
    path("webhooks/<int:subscription_id>/", views.SubscriptionDetailView.as_view(), name="webhook-subscription"),
    path("events/feed/", views.EventFeedView.as_view(), name="event-feed"),
]
