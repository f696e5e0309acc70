"""Issue 18, done when: a gift card is bought online, half spent in store, the rest refunded back to it.
The app and the till are API callers (tests/returns/test_giftcard_journey.py walks the same through the
API alone); the browser part is the counter: the balance check, and the return at the desk."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from rest_framework.test import APIClient

from customers.models import GiftCard
from customers.services.giftcards import CODE_TOPIC
from customers.services.linking import link_user_to_customer
from customers.services.profiles import update_customer_profile
from inventory.services import receive_stock
from orders.notifications import RecordingAdapter
from retail.models import OutboxMessage, StoreMembership
from retail.outbox import deliver_outbox_message
from retail.services import issue_pos_device
from tests.factories import TEST_PASSWORD, MembershipFactory, StoreFactory, UserFactory
from tests.inventory.factories import CategoryFactory, ProductFactory, VariantFactory
from tests.returns.factories import make_policy

pytestmark = pytest.mark.e2e


def test_a_gift_card_bought_in_the_app_is_half_spent_at_the_till_and_refunded_onto_it_at_the_desk(
    browser_page, sign_in, screenshot, transactional_db, settings
):
    settings.ORDERS_EMAIL_ADAPTER = "orders.notifications.RecordingAdapter"
    RecordingAdapter.reset()
    # given Covent Garden with an oxford shirt at 30.00, Priya at the counter and Jane in the app
    store = StoreFactory(code="LON-01", name="Omnistore Covent Garden")
    make_policy("Standard returns 2026")
    priya = MembershipFactory(store=store, role=StoreMembership.Role.ASSOCIATE,
                              user=UserFactory(full_name="Priya Shah")).user  # fmt: skip
    shirts = CategoryFactory(name="Shirts", slug="shirts")
    product = ProductFactory(name="Oxford shirt", base_price=Decimal("30.00"), category=shirts)
    VariantFactory(product=product, sku="SHIRT-M")
    receive_stock(location=store, lines=[("SHIRT-M", 5)], reference="PO-1")
    login = UserFactory(email="jane@example.com", full_name="Jane Cooper", email_verified=True)
    jane = link_user_to_customer(user=login)
    update_customer_profile(customer=jane, values={"card_number": "OMNI-000123"})

    # when Jane buys a 60.00 gift card in the app, and the number reaches her by email
    app = APIClient()
    app.force_authenticate(login)
    bought = app.post("/api/v1/me/giftcards/", {"amount": "60.00", "payment_token": "tok_visa_4242"},
                      format="json", HTTP_IDEMPOTENCY_KEY="e2e-gift")  # fmt: skip
    assert bought.status_code == 201, bought.json()
    message = OutboxMessage.objects.get(topic=CODE_TOPIC)
    assert deliver_outbox_message(message_id=message.pk, attempt=0)[0] == "delivered"
    number = re.search(r"Gift card number: ([\d ]+)", RecordingAdapter.sent[-1].body).group(1).strip()
    last4 = bought.json()["last4"]

    # and pays a 30.00 shirt with half of it at the till
    till = APIClient()
    till.credentials(HTTP_AUTHORIZATION=f"Device {issue_pos_device(store=store, name='Till 1')[1]}")
    sale = till.post("/api/v1/pos/sales/", {
        "receipt_number": "R-GIFT", "customer": {"card": "OMNI-000123"}, "lines": [{"sku": "SHIRT-M", "quantity": 1}],
        "tenders": [{"method": "gift_card", "amount": "30.00", "code": number}]}, format="json")  # fmt: skip
    assert sale.status_code == 201, sale.json()
    order_number = sale.json()["number"]

    # then Priya checks the card at the counter: 30.00 left, its last four digits only
    sign_in(page := browser_page, priya.email, TEST_PASSWORD)
    page.get_by_role("link", name="Gift cards", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Gift card balance")
    page.get_by_label("Gift card number").fill(number)
    page.keyboard.press("Enter")
    expect(page.locator("#giftcard-h")).to_have_text(f"Gift card ····{last4}")
    expect(page.locator("#giftcard-balance")).to_contain_text("€30.00")
    expect(page.locator("body")).not_to_contain_text(number.replace(" ", "")[:12])
    for width in (1366, 1024):
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, f"giftcard_balance_half_spent_{width}")

    # when Jane brings the shirt back and Priya takes it at the returns desk to the original payment
    page.goto("/portal/returns/")
    page.get_by_label("RMA QR, order or receipt number, or the shopper").fill(order_number)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Return from order {order_number}")
    expect(page.locator(".page-head")).to_contain_text(f"···{last4}")
    page.locator("select[id^=qty_]").select_option("1")
    with page.expect_response(lambda response: "/preview/" in response.url):
        page.locator("select[id^=reason_]").select_option("wrong_size")
    expect(page.locator(".money-totals .grand")).to_contain_text("30.00")
    page.get_by_role("radio", name="Original payment").check()
    screenshot(page, "giftcard_return_desk")
    page.get_by_role("button", name=re.compile(r"^Complete return")).click()
    expect(page.locator(".money-totals")).to_contain_text("To the original payment")

    # then the 30.00 is back on the card, which Priya sees holds 60.00 again
    page.get_by_role("link", name="Gift cards", exact=True).click()
    page.get_by_label("Gift card number").fill(number)
    page.keyboard.press("Enter")
    expect(page.locator("#giftcard-balance")).to_contain_text("€60.00")
    screenshot(page, "giftcard_balance_refunded")
    card = GiftCard.objects.get()
    assert card.balance == Decimal("60.00")
    assert sorted(card.entries.values_list("kind", flat=True)) == ["issue", "redeem", "refund"]
    assert page.console_errors == []
