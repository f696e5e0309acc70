"""Issue 18, done when: a shopper redeems 500 points and an offer at the till, and the same offer is
then refused online. The till and the app are API callers (tests/orders/test_loyalty_across_channels.py
holds the rules); the browser part is what the associate sees on the clienteling screen between them."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect
from rest_framework.test import APIClient

from customers.models import LoyaltyAccount
from customers.services.linking import link_user_to_customer
from customers.services.loyalty import assign_offer, earn_points
from customers.services.profiles import update_customer_profile
from inventory.services import receive_stock
from retail.models import StoreMembership
from retail.services import issue_pos_device
from tests.customers.factories import OfferFactory
from tests.factories import TEST_PASSWORD, MembershipFactory, StoreFactory, UserFactory
from tests.inventory.factories import ProductFactory, VariantFactory

pytestmark = pytest.mark.e2e


def test_500_points_and_an_offer_used_at_the_till_show_on_the_profile_and_are_refused_online(
    browser_page, sign_in, screenshot, transactional_db
):
    # given Jane with 800 points and a 10% offer, at the Covent Garden till with two shirts
    store = StoreFactory(code="LON-01", name="Omnistore Covent Garden")
    priya = MembershipFactory(store=store, role=StoreMembership.Role.ASSOCIATE,
                              user=UserFactory(full_name="Priya Shah")).user  # fmt: skip
    VariantFactory(product=ProductFactory(name="Oxford shirt", base_price=Decimal("30.00")), sku="SHIRT-M")
    receive_stock(location=store, lines=[("SHIRT-M", 5)], reference="PO-1")
    login = UserFactory(email="jane@example.com", full_name="Jane Cooper", email_verified=True)
    jane = link_user_to_customer(user=login)
    update_customer_profile(customer=jane, values={"first_name": "Jane", "last_name": "Cooper",
                                                   "card_number": "OMNI-000123"})  # fmt: skip
    earn_points(customer=jane, reference="seed", points=800)
    assign_offer(offer=OfferFactory(code="ten", name="Ten percent", discount_percent=Decimal("10.00")), customer=jane)

    # when the till scans her card and she uses the offer and 500 points
    _, token = issue_pos_device(store=store, name="Till 1")
    till = APIClient()
    till.credentials(HTTP_AUTHORIZATION=f"Device {token}")
    receipt = {"receipt_number": "R-500", "customer": {"card": "OMNI-000123"}, "offer_code": "ten", "points": 500,
               "lines": [{"sku": "SHIRT-M", "quantity": 2}],
               "tenders": [{"method": "card", "amount": "49.00", "brand": "visa", "last4": "4242"}]}  # fmt: skip
    sale = till.post("/api/v1/pos/sales/", receipt, format="json")
    assert sale.status_code == 201, sale.json()
    left = LoyaltyAccount.objects.get(customer=jane).balance

    # then Priya sees on Jane's profile the offer used in store and what is left of her points
    sign_in(page := browser_page, priya.email, TEST_PASSWORD)
    page.goto(f"/portal/customers/{jane.pk}/")
    expect(page.get_by_text("Used", exact=False).filter(has_text="at LON-01")).to_be_visible()
    expect(page.get_by_text(f"{left:,}", exact=False).first).to_be_visible()
    for width in (1366, 1024):
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, f"loyalty_used_at_till_{width}")

    # and the app's checkout refuses the same offer, and more points than are left
    app = APIClient()
    app.force_authenticate(login)
    body = {"channel": "app", "lines": [{"sku": "SHIRT-M", "quantity": 1}],
            "fulfillment": {"kind": "pickup", "store": "LON-01"},
            "payments": [{"method": "card", "token": "tok_visa_4242"}]}  # fmt: skip
    offer = app.post("/api/v1/orders/", {**body, "offer_code": "ten"}, format="json", HTTP_IDEMPOTENCY_KEY="e2e-1")
    points = app.post("/api/v1/orders/", {**body, "points": 500}, format="json", HTTP_IDEMPOTENCY_KEY="e2e-2")
    assert (offer.status_code, offer.json()["code"]) == (409, "offer_already_redeemed")
    assert (points.status_code, points.json()["code"]) == (409, "insufficient_points")
    assert page.console_errors == []
