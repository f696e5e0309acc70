"""Assisted orders (issue 18, item 1): an associate sells what this store lacks, the shopper pays later."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from customers.models import Interaction
from customers.services.loyalty import assign_offer, earn_points
from insights.filters import Period
from insights.selectors import sales_by_seller
from inventory import services as inventory
from inventory.models import Reservation, StockLevel
from orders.errors import OrderError
from orders.models import Order, Payment, PaymentRequest
from orders.notifications import RecordingAdapter
from orders.services.assisted import AssistedBasket, pay_by_link, place_assisted_order
from orders.tasks import expire_payment_requests
from retail.models import AuditEvent, StoreMembership
from retail.services import issue_pos_device
from tests.customers.factories import OfferFactory
from tests.factories import MembershipFactory, StoreFactory
from tests.inventory.factories import VariantFactory
from tests.orders.test_tasks_and_notifications import deliver_pending

HOME = {"line1": "1 High Street", "city": "London", "postcode": "N1 1AA"}


@pytest.fixture
def dress(store, other_store):
    """A dress this store has none of; Manchester has 2 and ships orders."""
    other_store.ships_orders = True
    other_store.save(update_fields=["ships_orders"])
    variant = VariantFactory(sku="DRESS-S", product__base_price="80.00")
    inventory.receive_stock(location=other_store, lines=[(variant, 2)], reference="PO-3")
    return variant


def key() -> str:
    return uuid.uuid4().hex


def place(associate, store, shopper, *, deliver="ship", payment="till", lines=(("DRESS-S", 1),), **kwargs):
    basket = AssistedBasket(
        lines=list(lines),
        deliver=deliver,
        pickup_store=kwargs.pop("pickup_store", None),
        shipping_address=kwargs.pop("address", HOME),
    )
    return place_assisted_order(customer=shopper, store=store, actor=associate, basket=basket, payment=payment,
                                placement_key=kwargs.pop("placement_key", None) or key(), **kwargs)  # fmt: skip


def test_an_item_out_of_stock_here_ships_home_from_another_store_and_waits_for_the_till(
    associate, store, other_store, shopper, dress
):
    # given the dress is not in this store, and Manchester ships
    # when the associate sells it for home delivery, paid at the till
    order, created = place(associate, store, shopper, deliver="ship", payment="till")
    # then a store order sold here by the associate, reserved in Manchester, with payment pending
    assert created
    assert (order.channel, order.store, order.seller, order.placed_by) == ("store", store, associate, associate)
    (fulfillment,) = order.fulfillments.all()
    assert (fulfillment.kind, fulfillment.location, fulfillment.shipping_address["postcode"]) == (
        "ship", other_store, "N1 1AA",
    )  # fmt: skip
    request = PaymentRequest.objects.get(order=order)
    assert (request.method, request.status, request.amount) == ("till", "pending", Decimal("80.00"))
    assert request.expires_at > timezone.now() + timedelta(hours=3)
    assert not Payment.objects.filter(order=order).exists()
    assert StockLevel.objects.get(variant=dress, location=other_store).reserved == 1
    assert AuditEvent.objects.filter(action="order.assisted_placed", object_id=str(order.pk), actor=associate).exists()


def test_pick_up_at_another_store_reserves_there(associate, store, other_store, shopper, dress):
    # when the shopper will collect in Manchester
    order, _ = place(associate, store, shopper, deliver="pickup", pickup_store=other_store)
    # then the pick-up is Manchester's, and the sale this store's
    (fulfillment,) = order.fulfillments.all()
    assert (fulfillment.kind, fulfillment.location, order.store) == ("pickup", other_store, store)
    assert Reservation.objects.get(reference=fulfillment.reservation_reference).location == other_store


def test_reserve_in_this_store_needs_stock_here_and_names_the_stores_that_have_it(
    associate, store, other_store, shopper, dress
):
    # when the associate tries to reserve the dress here
    with pytest.raises(OrderError) as caught:
        place(associate, store, shopper, deliver="reserve")
    # then insufficient stock, naming Manchester; nothing is left behind
    assert caught.value.code == "insufficient_stock"
    assert [a["store"] for a in caught.value.extra["alternatives"]] == ["MAN-01"]
    assert not Order.objects.exists()


def test_the_same_form_submitted_twice_places_one_order(associate, store, shopper, dress):
    # given one form's key
    same = key()
    # when it is submitted twice
    first, created_first = place(associate, store, shopper, placement_key=same)
    second, created_second = place(associate, store, shopper, placement_key=same)
    # then one order; the second submit gets the first back
    assert (created_first, created_second, first.pk) == (True, False, second.pk)
    assert Order.objects.count() == 1 == PaymentRequest.objects.count()


@pytest.mark.parametrize(
    ("kwargs", "code", "field"),
    [
        ({"address": {}}, "invalid_fulfillment", "address"),
        ({"address": {"line1": "1 High St"}}, "invalid_fulfillment", "address"),
        ({"lines": [("NOPE-1", 1)]}, "unknown_sku", "sku"),
        ({"channel": "phone", "payment": "till"}, "invalid_payment", "payment"),
        ({"channel": "app"}, "invalid_channel", "channel"),
        ({"payment": "cash"}, "invalid_payment", "payment"),
        ({"deliver": "pickup"}, "invalid_fulfillment", "pickup_store"),
        ({"deliver": "teleport"}, "invalid_fulfillment", "deliver"),
    ],
)
def test_bad_input_is_refused_with_a_code_and_the_field(associate, store, shopper, dress, kwargs, code, field):
    # when the basket or its options are wrong
    with pytest.raises(OrderError) as caught:
        place(associate, store, shopper, **kwargs)
    # then a domain error names the field to fix, and nothing was placed
    assert caught.value.code == code
    assert field in caught.value.fields
    assert not Order.objects.exists()


def test_only_a_member_of_the_store_sells_for_it(store, other_store, shopper, dress):
    # given an associate of Manchester only
    stranger = MembershipFactory(store=other_store, role=StoreMembership.Role.ASSOCIATE).user
    # when they try to sell for Covent Garden
    with pytest.raises(OrderError) as caught:
        place(stranger, store, shopper)
    # then refused
    assert caught.value.code == "invalid_channel"
    assert not Order.objects.exists()


def test_points_and_an_offer_lower_what_is_left_to_pay(associate, store, shopper, dress):
    # given a member with 1000 points and a 10% offer
    earn_points(customer=shopper, reference="seed", points=1000)
    assign_offer(offer=OfferFactory(code="ten", discount_percent=Decimal("10.00")), customer=shopper)
    # when the associate applies both
    order, _ = place(associate, store, shopper, offer_code="ten", points=500)
    # then 80.00 - 8.00 - 5.00 is due at the till
    assert (order.offer_discount, order.points_discount, order.total) == (
        Decimal("8.00"), Decimal("5.00"), Decimal("67.00"),
    )  # fmt: skip
    assert PaymentRequest.objects.get(order=order).amount == Decimal("67.00")


def test_a_pay_by_link_is_sent_and_paying_it_authorises_the_card(associate, store, shopper, dress):
    # when the order is placed with a pay-by-link (a phone order)
    order, _ = place(associate, store, shopper, payment="link", channel="phone")
    # then the shopper got the link by email, and the timeline says so
    request = PaymentRequest.objects.get(order=order)
    assert deliver_pending() == ["delivered"]
    (mail,) = [m for m in RecordingAdapter.sent if m.channel == "email"]
    assert f"/pay/{request.token}/" in mail.body and mail.subject == f"Pay for your order {order.number}"
    assert Interaction.objects.filter(customer=shopper, external_id=f"{order.number}:pay_link").exists()
    # when the shopper pays on the provider's page, twice (a double click)
    pay_by_link(token=request.token, card_token="tok_visa_4242")
    pay_by_link(token=request.token, card_token="tok_visa_4242")
    # then one authorised card payment, and the request is paid
    (payment,) = Payment.objects.filter(order=order)
    assert (payment.method, payment.status, payment.amount, payment.last4) == (
        "card", "authorized", Decimal("80.00"), "4242",
    )  # fmt: skip
    request.refresh_from_db()
    assert request.status == "paid" and request.paid_at is not None


def test_a_declined_card_leaves_the_link_payable(associate, store, shopper, dress):
    order, _ = place(associate, store, shopper, payment="link")
    request = PaymentRequest.objects.get(order=order)
    with pytest.raises(OrderError) as caught:
        pay_by_link(token=request.token, card_token="tok_decline")
    assert caught.value.code == "payment_declined"
    request.refresh_from_db()
    assert request.status == "pending" and not Payment.objects.exists()


def test_unpaid_orders_expire_and_release_their_reservations(associate, store, other_store, shopper, dress):
    # given one order unpaid past its time, and one paid by link
    late, _ = place(associate, store, shopper, payment="till")
    paid, _ = place(associate, store, shopper, payment="link")
    pay_by_link(token=PaymentRequest.objects.get(order=paid).token, card_token="tok_visa_4242")
    PaymentRequest.objects.filter(order=late).update(expires_at=timezone.now() - timedelta(minutes=1))
    # when beat runs the expiry (twice: overlapping runs act once)
    assert expire_payment_requests() == 1
    assert expire_payment_requests() == 0
    # then the late order is cancelled and its unit back on sale; the paid one keeps its unit
    late.refresh_from_db()
    assert late.status == "cancelled"
    assert PaymentRequest.objects.get(order=late).status == "expired"
    assert StockLevel.objects.get(variant=dress, location=other_store).reserved == 1
    assert AuditEvent.objects.filter(action="order.payment_expired", object_id=str(late.pk)).exists()
    # and the shopper's timeline says why, as a sentence its reader's language words (not the English reason)
    cancelled = Interaction.objects.get(external_id=f"{late.number}:cancelled")
    assert cancelled.data["msg"] == {"key": "orders.cancelled_unpaid_till", "params": {"order": late.number}}
    assert cancelled.subject == f"Order {late.number} cancelled: not paid at the till in time"
    # and an expired link cannot be paid
    with pytest.raises(OrderError):
        pay_by_link(token="not-a-token", card_token="tok_visa_4242")


# --------------------------------------------------------------------------- the till settles it

SALES = "/api/v1/pos/sales/"


@pytest.fixture
def till(store, api_client):
    _, token = issue_pos_device(store=store, name="Till 1")
    api_client.credentials(HTTP_AUTHORIZATION=f"Device {token}")
    return api_client


def settle(number, receipt="R-9001", amount="80.00", method="card"):
    return {"receipt_number": receipt, "settles": number,
            "tenders": [{"method": method, "amount": amount, "brand": "visa", "last4": "4242"}]}  # fmt: skip


def test_the_tills_receipt_settles_the_order_once(till, associate, store, shopper, dress):
    # given an order waiting for the till
    order, _ = place(associate, store, shopper, payment="till")
    # when the till posts the receipt naming the order, and posts it again
    first = till.post(SALES, settle(order.number), format="json")
    again = till.post(SALES, settle(order.number), format="json")
    # then the order is paid (captured by the till), the receipt is on it, the replay changed nothing
    assert (first.status_code, first.json()["number"]) == (201, order.number)
    assert (again.status_code, again.headers["Idempotent-Replayed"]) == (200, "true")
    order.refresh_from_db()
    assert order.receipt_number == "R-9001" and order.status == "open"
    (payment,) = Payment.objects.filter(order=order)
    assert (payment.provider, payment.status, payment.captured_amount) == ("pos", "captured", Decimal("80.00"))
    assert PaymentRequest.objects.get(order=order).status == "paid"
    assert Order.objects.count() == 1  # no carry-out sale besides it


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": "79.00"}, "tenders"),
        ({"method": "gift_card"}, "tenders"),
    ],
)
def test_a_receipt_that_does_not_pay_what_is_due_is_refused(till, associate, store, shopper, dress, body, field):
    order, _ = place(associate, store, shopper, payment="till")
    payload = settle(order.number, **body)
    if body.get("method") == "gift_card":
        payload["tenders"][0]["code"] = "GC-1"
    response = till.post(SALES, payload, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_sale" and field in response.json()["fields"]
    assert PaymentRequest.objects.get(order=order).status == "pending"


def test_another_stores_till_cannot_settle_it(api_client, associate, store, other_store, shopper, dress):
    order, _ = place(associate, store, shopper, payment="till")
    _, token = issue_pos_device(store=other_store, name="Till M")
    api_client.credentials(HTTP_AUTHORIZATION=f"Device {token}")
    response = api_client.post(SALES, settle(order.number), format="json")
    assert (response.status_code, response.json()["code"]) == (400, "invalid_sale")
    assert PaymentRequest.objects.get(order=order).status == "pending"


def test_a_receipt_settling_an_order_in_a_batch(till, associate, store, shopper, dress):
    order, _ = place(associate, store, shopper, payment="till")
    response = till.post(f"{SALES}batch/", {"receipts": [settle(order.number, "R-1"), settle("OM-NOPE-0000", "R-2")]},
                         format="json")  # fmt: skip
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["created", "rejected"]
    assert results[0]["number"] == order.number


def test_a_sale_without_lines_and_without_settles_is_refused(till):
    response = till.post(SALES, {"receipt_number": "R-1", "tenders": [{"method": "cash", "amount": "1.00"}]},
                         format="json")  # fmt: skip
    assert (response.status_code, response.json()["code"]) == (400, "invalid_sale")
    assert "lines" in response.json()["fields"]


def test_stores_elsewhere_do_not_matter_to_the_seller_figure(associate, store, shopper, dress):
    # a second store with stock changes nothing about who sold
    StoreFactory(code="BRI-01", name="Brighton")
    order, _ = place(associate, store, shopper)
    assert Order.objects.filter(seller=associate).get() == order


def test_insights_credit_each_seller_with_what_they_sold_and_what_was_paid(
    associate, store, other_store, shopper, dress
):
    # given the associate sold three orders: one expired unpaid, one paid by link, one waiting for the till
    late, _ = place(associate, store, shopper, payment="link")
    PaymentRequest.objects.filter(order=late).update(expires_at=timezone.now() - timedelta(minutes=1))
    expire_payment_requests()
    paid, _ = place(associate, store, shopper, payment="link")
    pay_by_link(token=PaymentRequest.objects.get(order=paid).token, card_token="tok_visa_4242")
    place(associate, store, shopper, deliver="pickup", pickup_store=other_store)
    # when the commission report is read for today
    today = timezone.localdate()
    (row,) = sales_by_seller(Period(start=today, end=today))
    # then two live orders sold, one paid, one awaiting, one cancelled unpaid
    assert (row["seller"], row["orders"], row["sold"], row["sold_total"]) == (
        associate.full_name, 3, 2, Decimal("160.00"),
    )  # fmt: skip
    assert (row["paid"], row["paid_total"], row["awaiting"], row["unpaid"]) == (1, Decimal("80.00"), 1, 1)
