from rest_framework import serializers

from inventory.models import Product, Variant
from retail.api.serializers import PickupPromiseSerializer


class VariantSerializer(serializers.ModelSerializer):
    price = serializers.DecimalField(max_digits=10, decimal_places=2, read_only=True)

    class Meta:
        model = Variant
        fields = ["id", "sku", "barcode", "size", "colour", "price"]


class ProductListSerializer(serializers.ModelSerializer):
    name = serializers.CharField(
        source="display_name", read_only=True, help_text="In the caller's language (Accept-Language) when translated."
    )
    category = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    category_name = serializers.CharField(source="category.display_name", read_only=True)
    variants = VariantSerializer(many=True, read_only=True)

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
            "image_url",
            "final_sale",
            "variants",
        ]


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
