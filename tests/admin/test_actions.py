"""Bulk work in the admin: transfer requests through an intermediate form, CSV import pages."""

from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.files.uploadedfile import SimpleUploadedFile

from customers.models import Customer
from inventory import services as stock
from inventory.models import Product, StockLevel, StockMovement, Transfer, Variant
from retail.models import AuditEvent
from tests.admin.conftest import staff_user
from tests.factories import StoreFactory, WarehouseFactory
from tests.inventory.factories import VariantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def merchandiser(client):
    client.force_login(staff_user("merchandiser"))
    return client


@pytest.fixture
def stocked():
    warehouse, shop = WarehouseFactory(code="WH-01"), StoreFactory(code="LON-01")
    shirt, jeans = VariantFactory(sku="SHIRT-M"), VariantFactory(sku="JEANS-32")
    stock.receive_stock(location=warehouse, lines=[(shirt, 50), (jeans, 20)], reference="PO-1")
    return warehouse, shop, shirt, jeans


def test_a_transfer_is_requested_for_the_selected_levels_through_a_form(merchandiser, stocked):
    warehouse, shop, _, _ = stocked
    levels = list(StockLevel.objects.filter(location=warehouse).values_list("pk", flat=True))
    # when the action is chosen: a form asks where from, where to and how many
    form = merchandiser.post(
        "/admin/inventory/stocklevel/", {"action": "request_transfer", ACTION_CHECKBOX_NAME: levels}
    )
    assert form.status_code == 200
    html = form.content.decode()
    assert "SHIRT-M" in html and "JEANS-32" in html and "Request the transfer" in html
    assert f'<option value="{warehouse.pk}" selected>' in html  # the levels' location is the default source
    # when it is filled in and sent
    done = merchandiser.post(
        "/admin/inventory/stocklevel/",
        {"action": "request_transfer", ACTION_CHECKBOX_NAME: levels, "apply": "1", "from_location": warehouse.pk,
         "to_location": shop.pk, "quantity": "4", "note": "spring window"},
        follow=True,
    )  # fmt: skip
    # then one transfer asks for 4 of each, nothing moves yet, and it is audited
    transfer = Transfer.objects.get()
    assert (transfer.from_location, transfer.to_location, transfer.status, transfer.note) == (
        warehouse, shop, Transfer.Status.REQUESTED, "spring window")  # fmt: skip
    assert sorted(transfer.lines.values_list("variant__sku", "quantity_requested")) == [("JEANS-32", 4), ("SHIRT-M", 4)]
    assert StockMovement.objects.filter(kind__startswith="transfer").count() == 0
    assert AuditEvent.objects.filter(action="transfer.requested").count() == 1
    assert f'/change/">{transfer.reference}</a>: 2 SKUs, 4 unit(s) each, from WH-01 to LON-01' in done.content.decode()


def test_a_transfer_request_from_the_variant_list_refuses_a_bad_form(merchandiser, stocked):
    warehouse, shop, shirt, _ = stocked
    selected = {"action": "request_transfer", ACTION_CHECKBOX_NAME: [shirt.pk], "apply": "1"}
    # when the quantity is missing, the form comes back with the error
    again = merchandiser.post("/admin/inventory/variant/", {**selected, "from_location": warehouse.pk,
                                                            "to_location": shop.pk})  # fmt: skip
    assert again.status_code == 200 and "This field is required." in again.content.decode()
    # when the store is both source and destination, the service refuses it
    refused = merchandiser.post(
        "/admin/inventory/variant/",
        {**selected, "from_location": shop.pk, "to_location": shop.pk, "quantity": "1"},
        follow=True,
    )
    assert "A transfer goes between two different locations." in refused.content.decode()
    assert Transfer.objects.count() == 0


def test_the_store_manager_group_is_not_offered_transfer_requests(client, stocked):
    client.force_login(staff_user("store-manager"))
    html = client.get("/admin/inventory/stocklevel/").content.decode()
    assert "request_transfer" not in html and "Import stock CSV" not in html


def upload(text: str, name: str = "file.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def test_the_stock_import_page_lists_bad_lines_and_writes_nothing(merchandiser, stocked):
    warehouse, shop, shirt, _ = stocked
    page = merchandiser.get("/admin/inventory/stocklevel/")
    assert 'href="/admin/inventory/stocklevel/import/"' in page.content.decode()
    # when a file with bad lines is uploaded
    bad = "sku,location,on_hand\nSHIRT-M,WH-01,40\nNOPE-1,WH-01,3\nSHIRT-M,LON-99,x\n"
    response = merchandiser.post("/admin/inventory/stocklevel/import/", {"file": upload(bad)})
    # then the page names each bad line and the stock is unchanged
    html = response.content.decode()
    assert response.status_code == 200 and "nothing was imported" in html
    assert "line 3: unknown SKU &#x27;NOPE-1&#x27;" in html and "line 4: unknown location &#x27;LON-99&#x27;" in html
    assert StockLevel.objects.get(variant=shirt, location=warehouse).on_hand == 50
    # when a clean file is uploaded
    good = "sku,location,on_hand,safety_stock\nSHIRT-M,WH-01,40,2\nSHIRT-M,LON-01,3,\n"
    done = merchandiser.post("/admin/inventory/stocklevel/import/", {"file": upload(good)}, follow=True)
    # then the counts are posted through the ledger and the changelist says so
    assert "Imported 2 rows" in done.content.decode()
    assert StockLevel.objects.get(variant=shirt, location=warehouse).on_hand == 40
    assert StockLevel.objects.get(variant=shirt, location=shop).on_hand == 3
    assert StockMovement.objects.filter(kind="count").count() == 2


def test_the_catalog_import_page_checks_then_imports(merchandiser):
    text = "style_code,name,category,base_price,sku,size\nTS-1,Linen shirt,Men/Shirts,39.90,TS-1-M,M\n"
    # a dry run writes nothing
    checked = merchandiser.post(
        "/admin/inventory/product/import/", {"file": upload(text), "dry_run": "on", "create_categories": "on"}
    )
    assert "Checked 1 row:" in checked.content.decode() and not Product.objects.exists()
    # a real run creates the product and variant
    merchandiser.post("/admin/inventory/product/import/", {"file": upload(text), "create_categories": "on"})
    assert Variant.objects.get(sku="TS-1-M").product.base_price == Decimal("39.90")
    # a file that is not UTF-8 is refused with a form error
    latin = SimpleUploadedFile("x.csv", "style_code,name\nTS-2,Caf\xe9\n".encode("latin-1"))
    refused = merchandiser.post("/admin/inventory/product/import/", {"file": latin})
    assert "is not UTF-8 text" in refused.content.decode()


def test_the_customer_import_page_is_for_customer_service(client, store):
    client.force_login(staff_user("customer-service"))
    bad = "email,first_name\nann@example.com,Ann\nnot-an-email,Bob\n"
    html = client.post("/admin/customers/customer/import/", {"file": upload(bad)}).content.decode()
    assert "line 3: email &#x27;not-an-email&#x27; is not an email address" in html
    assert not Customer.objects.exists()
    client.post("/admin/customers/customer/import/", {"file": upload(bad.splitlines()[0] + "\nann@example.com,Ann\n")})
    assert Customer.objects.get().email == "ann@example.com"


def test_checking_a_stock_file_claims_no_counts_it_did_not_plan(merchandiser, stocked):
    good = "sku,location,on_hand\nSHIRT-M,WH-01,40\nSHIRT-M,LON-01,3\n"
    checked = merchandiser.post("/admin/inventory/stocklevel/import/", {"file": upload(good), "dry_run": "on"})
    html = checked.content.decode()
    assert "Checked 2 rows: no problems found. Nothing was written." in html
    assert "would be created" not in html
    assert StockMovement.objects.filter(kind="count").count() == 0
