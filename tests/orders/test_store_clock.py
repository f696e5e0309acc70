"""Each store on its own clock: the pick-up queue, receipts and the reminder on the timeline show
times in the store's time zone; two stores (London, New York) around midnight UTC."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from customers.models import Interaction
from inventory import services as inventory
from orders.models import Fulfillment, Order
from orders.services import hand_over_pickup, mark_ready, scan_pick, send_pickup_reminder
from retail.models import StoreMembership
from tests.factories import MembershipFactory, StoreFactory

pytestmark = pytest.mark.django_db

MIDNIGHT_UTC = datetime(2026, 12, 4, 0, 30, tzinfo=UTC)  # Friday 00:30 in London, Thursday 19:30 in New York


@pytest.fixture
def new_york(db, shirt):
    store = StoreFactory(
        code="NYC-01", name="SoHo", city="New York", time_zone="America/New_York", latitude="40.72", longitude="-74.0"
    )
    inventory.receive_stock(location=store, lines=[(shirt, 10)], reference="PO-NY")
    return store


@pytest.fixture
def new_york_associate(new_york):
    return MembershipFactory(store=new_york, role=StoreMembership.Role.ASSOCIATE).user


def placed_at_midnight_utc(order: Order) -> Order:
    Order.objects.filter(pk=order.pk).update(placed_at=MIDNIGHT_UTC)
    Fulfillment.objects.filter(order=order).update(created_at=MIDNIGHT_UTC)
    return order


def collected(order: Order, *, store, associate) -> Fulfillment:
    fulfillment = Fulfillment.objects.get(order=order)
    scan_pick(fulfillment=fulfillment, code="SHIRT-M", actor=associate, store=store)
    fulfillment = mark_ready(fulfillment=fulfillment, actor=associate, store=store)
    fulfillment = hand_over_pickup(
        fulfillment=fulfillment,
        actor=associate,
        store=store,
        verification="code",
        proof=fulfillment.pickup_code,
        collected_by_name="",
    )
    Fulfillment.objects.filter(pk=fulfillment.pk).update(closed_at=MIDNIGHT_UTC + timedelta(minutes=5))
    return fulfillment


def test_a_time_zone_name_that_does_not_exist_is_refused(store):
    store.time_zone = "Europe/Londn"
    with pytest.raises(ValidationError) as err:
        store.full_clean()
    assert "time_zone" in err.value.message_dict
    store.time_zone = "America/New_York"
    store.full_clean()


def test_the_pickup_queue_shows_each_stores_own_clock(
    client, place_pickup, shirt, store, associate, new_york, new_york_associate
):
    # given an order waiting in London and one in New York, both placed at 00:30 UTC
    london_order = placed_at_midnight_utc(place_pickup([("SHIRT-M", 1)]))
    new_york_order = placed_at_midnight_utc(place_pickup([("SHIRT-M", 1)], at=new_york))
    # when each store's associate opens the queue
    client.force_login(associate)
    london = client.get("/portal/orders/pickups/?tab=to_pick").content.decode()
    client.force_login(new_york_associate)
    new_york_page = client.get("/portal/orders/pickups/?tab=to_pick").content.decode()
    # then each sees the time on their own clock: Friday after midnight, Thursday evening
    assert london_order.number in london and "Fri 4 Dec, 00:30" in london
    assert new_york_order.number in new_york_page and "Thu 3 Dec, 19:30" in new_york_page
    assert "00:30" not in new_york_page


def test_receipts_are_on_the_clock_of_the_store_that_sold(
    client, place_pickup, shirt, store, associate, new_york, new_york_associate
):
    london_order = placed_at_midnight_utc(place_pickup([("SHIRT-M", 1)]))
    new_york_order = placed_at_midnight_utc(place_pickup([("SHIRT-M", 1)], at=new_york))
    collected(london_order, store=store, associate=associate)
    collected(new_york_order, store=new_york, associate=new_york_associate)
    client.force_login(associate)
    london = client.get(f"/portal/orders/{london_order.number}/receipt/").content.decode()
    client.force_login(new_york_associate)
    new_york_receipt = client.get(f"/portal/orders/{new_york_order.number}/receipt/").content.decode()
    assert "4 Dec 2026, 00:30 GMT" in london and "on 4 Dec 2026, 00:35 GMT" in london
    assert "3 Dec 2026, 19:30 EST" in new_york_receipt and "on 3 Dec 2026, 19:35 EST" in new_york_receipt


def test_the_reminder_on_the_timeline_says_the_pickup_stores_time(
    place_pickup, shirt, new_york, new_york_associate, shopper
):
    order = place_pickup([("SHIRT-M", 1)], at=new_york)
    fulfillment = Fulfillment.objects.get(order=order)
    scan_pick(fulfillment=fulfillment, code="SHIRT-M", actor=new_york_associate, store=new_york)
    fulfillment = mark_ready(fulfillment=fulfillment, actor=new_york_associate, store=new_york)
    Fulfillment.objects.filter(pk=fulfillment.pk).update(hold_until=MIDNIGHT_UTC)
    assert send_pickup_reminder(fulfillment=fulfillment, now=MIDNIGHT_UTC - timedelta(hours=2))
    entry = Interaction.objects.get(customer=shopper, subject__startswith="Reminder")
    assert entry.subject.endswith("until 3 December 19:30")
