"""What inventory contributes to other apps' registries at start-up: the data of stock.changed."""

from django.db.models import Q

from inventory.events import STOCK_CHANGED
from inventory.models import StockLevel
from webhooks.events import event_data_builder


@event_data_builder(STOCK_CHANGED)
def stock_changed_data(keys: list[str]) -> dict[str, dict]:
    """The levels as they are now (the end of the coalescing window), by event key."""
    pairs = []
    for key in keys:
        _, variant_id, location_id = key.split(":")
        pairs.append((int(variant_id), int(location_id)))
    if not pairs:
        return {}
    condition = Q()
    for variant_id, location_id in pairs:
        condition |= Q(variant_id=variant_id, location_id=location_id)
    rows = StockLevel.objects.filter(condition).values_list(
        "variant_id", "location_id", "variant__sku", "location__code", "on_hand", "reserved", "safety_stock"
    )
    return {
        f"stock:{variant_id}:{location_id}": {
            "sku": sku,
            "location": code,
            "on_hand": on_hand,
            "reserved": reserved,
            "safety_stock": safety,
            "available": max(0, on_hand - reserved - safety),
        }
        for variant_id, location_id, sku, code, on_hand, reserved, safety in rows
    }
