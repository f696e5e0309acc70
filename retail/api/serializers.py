from rest_framework import serializers

from retail.models import Store


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
