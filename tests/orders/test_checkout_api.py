"""Checkout through the API: idempotency, stock, guests, payments, discounts."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from customers.services.loyalty import earn_points, issue_store_credit
from inventory import services as inventory
from inventory.models import Reservation, StockLevel
from orders.models import Order, Payment
from retail.models import IdempotencyKey
from tests.customers.factories import OfferFactory
from tests.factories import StoreFactory

pytestmark = pytest.mark.django_db


def body(**extra):
    return {
        "channel": "app",
        "lines": [{"sku": "SHIRT-M", "quantity": 2}, {"sku": "JEANS-32", "quantity": 1}],
        "fulfillment": {"kind": "pickup", "store": "LON-01"},
        "payments": [{"method": "card", "token": "tok_visa_4242"}],
        **extra,
    }


@pytest.fixture
def shopper_api(api_client, shopper, shopper_user):
    api_client.force_authenticate(shopper_user)
    return api_client


def post(client, data, key="key-1"):
    return client.post("/api/v1/orders/", data, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_checkout_reserves_stock_and_authorises_the_card(shopper_api, shirt, jeans, store):
    # when the shopper checks out two lines for pick-up
    response = post(shopper_api, body())
    # then an order with a human number exists, stock is reserved at the store and the card is held, not charged
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["number"].startswith("OM-") and len(data["number"]) == 12
    assert (data["channel"], data["store"], data["total"]) == ("app", "LON-01", "119.99")
    assert data["fulfillments"][0]["status"] == "placed"
    assert data["fulfillments"][0]["pickup_code"] is None  # not before it is ready
    assert StockLevel.objects.get(variant=shirt, location=store).reserved == 2
    payment = Payment.objects.get(order__number=data["number"])
    assert (payment.brand, payment.last4, payment.amount, payment.captured_amount) == (
        "visa", "4242", Decimal("119.99"), Decimal("0.00")
    )  # fmt: skip
    assert not hasattr(payment, "token") and "tok_" not in payment.reference


def test_checkout_requires_an_idempotency_key(shopper_api, shirt, jeans):
    response = shopper_api.post("/api/v1/orders/", body(), format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_required"
    assert not Order.objects.exists()


def test_a_replayed_checkout_returns_the_first_order_and_places_nothing_more(shopper_api, shirt, jeans, store):
    first = post(shopper_api, body())
    # when the app retries with the same key and body
    again = post(shopper_api, body())
    # then it gets the same answer, marked as a replay, and one order and one reservation exist
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json()["number"] == first.json()["number"]
    assert Order.objects.count() == 1
    assert StockLevel.objects.get(variant=shirt, location=store).reserved == 2


def test_the_same_key_with_another_body_is_refused(shopper_api, shirt, jeans):
    post(shopper_api, body())
    # when the key is reused for a different order
    response = post(shopper_api, body(lines=[{"sku": "SHIRT-M", "quantity": 1}]))
    # then 422, and nothing else was placed
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_mismatch"
    assert Order.objects.count() == 1


def test_insufficient_stock_names_nearby_stores_that_have_it(shopper_api, shirt, jeans, store):
    # given another store close by with plenty of shirts and jeans
    nearby = StoreFactory(code="LON-02", name="Canary Wharf", latitude="51.5045", longitude="-0.0195")
    inventory.receive_stock(location=nearby, lines=[(shirt, 20), (jeans, 5)], reference="PO-9")
    # when the shopper asks for more shirts than the chosen store has
    response = post(shopper_api, body(lines=[{"sku": "SHIRT-M", "quantity": 12}, {"sku": "JEANS-32", "quantity": 1}]))
    # then 409 insufficient_stock with what is short and where it is
    assert response.status_code == 409
    data = response.json()
    assert data["code"] == "insufficient_stock"
    assert data["lines"] == [{"sku": "SHIRT-M", "requested": 12, "available": 10}]
    assert [a["store"] for a in data["alternatives"]] == ["LON-02"]
    # and nothing was written: no order, no reservation, the key stored with the 409
    assert not Order.objects.exists() and not Reservation.objects.exists()
    assert IdempotencyKey.objects.get().response_status == 409


def test_guest_checkout_gets_a_profile_of_its_own(api_client, shopper, shirt, jeans):
    # when a guest checks out with the email of a known shopper, and another with a new one
    known = post(api_client, body(contact={"name": "Jane Shopper", "email": "JANE@example.com"}), key="g1")
    new = post(api_client, body(contact={"name": "Gus Guest", "email": "gus@example.com"}), key="g2")
    # then neither lands on Jane's profile (a guest proves nothing; issue 13): each has its own
    assert known.status_code == new.status_code == 201
    first = Order.objects.get(number=known.json()["number"]).customer
    guest = Order.objects.get(number=new.json()["number"]).customer
    assert shopper not in (first, guest) and first != guest
    assert guest.email == "gus@example.com" and guest.first_name == "Gus"
    assert Order.objects.get(number=known.json()["number"]).email == "jane@example.com"


def test_guest_checkout_without_contact_is_refused(api_client, shirt, jeans):
    response = post(api_client, body())
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_customer"


def test_a_declined_card_leaves_nothing_behind(shopper_api, shirt, jeans, store):
    response = post(shopper_api, body(payments=[{"method": "card", "token": "tok_decline_0002"}]))
    assert response.status_code == 402
    assert response.json()["code"] == "payment_declined"
    assert not Order.objects.exists()
    assert StockLevel.objects.get(variant=shirt, location=store).reserved == 0


def test_offer_points_and_store_credit_are_applied_and_discounts_allocated_to_the_cent(
    shopper_api, shopper, shirt, jeans
):
    # given a 10% offer, 500 points (worth 5.00) and 20.00 of store credit
    offer = OfferFactory(code="ten", discount_percent=Decimal("10.00"), channels=["app"])
    from customers.services.loyalty import assign_offer

    assign_offer(offer=offer, customer=shopper)
    earn_points(customer=shopper, reference="seed", points=500)
    issue_store_credit(customer=shopper, amount=Decimal("20.00"), reference="gift")
    # when the shopper uses all of it, paying the rest by card
    response = post(
        shopper_api,
        body(
            offer_code="ten",
            points=500,
            payments=[
                {"method": "store_credit", "amount": "20.00"},
                {"method": "card", "token": "tok_mastercard_5454"},
            ],
        ),
    )
    # then 119.99 - 12.00 (10%) - 5.00 = 102.99; 20.00 from credit, 82.99 held on the card
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["offer_discount"], data["points_discount"], data["total"]) == ("12.00", "5.00", "102.99")
    lines = {line["sku"]: line for line in data["lines"]}
    # 17.00 shared 60.00 : 59.99 = 8.5035 : 8.4964 -> 8.50 + 8.49, the spare cent to the larger remainder
    assert (lines["SHIRT-M"]["discount"], lines["JEANS-32"]["discount"]) == ("8.50", "8.50")
    assert sum(Decimal(line["total"]) for line in data["lines"]) == Decimal("102.99")
    amounts = sorted((p["method"], p["amount"]) for p in data["payments"])
    assert amounts == [("card", "82.99"), ("store_credit", "20.00")]


def test_checkout_from_the_cart_closes_it(shopper_api, shirt, jeans):
    shopper_api.put("/api/v1/me/cart/", {"lines": [{"sku": "SHIRT-M", "quantity": 1}]}, format="json")
    response = post(shopper_api, _from_cart())
    assert response.status_code == 201, response.json()
    assert [line["sku"] for line in response.json()["lines"]] == ["SHIRT-M"]
    assert shopper_api.get("/api/v1/me/cart/").json()["lines"] == []


def test_checking_out_a_cart_needs_a_signed_in_shopper_with_lines_in_it(shopper_api, shirt):
    # when a guest asks for "the cart", and a shopper whose cart is empty does
    guest = post(APIClient(), {**_from_cart(), "contact": {"email": "guest@example.com"}}, key="g-1")
    empty = post(shopper_api, _from_cart(), key="s-1")
    # then each is told what is wrong, and nothing was placed
    assert (guest.status_code, guest.json()["code"]) == (401, "not_authenticated")
    assert (empty.status_code, empty.json()["code"]) == (400, "empty_cart")
    assert not Order.objects.exists()


def _from_cart():
    data = body(from_cart=True)
    del data["lines"]
    return data


def test_per_line_group_fulfilment_ship_routes_to_the_nearest_location_that_can_fill_it(
    shopper_api, shirt, jeans, store
):
    # given a warehouse that ships and a store that ships closer to the shopper
    warehouse = StoreFactory(code="WH-1", kind="warehouse", pickup_enabled=False, ships_orders=True,
                             latitude="52.2786", longitude="-1.1639")  # fmt: skip
    manchester = StoreFactory(code="MAN-01", ships_orders=True, latitude="53.4839", longitude="-2.2386")
    inventory.receive_stock(location=warehouse, lines=[(jeans, 5)], reference="PO-W")
    inventory.receive_stock(location=manchester, lines=[(jeans, 5)], reference="PO-M")
    address = {
        "line1": "1 Deansgate",
        "city": "Manchester",
        "postcode": "M3 1AA",
        "latitude": 53.48,
        "longitude": -2.25,
    }
    # when the shirt is picked up in London and the jeans shipped to Manchester
    response = post(shopper_api, {
        "channel": "web",
        "groups": [
            {"kind": "pickup", "store": "LON-01", "lines": [{"sku": "SHIRT-M", "quantity": 1}]},
            {"kind": "ship", "shipping_address": address, "lines": [{"sku": "JEANS-32", "quantity": 1}]},
        ],
        "payments": [{"method": "card", "token": "tok_visa_4242"}],
    })  # fmt: skip
    # then two fulfilments: pick-up at LON-01, ship-from-store from Manchester (nearest that can fill it)
    assert response.status_code == 201, response.json()
    assert sorted((f["kind"], f["store"]) for f in response.json()["fulfillments"]) == [
        ("pickup", "LON-01"), ("ship", "MAN-01")
    ]  # fmt: skip
    assert StockLevel.objects.get(variant=jeans, location=manchester).reserved == 1


def test_bad_input_is_a_clear_400(shopper_api, shirt):
    response = post(shopper_api, {"lines": [{"sku": "SHIRT-M", "quantity": 0}], "fulfillment": {"kind": "teleport"}})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "fulfillment.kind" in response.json()["fields"]
    unknown = post(shopper_api, body(lines=[{"sku": "NOPE", "quantity": 1}]), key="k2")
    assert (unknown.status_code, unknown.json()["code"]) == (400, "unknown_sku")


def test_a_gift_card_pays_part_from_its_ledger_and_a_short_or_unknown_one_is_refused(shopper_api, shirt, jeans):
    from customers.models import GiftCard
    from customers.services.giftcards import issue_gift_card

    issued = issue_gift_card(amount=Decimal("60.00"), source="sold", reference="GC-SALE-1")
    split = body(payments=[{"method": "gift_card", "token": issued.code, "amount": "50.00"},
                           {"method": "card", "token": "tok_amex_0005"}])  # fmt: skip
    response = post(shopper_api, split)
    assert response.status_code == 201, response.json()
    paid = sorted((p["method"], p["brand"], p["last4"], p["amount"]) for p in response.json()["payments"])
    assert paid == [("card", "amex", "0005", "69.99"), ("gift_card", "gift card", issued.code[-4:], "50.00")]
    card = GiftCard.objects.get(pk=issued.card.pk)
    assert card.balance == Decimal("10.00")
    assert card.entries.get(kind="redeem").reference == response.json()["number"]
    # then 10.00 left cannot pay 50.00: refused with the balance, nothing taken, no order
    short = post(shopper_api, split, key="key-2")
    assert (short.status_code, short.json()["code"]) == (409, "insufficient_gift_card_balance")
    unknown = body(payments=[{"method": "gift_card", "token": "gift_99990000", "amount": "50.00"},
                             {"method": "card", "token": "tok_visa_4242"}])  # fmt: skip
    refused = post(shopper_api, unknown, key="key-3")
    assert (refused.status_code, refused.json()["code"]) == (404, "gift_card_not_found")
    assert GiftCard.objects.get(pk=issued.card.pk).balance == Decimal("10.00")
    assert Order.objects.count() == 1


def test_guessing_gift_card_numbers_as_new_guests_is_stopped_by_address(api_client, shirt, jeans, settings):
    from customers.services.giftcards import issue_gift_card

    settings.GIFT_CARD_LOOKUP_LIMIT = 3
    issued = issue_gift_card(amount=Decimal("200.00"), source="sold", reference="GC-GUESS")
    # when one address checks out as three different guests, each with a wrong number
    for i in range(3):
        tender = {"method": "gift_card", "token": f"1234 5678 9012 000{i}", "amount": "119.99"}
        wrong = body(contact={"name": f"Guest {i}", "email": f"g{i}@example.com"}, payments=[tender])
        assert post(api_client, wrong, key=f"g-{i}").json()["code"] == "gift_card_not_found"
    # then a fourth guest from there is refused even with the right number
    right = body(contact={"name": "Guest 4", "email": "g4@example.com"},
                 payments=[{"method": "gift_card", "token": issued.code, "amount": "119.99"}])  # fmt: skip
    refused = post(api_client, right, key="g-4")
    assert (refused.status_code, refused.json()["code"]) == (429, "too_many_gift_card_attempts")
    assert Order.objects.count() == 0


def test_consents_ticked_at_checkout_are_recorded_on_the_order_profile(shopper_api, shopper, shirt, jeans):
    # given the shopper said yes to email earlier (the fixture) and nothing about sms
    # when they check out saying no to email and yes to sms
    response = post(shopper_api, body(consents={"email": False, "sms": True}))
    # then both are recorded by the checkout, sourced from its channel
    assert response.status_code == 201, response.json()
    consents = {c.channel: (c.granted, c.source) for c in shopper.consents.all()}
    assert consents == {"email": (False, "checkout:app"), "sms": (True, "checkout:app")}


def test_an_order_number_drawn_twice_is_a_retryable_503_that_keeps_nothing(
    shopper_api, shirt, jeans, store, monkeypatch
):
    # given an order whose number the next checkout draws again
    first = post(shopper_api, body()).json()["number"]
    monkeypatch.setattr("orders.services.checkout.new_order_number", lambda: first)
    # when the shopper checks out again (inside the API's idempotency transaction)
    response = post(shopper_api, body(consents={"sms": True}), key="key-2")
    # then 503 order_number_clash: no order, reservation, consent or stored answer was kept, so a retry runs again
    assert (response.status_code, response.json()["code"]) == (503, "order_number_clash")
    assert Order.objects.count() == 1
    assert StockLevel.objects.get(variant=shirt, location=store).reserved == 2
    assert not IdempotencyKey.objects.filter(key="key-2").exists()
    assert not Order.objects.get().customer.consents.filter(channel="sms").exists()
