"""Webhook events of the inventory app: stock.changed, coalesced per SKU and location."""

from webhooks.events import record_coalesced

STOCK_CHANGED = "stock.changed"


def stock_key(variant_id: int, location_id: int) -> str:
    return f"stock:{variant_id}:{location_id}"


def record_stock_changed(pairs) -> None:
    """Note that these (variant id, location id) levels changed, in the caller's transaction."""
    record_coalesced(type=STOCK_CHANGED, keys=[stock_key(v, loc) for v, loc in pairs])
