"""Ship-from-store from the portal, and the cost of a checkout staying flat as orders grow."""

import uuid
from decimal import Decimal

import pytest

from inventory import services as inventory
from inventory.models import StockLevel, StockMovement
from orders.models import Fulfillment, Notification, Payment
from orders.services import GroupRequest, TenderRequest, place_order
from retail.models import OutboxMessage
from retail.outbox import deliver_outbox_message
from tests.inventory.factories import VariantFactory

pytestmark = pytest.mark.django_db

ADDRESS = {"line1": "1 Deansgate", "city": "Manchester", "postcode": "M3 1AA"}


def test_a_ship_order_is_picked_and_shipped_from_the_store(associate_client, shopper, store, shirt):
    store.ships_orders = True
    store.save(update_fields=["ships_orders"])
    group = GroupRequest(kind="ship", lines=[("SHIRT-M", 2)], shipping_address=ADDRESS)
    order = place_order(
        channel="web", customer=shopper, groups=[group], tenders=[TenderRequest(method="card", token="tok_visa_4242")]
    )
    f = Fulfillment.objects.get(order=order)
    assert (f.location, f.kind) == (store, "ship")
    queue = associate_client.get("/portal/orders/pickups/?tab=to_ship").content.decode()
    assert order.number in queue
    for _ in range(2):
        associate_client.post(f"/portal/orders/pickups/{f.pk}/scan/", {"code": "SHIRT-M"}, HTTP_HX_REQUEST="true")
    page = associate_client.get(f"/portal/orders/pickups/{f.pk}/").content.decode()
    assert "Ship to" in page and "M3 1AA" in page
    response = associate_client.post(f"/portal/orders/pickups/{f.pk}/ship/", {"tracking": "JD000123GB"})
    assert response.status_code == 302
    f.refresh_from_db()
    assert (f.status, f.tracking_number, f.order.status) == ("shipped", "JD000123GB", "completed")
    assert Payment.objects.get(order=order).captured_amount == Decimal("60.00")
    assert StockMovement.objects.filter(kind="sale", reference=f"order:{order.number}").count() == 1
    assert StockLevel.objects.get(variant=shirt, location=store).reserved == 0
    message = OutboxMessage.objects.get(topic="orders.notify")
    deliver_outbox_message(message_id=message.pk, attempt=0)
    assert Notification.objects.get(channel="email").kind == "shipped"


def test_checkout_costs_the_same_queries_for_three_lines_or_ten(
    api_client, shopper_user, shopper, store, django_assert_num_queries
):
    variants = [VariantFactory(sku=f"SKU-{i}", product__base_price="10.00") for i in range(10)]
    inventory.receive_stock(location=store, lines=[(v, 50) for v in variants], reference="PO-9")
    api_client.force_authenticate(shopper_user)

    def checkout(n):
        body = {
            "lines": [{"sku": v.sku, "quantity": 1} for v in variants[:n]],
            "fulfillment": {"kind": "pickup", "store": "LON-01"},
            "payments": [{"method": "card", "token": "tok_visa_4242"}],
        }
        return api_client.post("/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))

    checkout(1)  # the shopper's loyalty account and first timeline entry exist from here on
    # the benchmark's budget is 40 for 3 lines; here savepoints of the test's own transaction count too
    # 37 until the reservation's update and insert became one statement and the timeline stopped
    # re-reading the foreign keys of its interaction; 37 with the webhook events (order.placed with its
    # outbox message in one statement, stock.changed coalesced into the open event of each SKU and store);
    # 38 with the market's tax rates of the day (one read, however many lines: compute_tax); 37 again
    # once they are cached per store and day (checkout(1) above read them); 35 since the timeline claims
    # its idempotency key first (ON CONFLICT) instead of a look-up and a savepoint around its insert
    # 36 with the prices of the pick-up store's market (one read for every line: inventory.market_prices);
    # 37 with the home market's currency, which the tier's spend is counted in (897db12)
    with django_assert_num_queries(37) as three:
        assert checkout(3).status_code == 201
    with django_assert_num_queries(len(three.captured_queries)):
        assert checkout(10).status_code == 201
