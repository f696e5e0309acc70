from django.urls import reverse

from inventory.counts import counts_awaiting_approval
from inventory.selectors import LOW_STOCK_THRESHOLD, low_stock_at
from retail.portal.dashboard import dashboard_tile, figure


def low_stock_figures(request, store) -> tuple[int, list]:
    """(how many SKUs, the lowest eight) with few units to sell: the low stock and "today" tiles' one count."""
    return figure(request, "inventory.low_stock_at", lambda: low_stock_at(store=store))


@dashboard_tile(order=40, template="inventory/tiles/low_stock.html")
def low_stock_tile(request, store) -> dict:
    total, rows = low_stock_figures(request, store)
    return {
        "low_stock_total": total,
        "low_stock_rows": rows,
        "low_stock_threshold": LOW_STOCK_THRESHOLD,
        "lookup_url": reverse("inventory_portal:lookup"),
        # Cycle counts beyond the store's limits wait here until a manager approves them.
        "counts_awaiting": counts_awaiting_approval(store=store).count(),
        "counts_url": reverse("inventory_portal:counts"),
    }
