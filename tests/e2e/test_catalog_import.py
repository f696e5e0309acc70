"""Browser journey of head office importing a catalog file (issue 16): a category typo is caught on
its line instead of becoming a category; "only check the file" shows what each line would do; a
semicolon-separated file from a spreadsheet with decimal commas imports as it is."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from inventory.models import Category, Product, Variant
from tests.factories import TEST_PASSWORD, StoreFactory, UserFactory
from tests.helpers import enrol_totp, totp_code
from tests.inventory.factories import CategoryFactory, ProductFactory, VariantFactory

pytestmark = pytest.mark.e2e


@pytest.fixture
def catalog(transactional_db):
    """Men / Outerwear with a field jacket in M, and a store (head office lands in the portal)."""
    StoreFactory(code="LON-01", name="Omnistore Covent Garden")
    men = CategoryFactory(name="Men", slug="men")
    outerwear = CategoryFactory(name="Outerwear", slug="men-outerwear", parent=men)
    jacket = ProductFactory(style_code="JK-1", name="Field jacket", category=outerwear, base_price=Decimal("129.00"))
    VariantFactory(product=jacket, sku="JK-1-M", size="M", colour="Olive")
    return outerwear


def test_head_office_catches_a_category_typo_checks_the_file_then_imports_it(
    browser_page, catalog, sign_in, screenshot, tmp_path
):
    page = browser_page
    user = UserFactory(email="mia.merch@omnistore.test", full_name="Mia Merchandiser", is_staff=True,
                       groups=["merchandiser"])  # fmt: skip
    secret = enrol_totp(user)
    sign_in(page, user.email, TEST_PASSWORD)
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
    page.get_by_label("Code").fill(totp_code(secret))
    page.get_by_role("button", name="Verify and sign in").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/2fa/"))
    page.goto("/admin/inventory/product/")
    page.get_by_role("link", name="Import catalog CSV").click()
    # when she uploads a file, saved by her spreadsheet with semicolons, where one category is misspelt
    rows = [
        "style_code;name;category;base_price;sku;size;colour",
        "JK-1;Field jacket;Men / Outerwear;119,00;JK-1-M;M;Olive",
        "JK-1;Field jacket;Men / Outerwear;119,00;JK-1-L;L;Olive",
        "PK-2;Rain parka;Men / Outerwaer;149,90;PK-2-M;M;Navy",
    ]
    typo = tmp_path / "autumn.csv"
    typo.write_text("\n".join(rows) + "\n", encoding="utf-8")
    page.get_by_label("CSV file").set_input_files(str(typo))
    page.get_by_role("button", name="Upload and import").click()
    # then the misspelt category is an error on its line, with the category she meant, and nothing is written
    errors = page.locator(".import-errors li")
    expect(errors).to_have_count(1)
    expect(errors).to_have_text(
        "line 4: category 'Men / Outerwaer' does not exist. Did you mean 'Men / Outerwear'? "
        "Correct it, or import with 'create missing categories' to add it."
    )
    screenshot(page, "admin-catalog-import-typo")
    assert Category.objects.count() == 2 and not Product.objects.filter(style_code="PK-2").exists()

    # when she corrects it and only checks the file
    fixed = tmp_path / "autumn-fixed.csv"
    fixed.write_text(typo.read_text().replace("Outerwaer", "Outerwear"), encoding="utf-8")
    page.get_by_label("CSV file").set_input_files(str(fixed))
    page.get_by_label("Only check the file (write nothing)").check()
    page.get_by_role("button", name="Upload and import").click()
    # then the page says what each line would do, read as a semicolon-separated file
    plan = page.get_by_role("region", name="What importing this file would do (nothing was written)")
    expect(plan).to_contain_text("3 rows: 2 would be created, 1 updated, 0 left unchanged.")
    expect(plan).to_contain_text("Read as a semicolon-separated file.")
    # the file has no brand or barcode column: those are kept, only the price changes
    expect(plan.locator("tr.import-update td").last).to_have_text("base_price: 129.00 → 119.00")
    expect(plan.locator("tr.import-create")).to_have_count(2)
    screenshot(page, "admin-catalog-import-check")
    assert Product.objects.get(style_code="JK-1").base_price == Decimal("129.00")

    # when she imports it (the check is cleared once the file checked clean)
    expect(page.get_by_label("Only check the file (write nothing)")).not_to_be_checked()
    page.get_by_label("CSV file").set_input_files(str(fixed))
    page.get_by_role("button", name="Upload and import").click()
    # then the products list says what happened, and the catalog holds the new prices and styles
    expect(page.locator(".messagelist")).to_contain_text("Imported 3 rows: 2 created, 1 updated, 0 unchanged.")
    assert Product.objects.get(style_code="JK-1").base_price == Decimal("119.00")
    assert Product.objects.get(style_code="PK-2").category == catalog
    assert Variant.objects.filter(product__style_code__in=["JK-1", "PK-2"]).count() == 3
    assert page.console_errors == []
