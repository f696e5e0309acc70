"""What inventory contributes to other apps' registries at start-up: the data of stock.changed."""

from django.db import connection

from inventory.events import STOCK_CHANGED
from webhooks.events import event_data_builder

# The levels of many (variant, location) pairs in one indexed join (the unique (variant, location)
# index), not one OR branch per pair: a coalescing window of a busy chain closes hundreds at once.
LEVELS_SQL = """
    SELECT level.variant_id, level.location_id, variant.sku, store.code,
           level.on_hand, level.reserved, level.safety_stock, level.available
    FROM unnest(%s::bigint[], %s::bigint[]) AS wanted(variant_id, location_id)
    JOIN inventory_stocklevel AS level
      ON level.variant_id = wanted.variant_id AND level.location_id = wanted.location_id
    JOIN inventory_variant AS variant ON variant.id = level.variant_id
    JOIN retail_store AS store ON store.id = level.location_id
"""


@event_data_builder(STOCK_CHANGED)
def stock_changed_data(keys: list[str]) -> dict[str, dict]:
    """The levels as they are now (the end of the coalescing window), by event key."""
    variants, locations = [], []
    for key in keys:
        _, variant_id, location_id = key.split(":")
        variants.append(int(variant_id))
        locations.append(int(location_id))
    if not keys:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(LEVELS_SQL, [variants, locations])
        rows = cursor.fetchall()
    return {
        f"stock:{variant_id}:{location_id}": {
            "sku": sku,
            "location": code,
            "on_hand": on_hand,
            "reserved": reserved,
            "safety_stock": safety,
            "available": available,
        }
        for variant_id, location_id, sku, code, on_hand, reserved, safety, available in rows
    }
