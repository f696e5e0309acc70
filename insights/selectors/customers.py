"""Customers: single- vs multichannel spend, and RFM segments."""

from decimal import Decimal

from django.db import connection
from django.db.models import (
    Count,
    F,
    Max,
    OuterRef,
    Sum,
)

from insights.filters import Period
from insights.selectors._common import ZERO, _fetch, _ratio, _scalar_sum, sold_orders
from orders.models import Order
from retail.domain.money import money


def channel_customers(period: Period) -> dict:
    """Single- vs multichannel customers: share, average spend, orders per customer, order value.

    One query: per-customer (channels, orders, spend) grouped again by the number of channels.
    """
    per_customer = (
        sold_orders(period)
        .filter(customer__isnull=False)
        .values("customer_id")
        .annotate(channels=Count("channel", distinct=True), orders=Count("pk"), spend=Sum("total"))
        .order_by()
    )
    inner, params = per_customer.query.sql_with_params()
    by_count = _fetch(
        "SELECT per.channels AS channels, COUNT(*) AS customers, SUM(per.orders) AS orders, "  # noqa: S608 — ORM-compiled SQL and constants; values are parameters
        f"SUM(per.spend) AS spend FROM ({inner}) per GROUP BY per.channels ORDER BY per.channels",
        params,
    )
    total_customers = sum(r["customers"] for r in by_count)

    def group(label: str, rows: list[dict]) -> dict:
        customers = sum(r["customers"] for r in rows)
        orders = sum(r["orders"] for r in rows)
        spend = sum((Decimal(r["spend"]) for r in rows), ZERO)
        return {
            "group": label,
            "customers": customers,
            "share": _ratio(customers, total_customers),
            "orders": orders,
            "spend": money(spend),
            "average_spend": money(spend / customers) if customers else ZERO,
            "orders_per_customer": round(orders / customers, 2) if customers else None,
            "average_order": money(spend / orders) if orders else ZERO,
        }

    groups = [
        group("Single-channel", [r for r in by_count if r["channels"] == 1]),
        group("Multichannel", [r for r in by_count if r["channels"] >= 2]),
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
            group(f"{r['channels']} channel{'s' if r['channels'] > 1 else ''}", [r]) for r in by_count
        ],
        "customers": total_customers,
        "spend_lift": lift,
    }


RFM_SEGMENTS = [
    ("champions", "Champions", "Bought recently, often and for a lot (R, F and M all 4-5)."),
    ("loyal", "Loyal", "Buy often (F 4-5) but not all of the above."),
    ("new", "Recent, few orders", "Bought recently (R 4-5) with one or two orders."),
    ("at_risk", "At risk", "Used to buy several times (F 3+) but not lately (R 1-2)."),
    ("hibernating", "Hibernating", "Few orders, long ago (R 1-2, F 1-2)."),
    ("needs_attention", "Needs attention", "Everyone else: middling recency."),
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


def _rfm_cte(period: Period) -> tuple[str, list]:
    """WITH scored AS (...): one row per customer who bought in the period, with r, f, m, segment.

    R and M are quintiles (NTILE(5)) of the last order time and of the spend in the period, ties
    broken by customer id so that the split is deterministic; F is fixed thresholds (1, 2, 3, 4-5,
    6+ orders). 5 is best. lifetime = all non-cancelled orders at the chosen stores until the end.
    """
    lifetime = _scalar_sum(
        Order.objects.filter(period.before_end("placed_at", "store"), customer_id=OuterRef("customer_id"))
        .filter(period.at("store"))
        .exclude(status=Order.Status.CANCELLED),
        F("total"),
    )
    per_customer = (
        sold_orders(period)
        .filter(customer__isnull=False)
        .values("customer_id")
        .annotate(last_at=Max("placed_at"), orders=Count("pk"), spend=Sum("total"), lifetime=lifetime)
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


def rfm_customers(period: Period) -> list[dict]:
    """Each customer's R, F, M scores and segment (for checks and the customer-level CSV)."""
    cte, params = _rfm_cte(period)
    return _fetch(
        f"{cte} SELECT scored.customer_id, scored.orders, scored.spend, scored.r, scored.f, scored.m, "  # noqa: S608 — ORM-compiled SQL and constants; values are parameters
        "scored.segment, scored.lifetime FROM scored ORDER BY scored.customer_id",
        params,
    )


def rfm_segments(period: Period) -> list[dict]:
    """Customers per RFM segment with average recency, orders, spend and lifetime value. One query.

    Customer lifetime value (observed): what the segment's customers have spent with us in total
    (non-cancelled orders at the chosen stores, up to the end of the period), on average.
    """
    cte, params = _rfm_cte(period)
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
                "label": label,
                "explanation": explanation,
                "customers": r["customers"],
                "share": _ratio(r["customers"], total),
                "avg_recency_days": round(float(r["recency"]), 1),
                "avg_orders": round(float(r["orders"]), 2),
                "avg_spend": money(r["spend"]),
                "lifetime_value": money(r["lifetime"] or 0),
                "lifetime_total": money(r["lifetime_total"] or 0),
            }
        )
    return result
