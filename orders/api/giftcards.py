"""Gift cards for sale: the shopper buys one in the app or on the web; a till sells one at the counter.

Kept apart from views.py and serializers.py (the orders API's carts, checkout and POS sales) since
these two endpoints share nothing with them but the permissions. Balance checks are customers'
(/api/v1/giftcards/balance/), for shoppers and tills alike.
"""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.selectors import customer_for_user
from customers.services.linking import link_user_to_customer
from orders.api.examples import EXAMPLE_RECEIPT
from orders.api.permissions import IsPosDevice, IsShopper
from orders.payments import PROVIDER_CODES
from orders.services.giftcards import GiftCardSale, sell_gift_card_at_till, sell_gift_card_online
from retail.api.authentication import DEVICE_AUTHENTICATION, SHOPPER_AUTHENTICATION
from retail.api.codes import raises
from retail.api.fields import EmailField, MoneyField, OnlineChannelField
from retail.api.idempotency import idempotent, request_scope
from retail.api.serializers import StrictSerializer
from retail.domain.channel import Channel


class GiftCardPurchaseInput(StrictSerializer):
    amount = MoneyField(help_text="What the card holds (and what is charged).")
    payment_token = serializers.CharField(max_length=200, help_text="The card token your payment SDK gave you.")
    channel = OnlineChannelField(default=Channel.APP)
    send_to = EmailField(required=False, allow_blank=True, help_text="Who gets the number; empty: your own email.")
    recipient_name = serializers.CharField(max_length=80, required=False, allow_blank=True)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, help_text="A few words with it.")


class GiftCardSoldOutput(serializers.Serializer):
    last4 = serializers.CharField(source="card.last4", help_text="The card's last four digits.")
    balance = serializers.DecimalField(source="card.balance", max_digits=12, decimal_places=2)
    currency = serializers.CharField(source="card.currency")
    expires_at = serializers.DateTimeField(source="card.expires_at")


class TillGiftCardTenderInput(StrictSerializer):
    method = serializers.ChoiceField(choices=["card", "cash"])
    amount = MoneyField()


class TillGiftCardInput(StrictSerializer):
    receipt_number = serializers.CharField(min_length=1, max_length=40)
    amount = MoneyField(help_text="What the card holds.")
    tenders = TillGiftCardTenderInput(many=True, allow_empty=False, max_length=5)
    send_to = EmailField(required=False, allow_blank=True, help_text="Also email the number there.")
    recipient_name = serializers.CharField(max_length=80, required=False, allow_blank=True)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True)


class TillGiftCardOutput(GiftCardSoldOutput):
    code = serializers.CharField(
        allow_null=True,
        help_text="The full number, to print on the receipt: answered once (null on a replay; it is never stored).",
    )


def _till_output(sale: GiftCardSale) -> dict:
    return TillGiftCardOutput({"card": sale.card, "code": sale.code or None}).data


class MyGiftCardPurchaseView(APIView):
    """Buy a gift card, paid by card at once. The number is emailed to `send_to` (or to you), never
    answered here. Needs an `Idempotency-Key`: a retry answers the first purchase."""

    permission_classes = [IsShopper]
    authentication_classes = SHOPPER_AUTHENTICATION

    @extend_schema(
        request=GiftCardPurchaseInput,
        responses={201: GiftCardSoldOutput},
        examples=[OpenApiExample("A card for a friend", request_only=True, value={
            "amount": "50.00", "payment_token": "tok_visa_4242", "channel": Channel.APP.value,
            "send_to": "grace@example.com", "recipient_name": "Grace", "note": "Happy birthday!"})],
    )  # fmt: skip
    @raises(*PROVIDER_CODES)
    @idempotent(required=True)
    def post(self, request):
        incoming = GiftCardPurchaseInput(data=request.data)
        incoming.is_valid(raise_exception=True)
        v = incoming.validated_data
        customer = customer_for_user(request.user) or link_user_to_customer(user=request.user)
        sale = sell_gift_card_online(
            customer=customer,
            amount=v["amount"],
            card_token=v["payment_token"],
            channel=v["channel"],
            idempotency_key=f"{request_scope(request)}:{request.headers['Idempotency-Key']}",
            send_to=v.get("send_to", ""),
            recipient_name=v.get("recipient_name", ""),
            note=v.get("note", ""),
        )
        return Response(GiftCardSoldOutput(sale).data, status=status.HTTP_201_CREATED)


class TillGiftCardView(APIView):
    """A till sold a gift card on its own receipt (paid by card or cash at the till). Idempotent by
    receipt number: the first answer carries the number to print, a replay (200) its last four only."""

    permission_classes = [IsPosDevice]
    authentication_classes = DEVICE_AUTHENTICATION

    @extend_schema(
        request=TillGiftCardInput,
        responses={
            201: TillGiftCardOutput,
            200: OpenApiResponse(response=TillGiftCardOutput, description="A replay: the receipt was recorded."),
        },
        examples=[OpenApiExample("A 25.00 card paid cash", request_only=True, value={
            "receipt_number": EXAMPLE_RECEIPT, "amount": "25.00", "tenders": [{"method": "cash", "amount": "25.00"}]})],
    )  # fmt: skip
    def post(self, request):
        incoming = TillGiftCardInput(data=request.data)
        incoming.is_valid(raise_exception=True)
        v = incoming.validated_data
        sale = sell_gift_card_at_till(
            device=request.user,
            receipt_number=v["receipt_number"],
            amount=v["amount"],
            tenders=v["tenders"],
            send_to=v.get("send_to", ""),
            recipient_name=v.get("recipient_name", ""),
            note=v.get("note", ""),
        )
        response = Response(_till_output(sale), status=status.HTTP_201_CREATED if sale.created else status.HTTP_200_OK)
        if not sale.created:
            response["Idempotent-Replayed"] = "true"
        return response
