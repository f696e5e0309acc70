"""Each store on its own calendar (issue 19.5), with stores in Warsaw, Rome, London and New York
around midnight and the clock changes of autumn 2026 (Europe on 25 October, the United States on
1 November): a pick-up's hold ends at the store's closing time on its own day, whatever the change
in between; the ready and reminder messages, the shopper's panels and the gift card's last day read
on the clock of the store concerned."""

from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from customers.services.giftcards import CODE_TOPIC as GIFT_CARD_CODE_TOPIC
from customers.services.giftcards import issue_gift_card
from orders.handlers import message_context
from orders.models import Fulfillment
from orders.notifications import RecordingAdapter
from orders.selectors import customer_orders_panel
from orders.services import mark_ready, scan_pick
from orders.services._transitions import hold_ends
from retail.models import OutboxMessage
from retail.outbox import deliver_outbox_message
from tests.factories import StoreFactory

pytestmark = pytest.mark.django_db

WEEK = {day: ["10:00", "21:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat")}


def utc(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def local(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime("%a %d %b %H:%M %Z")


def test_a_hold_ends_at_closing_time_on_the_stores_own_day_across_the_clock_change():
    warsaw = StoreFactory(code="WAW-01", time_zone="Europe/Warsaw", opening_hours={**WEEK, "sun": None})
    rome = StoreFactory(code="ROM-01", time_zone="Europe/Rome", opening_hours={**WEEK, "sun": None},
                        pickup_hold_days=7)  # fmt: skip
    london = StoreFactory(code="LON-01", time_zone="Europe/London")  # no opening hours
    new_york = StoreFactory(code="NYC-01", time_zone="America/New_York")
    # Warsaw, ready Thursday 22 Oct 10:00 (summer time): held until Thursday 29 Oct 21:00 (winter time);
    # a week of UTC hours would have ended at 09:00 Warsaw's time
    ends = hold_ends(warsaw, utc(10, 22, 8))
    assert local(ends, "Europe/Warsaw") == "Thu 29 Oct 21:00 CET" and ends == utc(10, 29, 20)
    # Rome, ready Sunday 18 Oct at 00:30 (Saturday 22:30 UTC): its seventh day is a Sunday, closed, so Monday
    assert local(hold_ends(rome, utc(10, 17, 22, 30)), "Europe/Rome") == "Mon 26 Oct 21:00 CET"
    # London, ready at 23:30 on Saturday 24 Oct (22:30 UTC, summer time): the end of Saturday 31 Oct
    assert local(hold_ends(london, utc(10, 24, 22, 30)), "Europe/London") == "Sat 31 Oct 23:59 GMT"
    # New York, ready Thursday 29 Oct 22:00 (02:00 UTC on Friday): a New York Thursday, so the
    # following Thursday's end, after its own clock change
    ends = hold_ends(new_york, utc(10, 30, 2))
    assert local(ends, "America/New_York") == "Thu 05 Nov 23:59 EST" and ends == utc(11, 6, 4, 59)


def test_mark_ready_holds_until_warsaws_closing_and_the_messages_say_it_on_its_clock(
    monkeypatch, place_pickup, shirt, shopper
):
    # given a pick-up at the Warsaw store, marked ready on Thursday 22 Oct at 10:00 Warsaw time
    warsaw = StoreFactory(code="WAW-01", name="Warszawa", city="Warszawa", time_zone="Europe/Warsaw",
                          opening_hours={**WEEK, "sun": None})  # fmt: skip
    from inventory import services as inventory
    from tests.factories import MembershipFactory

    inventory.receive_stock(location=warsaw, lines=[(shirt, 5)], reference="PO-WAW")
    associate = MembershipFactory(store=warsaw).user
    fulfillment = Fulfillment.objects.get(order=place_pickup([("SHIRT-M", 1)], at=warsaw))
    scan_pick(fulfillment=fulfillment, code="SHIRT-M", actor=associate, store=warsaw)
    import orders.services.pickups as pickups

    monkeypatch.setattr(pickups, "timezone", SimpleNamespace(now=lambda: utc(10, 22, 8)))
    # when
    fulfillment = mark_ready(fulfillment=fulfillment, actor=associate, store=warsaw)
    # then the hold ends at closing time a week later, on Warsaw's winter clock
    assert fulfillment.hold_until == utc(10, 29, 20)
    context = message_context(order=fulfillment.order, fulfillment=fulfillment, kind="reminder")
    assert context["hold"] == "Thu 29 Oct, 21:00"
    # and the shopper's panel reads "until" on the pick-up store's clock, the order's day on the seller's
    panel = customer_orders_panel(customer_id=shopper.pk)
    pickup = next(p for p in panel["pickups"] if p["id"] == fulfillment.pk)
    assert pickup["location_zone"] == ZoneInfo("Europe/Warsaw")
    assert panel["orders"][0]["store_zone"] == ZoneInfo("Europe/Warsaw")


def test_the_pickups_panel_shows_the_hold_on_the_pickup_stores_clock(client, place_pickup, shirt, shopper, store,
                                                                    associate):  # fmt: skip
    # given a New York pick-up of the shopper, held until 04:59 UTC (23:59 in New York)
    new_york = StoreFactory(code="NYC-01", name="SoHo", time_zone="America/New_York")
    from inventory import services as inventory

    inventory.receive_stock(location=new_york, lines=[(shirt, 5)], reference="PO-NY")
    order = place_pickup([("SHIRT-M", 1)], at=new_york)
    Fulfillment.objects.filter(order=order).update(status="ready", hold_until=utc(11, 6, 4, 59))
    # when a London associate opens the shopper's pick-ups
    client.force_login(associate)
    html = client.get(f"/portal/orders/customer/{shopper.pk}/pickups/").content.decode()
    # then New York's evening, not London's early morning
    assert "until 5 Nov 23:59" in html and "04:59" not in html


def test_the_gift_cards_last_day_is_on_the_clock_of_the_store_that_sold_it(settings):
    settings.ORDERS_EMAIL_ADAPTER = "orders.notifications.RecordingAdapter"
    RecordingAdapter.reset()
    new_york = StoreFactory(code="NYC-01", time_zone="America/New_York")
    issued = issue_gift_card(amount=Decimal("50.00"), source="sold", channel="store", store=new_york,
                             reference="GC-NY-1", send_to="friend@example.com")  # fmt: skip
    # expiring at 02:00 UTC on 5 Dec 2029: still the 4th in New York
    type(issued.card).objects.filter(pk=issued.card.pk).update(expires_at=datetime(2029, 12, 5, 2, tzinfo=UTC))
    message = OutboxMessage.objects.get(topic=GIFT_CARD_CODE_TOPIC)
    deliver_outbox_message(message_id=message.pk)
    assert "valid until 4 December 2029" in RecordingAdapter.sent[-1].body
