import json

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from customers.api.examples import EXAMPLE_PHONE
from customers.models import Consent, Customer, CustomerList, ListItem, OfferAssignment, PointsEntry
from customers.services.timeline import CLIENT_CHANNELS, CLIENT_KINDS, MAX_BATCH, MAX_DATA_BYTES
from inventory.api.fields import SkuField
from retail.api.fields import AwareDateTimeField, DateField, E164Field, StoreCodeField
from retail.api.serializers import BatchSerializer, StrictSerializer
from retail.domain.channel import Channel


class EventIdentitiesInput(StrictSerializer):
    app_install = serializers.CharField(min_length=1, max_length=255, required=False, help_text="The app's install id.")
    web_cookie = serializers.CharField(min_length=1, max_length=255, required=False, help_text="The web shop's cookie.")


class EventSerializer(StrictSerializer):
    """One client event; each event of a batch is validated on its own."""

    id = serializers.CharField(
        min_length=1, max_length=100, help_text="A UUID the client generates; re-sending it is harmless."
    )
    kind = serializers.ChoiceField(choices=sorted(CLIENT_KINDS))
    channel = serializers.ChoiceField(choices=sorted(CLIENT_CHANNELS))
    occurred_at = AwareDateTimeField(help_text="RFC 3339 with a time zone; not in the future.")
    subject = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default="", help_text="SKU viewed, search words..."
    )
    data = serializers.DictField(
        required=False, default=dict, help_text=f"Free-form, at most {MAX_DATA_BYTES:,} bytes as JSON."
    )
    identities = EventIdentitiesInput(
        required=False, default=dict, help_text="Device identities; at least one when not signed in."
    )
    store = StoreCodeField(
        required=False, allow_null=True, default=None, help_text="For store_visit (geofence) events."
    )

    def validate_data(self, value: dict) -> dict:

        if len(json.dumps(value, separators=(",", ":"), default=str).encode()) > MAX_DATA_BYTES:
            raise serializers.ValidationError(
                _("At most %(max_data_bytes)s bytes as JSON.") % {"max_data_bytes": format(MAX_DATA_BYTES, ",")}
            )
        return value


class EventBatchSerializer(StrictSerializer):
    events = BatchSerializer(child=EventSerializer(), max_length=MAX_BATCH, help_text=f"1 to {MAX_BATCH} events.")


class RejectedEventSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the event in the batch.")
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class EventBatchResultSerializer(serializers.Serializer):
    accepted = serializers.ListField(child=serializers.IntegerField(), help_text="Indexes stored now.")
    duplicates = serializers.ListField(
        child=serializers.IntegerField(), help_text="Indexes already stored before (same id): nothing to re-send."
    )
    rejected = RejectedEventSerializer(many=True, help_text="Indexes refused, with why; fix and re-send only these.")


class ConsentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Consent
        fields = ["granted", "changed_at", "source"]


class MeSerializer(serializers.ModelSerializer):
    home_store = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    tier = serializers.SerializerMethodField()
    consents = serializers.SerializerMethodField()
    tags = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)

    class Meta:
        model = Customer
        fields = [
            "id",
            "first_name",
            "last_name",
            "email",
            "phone",
            "card_number",
            "birthday",
            "important_dates",
            "home_store",
            "preferred_sizes",
            "tags",
            "language",
            "tier",
            "consents",
        ]

    def get_tier(self, customer) -> str | None:
        account = getattr(customer, "loyalty_account", None)
        return account.tier.display_name if account and account.tier else None

    @extend_schema_field(
        {
            "type": "object",
            "description": "email / sms / push: {granted, changed_at, source}, or null if never asked",
            "additionalProperties": {"type": "object", "nullable": True},
        }
    )
    def get_consents(self, customer) -> dict:
        found = {c.channel: ConsentSerializer(c).data for c in customer.consents.all()}
        return {channel: found.get(channel) for channel in Consent.Channel.values}


class ConsentsInput(StrictSerializer):
    """Consent per channel: true grants, false withdraws; a channel left out is unchanged."""

    email = serializers.BooleanField(required=False)
    sms = serializers.BooleanField(required=False)
    push = serializers.BooleanField(required=False)


class ImportantDateInput(StrictSerializer):
    label = serializers.CharField(min_length=1, max_length=60)
    date = DateField()


class MeUpdateSerializer(StrictSerializer):
    first_name = serializers.CharField(max_length=80, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=80, required=False, allow_blank=True)
    phone = E164Field(required=False, allow_blank=True, help_text="E.164, e.g. +447700900123; empty to remove it.")
    birthday = DateField(required=False, allow_null=True)
    important_dates = ImportantDateInput(many=True, required=False, max_length=20)
    preferred_sizes = serializers.DictField(
        child=serializers.CharField(min_length=1, max_length=20),
        required=False,
        help_text='Size per category, e.g. {"shoes": "38"}.',
    )
    home_store = StoreCodeField(required=False, allow_null=True, help_text="Store code, or null.")
    language = serializers.ChoiceField(
        choices=[code for code, _name in settings.LANGUAGES],
        required=False,
        allow_blank=True,
        help_text="The language of your messages, one your market offers; empty: the market's default.",
    )
    consents = ConsentsInput(required=False)


class PhoneAnyWayField(serializers.CharField):
    """A phone number as people write it (spaces, brackets, national format): the numbering plan decides
    (customers.normalise), no pattern could. Its valid example goes into the schema (retail.api.schema)."""

    def __init__(self, **kwargs):
        self.example = EXAMPLE_PHONE
        super().__init__(min_length=1, max_length=32, **kwargs)


class PhoneCodeRequestSerializer(StrictSerializer):
    phone = PhoneAnyWayField(help_text="Any way of writing it; kept in E.164.")


class PhoneCodeConfirmSerializer(StrictSerializer):
    phone = PhoneAnyWayField()
    code = serializers.CharField(min_length=1, max_length=12)


class GiftCardBalanceRequestSerializer(StrictSerializer):
    code = serializers.CharField(
        min_length=1, max_length=40, help_text="The number on the card; spaces and dashes as printed are fine."
    )


class GiftCardBalanceSerializer(serializers.Serializer):
    last4 = serializers.CharField(help_text="The card's last four digits (the only part ever shown).")
    balance = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField()
    expires_at = serializers.DateTimeField()


class PointsEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = PointsEntry
        fields = ["kind", "points", "reference", "created_at"]


class LoyaltySerializer(serializers.Serializer):
    balance = serializers.IntegerField()
    tier = serializers.CharField(allow_null=True)
    spend_12m = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        help_text="The last 12 months' spend that ranks the tier, in `spend_currency`: each currency's purchases "
        "converted at head office's rate of the day it was counted.",
    )
    spend_currency = serializers.CharField(
        min_length=3,
        max_length=3,
        help_text="ISO 4217 code of `spend_12m` and `spend_to_next_tier`: the home market's currency, "
        "the one tier thresholds are in.",
    )
    spend_not_counted = serializers.ListField(
        child=serializers.CharField(min_length=3, max_length=3),
        help_text="Currencies of purchases left out of `spend_12m` because they had no exchange rate that day.",
    )
    next_tier = serializers.CharField(allow_null=True)
    spend_to_next_tier = serializers.DecimalField(
        max_digits=12, decimal_places=2, allow_null=True, help_text="In `spend_currency`; null at the top tier."
    )
    store_credit = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="The store credit balance, in `store_credit_currency`."
    )
    store_credit_currency = serializers.CharField(
        min_length=3,
        max_length=3,
        allow_null=True,
        help_text="ISO 4217 code of the store credit (it pays only orders in it); null before the first credit.",
    )
    entries = PointsEntrySerializer(many=True)


class OfferSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="offer.code")
    name = serializers.CharField(source="offer.display_name", help_text="In the caller's language (Accept-Language).")
    description = serializers.CharField(
        source="offer.display_description", help_text="Its terms, in the same language."
    )
    discount_percent = serializers.DecimalField(
        source="offer.discount_percent", max_digits=5, decimal_places=2, allow_null=True
    )
    discount_amount = serializers.DecimalField(
        source="offer.discount_amount",
        max_digits=10,
        decimal_places=2,
        allow_null=True,
        help_text="An amount off, in `currency`; null for a percentage.",
    )
    currency = serializers.SerializerMethodField(
        help_text="ISO 4217 code of the amount off (e.g. PLN): it applies only to orders in this currency "
        "(`offer_wrong_currency` otherwise). Null for a percentage, which applies in every currency."
    )
    channels = serializers.ListField(source="offer.channels", child=serializers.CharField())
    valid_until = serializers.DateTimeField(source="offer.valid_until")

    class Meta:
        model = OfferAssignment
        fields = [
            "code",
            "name",
            "description",
            "discount_percent",
            "discount_amount",
            "currency",
            "channels",
            "valid_until",
            "redeemed_at",
            "redeemed_channel",
        ]

    @extend_schema_field(serializers.CharField(allow_null=True, min_length=3, max_length=3))
    def get_currency(self, assignment) -> str | None:
        return assignment.offer.currency or None


class ListItemSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="variant.sku")
    product = serializers.CharField(source="variant.product.display_name", help_text="In the caller's language.")
    size = serializers.CharField(source="variant.size")
    size_name = serializers.CharField(
        source="variant.display_size",
        help_text="The size in the caller's language when named in it (Double: Matrimoniale), else `size`.",
    )
    colour = serializers.CharField(source="variant.display_colour", help_text="In the caller's language.")

    class Meta:
        model = ListItem
        fields = ["id", "sku", "product", "size", "size_name", "colour", "quantity", "channel", "added_at"]


class CustomerListSerializer(serializers.ModelSerializer):
    items = ListItemSerializer(many=True)

    class Meta:
        model = CustomerList
        fields = ["id", "kind", "name", "items"]


class ListItemCreateSerializer(StrictSerializer):
    sku = SkuField()
    kind = serializers.ChoiceField(choices=CustomerList.Kind.choices, default=CustomerList.Kind.WISHLIST)
    list_name = serializers.CharField(
        min_length=1, max_length=80, required=False, help_text="Default: Wishlist / Shopping list."
    )
    quantity = serializers.IntegerField(min_value=1, max_value=99, default=1)
    channel = serializers.ChoiceField(choices=sorted(CLIENT_CHANNELS), default=Channel.APP)
