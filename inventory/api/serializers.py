from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from inventory.models import Product, Variant
from retail.api.serializers import PickupPromiseSerializer

PRICE = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)


def _shown(price: Decimal | None) -> str | None:
    return PRICE.to_representation(price) if price is not None else None


def _market_price(variant: Variant) -> Decimal | None:
    return variant.market_price if hasattr(variant, "market_price") else variant.price


class VariantSerializer(serializers.ModelSerializer):
    colour = serializers.CharField(
        source="display_colour", read_only=True, help_text="In the caller's language (Accept-Language) when translated."
    )
    size_name = serializers.CharField(
        source="display_size",
        read_only=True,
        help_text="The size in the caller's language when named in it (Double: Matrimoniale), else `size`.",
    )
    price = serializers.SerializerMethodField(
        help_text="Its price now in the caller's market (`store`, else `country`, else the home market), in "
        "`currency`; null: not sold in that market."
    )

    class Meta:
        model = Variant
        fields = ["id", "sku", "barcode", "size", "size_name", "colour", "price"]

    @extend_schema_field(PRICE)
    def get_price(self, obj) -> str | None:
        return _shown(_market_price(obj))


class ProductListSerializer(serializers.ModelSerializer):
    name = serializers.CharField(
        source="display_name", read_only=True, help_text="In the caller's language (Accept-Language) when translated."
    )
    category = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    category_name = serializers.CharField(source="category.display_name", read_only=True)
    variants = VariantSerializer(many=True, read_only=True)
    base_price = serializers.SerializerMethodField(
        help_text="From this price in the caller's market: its lowest variant price there (the catalog's base "
        "price in the home market); null: not sold in that market."
    )
    currency = serializers.SerializerMethodField(help_text="ISO 4217: the currency of every price shown, e.g. PLN.")

    class Meta:
        model = Product
        fields = [
            "id",
            "style_code",
            "name",
            "brand",
            "category",
            "category_name",
            "base_price",
            "currency",
            "image_url",
            "final_sale",
            "variants",
        ]

    @extend_schema_field(PRICE)
    def get_base_price(self, obj) -> str | None:
        variants = list(obj.variants.all())
        if all(_market_price(v) == v.price for v in variants):  # the market sells at the catalog's prices
            return _shown(obj.base_price)
        prices = [p for p in (_market_price(v) for v in variants) if p is not None]
        return _shown(min(prices)) if prices else None

    def get_currency(self, obj) -> str:
        market = self.context.get("market")
        return market.currency if market is not None else ""


class ProductDetailSerializer(ProductListSerializer):
    description = serializers.CharField(source="display_description", read_only=True)

    class Meta(ProductListSerializer.Meta):
        fields = [*ProductListSerializer.Meta.fields, "description", "attributes", "return_window_days"]


class AvailabilityRowSerializer(serializers.Serializer):
    """What a shopper may see: sellable units, not the store's on-hand or reserved figures."""

    sku = serializers.CharField()
    store = serializers.CharField(source="location")
    store_name = serializers.CharField(source="location_name")
    available = serializers.IntegerField()
    in_stock = serializers.SerializerMethodField()
    last_counted_at = serializers.DateTimeField(allow_null=True, help_text="When this SKU was last counted there.")
    count_age_days = serializers.IntegerField(allow_null=True, help_text="Days since that count; null: never.")
    distance_km = serializers.FloatField(required=False, help_text="Only with `near`.")
    pickup_promise = PickupPromiseSerializer(
        allow_null=True, help_text="Click-and-collect there: when an order placed now is ready; null without pick-up."
    )

    def get_in_stock(self, row) -> bool:
        return row["available"] > 0


class AvailabilitySerializer(serializers.Serializer):
    skus = serializers.ListField(child=serializers.CharField())
    results = AvailabilityRowSerializer(many=True)
