"""The click-and-collect promise where shoppers and associates read it (issue 19.4): the store API and
availability say when an order placed now is ready; checkout records the promise on the pick-up;
the portal's queue shows it. Lists cost the same queries whatever their size."""

import uuid
from datetime import datetime

import pytest

from orders.models import Fulfillment, Order
from retail.promise import collect_promise
from tests.factories import StoreFactory

pytestmark = pytest.mark.django_db

HOURS = {day: ["09:00", "18:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat")} | {"sun": None}
# Wednesday 2 December 2026, 17:00 in London (UTC): an hour before closing
LATE_AFTERNOON = datetime.fromisoformat("2026-12-02T17:00:00+00:00")


@pytest.fixture
def late_afternoon(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.now", lambda: LATE_AFTERNOON)


@pytest.fixture
def open_hours(store):
    store.opening_hours, store.picking_minutes = HOURS, 120
    store.save(update_fields=["opening_hours", "picking_minutes"])
    return store


def test_the_store_api_says_when_an_order_placed_now_is_ready(
    late_afternoon, api_client, open_hours, django_assert_num_queries
):
    rome = StoreFactory(code="ROM-01", name="Roma", time_zone="Europe/Rome", opening_hours=HOURS, picking_minutes=60)

    detail = api_client.get("/api/v1/stores/LON-01/").json()
    assert detail["pickup_promise"] == {"ready_at": "2026-12-03T10:00:00+00:00", "label": "Ready tomorrow from 10:00"}
    # 18:00 in Rome: closed, ready an hour after Thursday's opening, on Rome's clock
    in_rome = api_client.get(f"/api/v1/stores/{rome.code}/").json()["pickup_promise"]
    assert in_rome == {"ready_at": "2026-12-03T10:00:00+01:00", "label": "Ready tomorrow from 10:00"}

    with django_assert_num_queries(1):
        two = api_client.get("/api/v1/stores/").json()
    for index in range(4):
        StoreFactory(code=f"MORE-{index}", opening_hours=HOURS)
    with django_assert_num_queries(1):
        six = api_client.get("/api/v1/stores/").json()
    assert (len(two["results"]), len(six["results"])) == (2, 6)


def test_availability_at_a_store_carries_its_promise(late_afternoon, api_client, open_hours, shirt):
    rows = api_client.get("/api/v1/availability/?sku=SHIRT-M&store=LON-01").json()["results"]
    assert rows[0]["pickup_promise"]["label"] == "Ready tomorrow from 10:00"
    everywhere = api_client.get("/api/v1/availability/?sku=SHIRT-M").json()["results"]
    assert [row["pickup_promise"]["ready_at"] for row in everywhere] == ["2026-12-03T10:00:00+00:00"]
    # near a point too (a raw statement: the store's opening hours read from its jsonb as the ORM would)
    near = api_client.get("/api/v1/availability/?sku=SHIRT-M&near=51.5,-0.12").json()["results"]
    assert [row["pickup_promise"]["label"] for row in near] == ["Ready tomorrow from 10:00"]


def test_checkout_records_the_promise_and_the_queue_shows_it(
    api_client, shopper_user, shopper, open_hours, shirt, associate_client
):
    api_client.force_authenticate(shopper_user)
    body = {
        "lines": [{"sku": shirt.sku, "quantity": 1}],
        "fulfillment": {"kind": "pickup", "store": "LON-01"},
        "payments": [{"method": "card", "token": "tok_visa_4242"}],
    }
    response = api_client.post("/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
    assert response.status_code == 201
    order = Order.objects.get()
    promised = collect_promise(open_hours, order.placed_at)
    assert Fulfillment.objects.get().promised_at == promised
    assert response.json()["fulfillments"][0]["promised_at"] is not None

    queue = associate_client.get("/portal/orders/pickups/").content.decode()
    assert "Promised for" in queue
