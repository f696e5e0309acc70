from django.utils.translation import gettext as _
from rest_framework import serializers

from inventory.api.fields import SkuField
from orders.errors import OrderCode
from orders.returns.errors import ReturnError
from orders.returns.models import Condition, Reason, ReturnRequest
from orders.returns.numbers import qr_payload
from retail.api.fields import StoreCodeField
from retail.api.serializers import StrictSerializer
from retail.domain.channel import Channel


class ReturnLineInput(StrictSerializer):
    """One item coming back: the order line (`line_number`) or the `sku` bought (one of the two)."""

    line_number = serializers.IntegerField(required=False, min_value=1, max_value=999, help_text="The order line.")
    sku = SkuField(required=False, help_text="Or the SKU bought.")
    quantity = serializers.IntegerField(min_value=1, max_value=999)
    reason = serializers.ChoiceField(choices=Reason.choices)
    condition = serializers.ChoiceField(choices=Condition.choices, default=Condition.NEW)
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)

    def validate(self, attrs):
        if not attrs.get("line_number") and not attrs.get("sku"):
            raise ReturnError(
                _("Give the line_number or the sku of each item."),
                code=OrderCode.INVALID_LINE,
                fields={"line_number": [_("Or sku.")]},
            )
        return attrs


class ReturnCreateInput(StrictSerializer):
    order_number = serializers.CharField(min_length=1, max_length=20)
    method = serializers.ChoiceField(choices=ReturnRequest.Method.choices, default=ReturnRequest.Method.IN_STORE)
    channel = serializers.ChoiceField(
        choices=[(c, Channel(c).label) for c in Channel.own_device_values()], default=Channel.APP
    )
    store = StoreCodeField(required=False, help_text="In-store returns: the store you will bring it to.")
    lines = ReturnLineInput(many=True, allow_empty=False, max_length=100)


class ReturnLineOutput(serializers.Serializer):
    sku = serializers.CharField()
    name = serializers.CharField()
    quantity = serializers.IntegerField()
    reason = serializers.CharField()
    condition = serializers.CharField()
    disposition = serializers.CharField()
    verdict = serializers.CharField(help_text="eligible, or approval (a manager must accept it).")
    explanation = serializers.CharField(
        source="worded_explanation", help_text="The policy's verdict in words, in the Accept-Language's language."
    )
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    tax_amount = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        allow_null=True,
        help_text="The tax within the amount, given back with it; null when the sale recorded none.",
    )
    fee = serializers.DecimalField(max_digits=12, decimal_places=2)


class ReturnOutput(serializers.Serializer):
    rma_number = serializers.CharField()
    status = serializers.CharField()
    method = serializers.CharField()
    channel = serializers.CharField()
    order_number = serializers.CharField(source="order.number", allow_null=True, default=None)
    store = serializers.CharField(source="store.code", allow_null=True, default=None)
    started_store = serializers.CharField(source="started_store.code", allow_null=True, default=None)
    qr_payload = serializers.SerializerMethodField(help_text="Encode this in a QR code; the store scans it.")
    currency = serializers.CharField(
        help_text="ISO 4217 code of every amount, and of the limits in the summary: the order's (the market that "
        "sold it); without a receipt, the returning store's market's."
    )
    goods_total = serializers.DecimalField(max_digits=12, decimal_places=2)
    fees_total = serializers.DecimalField(max_digits=12, decimal_places=2)
    clawback_total = serializers.DecimalField(max_digits=12, decimal_places=2)
    shipping_refund = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="The order's shipping given back (once, with the whole order)."
    )
    shipping_tax = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    refund_total = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="Estimate until the goods are inspected; final once refunded."
    )
    refund_method = serializers.CharField()
    approval_required = serializers.BooleanField()
    summary = serializers.ListField(
        source="worded_summary",
        child=serializers.CharField(),
        help_text="The return's verdict in words, in the Accept-Language's language.",
    )
    lines = ReturnLineOutput(many=True)
    created_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)

    def get_qr_payload(self, obj) -> str:
        return qr_payload(obj.qr_token)


class ApprovalInput(StrictSerializer):
    """A manager of this store, when the policy asks for one: email, pin and reason with their approval PIN,
    or email, password, code and reason with their password and authenticator code."""

    email = serializers.CharField(max_length=254, required=False, allow_blank=True)
    pin = serializers.CharField(max_length=12, required=False, allow_blank=True, help_text="Approval PIN.")
    password = serializers.CharField(max_length=128, required=False, allow_blank=True)
    code = serializers.CharField(max_length=12, required=False, allow_blank=True, help_text="Authenticator code.")
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True)


class PosReturnInput(StrictSerializer):
    receipt_number = serializers.CharField(min_length=1, max_length=40, help_text="The till's receipt for this return.")
    order_number = serializers.CharField(required=False, allow_blank=True, max_length=20)
    original_receipt = serializers.CharField(
        required=False, allow_blank=True, max_length=40, help_text="Or the receipt of the sale at this store."
    )
    lines = ReturnLineInput(many=True, allow_empty=False, max_length=100)
    refund_method = serializers.ChoiceField(
        choices=[("original", "Original tender"), ("store_credit", "Store credit")], default="original"
    )
    approval = ApprovalInput(required=False)


class PosReturnOutput(serializers.Serializer):
    rma_number = serializers.CharField()
    receipt_number = serializers.CharField()
    status = serializers.CharField()
    store = serializers.CharField(source="store.code", allow_null=True, default=None)
    order_number = serializers.CharField(source="order.number", allow_null=True, default=None)
    currency = serializers.CharField(help_text="ISO 4217 code of the amounts.")
    refund_total = serializers.DecimalField(max_digits=12, decimal_places=2)
    refund_method = serializers.CharField()
    lines = ReturnLineOutput(many=True)
