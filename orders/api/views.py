"""Orders API: the shopper's cart, checkout, their orders, and POS sales. Parse, call a service, render."""

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import generics, permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.models import Customer
from customers.selectors import customer_for_user
from customers.services.linking import link_user_to_customer
from inventory.api.fields import EXAMPLE_SKU
from orders import selectors, services
from orders.api import serializers as s
from orders.api.examples import EXAMPLE_CART, EXAMPLE_ORDER, EXAMPLE_RECEIPT
from orders.api.permissions import IsPosDevice, IsShopper
from orders.errors import OrderCode, OrderError
from orders.models import Cart, Fulfillment
from orders.payments import PROVIDER_CODES
from orders.qr import qr_svg
from retail.api.authentication import DEVICE_AUTHENTICATION, SHOPPER_AUTHENTICATION
from retail.api.codes import raises
from retail.api.errors import error_body
from retail.api.fields import EXAMPLE_STORE
from retail.api.idempotency import idempotent, request_scope
from retail.api.schema import path_example
from retail.api.serializers import EmptyInput, validate_items
from retail.domain.channel import Channel
from retail.errors import RetailCode
from retail.models import Store
from retail.proxies import client_ip


def _shopper_cart(request, channel: str = Channel.WEB) -> Cart:
    return services.open_cart_for(customer=link_user_to_customer(user=request.user), channel=channel)


def _cart_response(cart: Cart, code: int = 200) -> Response:
    return Response(s.CartOutput(selectors.cart_view(cart)).data, status=code)


path_example("number", EXAMPLE_ORDER)
path_example("token", EXAMPLE_CART)
path_example("sku", EXAMPLE_SKU)
CART = OpenApiExample(
    "Two shirts", request_only=True, value={"lines": [{"sku": EXAMPLE_SKU, "quantity": 2}], "channel": Channel.APP}
)
CHECKOUT = OpenApiExample(
    "Guest pick-up",
    request_only=True,
    value={
        "channel": Channel.APP,
        "lines": [{"sku": EXAMPLE_SKU, "quantity": 1}],
        "fulfillment": {"kind": "pickup", "store": EXAMPLE_STORE},
        "payments": [{"method": "card", "token": "tok_visa_4242"}],
        "contact": {"name": "Ada Lovelace", "email": "ada@example.com"},
    },
)
SALE = {
    "receipt_number": EXAMPLE_RECEIPT,
    "lines": [{"sku": EXAMPLE_SKU, "quantity": 1, "unit_price": "25.00"}],
    "tenders": [{"method": "card", "amount": "25.00", "brand": "visa", "last4": "4242"}],
}


class MyCartView(APIView):
    """The signed-in shopper's one open cart, shared by app and web; prices and stock re-checked on read."""

    permission_classes = [IsShopper]
    authentication_classes = SHOPPER_AUTHENTICATION

    @extend_schema(responses=s.CartOutput)
    def get(self, request):

        customer = customer_for_user(request.user)
        cart = selectors.open_cart_of(customer) if isinstance(customer, Customer) else None
        return Response(s.CartOutput(selectors.cart_view(cart)).data)

    @extend_schema(request=s.CartInput, responses=s.CartOutput, examples=[CART])
    def put(self, request):
        data = s.CartInput(data=request.data)
        data.is_valid(raise_exception=True)
        cart = _shopper_cart(request, data.validated_data["channel"])
        return _cart_response(_replace_lines(cart, data.validated_data))


def _replace_lines(cart: Cart, data: dict) -> Cart:
    lines = [(line["sku"], line["quantity"]) for line in data["lines"]]
    return services.replace_cart_lines(cart=cart, lines=lines, channel=data["channel"], country=data.get("country", ""))


COUNTRY_DESCRIPTION = (
    "The cart ships to `country`: it moves to the market that sells there on `channel`, and every line is "
    "priced again in that market's price list and currency (each line's `price_when_added` becomes that "
    "price). `not_sold_in_market` (409, `skus`) when a line is not sold there: nothing changes; remove those "
    "lines or keep the cart's country. `invalid_country` (400) for a code that is no country, "
    "`country_not_served` (400) for one no market covers. Checkout then "
    "ships to an address in that market (`currency_mismatch` otherwise)."
)
COUNTRY_EXAMPLE = OpenApiExample("Ship to Poland", request_only=True, value={"country": "PL", "channel": Channel.APP})


class MyCartCountryView(APIView):
    """Where the signed-in shopper's cart ships to, so the market (prices, currency) it is sold in."""

    permission_classes = [IsShopper]
    authentication_classes = SHOPPER_AUTHENTICATION

    @extend_schema(
        request=s.CartCountryInput,
        responses={200: s.CartOutput},
        summary="Ship the cart to a country (re-priced in its market)",
        description=COUNTRY_DESCRIPTION,
        examples=[COUNTRY_EXAMPLE],
    )
    def put(self, request):
        data = s.CartCountryInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        cart = _shopper_cart(request, v["channel"])
        return _cart_response(services.set_cart_country(cart=cart, country=v["country"], channel=v["channel"]))


class MyCartLinesView(APIView):
    permission_classes = [IsShopper]
    authentication_classes = SHOPPER_AUTHENTICATION

    @extend_schema(
        request=s.CartLineAddInput,
        responses={200: s.CartOutput},
        summary="Add units of a SKU to the cart",
    )
    def post(self, request):
        data = s.CartLineAddInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        cart = _shopper_cart(request, v["channel"])
        return _cart_response(
            services.set_cart_line(cart=cart, sku=v["sku"], quantity=v["quantity"], channel=v["channel"], add=True)
        )


class MyCartLineView(APIView):
    permission_classes = [IsShopper]
    authentication_classes = SHOPPER_AUTHENTICATION

    @extend_schema(
        request=s.CartLineSetInput,
        responses={200: s.CartOutput},
        summary="Set a SKU's quantity (0 removes it)",
    )
    def patch(self, request, sku):
        data = s.CartLineSetInput(data=request.data, partial=True)  # PATCH: what is left out stays
        data.is_valid(raise_exception=True)
        v = data.validated_data
        channel = v.get("channel", Channel.WEB)
        cart = _shopper_cart(request, channel)
        if "quantity" not in v:
            return _cart_response(cart)
        return _cart_response(services.set_cart_line(cart=cart, sku=sku, quantity=v["quantity"], channel=channel))

    @extend_schema(request=None, responses={200: s.CartOutput}, summary="Remove a SKU from the cart")
    def delete(self, request, sku):
        EmptyInput(data=request.data).is_valid(raise_exception=True)
        cart = _shopper_cart(request)
        return _cart_response(services.set_cart_line(cart=cart, sku=sku, quantity=0))


class MyCartMergeView(APIView):
    """At sign-in: bring the device's anonymous cart into the shopper's cart."""

    permission_classes = [IsShopper]
    authentication_classes = SHOPPER_AUTHENTICATION

    @extend_schema(
        request=s.CartMergeInput,
        responses={200: s.CartOutput},
        examples=[
            OpenApiExample("At sign-in", request_only=True, value={"token": EXAMPLE_CART, "channel": Channel.APP})
        ],
    )
    def post(self, request):
        data = s.CartMergeInput(data=request.data)
        data.is_valid(raise_exception=True)
        customer = link_user_to_customer(user=request.user)
        cart = services.merge_anonymous_cart(
            token=data.validated_data["token"], customer=customer, channel=data.validated_data["channel"]
        )
        return _cart_response(cart)


class MyCartOpenSentView(APIView):
    """Load a cart an associate sent (saved in store, link in the message) into the signed-in shopper's cart.

    Only the shopper it was sent to, once, before the link expires; the newest link of a cart sent twice.
    """

    permission_classes = [IsShopper]
    authentication_classes = SHOPPER_AUTHENTICATION

    @extend_schema(
        request=s.SavedCartOpenInput,
        responses={200: s.SavedCartOpenOutput},
        summary="Open a cart sent from the store",
        description="`cart_link_not_yours` (403): sent to another shopper. `cart_link_used` (409): opened "
        "already. `cart_link_expired` (410): too old, or a newer link was sent. `cart_link_invalid` (404): "
        "not a link of ours (mistyped, cut short).",
        examples=[
            OpenApiExample(
                "From the message",
                request_only=True,
                value={"token": "WzEyLCJrM3hQIl0:1vQx2b:Qm9...", "channel": Channel.APP.value},
            )
        ],
    )
    def post(self, request):
        data = s.SavedCartOpenInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        cart, saved, unavailable = services.open_sent_cart(token=v["token"], user=request.user, channel=v["channel"])
        return Response(
            s.SavedCartOpenOutput(
                {"cart": selectors.cart_view(cart), "unavailable": unavailable, "sent_from": saved.store.name}
            ).data
        )


class AnonymousCartCreateView(APIView):
    """A cart for a device nobody signed in on; the token in the answer is its only key."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(request=s.CartInput, responses={201: s.CartOutput}, examples=[CART])
    def post(self, request):
        data = s.CartInput(data=request.data)
        data.is_valid(raise_exception=True)
        cart = services.create_anonymous_cart(channel=data.validated_data["channel"])
        if data.validated_data["lines"] or data.validated_data.get("country"):
            cart = _replace_lines(cart, data.validated_data)
        return _cart_response(cart, status.HTTP_201_CREATED)


class AnonymousCartView(APIView):
    permission_classes = [permissions.AllowAny]

    def _cart(self, token: str) -> Cart:
        return anonymous_cart(token)

    @extend_schema(responses=s.CartOutput)
    def get(self, request, token):
        return _cart_response(self._cart(token))

    @extend_schema(request=s.CartInput, responses=s.CartOutput, examples=[CART])
    def put(self, request, token):
        data = s.CartInput(data=request.data)
        data.is_valid(raise_exception=True)
        return _cart_response(_replace_lines(self._cart(token), data.validated_data))


def anonymous_cart(token: str) -> Cart:
    cart = Cart.objects.filter(token=token, customer__isnull=True, status=Cart.Status.OPEN).first()
    if cart is None:
        raise OrderError(_("There is no open anonymous cart with this token."), code=RetailCode.NOT_FOUND)
    return cart


class AnonymousCartCountryView(APIView):
    """Where an anonymous cart ships to, so the market (prices, currency) it is sold in."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        request=s.CartCountryInput,
        responses={200: s.CartOutput},
        summary="Ship an anonymous cart to a country (re-priced in its market)",
        description=COUNTRY_DESCRIPTION,
        examples=[COUNTRY_EXAMPLE],
    )
    def put(self, request, token):
        data = s.CartCountryInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        cart = services.set_cart_country(cart=anonymous_cart(token), country=v["country"], channel=v["channel"])
        return _cart_response(cart)


def _store(code: str | None, field: str) -> Store | None:
    if not code:
        return None
    store = Store.objects.active().select_related("market").filter(code=code).first()  # its market: the currency
    if store is None:
        raise OrderError(
            _("There is no open store %(code)s.") % {"code": repr(code)},
            code=RetailCode.UNKNOWN_STORE,
            fields={field: [_("Unknown store.")]},
        )
    return store


class CheckoutView(APIView):
    """Place an order (signed in, or as a guest with an email or phone). Needs an `Idempotency-Key`."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        request=s.CheckoutInput,
        responses={201: s.OrderOutput},
        examples=[CHECKOUT],
        description="`insufficient_stock` (409) carries `lines` and `alternatives`: nearby stores that have them.",
    )
    @raises(*PROVIDER_CODES)  # through the configured payment provider
    @idempotent(required=True)
    def post(self, request):
        data = s.CheckoutInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        customer = None
        if IsShopper().has_permission(request, self):
            customer = customer_for_user(request.user) or link_user_to_customer(user=request.user)
        cart = None
        if v.get("from_cart"):
            cart, lines = services.cart_to_check_out(customer)
        else:
            lines = [(line["sku"], line["quantity"]) for line in v.get("lines") or []]
        if v.get("groups"):
            specs = [(g, [(line["sku"], line["quantity"]) for line in g["lines"]]) for g in v["groups"]]
        else:
            specs = [(v["fulfillment"], lines)]
        groups = [
            services.GroupRequest(
                kind=g["kind"],
                lines=group_lines,
                store=_store(g.get("store"), f"groups.{i}.store"),
                shipping_address=dict(g.get("shipping_address") or {}),
                proxy_name=g.get("proxy_name", ""),
            )
            for i, (g, group_lines) in enumerate(specs)
        ]
        caller = (f"ip:{client_ip(request)}",)  # gift card numbers guessed as a guest count per address
        tenders = [
            services.TenderRequest(method=p["method"], token=p.get("token", ""), amount=p.get("amount"), caller=caller)
            for p in v.get("payments") or []
        ]
        order = services.place_order(
            channel=v["channel"],
            groups=groups,
            customer=customer,
            contact=dict(v.get("contact") or {}),
            cart=cart,
            offer_code=v.get("offer_code", ""),
            points=v["points"],
            tenders=tenders,
            # The provider deduplicates by this key: scope it to the caller, as our own replay is.
            idempotency_key=f"{request_scope(request)}:{request.headers['Idempotency-Key']}",
            consents=v.get("consents") or {},
            shipping_method=v.get("shipping_method"),
        )
        return Response(s.OrderOutput(order).data, status=status.HTTP_201_CREATED)


class OrderDetailView(APIView):
    """One of your orders, with its pick-up status (and code once ready). Anyone else gets a 404."""

    permission_classes = [IsShopper]
    authentication_classes = SHOPPER_AUTHENTICATION

    @extend_schema(responses=s.OrderOutput)
    def get(self, request, number):
        return Response(s.OrderOutput(selectors.order_for_owner(request.user, number)).data)


class OrderPickupQrView(APIView):
    """The pick-up QR code as SVG, for the owner of a ready pick-up (the app can also draw `qr_payload`)."""

    permission_classes = [IsShopper]
    authentication_classes = SHOPPER_AUTHENTICATION

    @extend_schema(responses={(200, "image/svg+xml"): OpenApiTypes.STR})
    def get(self, request, number):

        order = selectors.order_for_owner(request.user, number)
        ready = next(
            (f for f in order.fulfillments.all() if f.is_collect and f.status == Fulfillment.Status.READY), None
        )
        if ready is None:
            raise OrderError(_("This order has no pick-up ready to collect."), code=OrderCode.NOT_READY)
        response = HttpResponse(qr_svg(ready.qr_token), content_type="image/svg+xml")
        response["Cache-Control"] = "private, no-store"
        return response


class OrderCancelView(APIView):
    permission_classes = [IsShopper]
    authentication_classes = SHOPPER_AUTHENTICATION

    @extend_schema(
        request=s.CancelInput,
        responses={200: s.OrderOutput},
    )
    @idempotent(required=False)
    def post(self, request, number):
        data = s.CancelInput(data=request.data)
        data.is_valid(raise_exception=True)
        order = selectors.order_for_owner(request.user, number)
        services.cancel_order(order=order, reason=data.validated_data.get("reason", ""), by_customer=True)
        return Response(s.OrderOutput(selectors.order_for_owner(request.user, number)).data)


class OrderArrivalView(APIView):
    """Curbside: "I'm here". The store's pick-up queue shows the shopper as arrived."""

    permission_classes = [IsShopper]
    authentication_classes = SHOPPER_AUTHENTICATION

    @extend_schema(
        request=s.ArrivalInput,
        responses={200: s.OrderOutput},
    )
    def post(self, request, number):
        data = s.ArrivalInput(data=request.data)
        data.is_valid(raise_exception=True)
        order = selectors.order_for_owner(request.user, number)
        curbside = next(
            (f for f in order.fulfillments.all() if f.kind == Fulfillment.Kind.CURBSIDE and f.is_open), None
        )
        if curbside is None:
            raise OrderError(_("This order has no open curbside pick-up."), code=RetailCode.ILLEGAL_TRANSITION)
        services.record_arrival(fulfillment=curbside, note=data.validated_data.get("note", ""))
        return Response(s.OrderOutput(selectors.order_for_owner(request.user, number)).data)


class MyOrdersView(generics.ListAPIView):
    """Your orders on every channel (app, web, store, phone), newest first."""

    permission_classes = [IsShopper]
    authentication_classes = SHOPPER_AUTHENTICATION
    serializer_class = s.OrderSummaryOutput

    def get_queryset(self):
        return selectors.orders_of_customer(customer_for_user(self.request.user)).order_by("-placed_at", "-pk")

    def paginate_queryset(self, queryset):
        self.paginator.ordering = ("-placed_at", "-pk")
        return super().paginate_queryset(queryset)


def _pos_sale(v: dict) -> "services.PosSale":
    return services.PosSale(
        receipt_number=v["receipt_number"],
        lines=v.get("lines") or [],
        tenders=v["tenders"],
        customer=dict(v.get("customer") or {}),
        sold_at=v.get("sold_at"),
        offer_code=v.get("offer_code") or "",
        points=v.get("points") or 0,
        settles=(v.get("settles") or "").strip(),
    )


class PosSaleView(APIView):
    """A till posts a sale. Idempotent by receipt number: a replay answers 200 with the first order; the
    same receipt number with another sale is refused 422 `idempotency_mismatch`, nothing written."""

    permission_classes = [IsPosDevice]
    authentication_classes = DEVICE_AUTHENTICATION

    @extend_schema(
        request=s.PosSaleInput,
        examples=[OpenApiExample("A shirt paid by card", request_only=True, value=SALE)],
        responses={
            201: s.PosSaleOutput,
            200: OpenApiResponse(response=s.PosSaleOutput, description="A replay: the receipt was already recorded."),
        },
    )
    def post(self, request):
        data = s.PosSaleInput(data=request.data)
        data.is_valid(raise_exception=True)
        sale = _pos_sale(data.validated_data)
        order, created = services.record_pos_sale(device=request.user, sale=sale)
        response = Response(
            s.PosSaleOutput(order).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )
        if not created:
            response["Idempotent-Replayed"] = "true"
        return response


class PosSaleBatchView(APIView):
    """A till back online posts the receipts it kept, up to 100 at once.

    Always 200 when the body is a batch: each receipt is validated like a single sale and stored on
    its own (savepoint), so a refused receipt never drops the others. `results` answers each receipt
    in input order: `created`, `replayed` (stored before, by an earlier upload or a concurrent one:
    nothing is stored twice) or `rejected` with an error to fix before re-sending that receipt only.
    """

    permission_classes = [IsPosDevice]
    authentication_classes = DEVICE_AUTHENTICATION

    @extend_schema(
        request=s.PosSaleBatchInput,
        responses={
            200: s.PosSaleBatchOutput,
        },
        examples=[
            OpenApiExample("Two receipts", request_only=True,
                           value={"receipts": [SALE, {**SALE, "receipt_number": "R-0002"}]}),
            OpenApiExample(
                "Mixed batch",
                response_only=True,
                value={
                    "results": [
                        {"receipt_number": "R-0001", "status": "created", "number": "OM-7K2M-9XD4",
                         "order_id": 812, "error": None},
                        {"receipt_number": "R-0002", "status": "replayed", "number": "OM-Q4TE-1B7C",
                         "order_id": 790, "error": None},
                        {"receipt_number": "R-0003", "status": "rejected", "number": None, "order_id": None,
                         "error": {"code": "invalid_sale", "message": "The sale was not recorded: lines.0: ...",
                                   "fields": {"lines.0": ["Unknown SKU or barcode 'NOPE-1'."]}}},
                    ]
                },
            )
        ],
    )  # fmt: skip
    def post(self, request):
        incoming = s.PosSaleBatchInput(data=request.data)
        incoming.is_valid(raise_exception=True)
        receipts = incoming.validated_data["receipts"]
        results: list[dict | None] = [None] * len(receipts)
        sales, positions = [], []
        for index, clean, error in validate_items(incoming.fields["receipts"], receipts):
            if error is None:
                sales.append(_pos_sale(clean))
                positions.append(index)
            else:
                number = receipts[index].get("receipt_number") if isinstance(receipts[index], dict) else None
                results[index] = _batch_result(number if isinstance(number, str) else "", "rejected", error=error)
        outcomes = services.record_pos_sales(device=request.user, sales=sales) if sales else []
        for index, outcome in zip(positions, outcomes, strict=True):
            error = outcome.error
            results[index] = _batch_result(
                outcome.receipt_number,
                outcome.status,
                order=outcome.order,
                error=error_body(error.code, error.message, error.fields) if error else None,
            )
        return Response({"results": results}, status=status.HTTP_200_OK)


def _batch_result(receipt_number: str, status_: str, *, order=None, error=None) -> dict:
    return {
        "receipt_number": receipt_number,
        "status": status_,
        "number": order.number if order else None,
        "order_id": order.pk if order else None,
        "error": error,
    }
