from rest_framework import serializers

from retail.models import Store


class ApiErrorSerializer(serializers.Serializer):
    """Every error answer of the API (retail.api.errors.exception_handler)."""

    code = serializers.CharField(help_text="Stable machine code, e.g. `invalid`, `not_found`, `insufficient_stock`.")
    message = serializers.CharField(help_text="What went wrong and what to do, for a person.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), help_text="Problems per input field."
    )


class StoreSerializer(serializers.ModelSerializer):
    distance_km = serializers.SerializerMethodField()

    class Meta:
        model = Store
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "address_line",
            "city",
            "postcode",
            "country",
            "phone",
            "latitude",
            "longitude",
            "time_zone",
            "opening_hours",
            "pickup_enabled",
            "accepts_returns",
            "ships_orders",
            "distance_km",
        ]

    def get_distance_km(self, store) -> float | None:
        value = getattr(store, "distance_km", None)
        return None if value is None else round(value, 2)
