"""Sales per past day, every store: counted once, kept in the cache, recounted by beat."""

from datetime import timedelta

from django.core.cache import cache
from django.utils import timezone

from insights.filters import Period
from insights.selectors._common import _fetch
from insights.selectors.sales_sql import bucket_date, by_channel_and_store_sql, sales_items
from retail.domain.money import money

SALES_DAY_KEY = "insights:sales-day:v4:{}"  # v2: days on each store's own clock; v3: per currency; v4: shipping
SALES_DAY_SECONDS = 600  # kept 10 minutes; the beat task (insights.tasks) recounts the default period's every 5


def by_day(period: Period, grain: str) -> bool:
    """Head office's day-grain figures (every store, up to two months) are built from per-day sums."""
    return period.store_ids is None and grain == "day"


def _count_days(start, end, *, zones: dict | None = None) -> dict:
    """Every store's sales of each day start..end, live, in one query:
    {day: {"as_of": now, "channel": {(channel, currency): sums}, "store": {(store code, currency): sums}}}
    (days with sales only)."""
    items, params = sales_items(Period(start=start, end=end, zones=zones), "day")
    sql = by_channel_and_store_sql(items, stores_per_bucket=True)
    now, days = timezone.now(), {}
    for row in _fetch(sql, params):
        day = days.setdefault(bucket_date(row["bucket"]), _empty_day(now))
        currency = row["currency"]
        sums = (row["orders"], *(money(row[f] or 0, currency) for f in ("gross", "short", "refunds", "shipping")))
        day["store" if row["by_store"] else "channel"][(row["name"], currency)] = sums
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


def from_days(days: dict, by: str) -> list[dict]:
    """Per-day sums as `sales_series` rows (day, channel or store), in its order."""
    rows = []
    for day, sums in days.items():
        for name, currency in sorted(sums[by]):
            orders, gross, short, refunds, shipping = sums[by][(name, currency)]
            rows.append(
                {
                    "period": day,
                    by: name,
                    "currency": currency,
                    "orders": orders,
                    "gross": gross,
                    "shipping": shipping,
                    "short_picked": short,
                    "refunds": refunds,
                    "net": gross - short - refunds,
                }
            )
    return rows


def summed_days(days: dict, by: str) -> list[dict]:
    """Per-day sums added up per channel (or store) and currency over the days, as `sales_overview`'s rows."""
    summed: dict[tuple[str, str], list] = {}
    for sums in days.values():
        for key, values in sums[by].items():
            if (acc := summed.get(key)) is None:
                summed[key] = list(values)
            else:
                for i, value in enumerate(values):
                    acc[i] += value
    return [
        {by: name, "currency": currency, "orders": o, "gross": g, "shipping": sh, "short_picked": s, "refunds": r,
         "net": g - s - r}
        for (name, currency), (o, g, s, r, sh) in sorted(summed.items())
    ]  # fmt: skip
