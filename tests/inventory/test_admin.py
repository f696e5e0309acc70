import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inventory import services
from inventory.models import PriceChange, PriceSchedule, Product, Variant
from retail.models import AuditEvent
from tests.factories import StoreFactory, UserFactory
from tests.helpers import enrol_totp
from tests.inventory.factories import ProductFactory, VariantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    superuser = UserFactory(is_staff=True, is_superuser=True)
    enrol_totp(superuser)  # admin users must have a second factor
    client.force_login(superuser)
    return client


def fill(n_stores, n_variants):
    stores = [StoreFactory(code=f"A-{n:02d}") for n in range(n_stores)]
    variants = [VariantFactory() for _ in range(n_variants)]
    for store in stores:
        services.receive_stock(location=store, lines=[(v, 2) for v in variants], reference="PO")
        services.reserve_stock(lines=[(variants[0], 1)], location=store, reference=f"o:{store.code}")


@pytest.mark.parametrize(
    "url",
    [
        "/admin/inventory/product/",
        "/admin/inventory/variant/",
        "/admin/inventory/stocklevel/",
        "/admin/inventory/stockmovement/",
        "/admin/inventory/reservation/",
        "/admin/inventory/category/",
    ],
)
def test_changelists_have_no_n_plus_one(admin_client, django_assert_max_num_queries, url):
    # given a little data, measure; then much more data, same bound
    fill(1, 1)
    admin_client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert admin_client.get(url).status_code == 200
    fill(4, 8)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert admin_client.get(url).status_code == 200


def test_product_change_page_shows_stock_per_location(admin_client):
    variant = VariantFactory(sku="DEN-1-M")
    services.receive_stock(location=StoreFactory(code="A-01"), lines=[(variant, 6)], reference="PO")
    html = admin_client.get(f"/admin/inventory/product/{variant.product_id}/change/").content.decode()
    assert "<td>DEN-1-M</td><td>A-01</td><td>6</td>" in html


def test_search_by_barcode(admin_client):
    variant = VariantFactory(barcode="5099999999991")
    ProductFactory()
    html = admin_client.get("/admin/inventory/product/", {"q": "5099999999991"}).content.decode()
    assert "1 result" in html and variant.product.style_code in html


def test_bulk_price_change_previews_was_and_now_then_applies(admin_client):
    # given
    a = ProductFactory(name="Coat", base_price=Decimal("40.00"))
    b = ProductFactory(name="Tee", base_price=Decimal("19.99"))
    override = VariantFactory(product=a, price_override=Decimal("30.00"))
    selected = {"action": "change_prices", ACTION_CHECKBOX_NAME: [a.pk, b.pk]}
    form = {"percent": "-10", "ending": ".99", "reason": "Spring sale", "when": "now"}
    # when the action is chosen, a form asks for the change
    response = admin_client.post("/admin/inventory/product/", selected)
    assert response.status_code == 200 and "Preview the new prices" in response.content.decode()
    # when previewed, every price is shown was / now, and nothing has changed yet
    page = admin_client.post("/admin/inventory/product/", {**selected, **form, "preview": "1"}).content.decode()
    assert "3 prices of 2 products" in page
    for was, now in [("€40.00", "€35.99"), ("€30.00", "€26.99"), ("€19.99", "€17.99")]:
        assert re.search(rf"{re.escape(was)}</td>\s*<td class=\"num\"><strong>{re.escape(now)}", page), (was, now)
    assert Product.objects.get(pk=a.pk).base_price == Decimal("40.00")
    fingerprint = re.search(r'name="fingerprint" value="([0-9a-f]+)"', page).group(1)
    # when applied
    response = admin_client.post(
        "/admin/inventory/product/", {**selected, **form, "fingerprint": fingerprint, "apply": "1"}
    )
    # then the previewed prices are written, each with its ledger row
    assert response.status_code == 302
    assert Product.objects.get(pk=a.pk).base_price == Decimal("35.99")
    assert Product.objects.get(pk=b.pk).base_price == Decimal("17.99")
    assert Variant.objects.get(pk=override.pk).price_override == Decimal("26.99")
    assert set(PriceChange.objects.values_list("source", "reason")) == {("bulk", "Spring sale")}
    assert PriceChange.objects.count() == 3


def test_a_preview_that_no_longer_matches_is_not_applied(admin_client):
    a = ProductFactory(base_price=Decimal("40.00"))
    selected = {"action": "change_prices", ACTION_CHECKBOX_NAME: [a.pk]}
    form = {"percent": "-10", "ending": "", "reason": "x", "when": "now"}
    page = admin_client.post("/admin/inventory/product/", {**selected, **form, "preview": "1"}).content.decode()
    fingerprint = re.search(r'name="fingerprint" value="([0-9a-f]+)"', page).group(1)
    # when the percent is edited after the preview and applied at once
    page = admin_client.post(
        "/admin/inventory/product/", {**selected, **form, "percent": "-50", "fingerprint": fingerprint, "apply": "1"}
    ).content.decode()
    # then nothing is written and the new preview is shown with the reason
    assert "not the ones previewed" in page and "€20.00" in page
    assert Product.objects.get(pk=a.pk).base_price == Decimal("40.00")


def test_a_scheduled_price_change_from_the_admin(admin_client):
    a = ProductFactory(name="Coat", base_price=Decimal("40.00"))
    selected = {"action": "change_prices", ACTION_CHECKBOX_NAME: [a.pk]}
    start = timezone.localtime() + timedelta(days=1)
    minute = "%Y-%m-%dT%H:%M"
    form = {
        "percent": "-25", "ending": "whole", "reason": "Weekend", "when": "schedule", "name": "Weekend sale",
        "starts_at": start.strftime(minute), "ends_at": (start + timedelta(days=2)).strftime(minute),
    }  # fmt: skip
    # a schedule without a name or with its end before its start is named on the form
    page = admin_client.post(
        "/admin/inventory/product/", {**selected, **form, "name": "", "ends_at": form["starts_at"], "preview": "1"}
    ).content.decode()
    assert "Name the scheduled change." in page and "The end must be after the start." in page
    page = admin_client.post("/admin/inventory/product/", {**selected, **form, "preview": "1"}).content.decode()
    assert "Schedule these prices" in page and "€30.00" in page
    fingerprint = re.search(r'name="fingerprint" value="([0-9a-f]+)"', page).group(1)
    response = admin_client.post(
        "/admin/inventory/product/", {**selected, **form, "fingerprint": fingerprint, "apply": "1"}, follow=True
    )
    assert "Weekend sale" in response.content.decode()
    schedule = PriceSchedule.objects.get()
    assert (schedule.status, schedule.lines.get().price) == ("scheduled", Decimal("30.00"))
    assert Product.objects.get(pk=a.pk).base_price == Decimal("40.00")  # not before it starts
    # and it is listed, with its line, and can be cancelled
    detail = admin_client.get(f"/admin/inventory/priceschedule/{schedule.pk}/change/").content.decode()
    assert "Weekend sale" in detail and "30.00" in detail
    admin_client.post(
        "/admin/inventory/priceschedule/", {"action": "cancel_schedules", ACTION_CHECKBOX_NAME: [schedule.pk]}
    )
    assert PriceSchedule.objects.get().status == "cancelled"


def test_prices_typed_in_the_product_form_go_to_the_ledger_which_nobody_edits(admin_client):
    product = ProductFactory(style_code="LS-1", name="Linen shirt", base_price=Decimal("39.90"))
    variant = VariantFactory(product=product, sku="LS-1-M", price_override=None)
    data = {
        "style_code": "LS-1", "name": "Linen shirt", "brand": "Omni", "category": product.category_id,
        "base_price": "34.90", "tax_class": "standard", "is_active": "on", "description": "", "image_url": "",
        "attributes": "{}", "return_window_days": "", "variants-TOTAL_FORMS": "1", "variants-INITIAL_FORMS": "1",
        "variants-MIN_NUM_FORMS": "0", "variants-MAX_NUM_FORMS": "1000", "variants-0-id": variant.pk,
        "variants-0-product": product.pk, "variants-0-sku": "LS-1-M", "variants-0-barcode": variant.barcode,
        "variants-0-size": "M", "variants-0-colour": "Navy", "variants-0-price_override": "29.90",
        "variants-0-is_active": "on", "translations-TOTAL_FORMS": "0", "translations-INITIAL_FORMS": "0",
    }  # fmt: skip
    response = admin_client.post(f"/admin/inventory/product/{product.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    rows = set(PriceChange.objects.values_list("variant__sku", "old_price", "new_price", "source"))
    assert rows == {(None, Decimal("39.90"), Decimal("34.90"), "edit"), ("LS-1-M", None, Decimal("29.90"), "edit")}
    # the ledger is listed and read-only in the admin
    ledger = admin_client.get("/admin/inventory/pricechange/", {"q": "LS-1"})
    assert ledger.status_code == 200 and "34.90" in ledger.content.decode()
    change = PriceChange.objects.first()
    assert admin_client.get("/admin/inventory/pricechange/add/").status_code == 403
    assert admin_client.post(f"/admin/inventory/pricechange/{change.pk}/change/", {"reason": "x"}).status_code == 403


def test_deactivate_and_activate_actions(admin_client):
    product = ProductFactory()
    selected = {ACTION_CHECKBOX_NAME: [product.pk]}
    admin_client.post("/admin/inventory/product/", {**selected, "action": "deactivate"})
    assert Product.objects.get(pk=product.pk).is_active is False
    admin_client.post("/admin/inventory/product/", {**selected, "action": "activate"})
    assert Product.objects.get(pk=product.pk).is_active is True


def test_ledger_cannot_be_edited_in_the_admin(admin_client):
    variant = VariantFactory()
    (movement,) = services.receive_stock(location=StoreFactory(), lines=[(variant, 1)], reference="PO")
    assert admin_client.get("/admin/inventory/stockmovement/add/").status_code == 403
    url = f"/admin/inventory/stockmovement/{movement.pk}/change/"
    assert admin_client.post(url, {"quantity": "100"}).status_code == 403


def test_safety_stock_edited_in_the_admin_goes_through_the_service(admin_client):
    variant = VariantFactory()
    store = StoreFactory(code="A-07")
    services.receive_stock(location=store, lines=[(variant, 5)], reference="PO")
    level = variant.stock_levels.get()
    response = admin_client.post(f"/admin/inventory/stocklevel/{level.pk}/change/", {"safety_stock": "2"})
    assert response.status_code == 302
    level.refresh_from_db()
    assert (level.on_hand, level.safety_stock) == (5, 2)
    assert AuditEvent.objects.filter(action="stock.safety_stock_set", store=store).exists()


def test_export_selected_products_as_csv(admin_client):
    variant = VariantFactory(sku="EXP-1")
    response = admin_client.post(
        "/admin/inventory/product/", {"action": "export_csv", ACTION_CHECKBOX_NAME: [variant.product_id]}
    )
    assert response["Content-Type"].startswith("text/csv")
    assert "EXP-1" in response.content.decode()
