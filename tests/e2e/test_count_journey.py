"""Browser journey (issue 16): a cycle count needing approval. The associate counts a shelf, sees
the review, the write-off beyond the store's limit waits for a manager, and the manager approves
it with their PIN from the counts awaiting approval; only then does the stock change."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from inventory import services as inventory
from inventory.models import StockCount, StockLevel, StockMovement
from retail.approvals import set_approval_pin
from retail.models import AuditEvent, StoreMembership
from tests.factories import TEST_PASSWORD, MembershipFactory, StoreFactory, UserFactory
from tests.helpers import MANAGER_PIN, enrol_totp
from tests.inventory.factories import VariantFactory

pytestmark = pytest.mark.e2e


@pytest.fixture
def shop(transactional_db):
    store = StoreFactory(code="LON-01", name="Omnistore Covent Garden")
    hoodie = VariantFactory(
        sku="HOOD-GRY-M", barcode="5000000000017", product__name="Heavy hoodie",
        product__base_price=Decimal("59.00"), colour="Grey", size="M",
    )  # fmt: skip
    tee = VariantFactory(sku="TEE-WHT-M", product__name="Cotton tee", product__base_price=Decimal("19.00"))
    inventory.receive_stock(location=store, lines=[(hoodie, 23), (tee, 4)], reference="PO-1")
    associate = MembershipFactory(store=store, user=UserFactory(full_name="Priya Associate")).user
    manager = MembershipFactory(
        store=store, role=StoreMembership.Role.MANAGER, user=UserFactory(full_name="Sam Manager")
    ).user
    enrol_totp(manager)
    set_approval_pin(user=manager, store=store, pin=MANAGER_PIN, password=TEST_PASSWORD)
    return {"store": store, "hoodie": hoodie, "tee": tee, "associate": associate, "manager": manager}


def test_a_cycle_count_needing_approval(browser_page, shop, sign_in, screenshot):
    page, store, hoodie = browser_page, shop["store"], shop["hoodie"]
    # given the associate signs in and starts a count of the hoodie shelf
    sign_in(page, shop["associate"].email, TEST_PASSWORD)
    expect(page).to_have_url(re.compile(r"/portal/$"))
    page.get_by_role("link", name="Stock", exact=True).click()
    page.get_by_role("link", name="Cycle counts").click()
    page.get_by_label("What are you counting?").fill("Hoodie shelf")
    page.get_by_role("button", name="Start a count").click()
    # when they scan the one hoodie on the shelf and the four tees
    scan = page.get_by_label("Scan a barcode (or type a SKU)")
    scan.fill(hoodie.barcode)
    scan.press("Enter")
    expect(page.locator("#count-sheet")).to_contain_text("Heavy hoodie")
    for scanned in range(1, 5):  # each scan swaps the sheet: wait for it before the next
        page.get_by_label("Scan a barcode (or type a SKU)").fill("tee-wht-m")
        page.get_by_label("Scan a barcode (or type a SKU)").press("Enter")
        tees = page.locator("#count-sheet tbody tr", has_text="Cotton tee").locator("td.num")
        expect(tees).to_have_text(str(scanned))
    page.get_by_role("link", name="Review and post the count").click()

    # then the review shows expected vs counted, the difference and its value, and asks a manager
    expect(page.get_by_role("heading", level=1)).to_contain_text("Review count")
    row = page.locator("table.count-review tbody tr", has_text="Heavy hoodie")
    expect(row.locator("td.num").nth(0)).to_have_text("23")
    expect(row.locator("td.num").nth(1)).to_have_text("1")
    expect(row.locator("td.num").nth(2)).to_contain_text("-22")
    expect(row.locator("td.num").nth(2)).to_contain_text("Over 5")
    expect(row.locator("td.num").nth(3)).to_have_text("-€1,298.00")
    expect(page.locator(".alert")).to_contain_text("This count needs a manager's approval before it posts.")
    expect(page.locator(".alert")).to_contain_text("HOOD-GRY-M: -22 units is more than this store's limit of 5.")
    screenshot(page, "count-1-review")
    # when the associate sends it to a manager instead of posting
    page.get_by_role("button", name="Send to a manager for approval").click()
    expect(page.locator(".messages")).to_contain_text("waiting for a manager's approval; nothing was posted")
    expect(page.get_by_role("heading", level=2, name="Waiting for a manager")).to_be_visible()
    # then nothing has changed yet
    assert StockLevel.objects.get(variant=hoodie, location=store).on_hand == 23

    # when the manager comes to the tablet, finds it among the counts awaiting approval
    page.get_by_role("link", name="All counts").click()
    waiting = page.locator("section", has=page.get_by_role("heading", name="Counts awaiting a manager's approval"))
    expect(waiting).to_contain_text("Priya Associate")
    expect(waiting).to_contain_text("HOOD-GRY-M: -22 units")
    count = StockCount.objects.get(location=store)
    waiting.get_by_role("link", name=str(count.pk)).click()
    # and a wrong PIN is refused on the form, nothing posted
    page.get_by_label("Manager email").fill(shop["manager"].email)
    page.get_by_label("Approval PIN").fill("000000")
    page.get_by_role("button", name="Approve and post").click()
    expect(page.locator("fieldset.approval [role=alert]")).to_contain_text("Manager approval refused")
    assert StockLevel.objects.get(variant=hoodie, location=store).on_hand == 23
    # (the refusal is answered 403 with the form: the browser logs that status, nothing else)
    assert page.console_errors == ["Failed to load resource: the server responded with a status of 403 (Forbidden)"]
    page.console_errors.clear()
    # and then the right one approves
    page.get_by_label("Manager email").fill(shop["manager"].email)
    page.get_by_label("Approval PIN").fill(MANAGER_PIN)
    page.get_by_label("Note (required to reject)").fill("Checked the back room")
    page.get_by_role("button", name="Approve and post").click()

    # then the count is posted and the stock changed through the ledger
    expect(page.locator(".messages")).to_contain_text(f"Count #{count.pk} approved and posted")
    screenshot(page, "count-2-approved")
    assert StockLevel.objects.get(variant=hoodie, location=store).on_hand == 1
    assert StockLevel.objects.get(variant=shop["tee"], location=store).on_hand == 4
    movement = StockMovement.objects.get(reference=f"count:{count.pk}")
    assert (movement.kind, movement.quantity, movement.actor) == ("count", -22, shop["associate"])
    event = AuditEvent.objects.get(action="stock.count_approved")
    assert event.actor == shop["manager"] and event.details["method"] == "pin"
    page.goto(f"/portal/stock/counts/{count.pk}/")
    expect(page.locator("main")).to_contain_text("Approved by Sam Manager")
    assert page.console_errors == []
