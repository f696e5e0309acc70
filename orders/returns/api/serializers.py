from rest_framework import serializers

from orders.returns.models import Condition, Reason, ReturnRequest
from orders.returns.numbers import qr_payload


class ReturnLineInput(serializers.Serializer):
    line_number = serializers.IntegerField(required=False, min_value=1, help_text="The order line (1, 2, ...).")
    sku = serializers.CharField(required=False, max_length=40, help_text="Or the SKU bought.")
    quantity = serializers.IntegerField(min_value=1, max_value=999)
    reason = serializers.ChoiceField(choices=Reason.choices)
    condition = serializers.ChoiceField(choices=Condition.choices, default=Condition.NEW)
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)

    def validate(self, attrs):
        if not attrs.get("line_number") and not attrs.get("sku"):
            raise serializers.ValidationError("Give the line_number or the sku of the item.")
        return attrs


class ReturnCreateInput(serializers.Serializer):
    order_number = serializers.CharField(max_length=20)
    method = serializers.ChoiceField(choices=ReturnRequest.Method.choices, default=ReturnRequest.Method.IN_STORE)
    channel = serializers.ChoiceField(choices=[("app", "App"), ("web", "Web")], default="app")
    store = serializers.CharField(
        required=False, allow_blank=True, max_length=20, help_text="In-store returns: the store you will bring it to."
    )
    lines = ReturnLineInput(many=True, allow_empty=False, max_length=100)


class ReturnLineOutput(serializers.Serializer):
    sku = serializers.CharField()
    name = serializers.CharField()
    quantity = serializers.IntegerField()
    reason = serializers.CharField()
    condition = serializers.CharField()
    disposition = serializers.CharField()
    verdict = serializers.CharField(help_text="eligible, or approval (a manager must accept it).")
    explanation = serializers.CharField(help_text="The policy's verdict in words.")
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
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
    goods_total = serializers.DecimalField(max_digits=12, decimal_places=2)
    fees_total = serializers.DecimalField(max_digits=12, decimal_places=2)
    clawback_total = serializers.DecimalField(max_digits=12, decimal_places=2)
    refund_total = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="Estimate until the goods are inspected; final once refunded."
    )
    refund_method = serializers.CharField()
    approval_required = serializers.BooleanField()
    summary = serializers.ListField(child=serializers.CharField())
    lines = ReturnLineOutput(many=True)
    created_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)

    def get_qr_payload(self, obj) -> str:
        return qr_payload(obj.qr_token)


class PosReturnInput(serializers.Serializer):
    """Lines are checked by the service so every problem is reported per line at once."""

    receipt_number = serializers.CharField(max_length=40, help_text="The till's receipt for this return.")
    order_number = serializers.CharField(required=False, allow_blank=True, max_length=20)
    original_receipt = serializers.CharField(
        required=False, allow_blank=True, max_length=40, help_text="Or the receipt of the sale at this store."
    )
    lines = serializers.ListField(child=serializers.DictField(), allow_empty=False, max_length=100)
    refund_method = serializers.ChoiceField(
        choices=[("original", "Original tender"), ("store_credit", "Store credit")], default="original"
    )
    approval = serializers.DictField(
        required=False,
        help_text=(
            "A manager of this store, when the policy asks for one: {email, pin, reason} with their approval PIN,"
            " or {email, password, code, reason} with password and authenticator code."
        ),
    )


class PosReturnOutput(serializers.Serializer):
    rma_number = serializers.CharField()
    receipt_number = serializers.CharField()
    status = serializers.CharField()
    store = serializers.CharField(source="store.code", allow_null=True, default=None)
    order_number = serializers.CharField(source="order.number", allow_null=True, default=None)
    refund_total = serializers.DecimalField(max_digits=12, decimal_places=2)
    refund_method = serializers.CharField()
    lines = ReturnLineOutput(many=True)
