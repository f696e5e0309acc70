"""Returns API: a shopper starts and follows returns; a till posts its returns. Parse, call, render."""

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.selectors import customer_for_user
from inventory.api.fields import EXAMPLE_SKU
from inventory.errors import InventoryCode
from orders.api.examples import EXAMPLE_ORDER, EXAMPLE_RECEIPT, EXAMPLE_RMA
from orders.api.permissions import IsPosDevice, IsShopper
from orders.payments import PROVIDER_CODES
from orders.returns import selectors, services
from orders.returns.api import serializers as s
from orders.returns.errors import ReturnError
from orders.returns.numbers import qr_svg
from orders.selectors import order_for_owner
from retail.api.authentication import DEVICE_AUTHENTICATION, SHOPPER_AUTHENTICATION
from retail.api.codes import raises
from retail.api.fields import EXAMPLE_STORE
from retail.api.idempotency import idempotent
from retail.api.schema import path_example
from retail.api.serializers import EmptyInput
from retail.domain.channel import Channel
from retail.models import Store

path_example("rma_number", EXAMPLE_RMA)
START_RETURN = OpenApiExample(
    "A shirt too small, back in store",
    request_only=True,
    value={
        "order_number": EXAMPLE_ORDER,
        "method": "in_store",
        "channel": Channel.APP,
        "store": EXAMPLE_STORE,
        "lines": [{"line_number": 1, "quantity": 1, "reason": "wrong_size", "condition": "new"}],
    },
)
POS_RETURN = OpenApiExample(
    "A shirt back at the till",
    request_only=True,
    value={
        "receipt_number": "RR-0001",
        "original_receipt": EXAMPLE_RECEIPT,
        "lines": [{"sku": EXAMPLE_SKU, "quantity": 1, "reason": "wrong_size"}],
        "refund_method": "original",
    },
)


class MyReturnsView(generics.ListAPIView):
    """The signed-in shopper's returns, newest first, a page at a time (cursor pagination like
    me/orders/; a cursor the list did not give out is `invalid_cursor`); and starting a new one from
    an order of theirs. The same queries for one return or a page of them."""

    permission_classes = [IsShopper]
    authentication_classes = SHOPPER_AUTHENTICATION
    serializer_class = s.ReturnOutput

    def get_queryset(self):
        return selectors.returns_of_customer(customer_for_user(self.request.user)).order_by("-created_at", "-pk")

    def paginate_queryset(self, queryset):
        self.paginator.ordering = ("-created_at", "-pk")
        return super().paginate_queryset(queryset)

    @extend_schema(summary="My returns, newest first")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=s.ReturnCreateInput,
        examples=[START_RETURN],
        responses={
            201: s.ReturnOutput,
        },
        summary="Start a return: lines, reasons, in store or by mail; answers the RMA number and QR payload",
    )
    @idempotent(required=True)
    def post(self, request):
        data = s.ReturnCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        order = order_for_owner(request.user, v["order_number"])
        store = None
        if v.get("store"):
            store = Store.objects.active().filter(code=v["store"].strip()).first()
            if store is None or not store.accepts_returns:
                raise ReturnError(
                    _("%(store)s does not take returns; choose a store with a returns desk.") % {"store": v["store"]},
                    code=InventoryCode.RETURNS_NOT_ACCEPTED,
                    fields={"store": [_("No returns desk.")]},
                )
        created = services.start_return(
            order=order,
            channel=v["channel"],
            method=v["method"],
            store=store,
            actor=request.user,
            lines=[
                services.LineRequest(
                    line_number=line.get("line_number"),
                    sku=line.get("sku", ""),
                    quantity=line["quantity"],
                    reason=line["reason"],
                    condition=line["condition"],
                    reason_note=line.get("note", ""),
                )
                for line in v["lines"]
            ],
        )
        return Response(
            s.ReturnOutput(selectors.return_for_owner(order.customer, created.rma_number)).data,
            status=status.HTTP_201_CREATED,
        )


class MyReturnView(APIView):
    permission_classes = [IsShopper]
    authentication_classes = SHOPPER_AUTHENTICATION

    @extend_schema(responses={200: s.ReturnOutput})
    def get(self, request, rma_number):
        return Response(s.ReturnOutput(selectors.return_for_owner(customer_for_user(request.user), rma_number)).data)


class MyReturnQrView(APIView):
    """The return's QR code as SVG, for its owner (the app can also draw `qr_payload`); the store scans it."""

    permission_classes = [IsShopper]
    authentication_classes = SHOPPER_AUTHENTICATION

    @extend_schema(responses={(200, "image/svg+xml"): OpenApiTypes.STR})
    def get(self, request, rma_number):

        found = selectors.return_for_owner(customer_for_user(request.user), rma_number)
        response = HttpResponse(qr_svg(found.qr_token), content_type="image/svg+xml")
        response["Cache-Control"] = "private, no-store"
        return response


class MyReturnCancelView(APIView):
    permission_classes = [IsShopper]
    authentication_classes = SHOPPER_AUTHENTICATION

    @extend_schema(request=None, responses={200: s.ReturnOutput})
    def post(self, request, rma_number):
        EmptyInput(data=request.data).is_valid(raise_exception=True)
        customer = customer_for_user(request.user)
        found = selectors.return_for_owner(customer, rma_number)
        services.cancel_return(return_request=found, actor=request.user)
        return Response(s.ReturnOutput(selectors.return_for_owner(customer, rma_number)).data)


class PosReturnView(APIView):
    """A till posts a return (received and refunded at once). Idempotent by its receipt number:
    a replay answers 200 with the first return; the same number with another return is refused 422
    `idempotency_mismatch`, nothing written."""

    permission_classes = [IsPosDevice]
    authentication_classes = DEVICE_AUTHENTICATION

    @extend_schema(
        request=s.PosReturnInput,
        examples=[POS_RETURN],
        responses={
            201: s.PosReturnOutput,
            200: s.PosReturnOutput,
        },
    )
    @raises(*PROVIDER_CODES)  # a card refund, through the configured payment provider
    def post(self, request):
        data = s.PosReturnInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        found, created = services.record_pos_return(
            device=request.user,
            sale=services.PosReturn(
                receipt_number=v["receipt_number"],
                order_number=v.get("order_number", ""),
                original_receipt=v.get("original_receipt", ""),
                lines=v["lines"],
                refund_method=v["refund_method"],
                approval=dict(v.get("approval") or {}),
            ),
        )
        response = Response(
            s.PosReturnOutput(found).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )
        if not created:
            response["Idempotent-Replayed"] = "true"
        return response
