"""Points and offers at the till: online checkout's rules, codes and once-only guarantee (issue 18, item 3)."""

from decimal import Decimal

import pytest
from django.db import transaction

from customers.models import LoyaltyAccount, OfferAssignment, PointsEntry
from customers.services.loyalty import assign_offer, earn_points
from customers.services.profiles import update_customer_profile
from inventory.models import StockLevel
from orders.errors import OrderError
from orders.models import Order, OrderLine
from orders.services import GroupRequest, TenderRequest, place_order
from retail.services import issue_pos_device
from tests.customers.factories import OfferFactory

pytestmark = pytest.mark.django_db

SALES, BATCH = "/api/v1/pos/sales/", "/api/v1/pos/sales/batch/"
CARD = {"card": "OMNI-000123"}


@pytest.fixture
def till(store, api_client):
    _, token = issue_pos_device(store=store, name="Till 1")
    api_client.credentials(HTTP_AUTHORIZATION=f"Device {token}")
    return api_client


@pytest.fixture
def member(shopper):
    """A shopper with a loyalty card, 1000 points and a 10% offer usable in the app, on the web and in store."""
    update_customer_profile(customer=shopper, values={"card_number": "OMNI-000123"})
    earn_points(customer=shopper, reference="seed", points=1000)
    assign_offer(offer=OfferFactory(code="ten", discount_percent=Decimal("10.00")), customer=shopper)
    return shopper


def sale(number="R-0001", *, paid="94.00", **extra):
    return {
        "receipt_number": number,
        "lines": [{"sku": "SHIRT-M", "quantity": 2}, {"barcode": "5000000000024", "quantity": 1, "discount": "9.99"}],
        "tenders": [{"method": "card", "amount": paid, "brand": "visa", "last4": "4242"}],
        **extra,
    }


def balance(customer) -> int:
    return LoyaltyAccount.objects.get(customer=customer).balance


def test_a_till_sale_redeems_an_offer_and_points_and_the_tenders_pay_the_rest(till, member, shirt, jeans, store):
    # given a basket of 119.99 with 9.99 off at the till (110.00 due)
    # when the shopper's card is scanned and they use the 10% offer and 500 points
    response = till.post(SALES, sale(customer=CARD, offer_code="ten", points=500), format="json")
    # then 110.00 - 11.00 (10%) - 5.00 (500 points) = 94.00 is what the card paid
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["subtotal"], data["offer_code"], data["offer_discount"]) == ("119.99", "ten", "20.99")
    assert (data["points_redeemed"], data["points_discount"]) == (500, "5.00")
    assert (data["discount_total"], data["total"], data["points_earned"]) == ("25.99", "94.00", 94)
    # and the discount is shared over the lines to the cent (as online checkout does)
    order = Order.objects.get(number=data["number"])
    lines = list(OrderLine.objects.filter(order=order).order_by("line_number"))
    assert sum((line.total for line in lines), Decimal("0")) == Decimal("94.00")
    assert sum((line.discount for line in lines), Decimal("0")) == Decimal("25.99")
    # and the offer is used, in this store, for this order; 1000 - 500 + 94 earned
    used = OfferAssignment.objects.get(customer=member)
    assert (used.redeemed_channel, used.redeemed_reference, used.redeemed_store) == ("store", order.number, store)
    assert balance(member) == 594
    assert PointsEntry.objects.get(kind="redeem").reference == order.number


def test_an_offer_used_online_is_refused_at_the_till_and_nothing_is_written(till, member, shirt, jeans, store):
    # given the offer was used in the app
    place_order(
        channel="app",
        groups=[GroupRequest(kind="pickup", lines=[("SHIRT-M", 1)], store=store)],
        customer=member,
        offer_code="ten",
        tenders=[TenderRequest(method="card", token="tok_visa_4242")],
    )
    # when the till tries it too, with points
    response = till.post(SALES, sale(customer=CARD, offer_code="ten", points=500), format="json")
    # then it is the documented 409, and no sale, stock movement or points spend was kept
    assert response.status_code == 409 and response.json()["code"] == "offer_already_redeemed"
    assert response.json()["fields"] == {"offer_code": [response.json()["message"]]}
    assert not Order.objects.filter(channel="store").exists()
    assert StockLevel.objects.get(variant=shirt, location=store).on_hand == 10
    assert balance(member) == 1000


def test_an_offer_used_at_the_till_is_refused_online(till, member, shirt, jeans, store):
    assert till.post(SALES, sale(customer=CARD, offer_code="ten", paid="99.00"), format="json").status_code == 201
    # when the shopper tries the same offer in the app
    with pytest.raises(OrderError) as refused, transaction.atomic():  # checkout keeps no savepoint of its own
        place_order(
            channel="app",
            groups=[GroupRequest(kind="pickup", lines=[("SHIRT-M", 1)], store=store)],
            customer=member,
            offer_code="ten",
            tenders=[TenderRequest(method="card", token="tok_visa_4242")],
        )
    # then it is refused as online refuses any used offer
    assert refused.value.code == "offer_already_redeemed"
    assert Order.objects.count() == 1


@pytest.mark.parametrize(
    ("extra", "status", "code", "field"),
    [
        ({"points": 500}, 400, "invalid_sale", "points"),  # no shopper named
        ({"offer_code": "ten"}, 400, "invalid_sale", "offer_code"),
        ({"customer": CARD, "points": 5000}, 409, "insufficient_points", "points"),
        ({"customer": CARD, "points": 1000, "offer_code": "nope"}, 404, "offer_not_assigned", "offer_code"),
        ({"customer": CARD, "points": 500, "paid": "110.00"}, 400, "invalid_sale", "tenders"),  # not discounted
        ({"customer": CARD, "offer_code": "ten", "paid": "120.00"}, 400, "invalid_sale", "tenders"),
    ],
)
def test_refusals_carry_checkouts_codes_and_spend_nothing(extra, status, code, field, till, member, shirt, jeans):
    paid = extra.pop("paid", "94.00")
    response = till.post(SALES, sale(paid=paid, **extra), format="json")
    assert response.status_code == status, response.json()
    assert response.json()["code"] == code and field in response.json()["fields"]
    # nothing redeemed: the offer is still open and the points are all there
    assert not Order.objects.exists()
    assert OfferAssignment.objects.get(customer=member).redeemed_at is None
    assert balance(member) == 1000


def test_points_worth_more_than_is_due_and_an_offer_for_the_app_only_are_refused(till, member, shirt, jeans):
    earn_points(customer=member, reference="more", points=20_000)
    assign_offer(offer=OfferFactory(code="app-only", channels=["app"]), customer=member)
    # 15000 points are 150.00, more than the 110.00 due
    response = till.post(SALES, sale(customer=CARD, points=15_000), format="json")
    assert (response.status_code, response.json()["code"]) == (400, "invalid_points")
    response = till.post(SALES, sale(customer=CARD, offer_code="app-only"), format="json")
    assert (response.status_code, response.json()["code"]) == (409, "offer_wrong_channel")
    assert not Order.objects.exists() and balance(member) == 21_000


def test_a_batch_redeems_per_receipt_and_answers_refusals_at_their_index(till, member, shirt, jeans):
    shirt_only = {"lines": [{"sku": "SHIRT-M", "quantity": 1}]}
    receipts = [
        {**sale("B-1", customer=CARD, offer_code="ten", paid="27.00"), **shirt_only},  # 30 - 3.00
        {**sale("B-2", customer=CARD, offer_code="ten", paid="27.00"), **shirt_only},  # the same offer again
        {**sale("B-3", customer=CARD, points=600, paid="24.00"), **shirt_only},  # 30 - 6.00
        {**sale("B-4", points=100, paid="29.00"), **shirt_only},  # nobody named
        {**sale("B-5", customer=CARD, points=500, paid="25.00"), **shirt_only},  # 400 left after B-3
        {**sale("B-6", customer=CARD, paid="30.00"), **shirt_only},
    ]
    response = till.post(BATCH, {"receipts": receipts}, format="json")
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["created", "rejected", "created", "rejected", "rejected", "created"]
    assert [r["error"]["code"] for r in results if r["error"]] == [
        "offer_already_redeemed",
        "invalid_sale",
        "insufficient_points",
    ]
    assert "points" in results[3]["error"]["fields"] and "points" in results[4]["error"]["fields"]
    totals = {o.receipt_number: (o.total, o.offer_code, o.points_redeemed) for o in Order.objects.all()}
    assert totals == {
        "B-1": (Decimal("27.00"), "ten", 0),
        "B-3": (Decimal("24.00"), "", 600),
        "B-6": (Decimal("30.00"), "", 0),
    }
    # 1000 - 600 spent + 27 + 24 + 30 earned; the ledger and the balance agree
    assert balance(member) == 481
    assert sum(PointsEntry.objects.filter(account__customer=member).values_list("points", flat=True)) == 481


def test_a_replayed_receipt_that_redeemed_is_answered_with_its_order_and_redeems_nothing_more(till, member, shirt):
    body = {**sale(customer=CARD, points=500, paid="55.00"), "lines": [{"sku": "SHIRT-M", "quantity": 2}]}
    first = till.post(SALES, body, format="json")
    again = till.post(SALES, body, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["number"] == first.json()["number"] and again.json()["points_redeemed"] == 500
    assert balance(member) == 1000 - 500 + 55


def test_the_schema_documents_the_fields_and_the_codes_of_redeeming_at_the_till(till):
    schema = till.get("/api/schema/", {"format": "json"}).json()
    sale_input = schema["components"]["schemas"]["PosSaleInputRequest"]["properties"]
    assert {"offer_code", "points"} <= set(sale_input)
    for path in ("/api/v1/pos/sales/", "/api/v1/pos/sales/batch/"):
        responses = schema["paths"][path]["post"]["responses"]
        codes = {code for r in responses.values() for code in r.get("x-error-codes", [])}
        assert {"offer_already_redeemed", "offer_not_assigned", "offer_expired", "offer_wrong_channel",
                "insufficient_points", "invalid_points", "invalid_sale"} <= codes, path  # fmt: skip
