from django.urls import reverse

from orders.returns.selectors import waiting_counts
from retail.portal.dashboard import dashboard_tile


@dashboard_tile(order=30, template="returns/tiles/waiting.html")
def returns_waiting_tile(request, store) -> dict:
    counts = waiting_counts(store=store)
    return {
        "returns_counts": counts,
        "returns_waiting": sum(counts.values()),
        "accepts_returns": store.accepts_returns,
        "desk_url": reverse("returns_portal:desk"),
    }
