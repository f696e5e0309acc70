"""Sales per channel and store over a period (live SQL): the series, the overview and the totals."""

from insights.filters import Period
from insights.selectors._common import ZERO, _fetch, _ratio
from insights.selectors.sales_days import by_day, from_days, sales_days, summed_days
from insights.selectors.sales_sql import (
    STORE_TABLE,
    SUMS,
    TOTALS,
    bucket_date,
    by_channel_and_store_sql,
    sales_items,
    sales_row,
)
from retail.domain.money import money


def sales_series(period: Period, *, by: str = "channel", grain: str | None = None) -> list[dict]:
    """Net sales per time bucket and channel (or store): gross, short-picked, refunds, net. One query."""
    grain = grain or period.grain()
    if by not in ("channel", "store"):
        raise ValueError(f"sales_series by {by!r}: channel or store")
    if by_day(period, grain):
        days, _ = sales_days(period)
        return from_days(days, by)
    items, params = sales_items(period, grain)
    if by == "channel":
        sql = (
            f"SELECT u.bucket AS bucket, u.sold_channel AS name, {SUMS} FROM ({items}) u "  # noqa: S608 — ORM-compiled SQL and constants; values are parameters
            "GROUP BY u.bucket, u.sold_channel, u.sold_currency ORDER BY u.bucket, u.sold_channel, u.sold_currency"
        )
    elif by == "store":  # grouped by the store's id, named after: the join and sort see the groups only
        sql = (
            f"SELECT g.bucket AS bucket, s.code AS name, {TOTALS} FROM (SELECT u.bucket AS bucket, "  # noqa: S608 — ORM-compiled SQL and constants; values are parameters
            f"u.sold_store AS store_id, {SUMS} FROM ({items}) u GROUP BY u.bucket, u.sold_store, u.sold_currency) g "
            f"INNER JOIN {STORE_TABLE} s ON s.id = g.store_id ORDER BY g.bucket, s.code, g.currency"
        )
    return [
        sales_row({**row, by: row["name"]}, by, by, bucket=bucket_date(row["bucket"])) for row in _fetch(sql, params)
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
        return from_days(days, "channel"), summed_days(days, "store")
    items, params = sales_items(period, grain)
    sql = by_channel_and_store_sql(items, stores_per_bucket=False)
    by_channel, by_store = [], []
    for row in _fetch(sql, params):
        if not row["by_store"]:
            by_channel.append(
                sales_row({**row, "channel": row["name"]}, "channel", "channel", bucket=bucket_date(row["bucket"]))
            )
        else:
            by_store.append(sales_row({**row, "store": row["name"]}, "store", "store"))
    by_channel.sort(key=lambda r: (r["period"], r["channel"], r["currency"]))
    by_store.sort(key=lambda r: (r["store"], r["currency"]))
    return by_channel, by_store


def sales_totals(series: list[dict], *, by: str = "channel") -> list[dict]:
    """A series summed per channel (or store) and currency, largest net first: reshapes aggregated
    rows. A channel selling in two currencies has two rows (euros and złoty are never added); its
    share is of the net in its currency."""
    totals: dict[tuple[str, str], dict] = {}
    for row in series:
        currency = row["currency"]
        t = totals.get((row[by], currency))
        if t is None:
            t = totals[(row[by], currency)] = {by: row[by], "currency": currency, "orders": 0, "gross": ZERO,
                                               "shipping": ZERO, "short_picked": ZERO, "refunds": ZERO,
                                               "net": ZERO}  # fmt: skip
        for field in ("orders", "gross", "shipping", "short_picked", "refunds", "net"):
            t[field] += row[field]
    grand: dict[str, object] = {}
    for t in totals.values():
        grand[t["currency"]] = grand.get(t["currency"], ZERO) + t["net"]
    for t in totals.values():
        t["share"] = _ratio(t["net"], grand[t["currency"]])
        t["average_order"] = money(t["gross"] / t["orders"], t["currency"]) if t["orders"] else ZERO
    return sorted(totals.values(), key=lambda t: (-t["net"], t[by], t["currency"]))
