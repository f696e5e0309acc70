"""API for app and web clients: behavioural events, and the signed-in shopper's own data (/me).

Thin: parse, call a service or selector, render. /me endpoints find the shopper's profile from
request.user (allauth headless X-Session-Token, or the browser session), making it on first use.
"""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.api.serializers import (
    CustomerListSerializer,
    EventBatchResultSerializer,
    EventBatchSerializer,
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
from customers.selectors import customer_for_user, lists_with_availability, next_tier, offers_for
from customers.services import (
    add_list_item,
    confirm_phone_code,
    ingest_events,
    link_user_to_customer,
    remove_list_item,
    send_phone_code,
    update_profile_from_client,
)
from retail.api.idempotency import idempotent
from retail.errors import RetailCode
from retail.models import PosDevice, User


class IsShopper(permissions.BasePermission):
    """A signed-in person (not a POS device)."""

    message = "Sign in to do this."

    def has_permission(self, request, view):
        return isinstance(request.user, User) and request.user.is_authenticated


def _me(request):
    customer = customer_for_user(request.user)
    if customer is None:
        link_user_to_customer(user=request.user)
        customer = customer_for_user(request.user)
    if customer is None:
        raise CustomerError("Your profile was closed.", code=CustomerCode.PROFILE_CLOSED)
    return customer


class EventBatchView(APIView):
    """Behavioural events from the app and the web shop, up to 500 per batch.

    Always 200 when the body is a batch: each event is validated on its own, valid ones are kept
    and the answer lists `accepted`, `duplicates` (already stored, by id) and `rejected` (by index,
    with a code and per-field messages). Anonymous clients send a device identity (app_install or
    web_cookie); once signed in, the same device's earlier events join the shopper's profile.
    """

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        request=EventBatchSerializer,
        responses={
            200: EventBatchResultSerializer,
        },
        examples=[
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
            )
        ],
    )
    def post(self, request):
        events = request.data.get("events") if isinstance(request.data, dict) else None
        customer = None
        if isinstance(request.user, User) and request.user.is_authenticated:
            customer = link_user_to_customer(user=request.user)
        elif isinstance(request.user, PosDevice):
            raise CustomerError("Tills post sales to /pos/sales/, not events.", code=RetailCode.WRONG_ENDPOINT)
        result = ingest_events(events=events, customer=customer)
        return Response(
            {"accepted": result.accepted, "duplicates": result.duplicates, "rejected": result.rejected},
            status=status.HTTP_200_OK,
        )


class MeView(APIView):
    """The signed-in shopper's profile, sizes and consents."""

    permission_classes = [IsShopper]

    @extend_schema(responses={200: MeSerializer})
    def get(self, request):
        return Response(MeSerializer(_me(request)).data)

    @extend_schema(request=MeUpdateSerializer, responses={200: MeSerializer})
    def patch(self, request):
        customer = _me(request)
        incoming = MeUpdateSerializer(data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        consents = data.pop("consents", None)
        home_store = data.pop("home_store", "") if "home_store" in data else ""
        channel = "app" if request.headers.get("X-Session-Token") else "web"
        update_profile_from_client(
            customer=customer, values=data, consents=consents, home_store_code=home_store, source=channel
        )
        return Response(MeSerializer(customer_for_user(request.user)).data)


class MeLoyaltyView(APIView):
    permission_classes = [IsShopper]

    @extend_schema(responses={200: LoyaltySerializer})
    def get(self, request):
        customer = _me(request)
        account = getattr(customer, "loyalty_account", None)
        spend = account.spend_12m if account else 0
        upcoming, gap = next_tier(spend, list(LoyaltyTier.objects.all()))
        credit = StoreCreditAccount.objects.filter(customer=customer).values_list("balance", flat=True).first()
        entries = account.entries.order_by("-created_at", "-id")[:50] if account else []
        return Response(
            {
                "balance": account.balance if account else 0,
                "tier": account.tier.name if account and account.tier else None,
                "spend_12m": f"{spend:.2f}",
                "next_tier": upcoming.name if upcoming else None,
                "spend_to_next_tier": f"{gap:.2f}" if gap is not None else None,
                "store_credit": f"{credit or 0:.2f}",
                "entries": PointsEntrySerializer(entries, many=True).data,
            }
        )


class MeOffersView(APIView):
    permission_classes = [IsShopper]

    @extend_schema(responses={200: OfferSerializer(many=True)})
    def get(self, request):
        return Response(OfferSerializer(offers_for(_me(request)), many=True).data)


class MeListsView(APIView):
    """Wishlists and shopping lists; POST adds a variant by SKU (again: the quantity goes up)."""

    permission_classes = [IsShopper]

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

    @extend_schema(responses={204: None})
    def delete(self, request, item_id: int):
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
        return Response(MeSerializer(customer_for_user(request.user)).data)
