"""API for app and web clients: behavioural events, and the signed-in shopper's own data (/me).

Thin: parse, call a service or selector, render. /me endpoints find the shopper's profile from
request.user (allauth headless X-Session-Token, or the browser session), making it on first use.
"""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.api.examples import EXAMPLE_GIFT_CARD
from customers.api.serializers import (
    CustomerListSerializer,
    EventBatchResultSerializer,
    EventBatchSerializer,
    GiftCardBalanceRequestSerializer,
    GiftCardBalanceSerializer,
    ListItemCreateSerializer,
    ListItemSerializer,
    LoyaltySerializer,
    MeSerializer,
    MeUpdateSerializer,
    OfferSerializer,
    PhoneCodeConfirmSerializer,
    PhoneCodeRequestSerializer,
    PointsEntrySerializer,
)
from customers.errors import CustomerCode, CustomerError
from customers.models import LoyaltyTier, StoreCreditAccount
from customers.selectors import lists_with_availability, me_for_user, next_tier, offers_for
from customers.services import (
    ClientEvent,
    EventBatchResult,
    add_list_item,
    confirm_phone_code,
    ingest_events,
    link_user_to_customer,
    remove_list_item,
    send_phone_code,
    update_profile_from_client,
)
from customers.services.giftcards import check_gift_card_balance
from inventory.api.fields import EXAMPLE_SKU
from retail.api.authentication import SHOPPER_AUTHENTICATION
from retail.api.fields import EXAMPLE_ID, EXAMPLE_STORE
from retail.api.idempotency import idempotent
from retail.api.schema import path_example
from retail.api.serializers import EmptyInput, validate_items
from retail.domain.channel import Channel
from retail.domain.money import money
from retail.errors import RetailCode
from retail.markets import home_currency
from retail.models import PosDevice, User
from retail.proxies import client_ip

path_example("item_id", EXAMPLE_ID)


class IsShopper(permissions.BasePermission):
    """A signed-in person (not a POS device)."""

    message = "Sign in to do this."

    def has_permission(self, request, view):
        return isinstance(request.user, User) and request.user.is_authenticated


def _me(request):
    customer = me_for_user(request.user)
    if customer is None:
        link_user_to_customer(user=request.user)
        customer = me_for_user(request.user)
    if customer is None:
        raise CustomerError(_("Your profile was closed."), code=CustomerCode.PROFILE_CLOSED)
    return customer


class EventBatchView(APIView):
    """Behavioural events from the app and the web shop, up to 500 per batch.

    Always 200 when the body is a batch: each event is validated on its own, valid ones are kept
    and the answer lists `accepted`, `duplicates` (already stored, by id) and `rejected` (by index,
    with a code, `invalid` or `unknown_field` for its shape, and per-field messages). Anonymous
    clients send a device identity (app_install or web_cookie); once signed in, the same device's
    earlier events join the shopper's profile.
    """

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        request=EventBatchSerializer,
        responses={
            200: EventBatchResultSerializer,
        },
        examples=[
            OpenApiExample(
                "A product viewed in the app",
                request_only=True,
                value={
                    "events": [
                        {
                            "id": "3f0c6f0e-1f0a-4a53-9a39-6b5d2f1c2d11",
                            "kind": "product_view",
                            "channel": Channel.APP,
                            "occurred_at": "2026-05-01T10:15:00Z",
                            "subject": EXAMPLE_SKU,
                            "identities": {"app_install": "install-42"},
                        }
                    ]
                },
            ),
            OpenApiExample(
                "Mixed batch",
                response_only=True,
                value={
                    "accepted": [0, 2],
                    "duplicates": [3],
                    "rejected": [
                        {
                            "index": 1,
                            "code": "invalid",
                            "message": "kind: One of ...",
                            "fields": {"kind": ["One of ..."]},
                        }
                    ],
                },
            ),
        ],
    )
    def post(self, request):
        if isinstance(request.user, PosDevice):
            raise CustomerError(_("Tills post sales to /pos/sales/, not events."), code=RetailCode.WRONG_ENDPOINT)
        incoming = EventBatchSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        batch, events, refused = incoming.fields["events"], [], []
        for index, clean, error in validate_items(batch, incoming.validated_data["events"]):
            if error is None:
                events.append(ClientEvent(index=index, **clean))
            else:
                refused.append({"index": index, **error})
        customer = None
        if isinstance(request.user, User) and request.user.is_authenticated:
            customer = link_user_to_customer(user=request.user)
        result = ingest_events(events=events, customer=customer) if events else EventBatchResult()
        result.rejected = sorted([*refused, *result.rejected], key=lambda r: r["index"])
        return Response(
            {"accepted": result.accepted, "duplicates": result.duplicates, "rejected": result.rejected},
            status=status.HTTP_200_OK,
        )


class MeView(APIView):
    """The signed-in shopper's profile, sizes and consents."""

    permission_classes = [IsShopper]
    authentication_classes = SHOPPER_AUTHENTICATION

    @extend_schema(responses={200: MeSerializer})
    def get(self, request):
        return Response(MeSerializer(_me(request)).data)

    @extend_schema(
        request=MeUpdateSerializer,
        responses={200: MeSerializer},
        examples=[
            OpenApiExample(
                "Sizes, home store and e-mail consent",
                request_only=True,
                value={"preferred_sizes": {"shirts": "M"}, "home_store": EXAMPLE_STORE, "consents": {"email": True}},
            )
        ],
    )
    def patch(self, request):
        incoming = MeUpdateSerializer(data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)
        customer = _me(request)
        data = dict(incoming.validated_data)
        if "important_dates" in data:  # stored as JSON: dates as YYYY-MM-DD
            data["important_dates"] = [
                {"label": item["label"], "date": item["date"].isoformat()} for item in data["important_dates"]
            ]
        consents = data.pop("consents", None)
        home_store = data.pop("home_store", "") if "home_store" in data else ""
        channel = Channel.APP if request.headers.get("X-Session-Token") else Channel.WEB
        update_profile_from_client(
            customer=customer, values=data, consents=consents, home_store_code=home_store, source=channel
        )
        return Response(MeSerializer(me_for_user(request.user)).data)


class MeLoyaltyView(APIView):
    permission_classes = [IsShopper]
    authentication_classes = SHOPPER_AUTHENTICATION

    @extend_schema(responses={200: LoyaltySerializer})
    def get(self, request):
        customer = _me(request)
        account = getattr(customer, "loyalty_account", None)
        spend = account.spend_12m if account else 0
        home = home_currency()  # the tiers' thresholds are in it, so is the spend compared with them
        upcoming, gap = next_tier(spend, list(LoyaltyTier.objects.all()))
        credit, credit_currency = StoreCreditAccount.objects.filter(customer=customer).values_list(
            "balance", "currency"
        ).first() or (0, "")
        entries = account.entries.order_by("-created_at", "-id")[:50] if account else []
        return Response(
            {
                "balance": account.balance if account else 0,
                "tier": account.tier.display_name if account and account.tier else None,
                "spend_12m": str(money(spend, home)),
                "spend_currency": home,
                "spend_not_counted": list((account.spend_detail or {}).get("missing", [])) if account else [],
                "next_tier": upcoming.display_name if upcoming else None,
                "spend_to_next_tier": str(money(gap, home)) if gap is not None else None,
                "store_credit": str(money(credit or 0, credit_currency or None)),
                "store_credit_currency": credit_currency or None,
                "entries": PointsEntrySerializer(entries, many=True).data,
            }
        )


class MeOffersView(APIView):
    permission_classes = [IsShopper]
    authentication_classes = SHOPPER_AUTHENTICATION

    @extend_schema(responses={200: OfferSerializer(many=True)})
    def get(self, request):
        return Response(OfferSerializer(offers_for(_me(request)), many=True).data)


class MeListsView(APIView):
    """Wishlists and shopping lists; POST adds a variant by SKU (again: the quantity goes up)."""

    permission_classes = [IsShopper]
    authentication_classes = SHOPPER_AUTHENTICATION

    @extend_schema(responses={200: CustomerListSerializer(many=True)})
    def get(self, request):
        lists = lists_with_availability(_me(request), store=None)
        return Response(CustomerListSerializer(lists, many=True).data)

    @extend_schema(
        request=ListItemCreateSerializer,
        responses={201: ListItemSerializer},
    )
    @idempotent()
    def post(self, request):
        incoming = ListItemCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        item = add_list_item(
            customer=_me(request),
            sku=data["sku"],
            channel=data["channel"],
            kind=data["kind"],
            list_name=data.get("list_name"),
            quantity=data["quantity"],
        )
        return Response(ListItemSerializer(item).data, status=status.HTTP_201_CREATED)


class MeListItemView(APIView):
    permission_classes = [IsShopper]
    authentication_classes = SHOPPER_AUTHENTICATION

    @extend_schema(responses={204: None})
    def delete(self, request, item_id: int):
        EmptyInput(data=request.data).is_valid(raise_exception=True)
        remove_list_item(customer=_me(request), item_id=item_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MePhoneCodeView(APIView):
    """Text a one-time code to a phone number, to prove it is yours (then POST it to `confirm/`).

    The answer is the same whatever the number: it tells nothing about other shoppers.
    """

    permission_classes = [IsShopper]

    @extend_schema(
        request=PhoneCodeRequestSerializer,
        responses={202: None},
    )
    def post(self, request):
        incoming = PhoneCodeRequestSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        send_phone_code(user=request.user, phone=incoming.validated_data["phone"])
        return Response(status=status.HTTP_202_ACCEPTED)


class MePhoneConfirmView(APIView):
    """The code we texted: the number is proven and linked; if a store profile holds it (and your
    account holds no other profile yet), your account now sees that profile's history."""

    permission_classes = [IsShopper]

    @extend_schema(
        request=PhoneCodeConfirmSerializer,
        responses={200: MeSerializer},
    )
    def post(self, request):
        incoming = PhoneCodeConfirmSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        confirm_phone_code(user=request.user, **incoming.validated_data)
        return Response(MeSerializer(me_for_user(request.user)).data)


def gift_card_caller(request) -> tuple[str, ...]:
    """Whose wrong gift card numbers count together: a till by itself; anyone else by IP address,
    and a signed-in shopper by account too (so neither new accounts nor new addresses reset it)."""
    user = request.user
    if isinstance(user, PosDevice):
        return (f"device:{user.pk}",)
    if user and user.is_authenticated:
        return (f"user:{user.pk}", f"ip:{client_ip(request)}")
    return (f"ip:{client_ip(request)}",)


class GiftCardBalanceView(APIView):
    """What is left on a gift card. The number goes in the body (never in the address, so it stays
    out of logs); unknown, mistyped and expired numbers get one answer, and after a few wrong
    numbers the caller is refused for a while (`too_many_gift_card_attempts`)."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        request=GiftCardBalanceRequestSerializer,
        responses={200: GiftCardBalanceSerializer},
        examples=[OpenApiExample("A card number as printed", value={"code": EXAMPLE_GIFT_CARD}, request_only=True)],
    )
    def post(self, request):
        incoming = GiftCardBalanceRequestSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        card = check_gift_card_balance(code=incoming.validated_data["code"], caller=gift_card_caller(request))
        return Response(GiftCardBalanceSerializer(card).data)
