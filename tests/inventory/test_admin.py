from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory import services
from inventory.models import Product, Variant
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


def test_bulk_price_change_asks_then_applies(admin_client):
    # given
    a = ProductFactory(base_price=Decimal("40.00"))
    b = ProductFactory(base_price=Decimal("19.99"))
    override = VariantFactory(product=a, price_override=Decimal("30.00"))
    selected = {"action": "change_prices", ACTION_CHECKBOX_NAME: [a.pk, b.pk]}
    # when the action is chosen, an intermediate form asks for the percentage
    response = admin_client.post("/admin/inventory/product/", selected)
    assert response.status_code == 200 and "Change prices" in response.content.decode()
    # when applied with -10%
    response = admin_client.post("/admin/inventory/product/", {**selected, "apply": "1", "percent": "-10"})
    # then
    assert response.status_code == 302
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.base_price, b.base_price) == (Decimal("36.00"), Decimal("17.99"))
    assert Variant.objects.get(pk=override.pk).price_override == Decimal("27.00")


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
