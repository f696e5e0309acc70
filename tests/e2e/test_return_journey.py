"""Browser journey: bought on the web, return started in the app, scanned and refunded at another store."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from rest_framework.test import APIClient

from customers.models import Interaction, StoreCreditAccount
from customers.services.linking import link_user_to_customer
from customers.services.profiles import set_consent
from inventory import services as inventory
from inventory.models import StockLevel, StockMovement
from orders.models import Fulfillment
from orders.returns.models import ReturnRequest
from orders.services import GroupRequest, TenderRequest, hand_over_pickup, mark_ready, place_order, scan_pick
from retail.models import StoreMembership
from tests.factories import TEST_PASSWORD, MembershipFactory, StoreFactory, UserFactory
from tests.helpers import pickup_proof
from tests.inventory.factories import CategoryFactory, VariantFactory
from tests.returns.factories import make_policy

pytestmark = pytest.mark.e2e


@pytest.fixture
def chain(transactional_db):
    """Covent Garden sold a linen shirt online (collected there); Manchester takes the return."""
    covent = StoreFactory(code="LON-01", name="Omnistore Covent Garden", city="London")
    manchester = StoreFactory(
        code="MAN-01", name="Omnistore Manchester Arndale", city="Manchester", latitude="53.4839", longitude="-2.2386"
    )
    make_policy("Standard returns 2026")
    tops = CategoryFactory(name="Shirts", slug="shirts")
    shirt = VariantFactory(
        sku="LIN-SHIRT-NAV-M",
        product__name="Linen shirt",
        product__base_price=Decimal("49.00"),
        product__category=tops,
        colour="Navy",
        size="M",
    )
    inventory.receive_stock(location=covent, lines=[(shirt, 6)], reference="PO-100")
    picker = MembershipFactory(store=covent, user=UserFactory(full_name="Ola Picker")).user
    associate = MembershipFactory(
        store=manchester, role=StoreMembership.Role.ASSOCIATE, user=UserFactory(full_name="Priya Associate")
    ).user
    shopper_user = UserFactory(email="amelia@example.com", full_name="Amelia Hart")
    shopper = link_user_to_customer(user=shopper_user)
    set_consent(customer=shopper, channel="email", granted=True, source="app")
    order = place_order(
        channel="web",
        groups=[GroupRequest(kind="pickup", lines=[(shirt.sku, 2)], store=covent)],
        customer=shopper,
        tenders=[TenderRequest(method="card", token="tok_visa_4242")],
    )
    fulfillment = order.fulfillments.get()
    for _ in range(2):
        scan_pick(fulfillment=fulfillment, code=shirt.sku, actor=picker, store=covent)
    mark_ready(fulfillment=Fulfillment.objects.get(pk=fulfillment.pk), actor=picker, store=covent)
    hand_over_pickup(
        fulfillment=Fulfillment.objects.get(pk=fulfillment.pk),
        actor=picker,
        store=covent,
        verification="code",
        collected_by_name=order.contact_name,
        proof=pickup_proof(Fulfillment.objects.get(pk=fulfillment.pk), "code"),
    )
    return {
        "order": order,
        "shirt": shirt,
        "manchester": manchester,
        "associate": associate,
        "shopper": shopper,
        "shopper_user": shopper_user,
    }


def test_online_order_returned_in_another_store_to_store_credit(browser_page, chain, sign_in, screenshot):
    page = browser_page
    order, shirt, manchester = chain["order"], chain["shirt"], chain["manchester"]
    # given the shopper starts a return of one shirt in the app, to bring to Manchester
    app = APIClient()
    app.force_authenticate(chain["shopper_user"])
    started = app.post(
        "/api/v1/returns/",
        {
            "order_number": order.number,
            "method": "in_store",
            "channel": "app",
            "store": "MAN-01",
            "lines": [{"line_number": 1, "quantity": 1, "reason": "wrong_size"}],
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY="return-journey-1",
    )
    assert started.status_code == 201, started.json()
    qr_payload = started.json()["qr_payload"]
    rma = started.json()["rma_number"]

    # when an associate in Manchester signs in and scans the QR code at the returns desk
    sign_in(page, chain["associate"].email, TEST_PASSWORD)
    expect(page).to_have_url(re.compile(r"/portal/$"))
    expect(page.locator("#returns-h")).to_have_text("Returns waiting")
    page.get_by_role("link", name="Returns desk").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Returns desk")
    page.get_by_label("RMA QR, order or receipt number, or the shopper").fill(qr_payload)
    page.keyboard.press("Enter")

    # then the return opens with the policy's verdict in words
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Return {rma}")
    expect(page.locator(".verdict").first).to_contain_text("Bought on the web today; web orders can be returned")
    expect(page.locator(".verdict .badge").first).to_have_text("Eligible")
    # when they confirm the condition and choose store credit
    with page.expect_response(lambda response: "/preview/" in response.url):
        page.get_by_label("Condition").select_option("opened")
    expect(page.locator(".money-totals .grand")).to_contain_text("49.00")
    page.get_by_role("radio", name="Store credit").check()
    screenshot(page, "returns-desk")
    page.get_by_role("button", name=re.compile(r"^Complete return")).click()

    # then the receipt shows the credit
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Return {rma}")
    expect(page.locator(".money-totals")).to_contain_text("As store credit")
    screenshot(page, "returns-receipt")
    request = ReturnRequest.objects.get(rma_number=rma)
    assert (request.status, request.store, request.refund_method) == ("refunded", manchester, "store_credit")
    assert StoreCreditAccount.objects.get(customer=chain["shopper"]).balance == Decimal("49.00")
    # and the shirt is back on sale in Manchester's ledger
    assert StockLevel.objects.get(variant=shirt, location=manchester).on_hand == 1
    assert StockMovement.objects.filter(location=manchester, kind="return_restock", reference=f"return:{rma}").exists()
    # and the shopper's timeline says where it was bought and where it came back
    entry = Interaction.objects.get(customer=chain["shopper"], kind="return")
    assert entry.subject == f"Bought on the web, returned in {manchester.name} ({rma})"
    page.goto(f"/portal/customers/{chain['shopper'].pk}/")
    expect(page.locator("#panel-timeline")).to_contain_text("Bought on the web, returned in Omnistore Manchester")
    page.evaluate("s => document.querySelector(s).scrollIntoView()", "#panel-returns")  # below the fold
    expect(page.locator("#panel-returns")).to_contain_text(rma)
    assert page.console_errors == []


def test_out_of_window_store_purchase_is_approved_by_a_manager_on_the_same_screen(
    browser_page, chain, sign_in, screenshot
):
    from datetime import timedelta

    from django.utils import timezone

    from orders.models import Order
    from orders.services import PosSale, record_pos_sale
    from retail.approvals import set_approval_pin
    from retail.services import issue_pos_device
    from tests.helpers import MANAGER_PIN, enrol_totp

    page = browser_page
    manchester, shirt = chain["manchester"], chain["shirt"]
    inventory.receive_stock(location=manchester, lines=[(shirt, 3)], reference="PO-200")
    manager = MembershipFactory(
        store=manchester, role=StoreMembership.Role.MANAGER, user=UserFactory(full_name="Sam Manager")
    ).user
    enrol_totp(manager)
    set_approval_pin(user=manager, store=manchester, pin=MANAGER_PIN, password=TEST_PASSWORD)
    device, _ = issue_pos_device(store=manchester, name="Till 2")
    # given a till sale in Manchester 40 days ago (store purchases: 28 days)
    sale, _ = record_pos_sale(
        device=device,
        sale=PosSale(
            receipt_number="MAN-2231",
            lines=[{"sku": shirt.sku, "quantity": 1}],
            tenders=[{"method": "card", "amount": "49.00", "last4": "1881", "brand": "visa"}],
            customer={"email": "amelia@example.com"},
        ),
    )
    Order.objects.filter(pk=sale.pk).update(placed_at=timezone.now() - timedelta(days=40))  # set-up: an old sale
    # when the associate types the receipt number at the desk and picks the shirt
    sign_in(page, chain["associate"].email, TEST_PASSWORD)
    page.goto("/portal/returns/")
    page.get_by_label("RMA QR, order or receipt number, or the shopper").fill("MAN-2231")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Return from order")
    with page.expect_response(lambda response: "/preview/" in response.url):
        page.get_by_label(f"Units of {shirt.sku} to return").select_option("1")
    # the reason is the associate's to choose: none is preselected
    expect(page.get_by_label("Reason", exact=True)).to_have_value("")
    with page.expect_response(lambda response: "/preview/" in response.url):
        page.get_by_label("Reason", exact=True).select_option("changed_mind")
    # then the verdict asks for a manager, on the same screen
    expect(page.locator(".verdict .badge").first).to_have_text("Needs a manager")
    expect(page.locator(".verdict").first).to_contain_text("store purchases can be returned within 28 days")
    expect(page.get_by_role("group", name="Manager approval")).to_be_visible()
    # when the manager signs for it with their approval PIN and a reason
    page.get_by_label("Manager email").fill(manager.email)
    page.get_by_label("Approval PIN").fill(MANAGER_PIN)
    page.get_by_label("Reason for the override").fill("Gift, unworn with tags")
    screenshot(page, "returns-approval")
    page.get_by_role("button", name=re.compile(r"^Complete return")).click()
    # then the refund goes back to the card and the receipt names the approver
    expect(page.locator(".money-totals")).to_contain_text("To the original payment")
    expect(page.get_by_text("Approved by Sam Manager")).to_be_visible()
    request = ReturnRequest.objects.get(order=sale)
    assert request.approved_by == manager and request.approval_reason == "Gift, unworn with tags"
    # and the desk lists it among this week's returns
    page.goto("/portal/returns/")
    expect(page.locator("#recent-h")).to_be_visible()
    screenshot(page, "returns-desk-list")
    assert page.console_errors == []
