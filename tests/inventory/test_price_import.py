"""A market's price list read back from CSV (issue 19.2): the export's own file round-trips, every bad
line is named before anything is written, prices land through the list's price service (ledger, audit),
and a file of 10,000 prices costs bounded statements."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inventory import market_prices
from inventory.market_prices import ListPrice, list_for_market, price_in_market, set_list_prices
from inventory.models import PriceChange, Product, Variant, VariantPrice
from inventory.price_import import import_list_prices
from retail.models import AuditEvent
from tests.admin.conftest import staff_user
from tests.factories import MarketFactory
from tests.inventory.factories import CategoryFactory, ProductFactory, VariantFactory

pytestmark = pytest.mark.django_db

URL = "/admin/inventory/pricelist/import/"
HEADER = "sku,price,valid_from,valid_to\n"


@pytest.fixture
def plist():
    return list_for_market(market=MarketFactory())


@pytest.fixture
def shirt():
    return VariantFactory(sku="SHIRT-M", product=ProductFactory(style_code="SH-1", base_price=Decimal("39.00")))


@pytest.fixture
def jeans():
    return VariantFactory(sku="JEANS-32", product=ProductFactory(style_code="JN-1", base_price=Decimal("79.00")))


@pytest.fixture
def merchandiser(client):
    client.force_login(staff_user("merchandiser"))
    return client


def upload(text: str | bytes, name: str = "prices.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text if isinstance(text, bytes) else text.encode(), content_type="text/csv")


def export(client, plist) -> str:
    response = client.post("/admin/inventory/pricelist/", {"action": "export_prices", ACTION_CHECKBOX_NAME: [plist.pk]})
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode()


def test_the_export_imports_back_unchanged_and_an_edited_price_is_ledgered(merchandiser, plist, shirt, jeans):
    # given Poland's list: the shirt at 169 until next week then 149, the jeans at 299
    now = timezone.now()
    week = now + timedelta(days=7)
    set_list_prices(
        price_list=plist,
        prices=[ListPrice(shirt, Decimal("169"), now, week), ListPrice(shirt, Decimal("149"), week),
                ListPrice(jeans, Decimal("299"), now)],
        reason="launch",
    )  # fmt: skip
    rows_before = set(VariantPrice.objects.values_list("variant__sku", "price", "valid_from", "valid_to"))
    text = export(merchandiser, plist)

    # when the export is imported as it is
    same = import_list_prices(price_list=plist, text=text, reason="round trip")

    # then every line is unchanged and nothing is written
    assert (same.errors, same.rows, same.created, same.updated, same.unchanged) == ([], 3, 0, 0, 3)
    assert set(VariantPrice.objects.values_list("variant__sku", "price", "valid_from", "valid_to")) == rows_before
    assert PriceChange.objects.count() == 3

    # when head office edits the jeans' price in the file and imports it
    edited = text.replace(",JEANS-32,299.00,", ",JEANS-32,279.00,")
    report = import_list_prices(price_list=plist, text=edited, reason="Winter prices", actor=None)

    # then the jeans cost 279 over the same period, in the ledger as an import, and the rest is as it was
    assert (report.errors, report.created, report.updated, report.unchanged) == ([], 0, 1, 2)
    assert price_in_market(variant=jeans, market=plist.market).amount == Decimal("279.00")
    assert VariantPrice.objects.get(variant=jeans).valid_from == now
    change = PriceChange.objects.get(source=PriceChange.Source.IMPORT)
    assert (change.variant, change.old_price, change.new_price, change.reason) == (
        jeans, Decimal("299.00"), Decimal("279.00"), "Winter prices",
    )  # fmt: skip
    assert AuditEvent.objects.filter(action="price_list.prices_set", details__source="import").count() == 1
    # and the export says so
    assert f"{plist.code},PLN,JEANS-32,279.00,{now.isoformat()}," in export(merchandiser, plist)


def test_every_bad_line_is_named_and_nothing_is_written(plist, shirt, jeans):
    # given a file with one good line among bad ones
    text = (
        "price_list,currency,sku,price,valid_from,valid_to\n"
        f"{plist.code},PLN,SHIRT-M,129.00,2027-01-01,\n"  # 2: fine
        f"{plist.code},PLN,NOPE-1,10.00,,\n"  # 3: unknown SKU
        f"{plist.code},PLN,JEANS-32,12.5x,,\n"  # 4: not a decimal
        f"{plist.code},PLN,JEANS-32,-3.00,,\n"  # 5: negative
        f"{plist.code},PLN,JEANS-32,9.999,,\n"  # 6: fractions of a cent
        f"{plist.code},PLN,SHIRT-M,119.00,2027-03-01,2027-02-01\n"  # 7: ends before it starts
        f"{plist.code},PLN,SHIRT-M,119.00,2027-02-30,\n"  # 8: no such day
        f"{plist.code},EUR,JEANS-32,10.00,,\n"  # 9: another currency
        "market-it,PLN,JEANS-32,10.00,,\n"  # 10: another list
        f"{plist.code},PLN,JEANS-32,,,\n"  # 11: no price
    )

    # when checked, then imported
    checked = import_list_prices(price_list=plist, text=text, dry_run=True)
    imported = import_list_prices(price_list=plist, text=text, reason="x")

    # then each problem names its line, the check and the import alike, and nothing is written
    assert (
        checked.errors
        == imported.errors
        == [
            "line 3: unknown SKU 'NOPE-1'",
            "line 4: price '12.5x' is not a number",
            "line 5: price must be 0 or more with at most 2 decimals",
            "line 6: price must be 0 or more with at most 2 decimals",
            "line 7: valid_to comes before valid_from",
            "line 8: valid_from '2027-02-30' is not a date and time (write it as 2026-12-04 or 2026-12-04T09:00)",
            f"line 9: the price is in EUR; the list {plist.code} is in PLN",
            f"line 10: the line is for the list 'market-it', not '{plist.code}' this file is imported into",
            "line 11: price is empty",
        ]
    )
    assert not VariantPrice.objects.exists() and not PriceChange.objects.exists()


def test_two_lines_of_one_sku_whose_periods_overlap_are_named_with_each_other(plist, shirt, jeans):
    text = HEADER + (
        "SHIRT-M,129.00,2027-01-01,2027-02-01\n"  # 2
        "JEANS-32,99.00,2027-01-01,\n"  # 3
        "SHIRT-M,119.00,2027-01-15,2027-03-01\n"  # 4: overlaps line 2
        "SHIRT-M,109.00,2027-03-01,\n"  # 5: starts where line 4 ends: fine
        "JEANS-32,89.00,2027-06-01,\n"  # 6: line 3 is open: overlaps
    )
    report = import_list_prices(price_list=plist, text=text, dry_run=True)
    assert report.errors == [
        "line 4: the period of SHIRT-M overlaps its period on line 2; give each its own period",
        "line 6: the period of JEANS-32 overlaps its period on line 3; give each its own period",
    ]


def test_the_dry_run_plans_each_line_and_writes_nothing_then_the_import_does_what_it_said(plist, shirt, jeans):
    # given the shirt at 169 and the jeans at 299 from now on, and a coat without a price
    set_list_prices(price_list=plist, prices=[ListPrice(shirt, Decimal("169")), ListPrice(jeans, Decimal("299"))],
                    reason="launch")  # fmt: skip
    VariantFactory(sku="COAT-M", product=ProductFactory(style_code="CT-1"))
    since = VariantPrice.objects.get(variant=jeans).valid_from
    text = HEADER + (
        f"JEANS-32,299.00,{since.isoformat()},\n"  # unchanged
        "COAT-M,499.00,2027-01-01T00:00:00+01:00,\n"  # created
        "SHIRT-M,149.00,2027-01-10,2027-01-20\n"  # a sale inside the shirt's open price: updated
    )

    checked = import_list_prices(price_list=plist, text=text, dry_run=True)

    assert (checked.errors, checked.created, checked.updated, checked.unchanged) == ([], 1, 1, 1)
    assert [(line.line, line.sku, line.action) for line in checked.lines] == [
        (2, "JEANS-32", "unchanged"), (3, "COAT-M", "create"), (4, "SHIRT-M", "update"),
    ]  # fmt: skip
    assert VariantPrice.objects.count() == 2 and PriceChange.objects.count() == 2

    done = import_list_prices(price_list=plist, text=text, reason="January")
    assert (done.created, done.updated, done.unchanged) == (1, 1, 1)
    # the sale cuts the shirt's open price in two around it
    shirt_prices = VariantPrice.objects.filter(variant=shirt).order_by("valid_from")
    assert [(p.price, p.valid_to is None) for p in shirt_prices] == [
        (Decimal("169.00"), False), (Decimal("149.00"), False), (Decimal("169.00"), True),
    ]  # fmt: skip
    assert PriceChange.objects.filter(source=PriceChange.Source.IMPORT).count() == 2


def test_a_refusal_of_the_database_is_an_error_of_the_import_not_a_500(merchandiser, plist, shirt, monkeypatch):
    # given a price already there, and a planner that forgets to cut it (the overlap constraint is the last word)
    set_list_prices(price_list=plist, prices=[ListPrice(shirt, Decimal("169"))], reason="launch")
    planned = market_prices.plan_list_prices

    def forgetful(**kwargs):
        plan = planned(**kwargs)
        return market_prices.ListPricePlan(prices=plan.prices, remove=[], add=plan.add)

    monkeypatch.setattr(market_prices, "plan_list_prices", forgetful)

    # when the file gives another price over the same time
    response = merchandiser.post(
        URL, {"file": upload(HEADER + "SHIRT-M,159.00,,\n"), "price_list": plist.pk, "reason": "cheaper"}
    )

    # then the page says so and nothing changed
    html = response.content.decode()
    assert response.status_code == 200 and "nothing was imported" in html
    assert "Another price of one of these variants on this list applies at some of these times" in html
    assert list(VariantPrice.objects.values_list("price", flat=True)) == [Decimal("169.00")]
    assert PriceChange.objects.count() == 1


def test_the_admin_page_checks_then_imports(merchandiser, plist, shirt):
    # the list's page links to the import
    assert URL in merchandiser.get("/admin/inventory/pricelist/").content.decode()
    page = merchandiser.get(URL).content.decode()
    assert 'name="price_list"' in page and 'name="reason"' in page
    text = HEADER + "SHIRT-M,129.00,2027-01-01,\n"
    # checked first
    checked = merchandiser.post(URL, {"file": upload(text), "price_list": plist.pk, "reason": "2027", "dry_run": "on"})
    html = checked.content.decode()
    assert "Checked 1 row: 1 would be created, 0 updated, 0 left unchanged. Nothing was written." in html
    assert '<tr class="import-create"><td>2</td><td>SH-1</td><td>SHIRT-M</td>' in html
    assert not VariantPrice.objects.exists()
    # then imported
    done = merchandiser.post(URL, {"file": upload(text), "price_list": plist.pk, "reason": "2027"}, follow=True)
    assert "Imported 1 row: 1 created, 0 updated, 0 unchanged." in done.content.decode()
    assert VariantPrice.objects.get().price == Decimal("129.00")
    assert PriceChange.objects.get().actor.groups.filter(name="merchandiser").exists()


@pytest.mark.parametrize(
    ("content", "answer"),
    [
        (b"sku,price\nSHIRT-M,\xff\xfe9.99\n", "The file is not UTF-8 text"),
        (b"sku;amount\nSHIRT-M;9.99\n", "line 1: missing column(s) price"),
        (b"sku,price,colour\nSHIRT-M,9.99,navy\n", "line 1: unknown column(s) colour"),
        (b"sku,price\n", "the file has no data rows"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "The file is not UTF-8 text"),
        (b"sku,price\nSHIRT-M,=1+1\n", "starts with =, +, -, or @"),
        (b'sku,price\n"SHIRT-M,9.99\n', "line 2: price is empty"),
    ],
)
def test_a_bad_file_is_a_form_or_file_error_not_a_500(merchandiser, plist, shirt, content, answer):
    response = merchandiser.post(URL, {"file": upload(content), "price_list": plist.pk, "reason": "x"})
    assert response.status_code == 200
    assert answer in response.content.decode().replace("&#x27;", "'")
    assert not VariantPrice.objects.exists()


def test_the_default_list_cannot_be_chosen_and_staff_without_the_right_do_not_see_the_import(client, plist):
    from inventory.pricing import default_price_list

    default = default_price_list()
    client.force_login(staff_user("merchandiser"))
    refused = client.post(URL, {"file": upload(HEADER + "X,1.00,,\n"), "price_list": default.pk, "reason": "x"})
    assert "Select a valid choice" in refused.content.decode()
    client.force_login(staff_user("customer-service"))  # sees the lists, may not enter prices
    assert client.get(URL).status_code == 403
    assert URL not in client.get("/admin/inventory/pricelist/").content.decode()


def many_variants(n: int, start: int = 0) -> list[Variant]:
    category = CategoryFactory()
    products = Product.objects.bulk_create(
        Product(style_code=f"BULK-{i:06d}", name=f"Tee {i}", category=category, base_price=Decimal("10.00"))
        for i in range(start, start + n)
    )
    return Variant.objects.bulk_create(
        Variant(product=p, sku=f"BULK-{i:06d}-M", barcode=f"{600000000000 + i}", size="M")
        for i, p in zip(range(start, start + n), products, strict=True)
    )


def priced(variants, price: str) -> str:
    return HEADER + "".join(f"{v.sku},{price},2027-01-01T00:00:00+00:00,\n" for v in variants)


def test_ten_thousand_prices_cost_statements_by_the_thousand_not_by_the_line(plist):
    # given 1,000 and 10,000 variants without a price on the list
    small, big = many_variants(1000), many_variants(10_000, start=1000)

    def imported(text: str, **options) -> tuple[int, object]:
        with CaptureQueriesContext(connection) as queries:
            report = import_list_prices(price_list=plist, text=text, reason="bulk", **options)
        assert report.errors == []
        return len(queries), report

    # when each file is checked, then imported
    checked_small, _ = imported(priced(small, "12.00"), dry_run=True)
    checked_big, report = imported(priced(big, "12.00"), dry_run=True)
    assert report.created == 10_000 and not VariantPrice.objects.exists()
    written_small, _ = imported(priced(small, "12.00"))
    written_big, report = imported(priced(big, "12.00"))

    # then a check reads the SKUs and the list's prices once per 5,000 variants
    assert (checked_small, checked_big) == (4, 6)  # savepoint, variants, prices, release; 2 and 2 for 10,000
    # an import adds its locks, one insert of prices and one of ledger rows per 1,000, and the audit
    assert written_big - written_small == (checked_big - checked_small) + 2 * 9
    assert (written_small, written_big) == (13, 33)
    assert report.created == 10_000 and VariantPrice.objects.count() == 11_000
    assert PriceChange.objects.filter(source=PriceChange.Source.IMPORT).count() == 11_000

    # and the same file again writes nothing (no insert, no ledger, no audit); new prices for all replace each
    again, report = imported(priced(big, "12.00"))
    assert report.unchanged == 10_000 and PriceChange.objects.count() == 11_000 and again == 12
    cheaper, report = imported(priced(big, "11.00"))
    assert report.updated == 10_000 and cheaper == written_big + 2  # the open prices deleted, 5,000 at a time
    assert VariantPrice.objects.filter(price=Decimal("11.00")).count() == 10_000
