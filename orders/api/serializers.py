"""Input and output shapes of the orders API (thin: services hold the rules)."""

from decimal import Decimal

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from customers.api.serializers import ConsentsInput
from inventory.api.fields import BarcodeField, SkuField
from orders.errors import OrderCode, OrderError
from orders.models import Fulfillment, Order, OrderLine, Payment
from orders.numbers import qr_payload
from orders.selectors import tax_breakdown
from orders.services.pos import MAX_BATCH as MAX_POS_BATCH
from retail.api.fields import (
    AwareDateTimeField,
    E164Field,
    EmailField,
    MoneyField,
    OnlineChannelField,
    PatternField,
    StoreCodeField,
)
from retail.api.serializers import BatchSerializer, StrictSerializer
from retail.domain.channel import Channel


class CartLineInput(StrictSerializer):
    sku = SkuField()
    quantity = serializers.IntegerField(min_value=1, max_value=99)


COUNTRY_HELP = (
    "Where the cart ships to (ISO 3166-1, e.g. PL): the cart is priced in the market that sells there on "
    "the channel, in its currency. `invalid_country` for a code that is no country, `country_not_served` for "
    "one no market covers."
)


class CartInput(StrictSerializer):
    lines = CartLineInput(many=True, max_length=100)
    channel = OnlineChannelField(default=Channel.WEB)
    country = serializers.CharField(
        min_length=2, max_length=2, required=False, help_text=COUNTRY_HELP + " The lines are priced there."
    )


class CartCountryInput(StrictSerializer):
    country = serializers.CharField(min_length=2, max_length=2, help_text=COUNTRY_HELP)
    channel = OnlineChannelField(default=Channel.WEB)


class CartLineSetInput(StrictSerializer):
    quantity = serializers.IntegerField(min_value=0, max_value=99)
    channel = OnlineChannelField(default=Channel.WEB)


class CartLineAddInput(CartLineInput):
    channel = OnlineChannelField(default=Channel.WEB)


class CartMergeInput(StrictSerializer):
    token = serializers.CharField(min_length=1, max_length=40)
    channel = OnlineChannelField(default=Channel.WEB)


class SavedCartOpenInput(StrictSerializer):
    token = serializers.CharField(
        min_length=1, max_length=200, help_text="The signed token at the end of the link the shopper was sent."
    )
    channel = OnlineChannelField(default=Channel.APP)


class CartLineOutput(serializers.Serializer):
    sku = serializers.CharField()
    name = serializers.CharField()
    size = serializers.CharField()
    size_name = serializers.CharField(
        help_text="The size in the caller's language when named in it (Double: Matrimoniale), else `size`."
    )
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
    currency = serializers.CharField(
        required=False, help_text="ISO 4217: every price of the cart is in its market's currency (e.g. PLN)."
    )
    country = serializers.CharField(
        allow_blank=True, help_text="Where the cart ships to (ISO 3166-1), as the shopper said; empty until then."
    )
    lines = CartLineOutput(many=True)
    subtotal = serializers.DecimalField(max_digits=12, decimal_places=2)
    item_count = serializers.IntegerField()
    sent_by = serializers.CharField(allow_null=True, required=False)
    warnings = serializers.ListField(child=serializers.CharField())


class AddressInput(StrictSerializer):
    name = serializers.CharField(max_length=160, required=False, allow_blank=True)
    line1 = serializers.CharField(min_length=1, max_length=200)
    line2 = serializers.CharField(max_length=200, required=False, allow_blank=True)
    city = serializers.CharField(min_length=1, max_length=80)
    postcode = serializers.CharField(min_length=1, max_length=20)
    country = PatternField(r"\A[A-Z]{2}\Z", default="GB", help_text="ISO 3166-1 alpha-2, e.g. GB.")
    latitude = serializers.FloatField(required=False, min_value=-90, max_value=90)
    longitude = serializers.FloatField(required=False, min_value=-180, max_value=180)


class GroupInput(StrictSerializer):
    kind = serializers.ChoiceField(choices=["pickup", "curbside", "ship"])
    store = StoreCodeField(required=False, help_text="Store code for pickup/curbside.")
    proxy_name = serializers.CharField(max_length=120, required=False, allow_blank=True)
    shipping_address = AddressInput(required=False)
    lines = CartLineInput(many=True, required=False, max_length=100, help_text="For per-line-group fulfilment.")


class PaymentInput(StrictSerializer):
    method = serializers.ChoiceField(choices=["card", "gift_card", "store_credit"])
    token = serializers.CharField(max_length=120, required=False, allow_blank=True)
    amount = MoneyField(required=False)


class ContactInput(StrictSerializer):
    name = serializers.CharField(max_length=160, required=False, allow_blank=True)
    email = EmailField(required=False, allow_blank=True)
    phone = E164Field(required=False, allow_blank=True)


class CheckoutInput(StrictSerializer):
    """The order's lines (`lines`, or `from_cart`) with one `fulfillment`, or `groups` of lines each with its own.

    Which combination is sent is checked by the service (`invalid_fulfillment`, `empty_cart`).
    """

    body_required = True  # no body says neither fulfillment nor groups: always invalid_fulfillment

    channel = OnlineChannelField(default=Channel.WEB)
    from_cart = serializers.BooleanField(default=False)
    lines = CartLineInput(many=True, required=False, max_length=100)
    fulfillment = GroupInput(required=False, help_text="One fulfilment for the whole order.")
    groups = GroupInput(many=True, required=False, max_length=10, help_text="Or one per group of lines.")
    offer_code = serializers.CharField(max_length=30, required=False, allow_blank=True)
    points = serializers.IntegerField(min_value=0, max_value=10_000_000, default=0)
    payments = PaymentInput(many=True, required=False, max_length=5)
    contact = ContactInput(required=False)
    consents = ConsentsInput(required=False)
    shipping_method = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        help_text="Ship-to-home: the id of a method listed for the cart and the address's country "
        "(GET /me/cart/shipping-methods/?country=IT).",
    )

    def validate(self, data):
        """How the lines reach the shopper: a rule across fields, answered with its own code."""
        if data.get("groups") and data.get("fulfillment"):
            raise OrderError(
                _("Send either fulfillment (whole order) or groups (per lines), not both."),
                code=OrderCode.INVALID_FULFILLMENT,
                fields={"groups": [_("Not with fulfillment.")]},
            )
        if not data.get("groups") and not data.get("fulfillment"):
            raise OrderError(
                _("Say how the order reaches the shopper."),
                code=OrderCode.INVALID_FULFILLMENT,
                fields={"fulfillment": [_("Required (or groups).")]},
            )
        if data.get("groups"):
            if data.get("from_cart") or data.get("lines"):
                raise OrderError(
                    _("With groups, the lines go inside each group."),
                    code=OrderCode.INVALID_FULFILLMENT,
                    fields={"lines": [_("Inside each group.")]},
                )
            for index, group in enumerate(data["groups"]):
                if not group.get("lines"):
                    raise OrderError(
                        _("Each group needs lines."),
                        code=OrderCode.INVALID_FULFILLMENT,
                        fields={f"groups.{index}.lines": [_("Required.")]},
                    )
        elif data.get("from_cart") and data.get("lines"):
            raise OrderError(
                _("Check out from_cart or with explicit lines, not both."),
                code=OrderCode.INVALID_LINE,
                fields={"lines": [_("Not with from_cart.")]},
            )
        elif not data.get("from_cart") and not data.get("lines"):
            raise OrderError(
                _("The order has no lines: send lines, or from_cart."),
                code=OrderCode.EMPTY_CART,
                fields={"lines": [_("Required.")]},
            )
        return data


class OrderLineOutput(serializers.ModelSerializer):
    class Meta:
        model = OrderLine
        fields = ["line_number", "sku", "name", "size", "colour", "quantity", "unit_price", "discount", "total",
                  "net", "tax_rate", "tax_amount", "picked_quantity", "cancelled_quantity"]  # fmt: skip


class FulfillmentOutput(serializers.ModelSerializer):
    store = serializers.CharField(source="location.code")
    store_name = serializers.CharField(source="location.name")
    pickup_code = serializers.SerializerMethodField(help_text="Shown to the owner once the order is ready.")
    qr_payload = serializers.SerializerMethodField(help_text="What the app encodes in the pick-up QR code.")

    carrier = serializers.CharField(
        source="carrier.name", default=None, allow_null=True, help_text="Ship: who carries it (null: none)."
    )
    tracking_url = serializers.CharField(help_text="The carrier's page for the parcel; empty until shipped.")
    promised_at = serializers.DateTimeField(
        allow_null=True, help_text="Pick-up: when it was promised ready, on the store's clock (opening hours)."
    )

    class Meta:
        model = Fulfillment
        fields = ["id", "kind", "status", "store", "store_name", "pickup_code", "qr_payload", "hold_until",
                  "proxy_name", "arrived_at", "promised_at", "carrier", "tracking_number", "tracking_url",
                  "ready_at", "closed_at"]  # fmt: skip

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


class ShippingChargeOutput(serializers.Serializer):
    method = serializers.IntegerField(source="shipping_method_id", allow_null=True)
    name = serializers.CharField(source="shipping_name")
    amount = serializers.DecimalField(
        source="shipping_total",
        max_digits=12,
        decimal_places=2,
        help_text="The charge: with its tax where prices include tax, else before it (its tax is in tax_added).",
    )
    tax_rate = serializers.DecimalField(source="shipping_tax_rate", max_digits=6, decimal_places=3, allow_null=True)
    tax = serializers.DecimalField(source="shipping_tax", max_digits=12, decimal_places=2, allow_null=True)


class OrderOutput(serializers.ModelSerializer):
    store = serializers.CharField(source="store.code")
    shipping = serializers.SerializerMethodField(help_text="Ship-to-home: the method chosen and its charge.")
    tax = serializers.SerializerMethodField(help_text="The lines' tax plus the shipping's; null if none was recorded.")
    lines = OrderLineOutput(many=True)
    fulfillments = FulfillmentOutput(many=True)
    payments = PaymentOutput(many=True)

    class Meta:
        model = Order
        fields = ["number", "status", "channel", "store", "placed_at", "currency", "subtotal", "offer_code",
                  "offer_discount", "points_redeemed", "points_discount", "discount_total", "prices_include_tax",
                  "tax_added", "shipping", "total", "tax", "points_earned", "receipt_number", "lines", "fulfillments",
                  "payments"]  # fmt: skip

    @extend_schema_field(ShippingChargeOutput(allow_null=True))
    def get_shipping(self, order) -> dict | None:
        if not (order.shipping_method_id or order.shipping_name):
            return None
        return ShippingChargeOutput(order).data

    @extend_schema_field(serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True))
    def get_tax(self, order) -> str | None:
        taxes = [line.tax_amount for line in order.lines.all() if line.tax_amount is not None]
        if order.shipping_tax is not None:
            taxes.append(order.shipping_tax)
        return str(sum(taxes, Decimal("0.00"))) if taxes else None  # a string, as DRF writes decimals


class OrderSummaryOutput(serializers.ModelSerializer):
    store = serializers.CharField(source="store.code")
    fulfillments = FulfillmentOutput(many=True)

    class Meta:
        model = Order
        fields = ["number", "status", "channel", "store", "placed_at", "currency", "total", "fulfillments"]


class CancelInput(StrictSerializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True)


class ArrivalInput(StrictSerializer):
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, help_text="Car, colour, bay...")


class PosLineInput(StrictSerializer):
    """A line rung up: the SKU or the barcode scanned, how many, and the till's price and discount."""

    sku = SkuField(required=False)
    barcode = BarcodeField(required=False)
    quantity = serializers.IntegerField(min_value=1, max_value=999)
    unit_price = MoneyField(required=False, help_text="Default: the catalog price.")
    discount = MoneyField(required=False, default=Decimal("0.00"), help_text="Off this line in total.")


class PosTenderInput(StrictSerializer):
    method = serializers.ChoiceField(choices=["card", "cash", "gift_card", "store_credit"])
    amount = MoneyField()
    brand = serializers.CharField(max_length=20, required=False, allow_blank=True)
    last4 = PatternField(r"\A[0-9]{4}\Z", required=False, help_text="The card's last four digits.")
    reference = serializers.CharField(max_length=80, required=False, allow_blank=True)
    code = serializers.CharField(
        min_length=1,
        max_length=40,
        required=False,
        help_text="gift_card: the number on the card, as scanned or typed; the amount is redeemed from it. "
        "store_credit: the wallet code from the shopper's app (its QR), which names the shopper and pays once.",
    )


class PosCustomerInput(StrictSerializer):
    """Who bought, when the till knows: the loyalty card scanned, or a phone or email typed."""

    card = serializers.CharField(min_length=1, max_length=40, required=False)
    phone = E164Field(required=False)
    email = EmailField(required=False)


class PosSaleInput(StrictSerializer):
    """What a till sold. With the shopper named (`customer`), points and an offer code are redeemed
    by online checkout's rules and once-only guarantee; the tenders then pay the discounted total."""

    receipt_number = serializers.CharField(min_length=1, max_length=40)
    sold_at = AwareDateTimeField(required=False)
    lines = PosLineInput(many=True, required=False, max_length=500, help_text="Required unless `settles`.")
    tenders = PosTenderInput(many=True, allow_empty=False, max_length=20)
    customer = PosCustomerInput(required=False)
    settles = serializers.CharField(
        max_length=20,
        required=False,
        allow_blank=True,
        help_text="The number of an order an associate placed in the portal to be paid at this store's till "
        "(scanned from its slip): the receipt pays it, card or cash for exactly what is due, and has no lines.",
    )
    offer_code = serializers.CharField(
        max_length=30, required=False, allow_blank=True, help_text="One of the shopper's offers; needs `customer`."
    )
    points = serializers.IntegerField(
        min_value=0, max_value=10_000_000, default=0, help_text="Loyalty points to spend; needs `customer`."
    )


class TaxRateOutput(serializers.Serializer):
    """One line of a receipt's tax summary: the lines taxed at `rate` percent, their net, tax and gross."""

    rate = serializers.DecimalField(max_digits=6, decimal_places=3)
    net = serializers.DecimalField(max_digits=12, decimal_places=2)
    tax = serializers.DecimalField(max_digits=12, decimal_places=2)
    gross = serializers.DecimalField(max_digits=12, decimal_places=2)


class PosSaleOutput(serializers.Serializer):
    number = serializers.CharField()
    receipt_number = serializers.CharField()
    store = serializers.CharField(source="store.code")
    currency = serializers.CharField(help_text="ISO 4217 code of every amount of the sale: the store's market's.")
    subtotal = serializers.DecimalField(max_digits=12, decimal_places=2, help_text="The lines at their prices.")
    offer_code = serializers.CharField(help_text="The offer redeemed, or blank.")
    offer_discount = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="The till's line discounts and the offer's."
    )
    points_redeemed = serializers.IntegerField()
    points_discount = serializers.DecimalField(max_digits=12, decimal_places=2)
    discount_total = serializers.DecimalField(max_digits=12, decimal_places=2)
    prices_include_tax = serializers.BooleanField(help_text="The store's market prices with tax included.")
    tax_added = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="Tax on top of the prices (markets whose prices exclude it), else 0."
    )
    total = serializers.DecimalField(max_digits=12, decimal_places=2, help_text="What the tenders paid.")
    taxes = serializers.SerializerMethodField(
        help_text="The receipt's tax per rate (lowest first); empty when the store's market taxes nothing."
    )
    points_earned = serializers.IntegerField()
    customer_id = serializers.IntegerField(allow_null=True)

    @extend_schema_field(TaxRateOutput(many=True))
    def get_taxes(self, order) -> list[dict]:
        return TaxRateOutput(tax_breakdown(order), many=True).data


class PosSaleBatchInput(StrictSerializer):
    """Receipts a till kept while offline; each is validated like a single sale (per receipt, not per batch)."""

    receipts = BatchSerializer(
        child=PosSaleInput(),
        max_length=MAX_POS_BATCH,
        help_text=f"1 to {MAX_POS_BATCH} receipts, in the order they were rung up.",
    )


class PosBatchErrorSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="`invalid` or `unknown_field` (the receipt's shape), `invalid_sale` (lines, tenders, customer), "
        "checkout's offer and points codes (`offer_already_redeemed`, `offer_wrong_currency`, "
        "`insufficient_points`...)..."
    )
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


class SavedCartOpenOutput(serializers.Serializer):
    cart = CartOutput(help_text="The shopper's cart with the sent items added to what was there.")
    unavailable = serializers.ListField(
        child=serializers.CharField(), help_text="SKUs of the sent cart no longer sold (or no room left): not added."
    )
    sent_from = serializers.CharField(help_text="The store whose associate sent the cart.")
