"""The click-and-collect promise (issue 19.4): picking takes the store's picking time out of its
opening hours, on its own clock; across closing time, the weekend, time zones and a clock change."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from retail.models import Store
from retail.promise import collect_promise, describe_promise, promise_for

WEEK = {day: ["09:00", "18:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat")} | {"sun": None}
LONDON, ROME = ZoneInfo("Europe/London"), ZoneInfo("Europe/Rome")


def shop(zone="Europe/London", hours=WEEK, picking=120) -> Store:
    return Store(code="S", name="Shop", market_id=1, time_zone=zone, opening_hours=hours, picking_minutes=picking)


def at(zone, *args) -> datetime:
    return datetime(*args, tzinfo=zone)


# Wednesday 2 December 2026; Saturday the 5th, Sunday the 6th, Monday the 7th.
@pytest.mark.parametrize(
    ("placed", "ready", "label"),
    [
        (at(LONDON, 2026, 12, 2, 10, 0), at(LONDON, 2026, 12, 2, 12, 0), "Ready in about 2 hours"),
        (at(LONDON, 2026, 12, 2, 10, 2), at(LONDON, 2026, 12, 2, 12, 5), "Ready in about 2 hours"),  # 5-minute steps
        (at(LONDON, 2026, 12, 2, 16, 0), at(LONDON, 2026, 12, 2, 18, 0), "Ready in about 2 hours"),  # at closing
        # an hour before closing: one hour today, the other after tomorrow's opening
        (at(LONDON, 2026, 12, 2, 17, 0), at(LONDON, 2026, 12, 3, 10, 0), "Ready tomorrow from 10:00"),
        (at(LONDON, 2026, 12, 2, 19, 30), at(LONDON, 2026, 12, 3, 11, 0), "Ready tomorrow from 11:00"),  # closed
        (at(LONDON, 2026, 12, 2, 7, 0), at(LONDON, 2026, 12, 2, 11, 0), "Ready in about 4 hours"),  # before opening
        (at(LONDON, 2026, 12, 2, 5, 0), at(LONDON, 2026, 12, 2, 11, 0), "Ready today from 11:00"),
        # Saturday late: half an hour Saturday, closed Sunday, done Monday
        (at(LONDON, 2026, 12, 5, 17, 30), at(LONDON, 2026, 12, 7, 10, 30), "Ready on Monday from 10:30"),
        (at(LONDON, 2026, 12, 6, 12, 0), at(LONDON, 2026, 12, 7, 11, 0), "Ready tomorrow from 11:00"),
    ],
)
def test_picking_takes_the_picking_time_out_of_the_opening_hours(placed, ready, label):
    store = shop()
    with translation.override("en"):
        assert collect_promise(store, placed) == ready
        assert describe_promise(store, ready, now=placed) == label


def test_the_store_clock_decides_not_the_servers():
    # 16:30 UTC on Wednesday is 16:30 in London (90 minutes before closing) but 17:30 in Rome
    placed = datetime(2026, 12, 2, 16, 30, tzinfo=UTC)
    assert collect_promise(shop("Europe/London"), placed) == at(LONDON, 2026, 12, 3, 9, 30)
    assert collect_promise(shop("Europe/Rome"), placed) == at(ROME, 2026, 12, 3, 10, 30)
    # and the same Friday evening in New York is still a working afternoon
    friday = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)  # 15:00 in New York, 21:00 in Rome
    assert collect_promise(shop("America/New_York"), friday) == at(ZoneInfo("America/New_York"), 2026, 12, 4, 17, 0)
    assert collect_promise(shop("Europe/Rome"), friday) == at(ROME, 2026, 12, 5, 11, 0)


def test_a_clock_change_inside_the_picking_time_neither_adds_nor_loses_an_hour():
    # open round the clock; clocks go forward at 01:00 GMT on Sunday 29 March 2026
    always = {day: ["00:00", "24:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    placed = at(LONDON, 2026, 3, 29, 0, 30)  # GMT
    ready = collect_promise(shop(hours=always), placed)
    assert ready - placed == (ready.astimezone(UTC) - placed.astimezone(UTC))
    assert ready.astimezone(UTC) == datetime(2026, 3, 29, 2, 30, tzinfo=UTC)
    assert ready.astimezone(LONDON).strftime("%H:%M") == "03:30"  # BST on the wall


def test_a_store_closing_at_midnight_and_one_without_hours():
    late = {day: ["12:00", "00:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    assert collect_promise(shop(hours=late), at(LONDON, 2026, 12, 2, 23, 0)) == at(LONDON, 2026, 12, 3, 13, 0)
    # no hours set: taken as always open
    assert collect_promise(shop(hours={}), at(LONDON, 2026, 12, 6, 3, 0)) == at(LONDON, 2026, 12, 6, 5, 0)


def test_a_store_that_never_opens_or_has_unreadable_hours_promises_nothing():
    closed = dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
    assert collect_promise(shop(hours=closed), at(LONDON, 2026, 12, 2, 10, 0)) is None
    garbage = {"mon": ["nine", "six"], "tue": ["25:00", "26:00"], "wed": ["09:00"]}
    assert collect_promise(shop(hours=garbage), at(LONDON, 2026, 12, 2, 10, 0)) is None


def test_a_warehouse_or_a_store_without_pickup_promises_nothing():
    now = at(LONDON, 2026, 12, 2, 10, 0)
    warehouse = Store(code="W", name="W", market_id=1, kind="warehouse", pickup_enabled=False, opening_hours=WEEK)
    assert promise_for(warehouse, now=now) is None
    no_pickup = Store(code="N", name="N", market_id=1, pickup_enabled=False, opening_hours=WEEK)
    assert promise_for(no_pickup, now=now) is None
    promise = promise_for(shop(zone="Europe/Rome"), now=now)  # 11:00 in Rome
    assert promise.ready_at.isoformat() == "2026-12-02T13:00:00+01:00"


def test_the_promise_reads_in_the_shoppers_language():
    store, placed = shop(), at(LONDON, 2026, 12, 2, 17, 0)
    with translation.override("it"):
        assert describe_promise(store, collect_promise(store, placed), now=placed) == "Pronto domani dalle 10:00"


def test_a_promise_a_week_away_names_the_day_of_the_month_as_the_language_says_it():
    # a store open on Mondays only, asked on Monday 7 December after closing: the next opening is Monday
    # the 14th, a week away, so the promise names the date, its month in the genitive in Polish
    store = shop(hours={"mon": ["09:00", "18:00"]})
    placed = at(LONDON, 2026, 12, 7, 19, 0)
    ready = collect_promise(store, placed)
    assert ready == at(LONDON, 2026, 12, 14, 11, 0)
    with translation.override("pl"):
        assert "14 grudnia" in describe_promise(store, ready, now=placed)  # not "14 Grudzień"
    with translation.override("it"):
        assert "14 dicembre" in describe_promise(store, ready, now=placed).lower()  # Django capitalises it
    with translation.override("en"):
        assert describe_promise(store, ready, now=placed) == "Ready on 14 December from 11:00"
