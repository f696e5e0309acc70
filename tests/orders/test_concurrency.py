"""Real concurrency on PostgreSQL: threads with their own connections race for the last units."""

from decimal import Decimal

import pytest

from customers.services.profiles import create_customer
from inventory import services as inventory
from inventory.models import Reservation, StockLevel
from orders.errors import OrderError
from orders.models import Order, Payment
from orders.services import GroupRequest, TenderRequest, place_order
from tests.factories import StoreFactory
from tests.helpers import race as shared_race
from tests.inventory.factories import VariantFactory

pytestmark = [pytest.mark.django_db(transaction=True)]

SHOPPERS = 50
UNITS = 5


def race(target, count):
    return shared_race(target, count, expected=OrderError)


def test_fifty_shoppers_racing_for_the_last_five_units_oversell_nothing():
    # given 5 units left at a store, and 50 shoppers
    store = StoreFactory(code="LON-01")
    variant = VariantFactory(sku="LAST-ONES", product__base_price="25.00")
    inventory.receive_stock(location=store, lines=[(variant, UNITS)], reference="PO-1")
    shoppers = [create_customer(first_name="S", last_name=str(i), email=f"s{i}@example.com") for i in range(SHOPPERS)]

    def checkout(index):
        return place_order(
            channel="app",
            groups=[GroupRequest(kind="pickup", lines=[("LAST-ONES", 1)], store=store)],
            customer=shoppers[index],
            tenders=[TenderRequest(method="card", token="tok_visa_4242")],
        ).number

    # when all 50 check out at the same moment
    results, errors = race(checkout, SHOPPERS)
    # then exactly 5 orders, 45 clean insufficient_stock answers, and no unit promised twice
    assert errors == []
    assert sorted(r for r in results if r == "insufficient_stock") == ["insufficient_stock"] * (SHOPPERS - UNITS)
    assert Order.objects.count() == UNITS == Payment.objects.count()
    level = StockLevel.objects.get(variant=variant, location=store)
    assert (level.on_hand, level.reserved) == (UNITS, UNITS)
    assert Reservation.objects.filter(status="active").count() == UNITS


def test_the_same_idempotency_key_sent_twice_at_once_places_one_order(shopper_user, client):
    # given a signed-in shopper and stock
    store = StoreFactory(code="LON-01")
    variant = VariantFactory(sku="RACE-1", product__base_price="10.00")
    inventory.receive_stock(location=store, lines=[(variant, 10)], reference="PO-1")
    from rest_framework.test import APIClient

    from customers.services.linking import link_user_to_customer

    link_user_to_customer(user=shopper_user)
    payload = {
        "lines": [{"sku": "RACE-1", "quantity": 1}],
        "fulfillment": {"kind": "pickup", "store": "LON-01"},
        "payments": [{"method": "card", "token": "tok_visa_4242"}],
    }

    def send(_):
        api = APIClient()
        api.force_authenticate(shopper_user)
        return api.post("/api/v1/orders/", payload, format="json", HTTP_IDEMPOTENCY_KEY="same-key").status_code

    # when the app's retry fires while the first request is still running
    results, errors = race(send, 2)
    # then one order; the other request got the replay (201) or "still running" (409), never a second order
    assert errors == []
    assert sorted(results) in ([201, 201], [201, 409])
    assert Order.objects.count() == 1
    assert StockLevel.objects.get(variant=variant, location=store).reserved == 1
    assert Decimal(Order.objects.get().total) == Decimal("10.00")


def test_a_checkout_in_its_own_transaction_draws_another_number_when_its_number_clashed(monkeypatch):
    # given an order, and a checkout whose first number drawn is that order's
    store = StoreFactory(code="LON-01")
    variant = VariantFactory(sku="TWICE", product__base_price="25.00")
    inventory.receive_stock(location=store, lines=[(variant, 5)], reference="PO-1")
    shopper = create_customer(first_name="S", last_name="One", email="one@example.com")

    def checkout():
        return place_order(
            channel="app",
            groups=[GroupRequest(kind="pickup", lines=[("TWICE", 1)], store=store)],
            customer=shopper,
            tenders=[TenderRequest(method="card", token="tok_visa_4242")],
            consents={"sms": True},
        )

    first = checkout().number
    drawn = iter([first, "OM-SECOND-01"])
    monkeypatch.setattr("orders.services.checkout.new_order_number", lambda: next(drawn))
    # when the checkout runs as its own transaction
    second = checkout()
    # then the clash rolled the first attempt back whole and the second number was drawn
    assert second.number == "OM-SECOND-01"
    assert Order.objects.count() == 2
    assert StockLevel.objects.get(variant=variant, location=store).reserved == 2
    assert Reservation.objects.filter(reference__startswith=f"order:{first}:").count() == 1
