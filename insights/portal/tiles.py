"""The dashboard's "today" tile: this store's numbers since midnight in the store's time zone."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.urls import reverse
from django.utils import timezone

from customers.portal.tiles import tasks_due_figures
from insights.selectors import store_today
from inventory.portal.tiles import low_stock_figures
from inventory.selectors import LOW_STOCK_THRESHOLD
from orders.portal.tiles import pickup_counts
from retail.models import StoreMembership
from retail.portal.dashboard import dashboard_tile


def store_day(store, *, now: datetime | None = None) -> tuple[datetime, datetime, object]:
    """(start, end, local date) of today in the store's time zone."""
    try:
        zone = ZoneInfo(store.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = timezone.get_current_timezone()
    local = (now or timezone.now()).astimezone(zone)
    start = datetime.combine(local.date(), time.min, tzinfo=zone)
    return start, datetime.combine(local.date() + timedelta(days=1), time.min, tzinfo=zone), local.date()


@dashboard_tile(order=5, template="insights/tiles/today.html")
def today_tile(request, store) -> dict:
    since, until, today = store_day(store)
    numbers = store_today(store=store, since=since, until=until)
    # the same figures as the pick-ups, tasks and low stock tiles and the queue's tabs, computed once
    numbers["pickups_open"] = pickup_counts(request, store)["waiting"]
    numbers["tasks_due"] = tasks_due_figures(request, store)[0]
    numbers["low_stock"] = low_stock_figures(request, store)[0]
    is_manager = getattr(request, "store_role", None) == StoreMembership.Role.MANAGER
    return {
        "today": today,
        "numbers": numbers,
        "currency": lambda: store.market.currency,  # read only when nothing sold yet (the portal's store has it)
        "low_stock_threshold": LOW_STOCK_THRESHOLD,
        "insights_url": reverse("insights_portal:index") if is_manager else "",
    }
