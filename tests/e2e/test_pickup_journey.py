"""Click-and-collect end to end: an app order placed through the API appears in the store's queue,
is picked with the scanner, marked ready and handed over by its code; the shopper's timeline then
shows the web order, the pick-up and a store sale posted by the till."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from customers.services import create_customer, set_consent
from inventory.services import receive_stock
from orders.models import Fulfillment, Order
from orders.services import GroupRequest, TenderRequest, mark_ready, place_order, record_arrival, scan_pick
from retail.models import StoreMembership
from retail.services import issue_pos_device
from tests.factories import TEST_PASSWORD, MembershipFactory, StoreFactory, UserFactory
from tests.inventory.factories import CategoryFactory, ProductFactory, VariantFactory

pytestmark = pytest.mark.e2e

CATALOG = [
    ("Linen shirt", "Shirts", "LIN-SHIRT-NAVY-M", "5012345000017", "Navy", "M", "49.00"),
    ("Straight jeans", "Denim", "JEANS-STR-32", "5012345000024", "Indigo", "32", "69.00"),
    ("Merino jumper", "Knitwear", "MERINO-CREW-L", "5012345000031", "Oat", "L", "89.00"),
    ("Cotton tote", "Accessories", "TOTE-NAT", "5012345000048", "Natural", "", "15.00"),
]


@pytest.fixture
def store_day(transactional_db):
    """Covent Garden with an associate, a small catalog in stock, Jane (an app shopper) and a queue."""
    store = StoreFactory(code="LON-01", name="Omnistore Covent Garden", address_line="12 Long Acre", city="London")
    associate = MembershipFactory(
        store=store, role=StoreMembership.Role.ASSOCIATE, user=UserFactory(full_name="Priya Associate")
    ).user
    for name, category, sku, barcode, colour, size, price in CATALOG:
        product = ProductFactory(name=name, category=CategoryFactory(slug=category.lower(), name=category),
                                 base_price=Decimal(price))  # fmt: skip
        VariantFactory(product=product, sku=sku, barcode=barcode, colour=colour, size=size)
    receive_stock(location=store, lines=[(row[2], 12) for row in CATALOG], reference="PO-1")
    jane_user = UserFactory(email="jane@example.com", full_name="Jane Cooper", email_verified=True)
    jane = create_customer(first_name="Jane", last_name="Cooper", email="jane@example.com", user=jane_user,
                           home_store=store, card_number="6000 0000 0042")  # fmt: skip
    set_consent(customer=jane, channel="email", granted=True, source="app")
    # Other shoppers' pick-ups, so the queue looks like a Saturday morning.
    others = [("Omar", "Haddad"), ("Lucy", "Zhang"), ("Tom", "Walsh"), ("Ana", "Costa")]
    for index, (first, last) in enumerate(others):
        shopper = create_customer(first_name=first, last_name=last, email=f"{first.lower()}@example.com")
        order = place_order(
            channel="web" if index % 2 else "app",
            groups=[GroupRequest(kind="curbside" if index == 3 else "pickup", store=store,
                                 lines=[(CATALOG[index][2], 1), (CATALOG[(index + 1) % 4][2], 1)])],
            customer=shopper,
            tenders=[TenderRequest(method="card", token="tok_visa_4242")],
        )  # fmt: skip
        f = order.fulfillments.get()
        placed = timezone.now() - timedelta(minutes=25 + 35 * index)
        if index == 0:
            placed = timezone.now() - timedelta(hours=3)  # past the 2-hour pick promise: overdue
        if index == 3:
            record_arrival(fulfillment=f, note="Blue Golf, bay 2")
        Order.objects.filter(pk=order.pk).update(placed_at=placed)
        Fulfillment.objects.filter(pk=f.pk).update(created_at=placed)
    ready = others[1]
    f = Fulfillment.objects.get(order__contact_name=f"{ready[0]} {ready[1]}")
    for line in f.lines.all():
        scan_pick(fulfillment=f, code=line.sku, actor=associate, store=store)
    mark_ready(fulfillment=f, actor=associate, store=store)
    return {"store": store, "associate": associate, "jane": jane, "jane_user": jane_user}


def test_app_order_picked_by_scanning_made_ready_and_handed_over_by_code(
    browser_page, store_day, sign_in, screenshot, live_server
):
    page, store, jane = browser_page, store_day["store"], store_day["jane"]
    api = page.context.request
    # given Jane signs in on the app and orders a shirt and jeans for pick-up at Covent Garden
    login = api.post("/_allauth/app/v1/auth/login", data={"email": "jane@example.com", "password": TEST_PASSWORD})
    assert login.ok, login.text()
    token = login.json()["meta"]["session_token"]
    checkout = api.post(
        "/api/v1/orders/",
        headers={"X-Session-Token": token, "Idempotency-Key": str(uuid.uuid4())},
        data={
            "channel": "web",
            "lines": [{"sku": "LIN-SHIRT-NAVY-M", "quantity": 2}, {"sku": "JEANS-STR-32", "quantity": 1}],
            "fulfillment": {"kind": "pickup", "store": "LON-01"},
            "payments": [{"method": "card", "token": "tok_visa_4242"}],
        },
    )
    assert checkout.status == 201, checkout.text()
    number = checkout.json()["number"]

    # when the associate opens the pick-up queue
    sign_in(page, store_day["associate"].email, TEST_PASSWORD)
    tile = page.locator(".tile-pickups")
    expect(tile).to_contain_text("Click-and-collect")
    expect(tile.locator(".stat").first).to_have_text("4")  # Jane's and three others to pick
    screenshot(page, "pickup-dashboard")
    page.get_by_role("link", name="Pick-ups").first.click()
    expect(page.locator("h1")).to_have_text("Pick-ups")
    # then Jane's order is there to pick, with the shopper waiting outside on top
    row = page.locator("table.queue tbody tr", has_text=number)
    expect(row).to_contain_text("Jane Cooper")
    expect(page.locator("table.queue tbody tr").first).to_contain_text("Here since")
    expect(page.locator(".tab.active")).to_contain_text("To pick")
    screenshot(page, "pickup-queue")

    # when they pick it by scanning: a wrong item first, then every unit
    row.get_by_role("link", name="Pick").click()
    expect(page.locator("h1")).to_have_text(f"Pick {number}")
    scan = page.get_by_label("Scan each item (barcode or SKU)")
    scan.fill("5012345000048")
    scan.press("Enter")
    expect(page.locator(".scan-bad")).to_contain_text("is not on this order")
    shirt_row = page.locator(".pick-lines tr", has_text="LIN-SHIRT-NAVY-M")
    jeans_row = page.locator(".pick-lines tr", has_text="JEANS-STR-32")
    for code, row, count in (("5012345000017", shirt_row, "1 / 2"), ("LIN-SHIRT-NAVY-M", shirt_row, "2 / 2"),
                             ("5012345000024", jeans_row, "1 / 1")):  # fmt: skip
        page.get_by_label("Scan each item (barcode or SKU)").fill(code)
        page.get_by_label("Scan each item (barcode or SKU)").press("Enter")
        expect(row.locator(".pick-count")).to_have_text(count)
    expect(page.locator("tr.line-done")).to_have_count(2)
    expect(page.locator("#pick-status")).to_have_text("Picking")
    screenshot(page, "pickup-picklist")
    page.get_by_role("button", name="Mark ready and notify the shopper").click()
    # then it moves to Ready and Jane's app shows the code
    expect(page.locator(".tab.active")).to_contain_text("Ready")
    expect(page.locator("table.queue")).to_contain_text(number)
    detail = api.get(f"/api/v1/orders/{number}/", headers={"X-Session-Token": token}).json()
    code = detail["fulfillments"][0]["pickup_code"]
    assert detail["fulfillments"][0]["status"] == "ready" and len(code) == 6

    # when Jane comes to the counter and reads out her code
    page.get_by_role("link", name="Counter hand-over").click()
    page.get_by_label("QR, pick-up code or order number").fill(code)
    page.get_by_role("button", name="Find").click()
    handover = page.locator(".handover")
    expect(handover).to_contain_text(number)
    expect(handover).to_contain_text("Jane Cooper")
    screenshot(page, "pickup-counter")
    handover.get_by_role("button", name="Hand over", exact=True).click()
    # then the receipt shows, the payment is captured and the order is completed
    expect(page.locator(".receipt")).to_contain_text("Collected by Jane Cooper")
    order = Order.objects.get(number=number)
    assert order.status == "completed"
    assert order.payments.get().captured_amount == Decimal("167.00")

    # when she also buys a tote at the till, which posts the sale with her loyalty card
    _, device_token = issue_pos_device(store=store, name="Till 1")
    sale = api.post(
        "/api/v1/pos/sales/",
        headers={"Authorization": f"Device {device_token}"},
        data={
            "receipt_number": "R-7781",
            "customer": {"card": "6000 0000 0042"},
            "lines": [{"barcode": "5012345000048", "quantity": 1}],
            "tenders": [{"method": "cash", "amount": "15.00"}],
        },
    )
    assert sale.status == 201, sale.text()

    # then her timeline shows the web order, the pick-up and the store sale
    page.goto(f"/portal/customers/{jane.pk}/")
    timeline = page.locator("#panel-timeline")
    expect(timeline).to_contain_text(f"Order {number}")
    expect(timeline).to_contain_text(f"Collected {number}")
    expect(timeline).to_contain_text("receipt R-7781")
    page.evaluate("s => document.querySelector(s).scrollIntoView()", "#panel-orders")  # below the fold
    expect(page.locator("#panel-orders")).to_contain_text(number)
    expect(page.locator("#panel-cart")).to_contain_text("The online cart is empty.")
    screenshot(page, "pickup-customer")
    assert page.console_errors == []
