"""Head office's day-by-day sales: past days cached (recounted by beat), today counted live."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from insights import selectors
from insights.filters import Period, default_period
from insights.tasks import refresh_sales_days
from tests.insights.conftest import make_order, october

pytestmark = pytest.mark.django_db

D = Decimal


def noon(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(12)))


def test_cached_days_give_the_figures_counted_live(chain, django_assert_num_queries):
    # given: October counted once (every store, by day: cached)
    cold = selectors.sales_overview(october())
    cold_stores = selectors.sales_series(october(), by="store")
    # when: read again, and counted live the old way (both stores chosen: not the cached path)
    with django_assert_num_queries(0):
        warm = selectors.sales_overview(october())
        warm_stores = selectors.sales_series(october(), by="store")
    live = selectors.sales_overview(october(store_ids=tuple(sorted((chain.lon.pk, chain.man.pk)))))
    live_stores = selectors.sales_series(october(store_ids=(chain.lon.pk, chain.man.pk)), by="store")
    # then: the same rows, and the hand-computed store totals (LON 5 orders 210 net, MAN 2 orders 40)
    assert cold == warm == live
    assert cold_stores == warm_stores == live_stores
    assert [(r["store"], r["orders"], r["net"]) for r in cold[1]] == [
        ("LON-01", 5, D("210.00")),
        ("MAN-01", 2, D("40.00")),
    ]


def test_past_days_show_their_count_until_recounted_and_today_is_live(chain, django_assert_num_queries):
    # given: head office's default period with a sale yesterday and one today, counted once
    period = default_period()
    today = timezone.localdate()
    yesterday = today - timedelta(days=1)
    make_order(store=chain.lon, channel="web", placed_at=noon(yesterday), total="10.00")
    make_order(store=chain.lon, channel="web", placed_at=noon(today), total="5.00")
    first, first_as_of = selectors.sales_days(period)
    assert first_as_of is None  # nothing was cached: everything counted live
    assert first[yesterday]["channel"][("web", "EUR")] == (1, D("10.00"), D("0.00"), D("0.00"), D("0.00"))
    # when: one more sale on each day, read again
    make_order(store=chain.man, channel="web", placed_at=noon(yesterday), total="20.00")
    make_order(store=chain.man, channel="app", placed_at=noon(today), total="7.00")
    with django_assert_num_queries(1):  # today only
        second, as_of = selectors.sales_days(period)
    # then: yesterday as counted before (and says when), today with the new sale
    assert as_of is not None and as_of <= timezone.now()
    assert second[yesterday]["channel"] == {("web", "EUR"): (1, D("10.00"), D("0.00"), D("0.00"), D("0.00"))}
    assert second[today]["channel"] == {
        ("app", "EUR"): (1, D("7.00"), D("0.00"), D("0.00"), D("0.00")),
        ("web", "EUR"): (1, D("5.00"), D("0.00"), D("0.00"), D("0.00")),
    }
    assert second[today]["store"] == {
        ("LON-01", "EUR"): (1, D("5.00"), D("0.00"), D("0.00"), D("0.00")),
        ("MAN-01", "EUR"): (1, D("7.00"), D("0.00"), D("0.00"), D("0.00")),
    }
    # when: beat recounts the period's past days
    assert refresh_sales_days() == period.days - 1
    third, _ = selectors.sales_days(period)
    # then: yesterday's second sale is in
    assert third[yesterday]["channel"] == {("web", "EUR"): (2, D("30.00"), D("0.00"), D("0.00"), D("0.00"))}
    assert third[yesterday]["store"] == {
        ("LON-01", "EUR"): (1, D("10.00"), D("0.00"), D("0.00"), D("0.00")),
        ("MAN-01", "EUR"): (1, D("20.00"), D("0.00"), D("0.00"), D("0.00")),
    }
    assert period.start in third and third[period.start] == {
        "as_of": third[period.start]["as_of"],
        "channel": {},
        "store": {},
    }


def test_the_sales_page_says_when_past_days_were_counted(superuser_client, chain):
    # given: nothing cached: the page counts every day live and claims no count time
    cold = superuser_client.get("/portal/insights/?section=sales").content.decode()
    assert "data-sales-as-of" not in cold
    # when: the past days are now cached
    warm = superuser_client.get("/portal/insights/?section=sales").content.decode()
    # then
    assert "data-sales-as-of" in warm and "today's live" in warm


def test_a_managers_and_a_long_period_are_counted_live(chain, django_assert_num_queries):
    # given: a manager's store, and a 3-month head-office period (weeks)
    selectors.sales_overview(october(store_ids=(chain.lon.pk,)))
    # then: neither is cached, each counts in one query every time
    with django_assert_num_queries(1):
        lon = selectors.sales_overview(october(store_ids=(chain.lon.pk,)))
    assert [(r["store"], r["net"]) for r in lon[1]] == [("LON-01", D("210.00"))]
    quarter = october().__class__(start=october().start - timedelta(days=30), end=october().end + timedelta(days=30))
    for _ in range(2):
        with django_assert_num_queries(1):
            selectors.sales_overview(quarter)


def test_one_days_count_probes_each_orders_refunds_and_agrees_with_the_month(chain):
    # given: October by day (refunded returns joined as their own part)
    month = selectors.sales_series(october(store_ids=(chain.lon.pk, chain.man.pk)), by="store", grain="day")
    # when: each day counted on its own (refunds probed per order)
    days = []
    for i in range(31):
        day = october().start + timedelta(days=i)
        days += selectors.sales_series(Period(start=day, end=day, store_ids=(chain.lon.pk, chain.man.pk)), by="store")
    # then: the same rows; London on the 6th: the web order's 40 short-picked and 30 refunded
    assert days == month
    lon_6th = next(r for r in days if r["period"] == date(2026, 10, 6) and r["store"] == "LON-01")
    assert (lon_6th["short_picked"], lon_6th["refunds"]) == (D("40.00"), D("30.00"))
    assert sum(r["refunds"] for r in days) == D("90.00")  # 30 web + 60 store
