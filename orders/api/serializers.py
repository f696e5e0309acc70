"""Input and output shapes of the orders API (thin: services hold the rules)."""

from rest_framework import serializers

from orders.models import Fulfillment, Order, OrderLine, Payment
from orders.numbers import qr_payload


class CartLineInput(serializers.Serializer):
    sku = serializers.CharField(max_length=40)
    quantity = serializers.IntegerField(min_value=1, max_value=99)


class CartInput(serializers.Serializer):
    lines = CartLineInput(many=True, max_length=100)
    channel = serializers.ChoiceField(choices=["app", "web", "kiosk"], default="web")


class CartLineSetInput(serializers.Serializer):
    quantity = serializers.IntegerField(min_value=0, max_value=99)
    channel = serializers.ChoiceField(choices=["app", "web", "kiosk"], default="web")


class CartLineAddInput(CartLineInput):
    channel = serializers.ChoiceField(choices=["app", "web", "kiosk"], default="web")


class CartMergeInput(serializers.Serializer):
    token = serializers.CharField(max_length=40)
    channel = serializers.ChoiceField(choices=["app", "web", "kiosk"], default="web")


class CartLineOutput(serializers.Serializer):
    sku = serializers.CharField()
    name = serializers.CharField()
    size = serializers.CharField()
    colour = serializers.CharField()
    quantity = serializers.IntegerField()
    unit_price = serializers.DecimalField(max_digits=10, decimal_places=2)
    price_when_added = serializers.DecimalField(max_digits=10, decimal_places=2)
    price_changed = serializers.BooleanField()
    line_total = serializers.DecimalField(max_digits=12, decimal_places=2)
    available = serializers.IntegerField()
    in_stock = serializers.BooleanField()


class CartOutput(serializers.Serializer):
    token = serializers.CharField(allow_null=True, help_text="Anonymous carts only: keep it to read or merge the cart.")
    status = serializers.CharField()
    lines = CartLineOutput(many=True)
    subtotal = serializers.DecimalField(max_digits=12, decimal_places=2)
    item_count = serializers.IntegerField()
    sent_by = serializers.CharField(allow_null=True, required=False)
    warnings = serializers.ListField(child=serializers.CharField())


class AddressInput(serializers.Serializer):
    name = serializers.CharField(max_length=160, required=False, allow_blank=True)
    line1 = serializers.CharField(max_length=200)
    line2 = serializers.CharField(max_length=200, required=False, allow_blank=True)
    city = serializers.CharField(max_length=80)
    postcode = serializers.CharField(max_length=20)
    country = serializers.CharField(max_length=2, default="GB")
    latitude = serializers.FloatField(required=False, min_value=-90, max_value=90)
    longitude = serializers.FloatField(required=False, min_value=-180, max_value=180)


class GroupInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["pickup", "curbside", "ship"])
    store = serializers.SlugField(required=False, help_text="Store code for pickup/curbside.")
    proxy_name = serializers.CharField(max_length=120, required=False, allow_blank=True)
    shipping_address = AddressInput(required=False)
    lines = CartLineInput(many=True, required=False, help_text="For per-line-group fulfilment.")


class PaymentInput(serializers.Serializer):
    method = serializers.ChoiceField(choices=["card", "gift_card", "store_credit"])
    token = serializers.CharField(max_length=120, required=False, allow_blank=True)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, required=False, min_value=0)


class ContactInput(serializers.Serializer):
    name = serializers.CharField(max_length=160, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)


class CheckoutInput(serializers.Serializer):
    channel = serializers.ChoiceField(choices=["app", "web", "kiosk"], default="web")
    from_cart = serializers.BooleanField(default=False)
    lines = CartLineInput(many=True, required=False, max_length=100)
    fulfillment = GroupInput(required=False, help_text="One fulfilment for the whole order.")
    groups = GroupInput(many=True, required=False, max_length=10, help_text="Or one per group of lines.")
    offer_code = serializers.CharField(max_length=30, required=False, allow_blank=True)
    points = serializers.IntegerField(min_value=0, default=0)
    payments = PaymentInput(many=True, required=False, max_length=5)
    contact = ContactInput(required=False)
    consents = serializers.DictField(child=serializers.BooleanField(), required=False)

    def validate(self, data):
        if data.get("groups") and data.get("fulfillment"):
            raise serializers.ValidationError("Send either fulfillment (whole order) or groups (per lines), not both.")
        if not data.get("groups") and not data.get("fulfillment"):
            raise serializers.ValidationError({"fulfillment": ["Say how the order reaches the shopper."]})
        if data.get("groups"):
            if data.get("from_cart") or data.get("lines"):
                raise serializers.ValidationError("With groups, the lines go inside each group.")
            for index, group in enumerate(data["groups"]):
                if not group.get("lines"):
                    raise serializers.ValidationError({f"groups.{index}.lines": ["Each group needs lines."]})
        elif bool(data.get("from_cart")) == bool(data.get("lines")):
            raise serializers.ValidationError("Check out from_cart or with explicit lines (one of the two).")
        if set(data.get("consents") or {}) - {"email", "sms", "push"}:
            raise serializers.ValidationError({"consents": ["Channels are email, sms and push."]})
        return data


class OrderLineOutput(serializers.ModelSerializer):
    class Meta:
        model = OrderLine
        fields = ["line_number", "sku", "name", "size", "colour", "quantity", "unit_price", "discount", "total",
                  "picked_quantity", "cancelled_quantity"]  # fmt: skip


class FulfillmentOutput(serializers.ModelSerializer):
    store = serializers.CharField(source="location.code")
    store_name = serializers.CharField(source="location.name")
    pickup_code = serializers.SerializerMethodField(help_text="Shown to the owner once the order is ready.")
    qr_payload = serializers.SerializerMethodField(help_text="What the app encodes in the pick-up QR code.")

    class Meta:
        model = Fulfillment
        fields = ["id", "kind", "status", "store", "store_name", "pickup_code", "qr_payload", "hold_until",
                  "proxy_name", "arrived_at", "tracking_number", "ready_at", "closed_at"]  # fmt: skip

    def _visible(self, obj) -> bool:
        return obj.is_collect and obj.status == Fulfillment.Status.READY

    def get_pickup_code(self, obj) -> str | None:
        return obj.pickup_code if self._visible(obj) else None

    def get_qr_payload(self, obj) -> str | None:
        return qr_payload(obj.qr_token) if self._visible(obj) else None


class PaymentOutput(serializers.ModelSerializer):
    class Meta:
        model = Payment
        fields = ["method", "brand", "last4", "amount", "captured_amount", "refunded_amount", "status"]


class OrderOutput(serializers.ModelSerializer):
    store = serializers.CharField(source="store.code")
    lines = OrderLineOutput(many=True)
    fulfillments = FulfillmentOutput(many=True)
    payments = PaymentOutput(many=True)

    class Meta:
        model = Order
        fields = ["number", "status", "channel", "store", "placed_at", "currency", "subtotal", "offer_code",
                  "offer_discount", "points_redeemed", "points_discount", "discount_total", "total", "points_earned",
                  "receipt_number", "lines", "fulfillments", "payments"]  # fmt: skip


class OrderSummaryOutput(serializers.ModelSerializer):
    store = serializers.CharField(source="store.code")
    fulfillments = FulfillmentOutput(many=True)

    class Meta:
        model = Order
        fields = ["number", "status", "channel", "store", "placed_at", "currency", "total", "fulfillments"]


class CancelInput(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True)


class ArrivalInput(serializers.Serializer):
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, help_text="Car, colour, bay...")


class PosLineInput(serializers.Serializer):
    sku = serializers.CharField(max_length=40, required=False)
    barcode = serializers.CharField(max_length=32, required=False)
    quantity = serializers.JSONField()
    unit_price = serializers.JSONField(required=False)
    discount = serializers.JSONField(required=False)


class PosSaleInput(serializers.Serializer):
    """Lines and tenders are checked by the service so every problem is reported per line at once."""

    receipt_number = serializers.CharField(max_length=40)
    sold_at = serializers.DateTimeField(required=False)
    lines = serializers.ListField(child=serializers.DictField(), allow_empty=True, max_length=500)
    tenders = serializers.ListField(child=serializers.DictField(), allow_empty=True, max_length=20)
    customer = serializers.DictField(child=serializers.CharField(), required=False)


class PosSaleOutput(serializers.Serializer):
    number = serializers.CharField()
    receipt_number = serializers.CharField()
    store = serializers.CharField(source="store.code")
    total = serializers.DecimalField(max_digits=12, decimal_places=2)
    points_earned = serializers.IntegerField()
    customer_id = serializers.IntegerField(allow_null=True)


class PosSaleBatchInput(serializers.Serializer):
    """Receipts a till kept while offline; each is validated like a single sale (per receipt, not per batch)."""

    receipts = PosSaleInput(many=True, help_text="1 to 100 receipts, in the order they were rung up.")


class PosBatchErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="`invalid` (a field), `invalid_sale` (lines, tenders, customer)...")
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class PosSaleBatchResult(serializers.Serializer):
    receipt_number = serializers.CharField(allow_blank=True)
    status = serializers.ChoiceField(
        choices=["created", "replayed", "rejected"],
        help_text="created: stored now; replayed: stored before (nothing stored twice); rejected: see error.",
    )
    number = serializers.CharField(allow_null=True, help_text="The order's number when stored (created or replayed).")
    order_id = serializers.IntegerField(allow_null=True)
    error = PosBatchErrorSerializer(allow_null=True, help_text="Why the receipt was refused; fix and re-send it.")


class PosSaleBatchOutput(serializers.Serializer):
    results = PosSaleBatchResult(many=True, help_text="One per receipt, in input order.")
