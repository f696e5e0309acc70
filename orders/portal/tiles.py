"""The dashboard's click-and-collect tile: what waits to be picked, handed over, chased."""

from orders.selectors import queue_counts
from retail.portal.dashboard import dashboard_tile


@dashboard_tile(order=10, template="orders/partials/tile_pickups.html")
def pickups_tile(request, store) -> dict:
    return {"counts": queue_counts(store=store), "pickup_enabled": store.pickup_enabled}
