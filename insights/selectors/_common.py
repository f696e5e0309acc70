"""What every insights figure shares: money and ratio formatting, the median aggregate, raw
SQL fetches and the definition of a sale (`sold_orders`)."""

from datetime import timedelta
from decimal import Decimal

from django.db import connections
from django.db.models import (
    Aggregate,
    DecimalField,
    DurationField,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from insights.filters import Period
from orders.models import Order
from retail.replica import reporting_db

ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=14, decimal_places=2)


def channels() -> list[str]:
    """The order channels in the kernel's order, asked when a figure is drawn (a channel added as
    data is reported like the others)."""
    return list(Order.Channel.values)


def channel_labels() -> dict[str, str]:
    return dict(Order.Channel.choices)


class Median(Aggregate):
    """PERCENTILE_CONT(0.5) (works on intervals too)."""

    function = "PERCENTILE_CONT"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"


def _median(expression):
    return Median(expression, output_field=DurationField())


def _duration(end: str, start: str):
    return ExpressionWrapper(F(end) - F(start), output_field=DurationField())


def _hours(value: timedelta | None) -> float | None:
    return None if value is None else round(value.total_seconds() / 3600, 1)


def _ratio(part, whole, places: int = 1) -> float | None:
    return round(100 * float(part) / float(whole), places) if whole else None


def _fetch(sql: str, params) -> list[dict]:
    with connections[reporting_db()].cursor() as cursor:
        cursor.execute(sql, params)
        names = [col[0] for col in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def sold_orders(period: Period):
    """Orders counted as sales: placed in the period at the chosen stores, not cancelled."""
    return (
        Order.objects.using(reporting_db())
        .filter(period.within("placed_at", "store"), period.at("store"))
        .exclude(status=Order.Status.CANCELLED)
    )


def _scalar_sum(queryset, expression, output_field=MONEY):
    """SUM(expression) of a queryset correlated to the outer order, as a scalar subquery (0 if none)."""
    summed = queryset.order_by().annotate(_sum=Func(expression, function="SUM", output_field=output_field))
    none = Value(0) if isinstance(output_field, IntegerField) else Value(ZERO)
    return Coalesce(Subquery(summed.values("_sum"), output_field=output_field), none, output_field=output_field)


def _sold_through(period: Period, prefix: str) -> Q:
    """`sold_orders`' conditions, on the order reached through `prefix` (e.g. "order__")."""
    return (
        period.within(f"{prefix}placed_at", f"{prefix}store")
        & period.at(f"{prefix}store")
        & ~Q(**{f"{prefix}status": Order.Status.CANCELLED})
    )
