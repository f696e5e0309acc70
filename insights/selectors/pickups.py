"""Click-and-collect per pick-up store."""

from django.db.models import (
    Avg,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    Sum,
)

from insights.filters import Period
from insights.selectors._common import _duration, _hours, _median, _ratio, _scalar_sum
from orders.models import Fulfillment, OrderLine
from retail.replica import reporting_db


def bopis_by_store(period: Period) -> list[dict]:
    """Pick-ups (in store and curbside) created in the period, per pick-up store.

    pick-up rate = collected / (collected + expired); expiry rate = expired / (collected + expired):
    pick-ups still open or cancelled before they were ready are not decided yet / not the shopper's.
    Time to ready runs from the order's placement (fulfilment created) to ready for collection.
    Short picks: lines with units not found and cancelled (re-routed units are not short).
    One query.
    """
    S = Fulfillment.Status
    ready_time = _duration("ready_at", "created_at")
    short_units = _scalar_sum(
        OrderLine.objects.filter(fulfillment=OuterRef("pk"), cancelled_quantity__gt=0),
        F("cancelled_quantity"),
        output_field=IntegerField(),
    )
    rows = list(
        Fulfillment.objects.using(reporting_db())
        .filter(period.within("created_at", "location"), period.at("location"), kind__in=Fulfillment.COLLECT_KINDS)
        .annotate(short=short_units)
        .values("location_id", "location__code", "location__name")
        .annotate(
            pickups=Count("pk"),
            orders=Count("order_id", distinct=True),
            collected=Count("pk", filter=Q(status=S.COLLECTED)),
            expired=Count("pk", filter=Q(status=S.EXPIRED)),
            cancelled=Count("pk", filter=Q(status=S.CANCELLED)),
            open=Count("pk", filter=Q(status__in=Fulfillment.OPEN_STATUSES)),
            avg_ready=Avg(ready_time, filter=Q(ready_at__isnull=False)),
            median_ready=_median(ready_time),
            short_pickups=Count("pk", filter=Q(short__gt=0)),
            short_units=Sum("short"),
        )
        .order_by("location__code")
    )
    result = []
    for row in rows:
        decided = row["collected"] + row["expired"]
        result.append(
            {
                "store": row["location__code"],
                "store_name": row["location__name"],
                "pickups": row["pickups"],
                "orders": row["orders"],
                "collected": row["collected"],
                "expired": row["expired"],
                "cancelled": row["cancelled"],
                "open": row["open"],
                "avg_hours_to_ready": _hours(row["avg_ready"]),
                "median_hours_to_ready": _hours(row["median_ready"]),
                "pickup_rate": _ratio(row["collected"], decided),
                "expiry_rate": _ratio(row["expired"], decided),
                "short_pickups": row["short_pickups"],
                "short_units": row["short_units"] or 0,
            }
        )
    return result
