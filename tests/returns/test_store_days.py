"""A return window is counted in the days of the store that sold (issue 19.5): the day an order was
bought and the day its return starts are read on that store's clock, wherever the shopper or the
server is (the API ran on the server's clock: a New York evening was already tomorrow)."""

from datetime import UTC, date, datetime

import pytest

from orders.models import Order
from orders.returns.services.facts import local_date
from tests.factories import StoreFactory


def sold_at(store) -> Order:
    return Order(store_id=store.pk)  # its store not read with it: the cached zones answer


pytestmark = pytest.mark.django_db


def test_the_days_of_a_return_window_are_the_selling_stores():
    new_york = StoreFactory(code="NYC-01", time_zone="America/New_York")
    warsaw = StoreFactory(code="WAW-01", time_zone="Europe/Warsaw")
    london = StoreFactory(code="LON-01", time_zone="Europe/London")
    bought = datetime(2026, 10, 1, 23, 30, tzinfo=UTC)  # 19:30 in New York, 00:30 the next day in London
    assert local_date(bought, sold_at(new_york)) == date(2026, 10, 1)
    assert local_date(bought, sold_at(london)) == date(2026, 10, 2)
    assert local_date(bought, sold_at(warsaw)) == date(2026, 10, 2)
    # thirty days on, after Europe's clock change and before New York's: still 30 days in New York
    today = datetime(2026, 10, 31, 23, 30, tzinfo=UTC)
    assert (local_date(today, sold_at(new_york)) - local_date(bought, sold_at(new_york))).days == 30
    assert (local_date(today, sold_at(london)) - local_date(bought, sold_at(london))).days == 29
    # a store moved to another zone is read on its new clock at once
    london.time_zone = "America/New_York"
    london.save()
    assert local_date(bought, sold_at(london)) == date(2026, 10, 1)
