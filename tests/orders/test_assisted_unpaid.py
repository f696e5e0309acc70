"""Issue 18 (B): an assisted order is not handed over or shipped until it is paid, at the till or by link."""

import pytest
from django.urls import reverse

from inventory import services as inventory
from orders.errors import OrderError
from orders.models import Fulfillment, PaymentRequest
from orders.services import hand_over_pickup, mark_ready, scan_pick, ship_fulfillment
from orders.services.assisted import pay_by_link
from retail.models import AuditEvent
from retail.services import issue_pos_device
from tests.factories import MembershipFactory
from tests.orders.test_assisted import dress, place  # noqa: F401 — the dress Manchester has and ships

COUNTER = reverse("orders_portal:counter")


@pytest.fixture
def dress_here(store, dress):  # noqa: F811
    inventory.receive_stock(location=store, lines=[(dress, 1)], reference="PO-4")
    return dress


def _ready(fulfillment, associate, store):
    scan_pick(fulfillment=fulfillment, code="DRESS-S", actor=associate, store=store)
    return mark_ready(fulfillment=fulfillment, actor=associate, store=store)


def test_a_reserved_order_waiting_for_the_till_is_not_handed_over_until_the_receipt_settles_it(
    associate, associate_client, store, shopper, dress_here, api_client
):
    # given an order reserved here, paid at the till, picked and ready
    order, _ = place(associate, store, shopper, deliver="reserve", payment="till")
    f = _ready(order.fulfillments.get(), associate, store)
    # when the associate looks it up at the counter
    page = associate_client.get(COUNTER, {"q": order.number}).content.decode()
    # then the counter says it is not paid and how it gets paid
    assert "Not paid yet" in page and "at the till" in page and "Paid when ordered" not in page
    # when they hand it over anyway (the service, and the portal's form)
    with pytest.raises(OrderError) as caught:
        hand_over_pickup(fulfillment=f, actor=associate, store=store, verification="code", collected_by_name="",
                         proof=f.pickup_code)  # fmt: skip
    answer = associate_client.post(
        reverse("orders_portal:hand-over", args=[f.pk]),
        {"verification": "code", "proof": f.pickup_code, "collected_by": "shopper"},
        follow=True,
    )
    # then both are refused with a code and a sentence saying what to do; nothing moved
    assert (caught.value.code, caught.value.status) == ("not_paid", 409)
    assert caught.value.extra == {"payment": "till", "payment_status": "pending", "due": "80.00"}
    assert "is not paid: the shopper pays 80.00 at the till" in caught.value.message
    assert "cannot be handed over until it is" in answer.content.decode()
    f.refresh_from_db()
    assert f.status == Fulfillment.Status.READY
    assert not AuditEvent.objects.filter(action="pickup.handed_over").exists()
    # when the till's receipt settles it
    _, token = issue_pos_device(store=store, name="Till 1")
    api_client.credentials(HTTP_AUTHORIZATION=f"Device {token}")
    settled = api_client.post("/api/v1/pos/sales/", {"receipt_number": "R-77", "settles": order.number,
                              "tenders": [{"method": "cash", "amount": "80.00"}]}, format="json")  # fmt: skip
    assert settled.status_code == 201
    # then the counter hands it over
    done = associate_client.post(
        reverse("orders_portal:hand-over", args=[f.pk]),
        {"verification": "code", "proof": f.pickup_code, "collected_by": "shopper"},
    )
    assert done.status_code == 302
    f.refresh_from_db()
    assert f.status == Fulfillment.Status.COLLECTED


def test_a_shipment_waits_for_the_pay_by_link(associate, store, other_store, shopper, dress, client):  # noqa: F811
    # given a ship order from Manchester with a pay-by-link not yet paid, every unit picked there
    order, _ = place(associate, store, shopper, deliver="ship", payment="link")
    f = order.fulfillments.get()
    assert f.location == other_store
    packer = MembershipFactory(store=other_store).user
    scan_pick(fulfillment=f, code="DRESS-S", actor=packer, store=other_store)
    # when Manchester ships it (service, and the pick list's Ship button)
    with pytest.raises(OrderError) as caught:
        ship_fulfillment(fulfillment=f, actor=packer, store=other_store, tracking_number="TRK1")
    client.force_login(packer)
    sheet = client.get(reverse("orders_portal:pick", args=[f.pk])).content.decode()
    assert "Not paid yet" in sheet and "ships only once paid" in sheet
    page = client.post(reverse("orders_portal:pick-action", args=[f.pk, "ship"]), {"tracking": "TRK1"}, follow=True)
    # then it is refused: the link is not paid
    assert caught.value.code == "not_paid"
    assert "pay-by-link for 80.00 sent to the shopper is not paid yet" in page.content.decode()
    f.refresh_from_db()
    assert f.status == Fulfillment.Status.PICKING
    # when the shopper pays the link
    pay_by_link(token=PaymentRequest.objects.get(order=order).token, card_token="tok_visa_4242")
    # then it ships, and the card is captured as it leaves
    ship_fulfillment(fulfillment=f, actor=packer, store=other_store, tracking_number="TRK1")
    f.refresh_from_db()
    order.refresh_from_db()
    assert f.status == Fulfillment.Status.SHIPPED and order.status == "completed"
    assert order.payments.get().status == "captured"


def test_an_expired_order_says_it_was_not_paid_in_time(associate, store, shopper, dress_here):
    order, _ = place(associate, store, shopper, deliver="reserve", payment="link")
    f = _ready(order.fulfillments.get(), associate, store)
    PaymentRequest.objects.filter(order=order).update(status="expired")  # the pick-up's own expiry ends it
    with pytest.raises(OrderError) as caught:
        hand_over_pickup(fulfillment=f, actor=associate, store=store, verification="code", collected_by_name="",
                         proof=f.pickup_code)  # fmt: skip
    assert caught.value.code == "not_paid" and "not paid in time" in caught.value.message


def test_orders_paid_when_placed_are_handed_over_as_before(associate, store, shopper, place_pickup, shirt):
    # an app order (no payment request) is not held back by the rule
    order = place_pickup([("SHIRT-M", 1)])
    f = order.fulfillments.get()
    scan_pick(fulfillment=f, code="SHIRT-M", actor=associate, store=store)
    mark_ready(fulfillment=f, actor=associate, store=store)
    f.refresh_from_db()
    hand_over_pickup(fulfillment=f, actor=associate, store=store, verification="code", collected_by_name="",
                     proof=f.pickup_code)  # fmt: skip
    f.refresh_from_db()
    assert f.status == Fulfillment.Status.COLLECTED
