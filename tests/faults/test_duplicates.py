"""Duplicate and out-of-order input: behavioural events and POS receipts sent twice, late, or at once.

Clients retry when they do not hear an answer, and batches arrive in any order. The timeline must
show each event once, in the order things happened; a receipt sent twice (even by two threads at
the same moment, each with its own PostgreSQL connection) is one sale: stock taken once, points
earned once.
"""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from customers.models import Interaction, LoyaltyAccount, PointsEntry
from customers.selectors import timeline_page
from customers.services.profiles import create_customer, update_customer_profile
from inventory import services as inventory
from inventory.models import StockLevel, StockMovement
from inventory.selectors import ledger_drift, reservation_drift
from orders.models import Order, Payment
from retail.services import issue_pos_device
from tests.factories import StoreFactory
from tests.inventory.factories import VariantFactory

WAIT = 30


def event(event_id: str, hours_ago: int, subject: str) -> dict:
    return {
        "id": event_id,
        "kind": "product_view",
        "channel": "app",
        "occurred_at": (timezone.now() - timedelta(hours=hours_ago)).isoformat(),
        "subject": subject,
        "identities": {"app_install": "install-7"},
    }


def race(send, count: int = 2) -> tuple[list, list]:
    """Run send() in `count` threads released together; each thread has (and closes) its own connection."""
    barrier = threading.Barrier(count, timeout=WAIT)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(send())
        except Exception as exc:  # noqa: BLE001 — reported by the assertion below
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    assert not any(t.is_alive() for t in threads), "a request never finished"
    return results, errors


@pytest.mark.django_db
def test_events_sent_twice_and_late_land_once_in_the_order_they_happened(api_client):
    # given the app sent two events
    first = api_client.post(
        "/api/v1/events/", {"events": [event("e-2", 2, "SKU-B"), event("e-3", 1, "SKU-C")]}, format="json"
    )
    assert first.json()["accepted"] == [0, 1]
    # when a later batch brings an older event (it was queued offline) and re-sends both of the first
    late = api_client.post(
        "/api/v1/events/",
        {"events": [event("e-3", 1, "SKU-C"), event("e-1", 3, "SKU-A"), event("e-2", 2, "SKU-B")]},
        format="json",
    )
    # then only the new one is accepted, the others are reported as duplicates
    assert late.status_code == 200
    assert (late.json()["accepted"], late.json()["duplicates"]) == ([1], [0, 2])
    # and the timeline shows each event once, newest first by when it happened, not when it arrived
    customer = Interaction.objects.get(external_id="e-1").customer
    page = timeline_page(customer)
    assert [row.subject for row in page.rows] == ["SKU-C", "SKU-B", "SKU-A"]
    assert Interaction.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_the_same_batch_posted_on_two_connections_at_once_is_stored_once():
    batch = {"events": [event(f"e-{i}", i + 1, f"SKU-{i}") for i in range(5)]}

    def send():
        response = APIClient().post("/api/v1/events/", batch, format="json")
        return response.status_code, response.json()

    # when the app's retry races its first attempt
    results, errors = race(send)
    # then both are answered, every event is accepted by exactly one of them, and stored once on one profile
    assert errors == []
    assert [code for code, _ in results] == [200, 200]
    accepted = sorted(i for _, body in results for i in body["accepted"])
    assert accepted == [0, 1, 2, 3, 4]
    assert sorted(i for _, body in results for i in body["duplicates"]) == [0, 1, 2, 3, 4]
    assert Interaction.objects.count() == 5
    assert Interaction.objects.values("customer").distinct().count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_same_receipt_posted_by_two_tills_threads_at_once_is_one_sale():
    # given a store with stock, a loyalty member and a till
    store = StoreFactory(code="LON-01")
    shirt = VariantFactory(sku="SHIRT-M", product__base_price="30.00")
    inventory.receive_stock(location=store, lines=[(shirt, 10)], reference="PO-1")
    shopper = create_customer(first_name="Jane", last_name="Shopper", email="jane@example.com")
    update_customer_profile(customer=shopper, values={"card_number": "OMNI-000777"})
    _, token = issue_pos_device(store=store, name="Till 1")
    sale = {
        "receipt_number": "R-0042",
        "lines": [{"sku": "SHIRT-M", "quantity": 2}],
        "tenders": [{"method": "card", "amount": "60.00", "brand": "visa", "last4": "4242"}],
        "customer": {"card": "OMNI-000777"},
    }

    def send():
        till = APIClient()
        till.credentials(HTTP_AUTHORIZATION=f"Device {token}")
        response = till.post("/api/v1/pos/sales/", sale, format="json")
        return response.status_code, response.json()

    # when the till's retry races the first post of the same receipt
    results, errors = race(send)
    # then one is the sale, the other its replay (or "still running"), never a second sale
    assert errors == []
    codes = sorted(code for code, _ in results)
    assert codes in ([200, 201], [201, 409]), results
    numbers = {body["number"] for code, body in results if code in (200, 201)}
    assert len(numbers) == 1
    assert Order.objects.count() == 1 and Payment.objects.count() == 1
    # and stock was taken once, points earned once, and the purchase is on the timeline once
    assert StockLevel.objects.get(variant=shirt, location=store).on_hand == 8
    assert StockMovement.objects.filter(kind="sale").count() == 1
    order = Order.objects.get()
    assert LoyaltyAccount.objects.get(customer=shopper).balance == order.points_earned == 60
    assert PointsEntry.objects.filter(account__customer=shopper).count() == 1
    assert Interaction.objects.filter(customer=shopper, kind="purchase").count() == 1
    assert ledger_drift() == [] and reservation_drift() == []
