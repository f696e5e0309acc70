"""The SQL of sales: one row per sold order, short-picked line and refunded return (`sales_items`),
grouped per bucket and channel or store in one pass (`by_channel_and_store_sql`)."""

from datetime import datetime

from django.db.models import (
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Value,
)
from django.db.models.functions import Floor

from insights.filters import Period
from insights.selectors._common import MONEY, ZERO, _scalar_sum, _sold_through, sold_orders
from orders.models import OrderLine
from orders.returns.models import ReturnRequest
from retail.domain.money import money
from retail.models import Store

_SALE_COLUMNS = (
    "bucket",
    "sold_channel",
    "sold_store",
    "sold_currency",
    "orders",
    "gross",
    "shipping",
    "short",
    "refunds",
)


PROBED_REFUNDS_DAYS = 2  # up to this many days, each order's refunds are probed (see sales_items)


def sales_items(period: Period, grain: str) -> tuple[str, list]:
    """SQL of one row per sold order, short-picked line and refunded return of the period, each
    with its order's bucket, channel, store and currency and what it adds to orders, gross, short,
    refunds (in the order's currency: every grouping keeps the currency, so amounts in two
    currencies are never added up).

    The callers group these rows once by what they show: no per-order subquery and no
    intermediate grouping. Short-picked lines are few (found through their partial index);
    short = the paid share of units not found at picking and cancelled (never charged).

    Refunds: over a few days (today's live count) each order's refunded returns are probed through
    their partial covering index, on the order's row; over longer periods the refunded returns are
    their own part, joined to the period's orders (the planner hashed every refunded return even
    for one day's orders: ~70 ms of an 80 ms query at large, against ~4 ms probed).
    """
    probed = period.days <= PROBED_REFUNDS_DAYS
    done = ReturnRequest.objects.filter(order=OuterRef("pk"), status__in=ReturnRequest.DONE_STATUSES)
    zero_money, zero_count = Value(ZERO, output_field=MONEY), Value(0, output_field=IntegerField())
    kept = Floor(F("total") * 100 * (F("quantity") - F("cancelled_quantity")) / F("quantity")) / 100
    of_order = {
        "bucket": period.bucket(grain, "order__placed_at", "order__store"),
        "sold_channel": F("order__channel"),
        "sold_store": F("order__store_id"),
        "sold_currency": F("order__currency"),
    }
    parts = [
        sold_orders(period).annotate(
            bucket=period.bucket(grain, "placed_at", "store"),
            sold_channel=F("channel"),
            sold_store=F("store_id"),
            sold_currency=F("currency"),
            orders=Value(1, output_field=IntegerField()),
            gross=F("total"),
            shipping=F("shipping_total"),
            short=zero_money,
            refunds=_scalar_sum(done, F("refund_total")) if probed else zero_money,
        ),
        OrderLine.objects.filter(_sold_through(period, "order__"), cancelled_quantity__gt=0).annotate(
            **of_order,
            orders=zero_count,
            gross=zero_money,
            shipping=zero_money,
            short=ExpressionWrapper(F("total") - kept, output_field=MONEY),
            refunds=zero_money,
        ),
    ]
    if not probed:
        parts.append(
            ReturnRequest.objects.filter(
                _sold_through(period, "order__"), status__in=ReturnRequest.DONE_STATUSES
            ).annotate(
                **of_order,
                orders=zero_count,
                gross=zero_money,
                shipping=zero_money,
                short=zero_money,
                refunds=F("refund_total"),
            )
        )
    columns = ", ".join(f"p.{c}" for c in _SALE_COLUMNS)
    sqls, params = [], []
    for part in parts:
        sql, part_params = part.values(*_SALE_COLUMNS).order_by().query.sql_with_params()
        sqls.append(f"SELECT {columns} FROM ({sql}) p")  # noqa: S608 — ORM-compiled SQL; values are parameters
        params.extend(part_params)
    return " UNION ALL ".join(sqls), params


def bucket_date(value):
    return value.date() if isinstance(value, datetime) else value


def sales_row(row: dict, by: str, key: str, bucket=None) -> dict:
    currency = row["currency"]
    gross, shipping, short, refunds = (money(row[f] or 0, currency) for f in ("gross", "shipping", "short", "refunds"))
    return {
        **({"period": bucket} if bucket is not None else {}),
        by: row[key],
        "currency": currency,
        "orders": row["orders"],
        "gross": gross,
        "shipping": shipping,
        "short_picked": short,
        "refunds": refunds,
        "net": gross - short - refunds,
    }


SUMS = (
    "u.sold_currency AS currency, SUM(u.orders) AS orders, SUM(u.gross) AS gross, SUM(u.shipping) AS shipping, "
    "SUM(u.short) AS short, SUM(u.refunds) AS refunds"
)
TOTALS = (
    "g.currency AS currency, g.orders AS orders, g.gross AS gross, g.shipping AS shipping, g.short AS short, "
    "g.refunds AS refunds"
)
STORE_TABLE = Store._meta.db_table


def by_channel_and_store_sql(items: str, *, stores_per_bucket: bool) -> str:
    """One pass over the sales items (`sales_items`) grouped two ways: per (bucket, channel), and
    per store — per (bucket, store) when `stores_per_bucket`, else over the whole period (bucket
    NULL); each per currency. Rows: by_store (0 or 1), bucket, name (the channel or the store's
    code), currency and the sums. The items are read once (GROUPING SETS)."""
    store_set = "(u.bucket, u.sold_store, u.sold_currency)" if stores_per_bucket else "(u.sold_store, u.sold_currency)"
    return (
        "SELECT g.by_store AS by_store, g.bucket AS bucket, COALESCE(g.channel, s.code) AS name, "  # noqa: S608 — ORM-compiled SQL and constants; values are parameters
        f"{TOTALS} FROM (SELECT GROUPING(u.sold_channel) AS by_store, u.bucket AS bucket, "
        f"u.sold_channel AS channel, u.sold_store AS store_id, {SUMS} FROM ({items}) u "
        f"GROUP BY GROUPING SETS ((u.bucket, u.sold_channel, u.sold_currency), {store_set})) g "
        f"LEFT JOIN {STORE_TABLE} s ON s.id = g.store_id"
    )
