"""Days on each store's own clock: a London and a New York store around midnight UTC. An order at
00:30 UTC on Friday 13 November is a Friday sale in London and a Thursday sale in New York, in
every figure, whoever looks (head office over all stores, cached by day; a manager; a CSV)."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from insights import selectors
from insights.filters import Period
from orders.returns.models import Reason
from tests.factories import StoreFactory
from tests.insights.conftest import make_order, make_return

pytestmark = pytest.mark.django_db

THU, FRI = date(2026, 11, 12), date(2026, 11, 13)


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def stores(db):
    london = StoreFactory(code="LON-01", name="Covent Garden")  # the chain's clock (settings.TIME_ZONE)
    new_york = StoreFactory(code="NYC-01", name="SoHo", city="New York", time_zone="America/New_York")
    # London: one sale at 00:30 UTC on the 13th (its Friday). New York: 00:30 and 04:59 UTC on the 13th
    # (its Thursday evening) and 05:00 UTC (its Friday midnight).
    make_order(store=london, channel="store", placed_at=utc(13, 0, 30), total="10.00", kind="pickup")
    make_order(store=new_york, channel="store", placed_at=utc(13, 0, 30), total="20.00", kind="pickup")
    make_order(store=new_york, channel="web", placed_at=utc(13, 4, 59), total="30.00")
    make_order(store=new_york, channel="web", placed_at=utc(13, 5, 0), total="40.00")
    return london, new_york


def per_store_day(rows) -> dict:
    return {(r["period"], r["store"]): (r["orders"], r["net"]) for r in rows}


def test_each_sale_falls_on_its_stores_day(stores):
    london, new_york = stores
    both = (london.pk, new_york.pk)
    rows = selectors.sales_series(Period(start=THU, end=FRI, store_ids=both), by="store", grain="day")
    assert per_store_day(rows) == {
        (THU, "NYC-01"): (2, Decimal("50.00")),
        (FRI, "LON-01"): (1, Decimal("10.00")),
        (FRI, "NYC-01"): (1, Decimal("40.00")),
    }


def test_head_office_days_cached_or_live_agree_with_the_stores_clocks(stores, django_assert_num_queries):
    # given head office's Thursday, every store (the cached per-day path)
    thursday = Period(start=THU, end=THU)
    by_channel, by_store = selectors.sales_overview(thursday)
    # then only New York's Thursday evening is in it
    assert [(r["store"], r["orders"], r["net"]) for r in by_store] == [("NYC-01", 2, Decimal("50.00"))]
    # and read again it comes from the cache, the same
    with django_assert_num_queries(0):
        assert selectors.sales_overview(Period(start=THU, end=THU)) == (by_channel, by_store)
    # and Friday holds London's 00:30 and New York's midnight
    friday = selectors.sales_overview(Period(start=FRI, end=FRI))[1]
    assert [(r["store"], r["orders"]) for r in friday] == [("LON-01", 1), ("NYC-01", 1)]


def test_a_managers_period_and_the_week_use_the_stores_clock(stores):
    _london, new_york = stores
    friday = selectors.sales_overview(Period(start=FRI, end=FRI, store_ids=(new_york.pk,)))[1]
    assert [(r["store"], r["orders"], r["net"]) for r in friday] == [("NYC-01", 1, Decimal("40.00"))]
    # a week (Monday 9 Nov) holds all four; the month grain too
    week = selectors.sales_series(Period(start=THU, end=FRI), by="store", grain="week")
    assert {(r["period"], r["store"], r["orders"]) for r in week} == {
        (date(2026, 11, 9), "LON-01", 1),
        (date(2026, 11, 9), "NYC-01", 3),
    }
    month = selectors.sales_series(Period(start=THU, end=FRI), by="channel", grain="month")
    assert {r["period"] for r in month} == {date(2026, 11, 1)}


def test_pickups_returns_and_customers_count_on_the_stores_day(stores):
    london, new_york = stores
    make_return(
        store=new_york,
        received_at=utc(13, 1),
        lines=[(Reason.WRONG_SIZE, 1, "20.00")],
        refund_total="20.00",
        refund_method="store_credit",
    )
    make_return(
        store=london,
        received_at=utc(13, 1),
        lines=[(Reason.WRONG_SIZE, 2, "10.00")],
        refund_total="10.00",
        refund_method="store_credit",
    )
    thursday = Period(start=THU, end=THU)
    assert [(r["store"], r["pickups"]) for r in selectors.bopis_by_store(thursday)] == [("NYC-01", 1)]
    assert [(r["reason"], r["units"]) for r in selectors.returns_by_reason(thursday)] == [("wrong_size", 1)]
    assert selectors.units_sold(thursday) == 2
    friday = Period(start=FRI, end=FRI)
    assert [(r["store"], r["pickups"]) for r in selectors.bopis_by_store(friday)] == [("LON-01", 1)]
    assert [(r["reason"], r["units"]) for r in selectors.returns_by_reason(friday)] == [("wrong_size", 2)]


def test_a_store_moved_to_another_zone_is_counted_on_its_new_clock_at_once(stores):
    london, _new_york = stores
    before = selectors.sales_series(Period(start=THU, end=FRI, store_ids=(london.pk,)), by="store", grain="day")
    assert [(r["period"], r["orders"]) for r in before] == [(FRI, 1)]
    # when London's store is set to New York's clock (saved as the admin saves it)
    london.time_zone = "America/New_York"
    london.save()
    after = selectors.sales_series(Period(start=THU, end=FRI, store_ids=(london.pk,)), by="store", grain="day")
    assert [(r["period"], r["orders"]) for r in after] == [(THU, 1)]


def test_a_day_is_past_once_it_is_over_in_every_store(stores):
    # at 00:30 UTC on the 13th London's Thursday is over, New York's is not
    assert Period(start=THU, end=FRI).today_everywhere(now=utc(13, 0, 30)) == THU
    london, _ = stores
    assert Period(start=THU, end=FRI, store_ids=(london.pk,)).today_everywhere(now=utc(13, 0, 30)) == FRI
    assert Period(start=THU, end=FRI).today_everywhere(now=utc(13, 5)) == FRI
    assert Period(start=THU, end=FRI).today_everywhere(now=utc(13, 4, 59)) == THU
