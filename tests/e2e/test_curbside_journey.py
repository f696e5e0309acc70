"""A curbside arrival: the shopper says "I'm here" in the app, the associate sees them on top of the
pick-up queue (whatever tab is open) with the time they have waited, and hands the order over."""

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
from tests.factories import TEST_PASSWORD, MembershipFactory, StoreFactory, UserFactory
from tests.inventory.factories import ProductFactory, VariantFactory

pytestmark = pytest.mark.e2e


@pytest.fixture
def curbside_day(transactional_db):
    """Covent Garden with Priya at the counter, Jane (an app shopper) and Omar already waiting outside."""
    store = StoreFactory(code="LON-01", name="Omnistore Covent Garden", city="London")
    associate = MembershipFactory(
        store=store, role=StoreMembership.Role.ASSOCIATE, user=UserFactory(full_name="Priya Shah")
    ).user
    for sku, name, price in (("LIN-SHIRT-NAVY-M", "Linen shirt", "49.00"), ("TOTE-NAT", "Cotton tote", "15.00")):
        VariantFactory(product=ProductFactory(name=name, base_price=Decimal(price)), sku=sku)
    receive_stock(location=store, lines=[("LIN-SHIRT-NAVY-M", 10), ("TOTE-NAT", 10)], reference="PO-1")
    jane_user = UserFactory(email="jane@example.com", full_name="Jane Cooper", email_verified=True)
    jane = create_customer(first_name="Jane", last_name="Cooper", email="jane@example.com", user=jane_user)
    set_consent(customer=jane, channel="email", granted=True, source="app")
    # Omar came for his curbside order 12 minutes ago; it is still to pick. Lucy's is an ordinary pick-up.
    orders = {}
    for first, kind in (("Omar", "curbside"), ("Lucy", "pickup")):
        shopper = create_customer(first_name=first, last_name="Shopper", email=f"{first.lower()}@example.com")
        orders[first] = place_order(
            channel="app",
            groups=[GroupRequest(kind=kind, store=store, lines=[("TOTE-NAT", 1)])],
            customer=shopper,
            tenders=[TenderRequest(method="card", token="tok_visa_4242")],
        )
    now = timezone.now()
    for order in orders.values():
        Order.objects.filter(pk=order.pk).update(placed_at=now - timedelta(minutes=40))
        Fulfillment.objects.filter(order=order).update(created_at=now - timedelta(minutes=40))
    omar = orders["Omar"].fulfillments.get()
    record_arrival(fulfillment=omar, note="Silver Yaris")
    Fulfillment.objects.filter(pk=omar.pk).update(arrived_at=now - timedelta(minutes=12))
    return {"store": store, "associate": associate, "omar": orders["Omar"], "lucy": orders["Lucy"]}


def test_a_curbside_arrival_is_on_top_of_every_tab_with_time_waiting_and_is_handed_over(
    browser_page, curbside_day, sign_in, screenshot
):
    page, store, associate = browser_page, curbside_day["store"], curbside_day["associate"]
    api = page.context.request
    # given Jane orders a shirt in the app for curbside pick-up, and the store picks it and makes it ready
    login = api.post("/_allauth/app/v1/auth/login", data={"email": "jane@example.com", "password": TEST_PASSWORD})
    token = login.json()["meta"]["session_token"]
    checkout = api.post(
        "/api/v1/orders/",
        headers={"X-Session-Token": token, "Idempotency-Key": str(uuid.uuid4())},
        data={
            "channel": "app",
            "lines": [{"sku": "LIN-SHIRT-NAVY-M", "quantity": 1}],
            "fulfillment": {"kind": "curbside", "store": "LON-01"},
            "payments": [{"method": "card", "token": "tok_visa_4242"}],
        },
    )
    assert checkout.status == 201, checkout.text()
    number = checkout.json()["number"]
    jane_pickup = Fulfillment.objects.get(order__number=number)
    scan_pick(fulfillment=jane_pickup, code="LIN-SHIRT-NAVY-M", actor=associate, store=store)
    mark_ready(fulfillment=Fulfillment.objects.get(pk=jane_pickup.pk), actor=associate, store=store)

    # and the associate has the queue open on the To pick tab (it refreshes itself every 30 s)
    page.clock.install()
    sign_in(page, associate.email, TEST_PASSWORD)
    expect(page.locator(".user-menu")).to_contain_text("Priya Shah")
    page.goto("/portal/orders/pickups/?tab=to_pick")
    arrivals = page.locator("#arrivals")
    expect(arrivals.locator("h2")).to_have_text("1 shopper waiting at the curb")
    expect(arrivals.locator("tbody tr")).to_have_count(1)

    # when Jane, parked outside, taps "I'm here" in the app, three minutes before the next refresh
    arrived = api.post(
        f"/api/v1/orders/{number}/arrived/", headers={"X-Session-Token": token}, data={"note": "Red Fiat, bay 3"}
    )
    assert arrived.ok, arrived.text()
    Fulfillment.objects.filter(pk=jane_pickup.pk).update(arrived_at=timezone.now() - timedelta(minutes=3))
    page.clock.run_for(31_000)

    # then she is listed on top of the To pick tab though her order is Ready: below Omar, who waited longer
    expect(arrivals.locator("h2")).to_have_text("2 shoppers waiting at the curb")
    rows = arrivals.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text(curbside_day["omar"].number)
    expect(rows.nth(0).locator(".waiting")).to_have_text("12 min")
    expect(rows.nth(1)).to_contain_text(number)
    expect(rows.nth(1)).to_contain_text("Jane Cooper")
    expect(rows.nth(1)).to_contain_text("Red Fiat, bay 3")
    expect(rows.nth(1).locator(".waiting")).to_have_text("3 min")
    expect(rows.nth(1)).to_contain_text("Ready")
    # the list comes before the tabs and the To pick rows (Omar's and Lucy's orders)
    assert arrivals.bounding_box()["y"] < page.locator("table.queue").bounding_box()["y"]
    expect(page.locator(".tab.active")).to_contain_text("To pick")
    expect(page.locator("table.queue tbody tr")).to_have_count(2)
    screenshot(page, "curbside-arrivals-to-pick")

    # and on every other tab too
    for tab in ("Picking", "Ready", "Overdue"):
        page.locator(".tabs").get_by_role("link", name=tab).click()
        expect(page.locator(".tab.active")).to_contain_text(tab)
        expect(page.locator("#arrivals tbody tr")).to_have_count(2)
    page.set_viewport_size({"width": 1024, "height": 768})
    expect(page.locator("#arrivals tbody tr").nth(1)).to_be_visible()
    screenshot(page, "curbside-arrivals-1024")

    # when the associate takes Jane's bag out and hands it over, checking her photo ID
    page.locator("#arrivals tbody tr").nth(1).get_by_role("link", name="Hand over").click()
    handover = page.locator(".handover")
    expect(handover).to_contain_text(number)
    handover.get_by_label("I checked a photo ID matching this name").check()
    handover.get_by_role("button", name="Hand over", exact=True).click()

    # then the receipt shows, and only Omar is still waiting outside
    expect(page.locator(".receipt")).to_contain_text("Collected by Jane Cooper")
    assert Order.objects.get(number=number).status == "completed"
    page.goto("/portal/orders/pickups/")
    expect(page.locator("#arrivals h2")).to_have_text("1 shopper waiting at the curb")
    expect(page.locator("#arrivals")).not_to_contain_text(number)
    screenshot(page, "curbside-after-hand-over")
    assert page.console_errors == []
