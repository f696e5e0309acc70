"""The returns desk's "in progress" table at the counter's screens (issue 16): at 1366 (desktop) and
1024 (tablet) pixels wide nothing is clipped or scrolls sideways, and no RMA number wraps."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from customers.services import create_customer
from inventory import services as inventory
from orders.models import Fulfillment
from orders.returns.models import ReturnRequest
from orders.returns.services import LineRequest, start_return
from orders.services import GroupRequest, TenderRequest, hand_over_pickup, mark_ready, place_order, scan_pick
from retail.models import StoreMembership
from tests.factories import TEST_PASSWORD, MembershipFactory, StoreFactory, UserFactory
from tests.helpers import pickup_proof
from tests.inventory.factories import VariantFactory
from tests.returns.factories import make_policy

pytestmark = pytest.mark.e2e

# For the table of returns in progress: how far it runs past its card (clipped or scrolled), how far
# the page scrolls sideways, and the RMA numbers and order numbers that take more than one line.
MEASURE = """() => {
  const card = document.querySelector('#progress-h').closest('section');
  const table = card.querySelector('table');
  const lines = (el) => el.getClientRects().length;  // an inline element has one box per line it spans
  return {
    overflow: Math.max(0, table.getBoundingClientRect().right - card.getBoundingClientRect().right,
                       card.scrollWidth - card.clientWidth),
    page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
    wrapped: [...card.querySelectorAll('.rma-no, .order-no')].filter(el => lines(el) > 1).map(el => el.textContent),
    rows: table.querySelectorAll('tbody tr').length,
  };
}"""


@pytest.fixture
def busy_desk(transactional_db):
    """Manchester's desk with six returns in progress: long names, a receipt-less one, one for a manager."""
    covent = StoreFactory(code="LON-01", name="Omnistore Covent Garden", city="London")
    manchester = StoreFactory(code="MAN-01", name="Omnistore Manchester Arndale", city="Manchester")
    make_policy("Standard returns 2026")
    shirt = VariantFactory(sku="LIN-SHIRT-NAV-M", product__name="Linen shirt", product__base_price=Decimal("1249.00"))
    inventory.receive_stock(location=covent, lines=[(shirt, 20)], reference="PO-100")
    picker = MembershipFactory(store=covent).user
    associate = MembershipFactory(
        store=manchester, role=StoreMembership.Role.ASSOCIATE, user=UserFactory(full_name="Priya Shah")
    ).user
    names = [("Maximilian", "Featherstonehaugh-Wellington"), ("Amelia", "Hart"), ("Oluwaseun", "Adebayo-Okonkwo"),
             ("Li", "Na"), ("Anne-Sophie", "de la Fontaine-Beaumarchais"), ("Tom", "Walsh")]  # fmt: skip
    for first, last in names:
        shopper = create_customer(first_name=first, last_name=last, email=f"{first.lower()}@example.com")
        order = place_order(
            channel="web",
            groups=[GroupRequest(kind="pickup", lines=[(shirt.sku, 1)], store=covent)],
            customer=shopper,
            tenders=[TenderRequest(method="card", token="tok_visa_4242")],
        )
        f = order.fulfillments.get()
        scan_pick(fulfillment=f, code=shirt.sku, actor=picker, store=covent)
        mark_ready(fulfillment=Fulfillment.objects.get(pk=f.pk), actor=picker, store=covent)
        hand_over_pickup(fulfillment=Fulfillment.objects.get(pk=f.pk), actor=picker, store=covent,
                         verification="code", collected_by_name="", proof=pickup_proof(f, "code"))  # fmt: skip
        start_return(order=order, lines=[LineRequest(line_number=1, quantity=1, reason="wrong_size")],
                     channel="app", store=manchester)  # fmt: skip
    ReturnRequest.objects.filter(pk=ReturnRequest.objects.order_by("pk").first().pk).update(approval_required=True)
    return {"associate": associate}


@pytest.mark.parametrize("width", [1366, 1024])
def test_returns_in_progress_fit_the_counters_screen(browser, live_server, sign_in, busy_desk, width, screenshot):
    context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": 800}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    try:
        sign_in(page, busy_desk["associate"].email, TEST_PASSWORD)
        expect(page.locator("h1")).to_contain_text("Manchester")
        page.goto("/portal/returns/")
        expect(page.locator("#progress-h")).to_have_text("Returns in progress here")
        measured = page.evaluate(MEASURE)
        screenshot(page, f"returns-desk-in-progress-{width}")
        assert measured["rows"] == 6
        assert measured["overflow"] <= 0, measured
        assert measured["page"] <= 0, measured
        assert measured["wrapped"] == [], measured
        assert errors == []
    finally:
        context.close()
