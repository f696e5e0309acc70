"""Stock now per location (cached), stock per store in the period, transfer lead times."""

from django.core.cache import cache
from django.db.models import (
    Avg,
    Count,
    Q,
    Sum,
)
from django.utils import timezone

from insights.filters import Period
from insights.selectors._common import _duration, _hours, _median, _ratio
from inventory.models import StockLevel, StockMovement, Transfer
from retail.replica import reporting_db

STOCK_SUMMARY_KEY = "insights:stock-summary:v1"
STOCK_SUMMARY_SECONDS = 600  # kept 10 minutes; the beat task (insights.tasks) refreshes it every 5


def stock_summary(*, refresh: bool = False, store_ids: tuple[int, ...] | None = None) -> dict:
    """Stock now per location (every location, cached): {"as_of": when it was counted, "rows": [...]}.

    Counting every stock level (6.5M at the large bench scale) takes seconds, so the counts are
    cached for a few minutes and the page says when they were taken. Cached rather than kept in a
    summary table: the levels are written by the ledger, reservations, safety-stock edits, catalog
    imports and bulk loads, and their counts also move when a variant or product is (de)activated;
    a table kept right by all of them would also put one hot row per location under every checkout.
    One query when not cached (or `refresh`), none when cached. Not cached and asked for some
    stores only (a manager's page): those stores are counted, and not cached for everyone.
    """
    if not refresh:
        cached = cache.get(STOCK_SUMMARY_KEY)
        if cached is not None:
            return cached
    some = Q() if store_ids is None else Q(location__in=store_ids)
    rows = list(
        StockLevel.objects.using(reporting_db())
        .filter(some, variant__is_active=True, variant__product__is_active=True)
        .values("location_id", "location__code", "location__name")
        .annotate(
            skus=Count("pk"),
            stockouts=Count("pk", filter=Q(available=0)),
            on_hand=Sum("on_hand"),
        )
        .order_by("location__code")
    )
    summary = {"as_of": timezone.now(), "rows": rows}
    if store_ids is None:
        cache.set(STOCK_SUMMARY_KEY, summary, STOCK_SUMMARY_SECONDS)
    return summary


def stock_by_store(period: Period) -> list[dict]:
    """Per location: stockouts now, and sell-through over the period.

    stockout: a SKU-location of an active variant (of an active product) with nothing available
    (StockLevel.available is 0) right now — the period does not apply. "Now" is the
    `stock_summary`, at most a few minutes old (`stock_as_of` says when).
    sell-through = units sold (sale and pick-up hand-over movements in the period) /
    (units sold + units on hand now). One query, and one more when the summary is not cached.
    """
    summary = stock_summary(store_ids=period.store_ids)
    levels = [r for r in summary["rows"] if period.store_ids is None or r["location_id"] in period.store_ids]
    sold = dict(
        StockMovement.objects.using(reporting_db())
        .filter(
            period.within("created_at", "location"),
            period.at("location"),
            kind__in=[StockMovement.Kind.SALE, StockMovement.Kind.PICKUP],
        )
        .values("location_id")
        .annotate(units=-Sum("quantity"))
        .order_by()
        .values_list("location_id", "units")
    )
    result = []
    for row in levels:
        units = sold.get(row["location_id"], 0) or 0
        result.append(
            {
                "store": row["location__code"],
                "store_name": row["location__name"],
                "skus": row["skus"],
                "stockouts": row["stockouts"],
                "stockout_rate": _ratio(row["stockouts"], row["skus"]),
                "units_sold": units,
                "on_hand": row["on_hand"] or 0,
                "sell_through": _ratio(units, units + (row["on_hand"] or 0)),
                "stock_as_of": summary["as_of"],
            }
        )
    return result


def transfer_lead_times(period: Period) -> list[dict]:
    """Transfers received in the period at the chosen stores, per destination: requested ->
    shipped -> received, in hours (average and median). One query."""
    lead = _duration("received_at", "requested_at")
    rows = (
        Transfer.objects.using(reporting_db())
        .filter(period.within("received_at", "to_location"), period.at("to_location"), status=Transfer.Status.RECEIVED)
        .values("to_location__code", "to_location__name")
        .annotate(
            transfers=Count("pk"),
            avg_lead=Avg(lead),
            median_lead=_median(lead),
            avg_to_ship=Avg(_duration("shipped_at", "requested_at")),
        )
        .order_by("to_location__code")
    )
    return [
        {
            "store": r["to_location__code"],
            "store_name": r["to_location__name"],
            "transfers": r["transfers"],
            "avg_hours_lead": _hours(r["avg_lead"]),
            "median_hours_lead": _hours(r["median_lead"]),
            "avg_hours_to_ship": _hours(r["avg_to_ship"]),
        }
        for r in rows
    ]
