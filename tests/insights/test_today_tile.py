"""The dashboard's "today" tile: the store's numbers since its local midnight, in two queries."""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from customers.models import Task
from insights.portal.tiles import store_day
from insights.selectors import store_today
from inventory.models import StockLevel
from orders.models import Fulfillment, Order
from tests.customers.factories import CustomerFactory
from tests.factories import MembershipFactory
from tests.insights.conftest import make_order, make_return
from tests.inventory.factories import VariantFactory

pytestmark = pytest.mark.django_db


def today_numbers(store):
    since, until, _ = store_day(store)
    return store_today(store=store, since=since, until=until)


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
    assert (numbers["sales"], numbers["orders"]) == ([{"currency": "EUR", "amount": Decimal("36.00")}], 4)
    assert (numbers["pickups_expiring"], numbers["returns_received"]) == (1, 1)


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
    assert numbers["orders"] == 2 * 4 + 30  # filled twice


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


def _kpi(html: str, name: str) -> int:
    return int(re.search(rf'data-kpi="{name}">(\d+)<', html).group(1))


def test_the_dashboard_tiles_and_the_queue_tabs_say_the_same_numbers(associate_client, associate, store, other_store):
    # given pick-ups in every state (one late to pick, one ready past its hold date, a curbside one),
    # tasks of the associate, of the store, of a colleague and for tomorrow, and some low stock
    now = timezone.now()
    S, K = Fulfillment.Status, Fulfillment.Kind
    pickups = [
        (K.PICKUP, S.PLACED, now, None), (K.PICKUP, S.PLACED, now - timedelta(hours=5), None),
        (K.CURBSIDE, S.PLACED, now, None), (K.PICKUP, S.PICKING, now, None),
        (K.PICKUP, S.READY, now, now + timedelta(days=2)), (K.CURBSIDE, S.READY, now, now + timedelta(days=1)),
        (K.PICKUP, S.READY, now - timedelta(days=4), now - timedelta(hours=1)),
        (K.PICKUP, S.COLLECTED, now, None), (K.SHIP, S.PLACED, now, None),
    ]  # fmt: skip
    for kind, status, placed, hold in pickups:
        make_order(store=store, channel="app", placed_at=placed, total="9.00", kind=kind,
                   status=Order.Status.OPEN, fulfillment_status=status, ready_at=hold)  # fmt: skip
    customer = CustomerFactory()
    _, _, today = store_day(store)
    colleague = MembershipFactory(store=store).user
    for assignee, due in ((None, today), (associate, today - timedelta(days=2)), (colleague, today),
                          (associate, today + timedelta(days=1))):  # fmt: skip
        Task.objects.create(
            customer=customer, store=store, kind="call", title="Call", due_on=due, assignee=assignee, created_at=now
        )
    for on_hand in (0, 2, 40):
        StockLevel.objects.create(variant=VariantFactory(), location=store, on_hand=on_hand)
    # when the associate opens the dashboard and the pick-up queue
    dashboard = associate_client.get("/portal/").content.decode()
    queue = associate_client.get("/portal/orders/pickups/").content.decode()
    # then the "today" tile, the pick-ups tile and the tabs agree: 7 waiting = 3 to pick + 1 picking + 3 ready
    tile = {
        tab: int(re.search(rf'tab={tab}"><span class="stat">(\d+)<', dashboard).group(1))
        for tab in ("to_pick", "picking", "ready", "overdue")
    }
    tabs = {tab: int(n) for tab, n in re.findall(r'href="\?tab=(\w+)"[^>]*>[^<]*<span class="tab-count">(\d+)<', queue)}
    assert (tile["to_pick"], tile["picking"], tile["ready"], tile["overdue"]) == (3, 1, 3, 2)
    assert {tab: tabs[tab] for tab in tile} == tile
    assert _kpi(dashboard, "pickups_open") == tabs["to_pick"] + tabs["picking"] + tabs["ready"] == 7
    assert "7 pick-ups waiting in all" in dashboard
    # and tasks due: the store's and the associate's, not a colleague's nor tomorrow's, in both tiles
    tasks_tile = int(re.search(r'<span class="stat">(\d+)</span> tasks? for you or the store', dashboard).group(1))
    assert _kpi(dashboard, "tasks_due") == tasks_tile == 2
    # and low stock (the fixture's SKUs at 0 and 2 units to sell, not the one at 40) in both tiles
    low_tile = int(re.search(r'<span class="stat">(\d+)</span> SKUs? with', dashboard).group(1))
    assert _kpi(dashboard, "low_stock") == low_tile == 2
