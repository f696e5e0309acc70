"""The dashboard's "today" tile: the store's numbers since its local midnight, in two queries."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from customers.models import Task
from insights.portal.tiles import store_day
from insights.selectors import store_today
from inventory.models import StockLevel
from orders.models import Fulfillment, Order
from tests.customers.factories import CustomerFactory
from tests.insights.conftest import make_order, make_return
from tests.inventory.factories import VariantFactory

pytestmark = pytest.mark.django_db


def today_numbers(store):
    since, until, today = store_day(store)
    return store_today(store=store, since=since, until=until, today=today, low_stock_threshold=3)


def fill_today(store, other_store, *, extra: int = 0):
    since, until, today = store_day(store)
    now = timezone.now()
    variant = VariantFactory()
    customer = CustomerFactory()
    make_order(store=store, channel="app", placed_at=now, total="10.00", variant=variant)
    make_order(store=store, channel="store", placed_at=now, total="15.00", variant=variant)
    make_order(
        store=store, channel="store", placed_at=now, total="99.00", status=Order.Status.CANCELLED, variant=variant
    )
    make_order(store=store, channel="web", placed_at=since - timedelta(minutes=1), total="50.00", variant=variant)
    make_order(store=other_store, channel="web", placed_at=now, total="70.00", variant=variant)
    make_order(
        store=store,
        channel="web",
        placed_at=now,
        total="5.00",
        kind="pickup",
        variant=variant,
        fulfillment_status=Fulfillment.Status.READY,
        ready_at=until - timedelta(minutes=1),
    )
    make_order(
        store=store,
        channel="app",
        placed_at=now,
        total="6.00",
        kind="pickup",
        variant=variant,
        fulfillment_status=Fulfillment.Status.PLACED,
    )
    make_return(
        store=store, received_at=now, lines=[("wrong_size", 1, "5.00")], refund_method="original", refund_total="5.00"
    )
    for due in (today, today + timedelta(days=1)):
        Task.objects.create(customer=customer, store=store, kind="call", title="Call", due_on=due, created_at=now)
    StockLevel.objects.create(variant=variant, location=store, on_hand=2)
    StockLevel.objects.create(variant=VariantFactory(), location=store, on_hand=10)
    for _ in range(extra):
        make_order(store=store, channel="kiosk", placed_at=now, total="1.00", variant=variant)
        StockLevel.objects.create(variant=VariantFactory(), location=store, on_hand=1)


def test_todays_numbers_for_the_store(store, other_store):
    # given
    fill_today(store, other_store)
    # when
    numbers = today_numbers(store)
    # then: 10 + 15 + 5 + 6 today, the cancelled, yesterday's and Manchester's left out
    assert [(c["channel"], c["orders"], str(c["sales"])) for c in numbers["by_channel"]] == [
        ("app", 2, "16.00"),
        ("store", 1, "15.00"),
        ("web", 1, "5.00"),
    ]
    assert (str(numbers["sales"]), numbers["orders"]) == ("36.00", 4)
    assert (numbers["pickups_open"], numbers["pickups_expiring"]) == (2, 1)
    assert (numbers["returns_received"], numbers["tasks_due"], numbers["low_stock"]) == (1, 1, 1)


def test_the_tile_costs_two_queries_however_much_happened(store, other_store, django_assert_num_queries):
    # given
    fill_today(store, other_store)
    with django_assert_num_queries(2):
        today_numbers(store)
    # when
    fill_today(store, other_store, extra=30)
    # then
    with django_assert_num_queries(2):
        numbers = today_numbers(store)
    assert numbers["low_stock"] == 2 + 30


def test_the_dashboard_shows_the_tile(associate_client, store, other_store):
    # given
    fill_today(store, other_store)
    # when
    html = associate_client.get("/portal/").content.decode()
    # then
    assert "Today ·" in html
    assert re.search(r'data-kpi="returns_received">1<', html)
    assert re.search(r'data-kpi="tasks_due">1<', html)
    assert "Open insights" not in html  # associates cannot open the insights page


def test_a_day_is_the_stores_own_day(store):
    # given: a store in New York; 03:30 UTC is still the evening before there
    store.time_zone = "America/New_York"
    now = datetime(2026, 11, 23, 3, 30, tzinfo=UTC)
    # when
    since, until, today = store_day(store, now=now)
    # then
    assert str(today) == "2026-11-22"
    assert since.astimezone(UTC).hour == 5 and until - since == timedelta(days=1)
