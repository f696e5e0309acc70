"""The database connection dies in the middle of a checkout: nothing half-written, the retry places it once.

A checkout runs in a thread (its own connection); when it reaches the card authorisation it has
already written the order and reserved the stock inside its transaction. The test then kills that
connection's PostgreSQL backend (pg_terminate_backend from a second connection), as a failover, a
restart or an operator would. The client sees a 5xx, retries with the same Idempotency-Key, and
gets exactly one order, one payment and one set of reservations; the stock ledger still balances.
"""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from customers.services.linking import link_user_to_customer
from inventory import services as inventory
from inventory.models import Reservation, StockLevel
from inventory.selectors import ledger_drift, reservation_drift
from orders.models import Fulfillment, Order, OrderLine, Payment
from retail.models import IdempotencyKey, OutboxMessage
from tests.factories import StoreFactory, UserFactory
from tests.faults.providers import WAIT, PausingPaymentProvider
from tests.inventory.factories import VariantFactory

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

BODY = {
    "channel": "app",
    "lines": [{"sku": "SHIRT-M", "quantity": 2}, {"sku": "JEANS-32", "quantity": 1}],
    "fulfillment": {"kind": "pickup", "store": "LON-01"},
    "payments": [{"method": "card", "token": "tok_visa_4242"}],
}


@pytest.fixture
def shop(settings):
    settings.ORDERS_PAYMENT_PROVIDER = "tests.faults.providers.PausingPaymentProvider"
    store = StoreFactory(code="LON-01")
    shirt = VariantFactory(sku="SHIRT-M", product__base_price="30.00")
    jeans = VariantFactory(sku="JEANS-32", product__base_price="59.99")
    inventory.receive_stock(location=store, lines=[(shirt, 10), (jeans, 10)], reference="PO-1")
    user = UserFactory(email="jane@example.com")
    link_user_to_customer(user=user)
    PausingPaymentProvider.arm()
    return store, shirt, jeans, user


def checkout(user, key: str):
    api = APIClient(raise_request_exception=False)
    api.force_authenticate(user)
    return api.post("/api/v1/orders/", BODY, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_a_checkout_whose_connection_is_killed_leaves_nothing_and_its_retry_places_one_order(shop):
    store, _shirt, _jeans, user = shop
    answers = {}
    # the shop's own setup wrote webhook events (stock received, customer created): not the checkout's
    before = set(OutboxMessage.objects.values_list("pk", flat=True))

    def first_attempt():
        try:
            answers["first"] = checkout(user, "checkout-1")
        finally:
            connection.close()

    # given a checkout that has written its order and reservations and is waiting on the card
    thread = threading.Thread(target=first_attempt)
    thread.start()
    assert PausingPaymentProvider.in_flight.wait(WAIT), "the checkout never reached the payment"
    assert PausingPaymentProvider.written == {"orders": 1, "reservations": 2}  # inside its open transaction
    # when its database connection is killed from outside
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [PausingPaymentProvider.backend_pid])
        assert cursor.fetchone()[0] is True
    PausingPaymentProvider.resume.set()
    thread.join(WAIT)
    assert not thread.is_alive()

    # then the client was told to try again (a 5xx, in the API's error shape), not given an order
    first = answers["first"]
    assert first.status_code == 500
    assert first.json()["code"] == "server_error"
    assert b"terminat" not in first.content and b"Traceback" not in first.content  # no internals leak
    # and nothing of it survived: no order, line, fulfilment, payment, reservation, message or stored answer
    assert not Order.objects.exists() and not OrderLine.objects.exists() and not Fulfillment.objects.exists()
    assert not Payment.objects.exists()
    assert not Reservation.objects.exists()
    assert set(OutboxMessage.objects.values_list("pk", flat=True)) == before
    assert not IdempotencyKey.objects.exists()
    assert list(StockLevel.objects.filter(location=store).values_list("reserved", flat=True)) == [0, 0]

    # when the app retries with the same Idempotency-Key
    retry = checkout(user, "checkout-1")
    again = checkout(user, "checkout-1")
    # then exactly one order is placed, and a further retry replays it
    assert retry.status_code == 201, retry.json()
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json()["number"] == retry.json()["number"]
    assert Order.objects.count() == 1 and Payment.objects.count() == 1
    assert PausingPaymentProvider.calls == 2  # the killed attempt and the retry; the replay authorised nothing
    # and both authorisations carried the same provider idempotency key: a real provider holds the card once
    assert len(set(PausingPaymentProvider.keys)) == 1
    levels = dict(StockLevel.objects.filter(location=store).values_list("variant__sku", "reserved"))
    assert levels == {"SHIRT-M": 2, "JEANS-32": 1}
    # and the ledger and the reservations still explain every unit
    assert ledger_drift() == [] and reservation_drift() == []
