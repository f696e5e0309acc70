"""A shopper who gave no name collects (issue 16): the pick-up code proves them; a name is asked
only for a named proxy. An email-only app sign-up orders for pick-up, and the associate hands the
order over at the counter with the code she reads out."""

import re
import uuid
from decimal import Decimal

import pytest
from django.core import mail
from playwright.sync_api import expect

from inventory.services import receive_stock
from orders.models import Fulfillment, Order
from orders.services import mark_ready, scan_pick
from retail.models import StoreMembership
from tests.factories import TEST_PASSWORD, MembershipFactory, StoreFactory, UserFactory
from tests.inventory.factories import ProductFactory, VariantFactory

pytestmark = pytest.mark.e2e


@pytest.fixture
def counter(transactional_db):
    store = StoreFactory(code="LON-01", name="Omnistore Covent Garden", city="London")
    associate = MembershipFactory(
        store=store, role=StoreMembership.Role.ASSOCIATE, user=UserFactory(full_name="Priya Shah")
    ).user
    VariantFactory(product=ProductFactory(name="Cotton tote", base_price=Decimal("15.00")), sku="TOTE-NAT")
    receive_stock(location=store, lines=[("TOTE-NAT", 10)], reference="PO-1")
    return {"store": store, "associate": associate}


def test_a_shopper_who_gave_no_name_collects_with_the_code(browser_page, counter, sign_in, screenshot):
    page, store, associate = browser_page, counter["store"], counter["associate"]
    api = page.context.request
    # given a shopper who signed up in the app with an email only (no name anywhere) and ordered a tote
    signup = api.post(
        "/_allauth/app/v1/auth/signup", data={"email": "no.name@example.com", "password": "a-long-Passphrase-9"}
    )
    assert signup.status == 401, signup.text()  # not signed in until she types the code mailed to her
    mailed = re.search(r"^([A-Z0-9]{4}-[A-Z0-9]{4})$", mail.outbox[-1].body, re.MULTILINE).group(1)
    verified = api.post(
        "/_allauth/app/v1/auth/email/verify",
        headers={"X-Session-Token": signup.json()["meta"]["session_token"]},
        data={"key": mailed},
    )
    assert verified.ok, verified.text()
    token = verified.json()["meta"]["session_token"]
    checkout = api.post(
        "/api/v1/orders/",
        headers={"X-Session-Token": token, "Idempotency-Key": str(uuid.uuid4())},
        data={
            "channel": "app",
            "lines": [{"sku": "TOTE-NAT", "quantity": 1}],
            "fulfillment": {"kind": "pickup", "store": "LON-01"},
            "payments": [{"method": "card", "token": "tok_visa_4242"}],
        },
    )
    assert checkout.status == 201, checkout.text()
    number = checkout.json()["number"]
    order = Order.objects.get(number=number)
    assert not order.shopper_name  # neither the order nor her profile has a name
    # and the store picked it and put it on the shelf; the app shows her the code
    pickup = Fulfillment.objects.get(order=order)
    scan_pick(fulfillment=pickup, code="TOTE-NAT", actor=associate, store=store)
    mark_ready(fulfillment=Fulfillment.objects.get(pk=pickup.pk), actor=associate, store=store)
    shown = api.get(f"/api/v1/orders/{number}/", headers={"X-Session-Token": token}).json()
    code = shown["fulfillments"][0]["pickup_code"]
    assert code

    # when she reads the code out at the counter
    sign_in(page, associate.email, TEST_PASSWORD)
    page.goto("/portal/orders/pickups/")
    page.get_by_role("link", name="Counter hand-over").click()
    page.get_by_label("QR, pick-up code or order number").fill(code)
    page.get_by_role("button", name="Find").click()
    # then her order is found, and no name is asked of her (only a proxy would give one)
    handover = page.locator(".handover")
    expect(handover).to_contain_text(number)
    expect(handover).to_contain_text("No name given")
    expect(handover).to_contain_text("The pick-up code proves the shopper: no name needed.")
    expect(handover.get_by_label("Name on the photo ID")).to_have_count(0)
    screenshot(page, "nameless-counter")
    handover.get_by_role("button", name="Hand over", exact=True).click()

    # and it is handed over: the receipt shows and the order is complete
    expect(page.locator(".receipt")).to_be_visible()
    expect(page.locator(".receipt")).to_contain_text(number)
    assert Order.objects.get(pk=order.pk).status == "completed"
    screenshot(page, "nameless-receipt")
    assert page.console_errors == []
