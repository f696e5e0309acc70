"""Browser journeys of a head-office merchandiser in the admin: sign in with TOTP, change a price,
import a stock count CSV (first with a mistake, then corrected); schedule a weekend sale that
starts and ends by itself (beat's task run at its start and its end)."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from inventory import services as stock
from inventory.models import PriceSchedule, Product, StockLevel
from inventory.pricing import run_price_schedules
from tests.factories import TEST_PASSWORD, StoreFactory, UserFactory, WarehouseFactory
from tests.helpers import enrol_totp, totp_code
from tests.inventory.factories import CategoryFactory, ProductFactory, VariantFactory

pytestmark = pytest.mark.e2e


@pytest.fixture
def catalog(transactional_db):
    warehouse = WarehouseFactory(code="WH-01", name="Omnistore Northampton DC")
    StoreFactory(code="LON-01", name="Omnistore Covent Garden")
    shirts = CategoryFactory(name="Shirts", slug="shirts")
    shirt = ProductFactory(style_code="LS-0042", name="Linen shirt", brand="Omnistore", category=shirts,
                           base_price=Decimal("39.90"))  # fmt: skip
    for size in ("S", "M", "L"):
        variant = VariantFactory(product=shirt, sku=f"LS-0042-{size}", size=size)
        stock.receive_stock(location=warehouse, lines=[(variant, 12)], reference="PO-7781")
    return shirt


def test_a_merchandiser_changes_a_price_and_imports_a_stock_count(browser_page, catalog, sign_in, screenshot, tmp_path):
    page = browser_page
    # given a merchandiser with two-step verification
    user = UserFactory(email="mia.merch@omnistore.test", full_name="Mia Merchandiser", is_staff=True,
                       groups=["merchandiser"])  # fmt: skip
    secret = enrol_totp(user)
    # when she signs in with password and code, and opens the admin
    sign_in(page, user.email, TEST_PASSWORD)
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
    page.get_by_label("Code").fill(totp_code(secret))
    page.get_by_role("button", name="Verify and sign in").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/2fa/"))  # the POST lands before the next goto
    page.goto("/admin/")
    expect(page.locator("#site-name")).to_contain_text("Omnistore head office")
    # then she finds the product by its style code and changes its price
    page.get_by_role("link", name="Products").first.click()
    page.locator("#searchbar").fill("LS-0042")
    page.locator("#searchbar").press("Enter")
    page.get_by_role("link", name="LS-0042").click()
    expect(page.locator("#id_base_price")).to_have_value("39.90")
    page.locator("#id_base_price").fill("34.90")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    expect(page.locator("#result_list .field-variant_count")).to_have_text("3")  # searching by SKU joins variants
    screenshot(page, "admin-product-price")
    assert Product.objects.get(style_code="LS-0042").base_price == Decimal("34.90")

    # when she uploads a stock count with a mistake on one line
    page.goto("/admin/inventory/stocklevel/")
    page.get_by_role("link", name="Import stock CSV").click()
    wrong = tmp_path / "count-wrong.csv"
    wrong.write_text("sku,location,on_hand\nLS-0042-S,WH-01,10\nLS-0042-M,WH-01,eleven\nLS-0042-XL,WH-01,4\n")
    page.get_by_label("CSV file").set_input_files(str(wrong))
    page.get_by_role("button", name="Upload and import").click()
    # then the page names the bad lines and nothing changed
    expect(page.locator(".import-errors li")).to_have_count(2)
    expect(page.locator(".import-errors")).to_contain_text("line 3: on_hand must be a whole number")
    expect(page.locator(".import-errors")).to_contain_text("line 4: unknown SKU 'LS-0042-XL'")
    screenshot(page, "admin-import-errors")
    assert set(StockLevel.objects.values_list("on_hand", flat=True)) == {12}
    # when she corrects the file and uploads it again
    fixed = tmp_path / "count.csv"
    fixed.write_text("sku,location,on_hand\nLS-0042-S,WH-01,10\nLS-0042-M,WH-01,11\nLS-0042-L,WH-01,12\n")
    page.get_by_label("CSV file").set_input_files(str(fixed))
    page.get_by_role("button", name="Upload and import").click()
    # then the stock list says what happened and shows the counted figures
    expect(page.locator(".messagelist")).to_contain_text("Imported 3 rows: 0 created, 2 updated, 1 unchanged.")
    screenshot(page, "admin-import-done")
    assert sorted(StockLevel.objects.values_list("variant__sku", "on_hand")) == [
        ("LS-0042-L", 12), ("LS-0042-M", 11), ("LS-0042-S", 10)]  # fmt: skip


def test_a_merchandiser_schedules_a_weekend_sale_that_starts_and_ends_by_itself(
    browser_page, catalog, sign_in, screenshot
):
    page = browser_page
    coat = ProductFactory(style_code="CT-0007", name="Wool coat", category=catalog.category,
                          base_price=Decimal("120.00"))  # fmt: skip
    VariantFactory(product=coat, sku="CT-0007-XL", size="XL", price_override=Decimal("130.00"))
    user = UserFactory(email="mia.merch@omnistore.test", full_name="Mia Merchandiser", is_staff=True,
                       groups=["merchandiser"])  # fmt: skip
    secret = enrol_totp(user)
    sign_in(page, user.email, TEST_PASSWORD)
    page.get_by_label("Code").fill(totp_code(secret))
    page.get_by_role("button", name="Verify and sign in").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/2fa/"))  # the POST lands before the next goto
    # given the coats and the linen shirt chosen in the products list
    page.goto("/admin/inventory/product/")
    for style in ("CT-0007", "LS-0042"):
        page.locator("#result_list tr", has_text=style).locator("input[name=_selected_action]").check()
    page.locator("select[name=action]").select_option("change_prices")
    page.locator("button[name=index]").click()
    # when she asks for 25% off, prices ending in .99, from tomorrow 9:00 for two days
    start = (timezone.localtime() + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    end = start + timedelta(days=2)
    page.get_by_label("Change by (%)").fill("-25")
    page.get_by_label("Ends in .99").check()
    page.get_by_label("Reason").fill("Winter weekend")
    page.get_by_label("On a schedule").check()
    page.get_by_label("Name").fill("Winter weekend sale")
    page.locator("#id_starts_at").fill(start.strftime("%Y-%m-%dT%H:%M"))
    page.locator("#id_ends_at").fill(end.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Preview the new prices").click()
    # then the preview shows every price, was and now, and nothing has changed yet
    preview = page.get_by_role("table", name="Prices before and after")
    expect(preview.locator("tbody tr")).to_have_count(3)
    expect(preview.locator("tr", has_text="CT-0007-XL")).to_contain_text("€130.00")
    expect(preview.locator("tr", has_text="CT-0007-XL")).to_contain_text("€97.99")
    expect(preview.locator("tr", has_text="LS-0042")).to_contain_text("€29.99")
    screenshot(page, "admin-price-preview")
    assert Product.objects.get(pk=coat.pk).base_price == Decimal("120.00")
    # when she schedules it
    page.get_by_role("button", name="Schedule these prices").click()
    expect(page.locator(".messagelist")).to_contain_text("Winter weekend sale: 3 prices change on")
    schedule = PriceSchedule.objects.get()
    assert (schedule.starts_at, schedule.ends_at, schedule.status) == (start, end, "scheduled")
    # when beat's minute comes after the start, the sale prices are on by themselves
    assert run_price_schedules(now=start + timedelta(seconds=30)) == {"started": 1, "ended": 0}
    page.goto(f"/admin/inventory/priceschedule/{schedule.pk}/change/")
    expect(page.locator(".field-status")).to_contain_text("Running")
    page.goto("/admin/inventory/pricechange/")
    expect(page.locator("#result_list tbody tr")).to_have_count(3)
    expect(page.locator("#result_list")).to_contain_text("Scheduled change started")
    expect(page.locator("#result_list")).to_contain_text("Winter weekend sale: Winter weekend")
    screenshot(page, "admin-price-ledger-started")
    assert Product.objects.get(pk=coat.pk).base_price == Decimal("89.99")
    # when its end has come, the prices it replaced are back, and the ledger says so
    assert run_price_schedules(now=end + timedelta(seconds=30)) == {"started": 0, "ended": 1}
    page.goto(f"/admin/inventory/product/{coat.pk}/change/")
    expect(page.locator("#id_base_price")).to_have_value("120.00")
    page.goto("/admin/inventory/pricechange/")
    expect(page.locator("#result_list tbody tr")).to_have_count(6)
    expect(page.locator("#result_list")).to_contain_text("Scheduled change ended")
    screenshot(page, "admin-price-ledger-ended")
    assert page.console_errors == []
