"""The dashboard's click-and-collect tile: what waits to be picked, handed over, chased."""

from orders.selectors import queue_counts
from retail.portal.dashboard import dashboard_tile, figure


def pickup_counts(request, store) -> dict[str, int]:
    """The queue's tab counts, shared by every tile that shows them (the queue's own selector)."""
    return figure(request, "orders.queue_counts", lambda: queue_counts(store=store))


@dashboard_tile(order=10, template="orders/partials/tile_pickups.html")
def pickups_tile(request, store) -> dict:
    return {"counts": pickup_counts(request, store), "pickup_enabled": store.pickup_enabled}
