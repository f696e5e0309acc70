"""Read-only KPIs over every app, computed by the database (aggregates, CASE, window functions).

Every figure takes a `Period` (days on each store's own clock, stores or all) and returns a list
of plain dicts: one row per group, ready for a table, a chart and a CSV. Python only reshapes the
few aggregated rows the database returns; it never loops over orders, lines or customers.

Definitions (also shown on the page):
- Sales: orders placed in the period at the chosen stores (`Order.store`, the selling or
  fulfilling store), not cancelled. gross = order totals (after discounts); short-picked = the
  paid share of units not found at picking and cancelled (never charged); refunds = refund_total
  of returns of those orders that were refunded or exchanged (attributed to the order's channel,
  store and day, so a month's refunds reduce the month they were sold in); net = gross -
  short-picked - refunds.
- Multichannel customer: a known customer whose non-cancelled orders placed in the period at the
  chosen stores used two or more order channels (app, web, store, phone, kiosk). Browsing events
  are not counted: spending on a second channel is the claim being tested.
"""

from datetime import datetime, timedelta
from decimal import Decimal

from django.core.cache import cache
from django.db import connection
from django.db.models import (
    Aggregate,
    Avg,
    Case,
    Count,
    DecimalField,
    DurationField,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Floor
from django.utils import timezone

from insights.filters import Period
from inventory.models import StockLevel, StockMovement, Transfer
from orders.models import Fulfillment, Order, OrderLine
from orders.returns.models import Reason, ReturnLine, ReturnRequest
from retail.models import Store

ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=14, decimal_places=2)
CHANNELS = [choice for choice, _ in Order.Channel.choices]
CHANNEL_LABELS = dict(Order.Channel.choices)


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


def _money(value) -> Decimal:
    return (value or ZERO).quantize(Decimal("0.01"))


def _fetch(sql: str, params) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [col[0] for col in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def sold_orders(period: Period):
    """Orders counted as sales: placed in the period at the chosen stores, not cancelled."""
    return Order.objects.filter(period.within("placed_at", "store"), period.at("store")).exclude(
        status=Order.Status.CANCELLED
    )


# --- Sales -------------------------------------------------------------------------------------


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


_SALE_COLUMNS = ("bucket", "sold_channel", "sold_store", "orders", "gross", "short", "refunds")


PROBED_REFUNDS_DAYS = 2  # up to this many days, each order's refunds are probed (see _sales_items)


def _sales_items(period: Period, grain: str) -> tuple[str, list]:
    """SQL of one row per sold order, short-picked line and refunded return of the period, each
    with its order's bucket, channel and store and what it adds to orders, gross, short, refunds.

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
    }
    parts = [
        sold_orders(period).annotate(
            bucket=period.bucket(grain, "placed_at", "store"),
            sold_channel=F("channel"),
            sold_store=F("store_id"),
            orders=Value(1, output_field=IntegerField()),
            gross=F("total"),
            short=zero_money,
            refunds=_scalar_sum(done, F("refund_total")) if probed else zero_money,
        ),
        OrderLine.objects.filter(_sold_through(period, "order__"), cancelled_quantity__gt=0).annotate(
            **of_order,
            orders=zero_count,
            gross=zero_money,
            short=ExpressionWrapper(F("total") - kept, output_field=MONEY),
            refunds=zero_money,
        ),
    ]
    if not probed:
        parts.append(
            ReturnRequest.objects.filter(
                _sold_through(period, "order__"), status__in=ReturnRequest.DONE_STATUSES
            ).annotate(**of_order, orders=zero_count, gross=zero_money, short=zero_money, refunds=F("refund_total"))
        )
    columns = ", ".join(f"p.{c}" for c in _SALE_COLUMNS)
    sqls, params = [], []
    for part in parts:
        sql, part_params = part.values(*_SALE_COLUMNS).order_by().query.sql_with_params()
        sqls.append(f"SELECT {columns} FROM ({sql}) p")  # noqa: S608 — ORM-compiled SQL; values are parameters
        params.extend(part_params)
    return " UNION ALL ".join(sqls), params


def _bucket_date(value):
    return value.date() if isinstance(value, datetime) else value


def _sales_row(row: dict, by: str, key: str, bucket=None) -> dict:
    gross, short, refunds = _money(row["gross"]), _money(row["short"]), _money(row["refunds"])
    return {
        **({"period": bucket} if bucket is not None else {}),
        by: row[key],
        "orders": row["orders"],
        "gross": gross,
        "short_picked": short,
        "refunds": refunds,
        "net": gross - short - refunds,
    }


_SUMS = "SUM(u.orders) AS orders, SUM(u.gross) AS gross, SUM(u.short) AS short, SUM(u.refunds) AS refunds"
_TOTALS = "g.orders AS orders, g.gross AS gross, g.short AS short, g.refunds AS refunds"
_STORE = Store._meta.db_table


def _by_channel_and_store_sql(items: str, *, stores_per_bucket: bool) -> str:
    """One pass over the sales items (`_sales_items`) grouped two ways: per (bucket, channel), and
    per store — per (bucket, store) when `stores_per_bucket`, else over the whole period (bucket
    NULL). Rows: by_store (0 or 1), bucket, name (the channel or the store's code) and the sums.
    The items are read once (GROUPING SETS)."""
    store_set = "(u.bucket, u.sold_store)" if stores_per_bucket else "(u.sold_store)"
    return (
        "SELECT g.by_store AS by_store, g.bucket AS bucket, COALESCE(g.channel, s.code) AS name, "  # noqa: S608 — ORM-compiled SQL and constants; values are parameters
        f"{_TOTALS} FROM (SELECT GROUPING(u.sold_channel) AS by_store, u.bucket AS bucket, "
        f"u.sold_channel AS channel, u.sold_store AS store_id, {_SUMS} FROM ({items}) u "
        f"GROUP BY GROUPING SETS ((u.bucket, u.sold_channel), {store_set})) g "
        f"LEFT JOIN {_STORE} s ON s.id = g.store_id"
    )


def sales_series(period: Period, *, by: str = "channel", grain: str | None = None) -> list[dict]:
    """Net sales per time bucket and channel (or store): gross, short-picked, refunds, net. One query."""
    grain = grain or period.grain()
    if by not in ("channel", "store"):
        raise ValueError(f"sales_series by {by!r}: channel or store")
    if by_day(period, grain):
        days, _ = sales_days(period)
        return _from_days(days, by)
    items, params = _sales_items(period, grain)
    if by == "channel":
        sql = (
            f"SELECT u.bucket AS bucket, u.sold_channel AS name, {_SUMS} FROM ({items}) u "  # noqa: S608 — ORM-compiled SQL and constants; values are parameters
            "GROUP BY u.bucket, u.sold_channel ORDER BY u.bucket, u.sold_channel"
        )
    elif by == "store":  # grouped by the store's id, named after: the join and sort see the groups only
        sql = (
            f"SELECT g.bucket AS bucket, s.code AS name, {_TOTALS} FROM (SELECT u.bucket AS bucket, "  # noqa: S608 — ORM-compiled SQL and constants; values are parameters
            f"u.sold_store AS store_id, {_SUMS} FROM ({items}) u GROUP BY u.bucket, u.sold_store) g "
            f"INNER JOIN {_STORE} s ON s.id = g.store_id ORDER BY g.bucket, s.code"
        )
    return [
        _sales_row({**row, by: row["name"]}, by, by, bucket=_bucket_date(row["bucket"])) for row in _fetch(sql, params)
    ]


def sales_overview(
    period: Period, *, grain: str | None = None, days: dict | None = None
) -> tuple[list[dict], list[dict]]:
    """(per bucket and channel, per store over the whole period) in one query: the period's sales
    rows are read once and grouped both ways (GROUPING SETS).
    Head office by day: from `sales_days` (past days cached, today live; `days` if the caller has them)."""
    grain = grain or period.grain()
    if by_day(period, grain):  # `days`: the caller's sales_days(period) (none: read here)
        days = days if days is not None else sales_days(period)[0]
        return _from_days(days, "channel"), _summed_days(days, "store")
    items, params = _sales_items(period, grain)
    sql = _by_channel_and_store_sql(items, stores_per_bucket=False)
    by_channel, by_store = [], []
    for row in _fetch(sql, params):
        if not row["by_store"]:
            by_channel.append(
                _sales_row({**row, "channel": row["name"]}, "channel", "channel", bucket=_bucket_date(row["bucket"]))
            )
        else:
            by_store.append(_sales_row({**row, "store": row["name"]}, "store", "store"))
    by_channel.sort(key=lambda r: (r["period"], r["channel"]))
    by_store.sort(key=lambda r: r["store"])
    return by_channel, by_store


def sales_totals(series: list[dict], *, by: str = "channel") -> list[dict]:
    """A series summed per channel (or store), largest net first: reshapes aggregated rows."""
    totals: dict[str, dict] = {}
    for row in series:
        t = totals.setdefault(
            row[by], {by: row[by], "orders": 0, "gross": ZERO, "short_picked": ZERO, "refunds": ZERO, "net": ZERO}
        )
        for field in ("orders", "gross", "short_picked", "refunds", "net"):
            t[field] += row[field]
    grand = sum((t["net"] for t in totals.values()), ZERO)
    for t in totals.values():
        t["share"] = _ratio(t["net"], grand)
        t["average_order"] = _money(t["gross"] / t["orders"]) if t["orders"] else ZERO
    return sorted(totals.values(), key=lambda t: (-t["net"], t[by]))


# --- Sales per past day, every store (cached) ------------------------------------------------------

SALES_DAY_KEY = "insights:sales-day:v2:{}"  # v2: days on each store's own clock
SALES_DAY_SECONDS = 600  # kept 10 minutes; the beat task (insights.tasks) recounts the default period's every 5
_SUM_FIELDS = ("orders", "gross", "short", "refunds")


def by_day(period: Period, grain: str) -> bool:
    """Head office's day-grain figures (every store, up to two months) are built from per-day sums."""
    return period.store_ids is None and grain == "day"


def _count_days(start, end, *, zones: dict | None = None) -> dict:
    """Every store's sales of each day start..end, live, in one query:
    {day: {"as_of": now, "channel": {channel: sums}, "store": {store code: sums}}} (days with sales only)."""
    items, params = _sales_items(Period(start=start, end=end, zones=zones), "day")
    sql = _by_channel_and_store_sql(items, stores_per_bucket=True)
    now, days = timezone.now(), {}
    for row in _fetch(sql, params):
        day = days.setdefault(_bucket_date(row["bucket"]), _empty_day(now))
        sums = (row["orders"], _money(row["gross"]), _money(row["short"]), _money(row["refunds"]))
        day["store" if row["by_store"] else "channel"][row["name"]] = sums
    return days


def _empty_day(as_of) -> dict:
    return {"as_of": as_of, "channel": {}, "store": {}}


def refresh_sales_days(start, end) -> int:
    """Count the past days start..end (before today) again and cache them; returns the days cached."""
    period = Period(start=start, end=end)
    end = min(end, period.today_everywhere() - timedelta(days=1))
    if start > end:
        return 0
    counted = _count_days(start, end, zones=period.other_zones())
    as_of = timezone.now()
    span = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    cache.set_many({SALES_DAY_KEY.format(d): counted.get(d) or _empty_day(as_of) for d in span}, SALES_DAY_SECONDS)
    return len(span)


def forget_sales_days(start, end) -> None:
    """Drop the cached days start..end (their next read counts them live)."""
    cache.delete_many([SALES_DAY_KEY.format(start + timedelta(days=i)) for i in range((end - start).days + 1)])


def sales_days(period: Period) -> tuple[dict, object]:
    """Every store's sales per day of the period: ({day: sums}, as_of of the oldest cached day or None).

    Whole past days come from the cache (counted at most SALES_DAY_SECONDS ago: a refund,
    cancellation or short pick of a past day's order shows once recounted); today, and any day not
    cached, are counted live in one query (and the past ones among them cached). Cached rather
    than kept in a table: a day's sums move with every refund, cancellation and short pick of its
    orders, written by the order, POS, pick-up and returns services and by bulk loads.
    A day is past once it is over in every store (`Period.today_everywhere`).
    """
    today = period.today_everywhere()
    span = [period.start + timedelta(days=i) for i in range(period.days)]
    past = [d for d in span if d < today]
    cached = {}
    found = cache.get_many([SALES_DAY_KEY.format(d) for d in past])
    for d in past:
        if (day := found.get(SALES_DAY_KEY.format(d))) is not None:
            cached[d] = day
    missing = [d for d in span if d not in cached]
    as_of = min((day["as_of"] for day in cached.values()), default=None)
    if missing:
        counted = _count_days(missing[0], missing[-1], zones=period.other_zones())
        now = timezone.now()
        fresh = {d: counted.get(d) or _empty_day(now) for d in missing}
        cache.set_many({SALES_DAY_KEY.format(d): v for d, v in fresh.items() if d < today}, SALES_DAY_SECONDS)
        cached.update(fresh)
    return {d: cached[d] for d in span}, as_of


def _from_days(days: dict, by: str) -> list[dict]:
    """Per-day sums as `sales_series` rows (day, channel or store), in its order."""
    rows = []
    for day, sums in days.items():
        for name in sorted(sums[by]):
            orders, gross, short, refunds = sums[by][name]
            rows.append(
                {
                    "period": day,
                    by: name,
                    "orders": orders,
                    "gross": gross,
                    "short_picked": short,
                    "refunds": refunds,
                    "net": gross - short - refunds,
                }
            )
    return rows


def _summed_days(days: dict, by: str) -> list[dict]:
    """Per-day sums added up per channel (or store) over the days, as `sales_overview`'s rows."""
    summed: dict[str, list] = {}
    for sums in days.values():
        for name, (orders, gross, short, refunds) in sums[by].items():
            if (acc := summed.get(name)) is None:
                summed[name] = [orders, gross, short, refunds]
            else:
                acc[0] += orders
                acc[1] += gross
                acc[2] += short
                acc[3] += refunds
    return [
        {by: name, "orders": o, "gross": g, "short_picked": s, "refunds": r, "net": g - s - r}
        for name, (o, g, s, r) in sorted(summed.items())
    ]


# --- Customers ---------------------------------------------------------------------------------


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
            "spend": _money(spend),
            "average_spend": _money(spend / customers) if customers else ZERO,
            "orders_per_customer": round(orders / customers, 2) if customers else None,
            "average_order": _money(spend / orders) if orders else ZERO,
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


# --- Click-and-collect ---------------------------------------------------------------------------


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
        Fulfillment.objects.filter(
            period.within("created_at", "location"), period.at("location"), kind__in=Fulfillment.COLLECT_KINDS
        )
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


# --- Returns -----------------------------------------------------------------------------------


def received_returns(period: Period):
    """Returns whose goods were received in the period at the chosen stores (not rejected/cancelled)."""
    return ReturnRequest.objects.filter(period.within("received_at", "store"), period.at("store")).exclude(
        status__in=[ReturnRequest.Status.REJECTED, ReturnRequest.Status.CANCELLED]
    )


def units_sold(period: Period) -> int:
    """Units of sold orders (see `sold_orders`) that were not cancelled at picking (one query,
    lines reached per order through their order index)."""
    units = _scalar_sum(
        OrderLine.objects.filter(order=OuterRef("pk")),
        F("quantity") - F("cancelled_quantity"),
        output_field=IntegerField(),
    )
    return sold_orders(period).annotate(units=units).aggregate(total=Sum("units"))["total"] or 0


def returns_by_reason(period: Period) -> list[dict]:
    """Returned units per reason, their share of returns and their rate against units sold.

    return rate = units received back for the reason / units sold in the same period and stores.
    Two queries.
    """
    sold = units_sold(period)
    rows = list(
        ReturnLine.objects.filter(period.within("request__received_at", "request__store"), period.at("request__store"))
        .exclude(request__status__in=[ReturnRequest.Status.REJECTED, ReturnRequest.Status.CANCELLED])
        .values("reason")
        .annotate(lines=Count("pk"), units=Sum("quantity"), amount=Sum("amount"))
        .order_by("-units", "reason")
    )
    returned = sum(r["units"] for r in rows)
    labels = dict(Reason.choices)
    return [
        {
            "reason": r["reason"],
            "label": labels.get(r["reason"], r["reason"]),
            "lines": r["lines"],
            "units": r["units"],
            "amount": _money(r["amount"]),
            "share": _ratio(r["units"], returned),
            "return_rate": _ratio(r["units"], sold, 2),
            "units_sold": sold,
        }
        for r in rows
    ]


def returns_channel_matrix(period: Period) -> dict:
    """Returns counted by the channel the goods were bought on x how they came back.

    Bought: the order's channel ("none" for receipt-less returns). Returned: "mail" for mail
    returns, otherwise the channel the return was started on (store for the desk and the POS).
    One query.
    """
    returned_via = Case(When(method=ReturnRequest.Method.MAIL, then=Value("mail")), default=F("channel"))
    rows = list(
        received_returns(period)
        .annotate(bought=Coalesce("order__channel", Value("none")), returned=returned_via)
        .values("bought", "returned")
        .annotate(returns=Count("pk"), refunds=Sum("refund_total"))
        .order_by("bought", "returned")
    )
    bought = sorted({r["bought"] for r in rows}, key=_channel_order)
    returned = sorted({r["returned"] for r in rows}, key=_channel_order)
    cells = {(r["bought"], r["returned"]): r["returns"] for r in rows}
    return {
        "rows": [
            {"bought": r["bought"], "returned": r["returned"], "returns": r["returns"], "refunds": _money(r["refunds"])}
            for r in rows
        ],
        "bought": bought,
        "returned": returned,
        "grid": [
            [b, [cells.get((b, x), 0) for x in returned], sum(cells.get((b, x), 0) for x in returned)] for b in bought
        ],
        "cross_channel": sum(r["returns"] for r in rows if r["bought"] != r["returned"]),
        "total": sum(r["returns"] for r in rows),
    }


def _channel_order(name: str) -> tuple:
    order = [*CHANNELS, "mail", "none"]
    return (order.index(name) if name in order else len(order), name)


def refund_methods(period: Period) -> list[dict]:
    """Refunded or exchanged returns received in the period, per refund method. One query."""
    labels = dict(ReturnRequest.RefundMethod.choices)
    rows = list(
        received_returns(period)
        .filter(status__in=ReturnRequest.DONE_STATUSES)
        .values("refund_method")
        .annotate(returns=Count("pk"), amount=Sum("refund_total"))
        .order_by("-returns", "refund_method")
    )
    total = sum(r["returns"] for r in rows)
    return [
        {
            "method": r["refund_method"],
            "label": labels.get(r["refund_method"], r["refund_method"]),
            "returns": r["returns"],
            "share": _ratio(r["returns"], total),
            "amount": _money(r["amount"]),
        }
        for r in rows
    ]


# --- Inventory ---------------------------------------------------------------------------------


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
        StockLevel.objects.filter(some, variant__is_active=True, variant__product__is_active=True)
        .values("location_id", "location__code", "location__name")
        .annotate(
            skus=Count("pk"),
            stockouts=Count("pk", filter=Q(on_hand__lte=F("reserved") + F("safety_stock"))),
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
    (on_hand - reserved - safety_stock <= 0) right now — the period does not apply. "Now" is the
    `stock_summary`, at most a few minutes old (`stock_as_of` says when).
    sell-through = units sold (sale and pick-up hand-over movements in the period) /
    (units sold + units on hand now). One query, and one more when the summary is not cached.
    """
    summary = stock_summary(store_ids=period.store_ids)
    levels = [r for r in summary["rows"] if period.store_ids is None or r["location_id"] in period.store_ids]
    sold = dict(
        StockMovement.objects.filter(
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
        Transfer.objects.filter(
            period.within("received_at", "to_location"), period.at("to_location"), status=Transfer.Status.RECEIVED
        )
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


# --- RFM ---------------------------------------------------------------------------------------

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
                "avg_spend": _money(Decimal(str(r["spend"]))),
                "lifetime_value": _money(Decimal(str(r["lifetime"] or 0))),
                "lifetime_total": _money(Decimal(str(r["lifetime_total"] or 0))),
            }
        )
    return result


# --- Today in one store (dashboard) --------------------------------------------------------------


def store_today(*, store, since, until) -> dict:
    """Today's sales and hand-overs in one store: two queries whatever the data size.

    `since`/`until` bound today in the store's own time zone. The figures other tiles show too
    (pick-ups waiting, tasks due, low stock) come from their owners' selectors, in the tile.
    """
    by_channel = list(
        Order.objects.filter(store=store, placed_at__gte=since, placed_at__lt=until)
        .exclude(status=Order.Status.CANCELLED)
        .values("channel")
        .annotate(orders=Count("pk"), sales=Sum("total"))
        .order_by("channel")
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
    return {
        "by_channel": [
            {
                "channel": r["channel"],
                "label": CHANNEL_LABELS.get(r["channel"], r["channel"]),
                "orders": r["orders"],
                "sales": _money(r["sales"]),
            }
            for r in by_channel
        ],
        "sales": sum((_money(r["sales"]) for r in by_channel), ZERO),
        "orders": sum(r["orders"] for r in by_channel),
        **counts,
    }


def _scalar(queryset):
    """COUNT(*) of a correlated queryset as a scalar subquery (0 when none)."""
    counted = queryset.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


__all__ = [
    "bopis_by_store",
    "channel_customers",
    "refund_methods",
    "returns_by_reason",
    "returns_channel_matrix",
    "rfm_customers",
    "rfm_segments",
    "sales_series",
    "sales_totals",
    "stock_by_store",
    "stock_summary",
    "store_today",
    "transfer_lead_times",
]
