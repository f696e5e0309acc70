"""Today in one store, for the dashboard tile."""

from django.db.models import (
    Count,
    F,
    Func,
    IntegerField,
    OuterRef,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce

from insights.selectors._common import ZERO, channel_labels
from orders.models import Fulfillment, Order
from orders.returns.models import ReturnRequest
from retail.domain.money import money


def store_today(*, store, since, until) -> dict:
    """Today's sales and hand-overs in one store: two queries whatever the data size. Sales are per
    currency (`sales`: [{currency, amount}], one for a store selling in its market's).

    `since`/`until` bound today in the store's own time zone. The figures other tiles show too
    (pick-ups waiting, tasks due, low stock) come from their owners' selectors, in the tile.
    """
    by_channel = list(
        Order.objects.filter(store=store, placed_at__gte=since, placed_at__lt=until)
        .exclude(status=Order.Status.CANCELLED)
        .values("channel", "currency")
        .annotate(orders=Count("pk"), sales=Sum("total"))
        .order_by("channel", "currency")
    )
    S = Fulfillment.Status
    pickups = Fulfillment.objects.filter(location=OuterRef("pk"), kind__in=Fulfillment.COLLECT_KINDS)
    counts = (
        type(store)
        .objects.filter(pk=store.pk)
        .annotate(
            pickups_expiring=_scalar(pickups.filter(status=S.READY, hold_until__lt=until)),
            pickups_collected=_scalar(pickups.filter(status=S.COLLECTED, closed_at__gte=since, closed_at__lt=until)),
            returns_received=_scalar(
                ReturnRequest.objects.filter(
                    store=OuterRef("pk"), received_at__gte=since, received_at__lt=until
                ).exclude(status__in=[ReturnRequest.Status.REJECTED, ReturnRequest.Status.CANCELLED])
            ),
        )
        .values("pickups_expiring", "pickups_collected", "returns_received")
        .get()
    )
    labels = channel_labels()
    sales: dict[str, object] = {}
    for r in by_channel:  # a store sells in its market's currency; an order in another is never added to it
        sales[r["currency"]] = sales.get(r["currency"], ZERO) + money(r["sales"] or 0, r["currency"])
    return {
        "by_channel": [
            {
                "channel": r["channel"],
                "label": labels.get(r["channel"], r["channel"]),
                "currency": r["currency"],
                "orders": r["orders"],
                "sales": money(r["sales"] or 0, r["currency"]),
            }
            for r in by_channel
        ],
        "sales": [{"currency": code, "amount": amount} for code, amount in sorted(sales.items())],
        "orders": sum(r["orders"] for r in by_channel),
        **counts,
    }


def _scalar(queryset):
    """COUNT(*) of a correlated queryset as a scalar subquery (0 when none)."""
    counted = queryset.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)
