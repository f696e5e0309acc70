"""Customers: single- vs multichannel spend, and RFM segments."""

from decimal import Decimal

from django.db import connection
from django.db.models import (
    Count,
    DecimalField,
    F,
    Max,
    OuterRef,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from insights.currencies import Converter, market_converter
from insights.filters import Period
from insights.selectors._common import ZERO, _fetch, _ratio, _scalar_sum, sold_orders
from orders.models import Order
from retail.domain.money import money
from retail.replica import reporting_db

# A sum of amounts times their rates: unrounded until retail.domain.money rounds what is shown.
CONVERTED = DecimalField(max_digits=30, decimal_places=10)


def converted_sum(rates: Converter, field: str = "total"):
    """SUM of `field` converted into the reporting currency at `rates` (0 when nothing converts)."""
    summed = Sum(F(field) * rates.rate_expression(), output_field=CONVERTED)
    return Coalesce(summed, Value(ZERO), output_field=CONVERTED)


def left_out(rates: Converter, orders) -> dict:
    """The currencies of `orders` without a rate (their spend is in no converted figure), and why: one
    query, and only when a market's currency has no rate."""
    missing = [c.currency for c in rates.missing]
    held = set(orders.filter(currency__in=missing).values_list("currency", flat=True).distinct()) if missing else ()
    codes = rates.missing_among(held)
    return {"missing": codes, "messages": [rates.conversions[c].message for c in codes]}


def channel_customers(period: Period, *, rates: Converter | None = None) -> dict:
    """Single- vs multichannel customers: share, average spend, orders per customer, order value.

    Spend is in the reporting currency: each order converted at the stated rates of the period's last
    day (`rates`, else every market's), so a shopper's euros and złoty are added only converted; a
    currency without a rate is left out of the spend and named (`missing`, `messages`).
    One query (three more for the rates, one more when a rate is missing).
    """
    rates = rates or market_converter(period)
    per_customer = (
        sold_orders(period)
        .filter(customer__isnull=False)
        .values("customer_id")
        .annotate(channels=Count("channel", distinct=True), orders=Count("pk"), spend=converted_sum(rates))
        .order_by()
    )
    inner, params = per_customer.query.sql_with_params()
    by_count = _fetch(
        "SELECT per.channels AS channels, COUNT(*) AS customers, SUM(per.orders) AS orders, "  # noqa: S608 — ORM-compiled SQL and constants; values are parameters
        f"SUM(per.spend) AS spend FROM ({inner}) per GROUP BY per.channels ORDER BY per.channels",
        params,
    )
    reporting = rates.reporting
    total_customers = sum(r["customers"] for r in by_count)

    def group(label: str, rows: list[dict]) -> dict:
        customers = sum(r["customers"] for r in rows)
        orders = sum(r["orders"] for r in rows)
        spend = sum((Decimal(r["spend"]) for r in rows), ZERO)
        return {
            "group": label,
            "currency": reporting,
            "customers": customers,
            "share": _ratio(customers, total_customers),
            "orders": orders,
            "spend": money(spend, reporting),
            "average_spend": money(spend / customers, reporting) if customers else ZERO,
            "orders_per_customer": round(orders / customers, 2) if customers else None,
            "average_order": money(spend / orders, reporting) if orders else ZERO,
        }

    groups = [
        group(str(_("Single-channel")), [r for r in by_count if r["channels"] == 1]),
        group(str(_("Multichannel")), [r for r in by_count if r["channels"] >= 2]),
    ]
    single, multi = groups
    lift = (
        _ratio(multi["average_spend"] - single["average_spend"], single["average_spend"])
        if single["customers"] and multi["customers"]
        else None
    )
    return {
        "groups": groups,
        "by_channel_count": [
            group(ngettext("%(n)d channel", "%(n)d channels", r["channels"]) % {"n": r["channels"]}, [r])
            for r in by_count
        ],
        "customers": total_customers,
        "spend_lift": lift,
        "reporting": reporting,
        **left_out(rates, sold_orders(period).filter(customer__isnull=False)),
    }


RFM_SEGMENTS = [
    ("champions", _("Champions"), _("Bought recently, often and for a lot (R, F and M all 4-5).")),
    ("loyal", _("Loyal"), _("Buy often (F 4-5) but not all of the above.")),
    ("new", _("Recent, few orders"), _("Bought recently (R 4-5) with one or two orders.")),
    ("at_risk", _("At risk"), _("Used to buy several times (F 3+) but not lately (R 1-2).")),
    ("hibernating", _("Hibernating"), _("Few orders, long ago (R 1-2, F 1-2).")),
    ("needs_attention", _("Needs attention"), _("Everyone else: middling recency.")),
]
RFM_LABELS = {code: label for code, label, _ in RFM_SEGMENTS}

# Frequency is a small whole number and most shoppers buy once, so quintiles of it would give
# equal shoppers different scores; it is scored by fixed thresholds instead.
_F_SCORE = "CASE WHEN per.orders >= 6 THEN 5 WHEN per.orders >= 4 THEN 4 ELSE per.orders END"
_SEGMENT = (
    "CASE WHEN r >= 4 AND f >= 4 AND m >= 4 THEN 'champions' WHEN f >= 4 THEN 'loyal' "
    "WHEN r >= 4 AND f <= 2 THEN 'new' WHEN r <= 2 AND f >= 3 THEN 'at_risk' "
    "WHEN r <= 2 THEN 'hibernating' ELSE 'needs_attention' END"
)


def _rfm_cte(period: Period, rates: Converter) -> tuple[str, list]:
    """WITH scored AS (...): one row per customer who bought in the period, with r, f, m, segment.

    R and M are quintiles (NTILE(5)) of the last order time and of the spend in the period, ties
    broken by customer id so that the split is deterministic; F is fixed thresholds (1, 2, 3, 4-5,
    6+ orders). 5 is best. lifetime = all non-cancelled orders at the chosen stores until the end.
    Spend and lifetime are in the reporting currency: every order converted at `rates` (a shopper's
    euros and złoty are ranked and added only converted; a currency without a rate counts 0).
    """
    lifetime = _scalar_sum(
        Order.objects.filter(period.before_end("placed_at", "store"), customer_id=OuterRef("customer_id"))
        .filter(period.at("store"))
        .exclude(status=Order.Status.CANCELLED),
        F("total") * rates.rate_expression(),
        output_field=CONVERTED,
    )
    per_customer = (
        sold_orders(period)
        .filter(customer__isnull=False)
        .values("customer_id")
        .annotate(last_at=Max("placed_at"), orders=Count("pk"), spend=converted_sum(rates), lifetime=lifetime)
        .order_by()
    )
    per_sql, per_params = per_customer.query.sql_with_params()
    recency = "EXTRACT(EPOCH FROM (%s - per.last_at)) / 86400.0"
    until = connection.ops.adapt_datetimefield_value(period.until)
    sql = (
        f"WITH per AS ({per_sql}), "  # noqa: S608 — ORM-compiled SQL and constants; values are parameters
        "ranked AS (SELECT per.customer_id, per.orders, per.spend, per.lifetime, "
        f"{recency} AS recency_days, "
        "NTILE(5) OVER (ORDER BY per.last_at, per.customer_id) AS r, "
        f"{_F_SCORE} AS f, "
        "NTILE(5) OVER (ORDER BY per.spend, per.customer_id) AS m FROM per), "
        f"scored AS (SELECT ranked.*, {_SEGMENT} AS segment FROM ranked) "
    )
    return sql, [*per_params, until]


def _lifetime_orders(period: Period):
    """Every order counted in a lifetime value (see `_rfm_cte`) of the period's customers."""
    bought = sold_orders(period).filter(customer__isnull=False).values("customer_id")
    return (
        Order.objects.using(reporting_db())
        .filter(period.before_end("placed_at", "store"), period.at("store"), customer_id__in=bought)
        .exclude(status=Order.Status.CANCELLED)
    )


def rfm_customers(period: Period, *, rates: Converter | None = None) -> list[dict]:
    """Each customer's R, F, M scores and segment (for checks and the customer-level CSV); spend and
    lifetime in the reporting currency (`currency`)."""
    rates = rates or market_converter(period)
    cte, params = _rfm_cte(period, rates)
    rows = _fetch(
        f"{cte} SELECT scored.customer_id, scored.orders, scored.spend, scored.r, scored.f, scored.m, "  # noqa: S608 — ORM-compiled SQL and constants; values are parameters
        "scored.segment, scored.lifetime FROM scored ORDER BY scored.customer_id",
        params,
    )
    for row in rows:
        row["spend"], row["lifetime"] = money(row["spend"], rates.reporting), money(row["lifetime"], rates.reporting)
        row["currency"] = rates.reporting
    return rows


def rfm_segments(period: Period, *, rates: Converter | None = None) -> list[dict]:
    """Customers per RFM segment with average recency, orders, spend and lifetime value. One query
    (three more for the rates: every market's currency at the period's last day, unless given).

    Customer lifetime value (observed): what the segment's customers have spent with us in total
    (non-cancelled orders at the chosen stores, up to the end of the period), on average. Money is in
    the reporting currency (`currency`), each order converted at the stated rates (see `_rfm_cte`).
    """
    rates = rates or market_converter(period)
    reporting = rates.reporting
    cte, params = _rfm_cte(period, rates)
    rows = {
        r["segment"]: r
        for r in _fetch(
            f"{cte} SELECT scored.segment AS segment, COUNT(*) AS customers, AVG(scored.recency_days) AS recency, "  # noqa: S608 — ORM-compiled SQL and constants; values are parameters
            "AVG(scored.orders) AS orders, AVG(scored.spend) AS spend, AVG(scored.lifetime) AS lifetime, "
            "SUM(scored.lifetime) AS lifetime_total FROM scored GROUP BY scored.segment",
            params,
        )
    }
    total = sum(r["customers"] for r in rows.values())
    result = []
    for code, label, explanation in RFM_SEGMENTS:
        r = rows.get(code)
        if r is None:
            continue
        result.append(
            {
                "segment": code,
                "label": str(label),
                "explanation": str(explanation),
                "currency": reporting,
                "customers": r["customers"],
                "share": _ratio(r["customers"], total),
                "avg_recency_days": round(float(r["recency"]), 1),
                "avg_orders": round(float(r["orders"]), 2),
                "avg_spend": money(r["spend"], reporting),
                "lifetime_value": money(r["lifetime"] or 0, reporting),
                "lifetime_total": money(r["lifetime_total"] or 0, reporting),
            }
        )
    return result


def rfm_left_out(period: Period, rates: Converter) -> dict:
    """The currencies the RFM figures could not convert (no rate on the day): `missing`, `messages`."""
    return left_out(rates, _lifetime_orders(period))
