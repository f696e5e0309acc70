"""The associate's day in one browser journey: a manager signs in with TOTP, reads the dashboard,
finds a shopper, works the clienteling screen, looks up stock here and nearby, and hands over a
pick-up at the counter. Taking a return is its own journey (tests/e2e/test_return_journey.py);
picking by scanning is in tests/e2e/test_pickup_journey.py.
"""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from customers.services import add_list_item, create_customer, set_consent
from inventory.services import receive_stock
from orders.models import Order
from orders.services import GroupRequest, TenderRequest, mark_ready, place_order, scan_pick
from retail.models import AuditEvent, StoreMembership
from tests.factories import TEST_PASSWORD, MembershipFactory, StoreFactory, UserFactory
from tests.helpers import enrol_totp, totp_code
from tests.inventory.factories import CategoryFactory, ProductFactory, VariantFactory

pytestmark = pytest.mark.e2e


@pytest.fixture
def day(transactional_db):
    """Covent Garden and Oxford Circus (1.5 km apart), a manager with TOTP, and Grace with a pick-up ready."""
    covent = StoreFactory(code="LON-01", name="Omnistore Covent Garden", address_line="12 Long Acre",
                          latitude=Decimal("51.5118"), longitude=Decimal("-0.1233"))  # fmt: skip
    oxford = StoreFactory(code="LON-02", name="Omnistore Oxford Circus", latitude=Decimal("51.5152"),
                          longitude=Decimal("-0.1418"))  # fmt: skip
    manager = MembershipFactory(
        store=covent, role=StoreMembership.Role.MANAGER, user=UserFactory(full_name="Sam Manager")
    ).user
    secret = enrol_totp(manager)
    tops = CategoryFactory(slug="tops", name="Tops")
    product = ProductFactory(name="Linen blouse", category=tops, base_price=Decimal("64.00"))
    for size in ("S", "M", "L"):
        VariantFactory(product=product, sku=f"BLOUSE-{size}", size=size, colour="Blue")
    receive_stock(location=covent, lines=[("BLOUSE-S", 3), ("BLOUSE-L", 2)], reference="PO-1")
    receive_stock(location=oxford, lines=[("BLOUSE-M", 4)], reference="PO-2")
    grace = create_customer(first_name="Grace", last_name="Hopper", email="grace@example.com",
                            phone="07700 900123", home_store=covent)  # fmt: skip
    set_consent(customer=grace, channel="email", granted=True, source="app")
    add_list_item(customer=grace, sku="BLOUSE-M", channel="app")
    order = place_order(
        channel="app",
        groups=[GroupRequest(kind="pickup", lines=[("BLOUSE-S", 1)], store=covent)],
        customer=grace,
        tenders=[TenderRequest(method="card", token="tok_visa_4242")],
    )
    fulfillment = order.fulfillments.get()
    scan_pick(fulfillment=fulfillment, code="BLOUSE-S", actor=manager, store=covent)
    mark_ready(fulfillment=order.fulfillments.get(), actor=manager, store=covent)
    return {"store": covent, "manager": manager, "secret": secret, "grace": grace, "order": order}


def test_a_managers_day_at_the_counter(browser_page, day, sign_in, screenshot):
    page = browser_page
    grace, order = day["grace"], Order.objects.get(pk=day["order"].pk)
    code = order.fulfillments.get().pickup_code

    # given the manager signs in with password, then the code of her authenticator app
    sign_in(page, day["manager"].email, TEST_PASSWORD)
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
    page.get_by_label("Code").fill(totp_code(day["secret"]))
    page.get_by_role("button", name="Verify and sign in").click()
    # then the store's dashboard opens
    expect(page.get_by_role("heading", level=1)).to_have_text("Omnistore Covent Garden")
    expect(page.locator(".user-menu")).to_contain_text("Sam Manager")
    screenshot(page, "day-1-dashboard")

    # when a shopper gives her phone number, typed the associate's way
    page.get_by_label("Find a customer").fill("07700 900 123")
    suggestion = page.locator("#customer-typeahead a", has_text="Grace Hopper")
    expect(suggestion).to_be_visible()
    suggestion.click()
    # then her clienteling screen shows, and the look is audited
    expect(page.locator(".profile-head h1")).to_have_text("Grace Hopper")
    # the panels below the fold come on scroll (they are replaced when they arrive: scroll in one
    # step in the page rather than hold on to a placeholder that may go while Playwright waits on it)
    page.evaluate("s => document.querySelector(s).scrollIntoView()", "#panel-pickups")
    expect(page.locator("#panel-lists")).to_contain_text("BLOUSE-M")
    expect(page.locator("#panel-pickups")).to_contain_text(order.number)
    screenshot(page, "day-2-clienteling")
    viewed = AuditEvent.objects.get(action="customer.viewed", object_id=str(grace.pk))
    assert (viewed.actor, viewed.store) == (day["manager"], day["store"])

    # when the blouse on her wishlist is looked up: none in M here
    page.get_by_role("link", name="Stock", exact=True).click()
    page.get_by_label("SKU, barcode or name").fill("BLOUSE-M")
    page.get_by_role("button", name="Look up").click()
    # then the nearest store with it is shown, with its distance and how many are available
    results = page.locator("#lookup-results")
    expect(results).to_contain_text("LON-02")
    expect(results).to_contain_text("4 available")
    expect(results.locator("tbody tr").first).to_contain_text("not stocked")
    screenshot(page, "day-3-stock-nearby")

    # when she reads out her pick-up code at the counter
    page.get_by_role("link", name="Pick-ups", exact=True).click()
    page.get_by_role("link", name="Counter hand-over").click()
    page.get_by_label("QR, pick-up code or order number").fill(code)
    page.get_by_role("button", name="Find").click()
    handover = page.locator(".handover")
    expect(handover).to_contain_text(order.number)
    expect(handover).to_contain_text("Grace Hopper")
    screenshot(page, "day-4-counter")
    handover.get_by_role("button", name="Hand over", exact=True).click()
    # then the receipt shows and the order is complete, its payment captured
    expect(page.locator(".receipt")).to_contain_text("Collected by Grace Hopper")
    order.refresh_from_db()
    assert order.status == "completed"
    assert order.payments.get().captured_amount == Decimal("64.00")
    screenshot(page, "day-5-receipt")

    # and at the end of the shift she signs out
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    assert page.console_errors == []
