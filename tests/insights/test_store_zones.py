"""Insights' days on each store's calendar around the autumn 2026 clock changes (issue 19.5): the
same UTC instants fall on different days in Warsaw, Rome, London and New York, before and after
Europe's change (25 October) while New York is still on summer time (until 1 November)."""

from datetime import UTC, date, datetime

import pytest

from insights import selectors
from insights.filters import Period
from tests.factories import StoreFactory
from tests.insights.conftest import make_order

pytestmark = pytest.mark.django_db

SAT, SUN, MON = date(2026, 10, 24), date(2026, 10, 25), date(2026, 10, 26)
ZONES = {"WAW-01": "Europe/Warsaw", "ROM-01": "Europe/Rome", "LON-01": "Europe/London", "NYC-01": "America/New_York"}


@pytest.fixture
def stores(db):
    made = {code: StoreFactory(code=code, time_zone=zone) for code, zone in ZONES.items()}
    for store in made.values():
        # 22:30 UTC on Saturday: Sunday 00:30 in Warsaw and Rome (summer time), Saturday 23:30 in
        # London, 18:30 in New York. 23:30 UTC on Sunday (after Europe's change): Monday 00:30 in
        # Warsaw and Rome, Sunday 23:30 in London, 19:30 in New York.
        make_order(store=store, channel="store", placed_at=datetime(2026, 10, 24, 22, 30, tzinfo=UTC), total="10.00")
        make_order(store=store, channel="web", placed_at=datetime(2026, 10, 25, 23, 30, tzinfo=UTC), total="20.00")
    return made


EXPECTED = {
    (SUN, "WAW-01"): 10, (MON, "WAW-01"): 20,
    (SUN, "ROM-01"): 10, (MON, "ROM-01"): 20,
    (SAT, "LON-01"): 10, (SUN, "LON-01"): 20,
    (SAT, "NYC-01"): 10, (SUN, "NYC-01"): 20,
}  # fmt: skip


def per_store_day(rows) -> dict:
    return {(r["period"], r["store"]): int(r["net"]) for r in rows}


def test_each_stores_days_live_and_cached_agree_across_the_clock_change(stores):
    chosen = tuple(sorted(s.pk for s in stores.values()))
    live = selectors.sales_series(Period(start=SAT, end=MON, store_ids=chosen), by="store", grain="day")
    cached = selectors.sales_series(Period(start=SAT, end=MON), by="store", grain="day")  # head office, by day
    assert per_store_day(live) == per_store_day(cached) == EXPECTED


def test_a_managers_sunday_is_their_stores_sunday(stores):
    for code, net in (("WAW-01", 10), ("ROM-01", 10), ("LON-01", 20), ("NYC-01", 20)):
        sunday = selectors.sales_overview(Period(start=SUN, end=SUN, store_ids=(stores[code].pk,)))[1]
        assert [(r["store"], int(r["net"])) for r in sunday] == [(code, net)], code
