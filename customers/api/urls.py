from django.urls import path

from customers.api import views

urlpatterns = [
    path("events/", views.EventBatchView.as_view(), name="event-batch"),
    path("giftcards/balance/", views.GiftCardBalanceView.as_view(), name="giftcard-balance"),
    path("me/", views.MeView.as_view(), name="me"),
    path("me/phone/", views.MePhoneCodeView.as_view(), name="me-phone-code"),
    path("me/phone/confirm/", views.MePhoneConfirmView.as_view(), name="me-phone-confirm"),
    path("me/loyalty/", views.MeLoyaltyView.as_view(), name="me-loyalty"),
    path("me/offers/", views.MeOffersView.as_view(), name="me-offers"),
    path("me/lists/", views.MeListsView.as_view(), name="me-lists"),
    path("me/lists/items/<int:item_id>/", views.MeListItemView.as_view(), name="me-list-item"),
]
