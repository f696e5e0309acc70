"""Every importer's report in the language of who runs it (issue 19): the customers, transactions, stock,
catalog and price-list imports word their "line N: ..." errors with one helper (retail.spreadsheets.line_error)
and gettext, so an Italian or Polish head office reads no English but the file's own data and column names.

In the pseudo-locale of tests/retail/test_pseudo_locale.py each error is ⟦line N: ⟦message⟧⟧: the prefix and
the message both translated; in it and pl the sentence is the catalog's."""

import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from customers.history import import_transactions
from customers.imports import import_customers, text_opener
from customers.models import Interaction
from customers.services import create_customer
from customers.timeline_messages import spoken_subject
from inventory.catalog_import import import_catalog
from inventory.imports import import_stock
from inventory.market_prices import list_for_market
from inventory.price_import import import_list_prices
from tests.admin.conftest import staff_user
from tests.factories import MarketFactory
from tests.inventory.factories import ProductFactory, VariantFactory
from tests.retail.test_pseudo_locale import CLOSE, OPEN, pseudo_locale  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db

CUSTOMERS = (
    "email,phone,card_number,first_name,birthday,home_store,tags,email_consent\n"
    "not-an-email,,,,,,,\n"  # 2
    ",,,Nobody,,,,\n"  # 3
    "d@example.com,,,,23/04/1990,MAN-99,bad tag!,maybe\n"  # 4
    "e@example.com,,C-1,,,,,\n"  # 5
    "e@example.com,,,,,,,\n"  # 6
    "f@example.com,,,,,,,=1+1\n"  # 7
    "g@example.com,,\n"  # 8
)
TRANSACTIONS = (
    "transaction_id,customer_id,email,card_number,date,quantity,amount,store,channel,sku,currency\n"
    "T-1,x,,,2025-01-01,1,1.00,,web,,\n"  # 2
    "T-2,,,,03/14/2025,0,-1,,fax,,EURO\n"  # 3
    "T-3,,nobody@example.com,,2025-01-01,1,1.00,NOPE,store,,\n"  # 4
    "T-3,,,K-404,2999-01-01,1,1.00,,store,,\n"  # 5
)
STOCK = "sku,location,on_hand,safety_stock\nNOPE,XXX-99,,x\nTEE-M,LON-01,1000000000,\nTEE-M,LON-01,1,\n"
CATALOG = (
    "style_code,name,category,base_price,sku,barcode,active,name_it,description_it\n"
    "T 1,Tee,Nowhere/Tops,abc,TEE-X,123,maybe,,descrizione\n"  # 2
    "T-2,Tee,,1,TEE-Y,,,,\n"  # 3
    "T-3,Tee,Tops,19.999,TEE-Y,,,,\n"  # 4
)
PRICES = (
    "sku,price,valid_from,valid_to,price_list,currency\n"
    "NOPE,,,,,\n"  # 2
    "TEE-M,1e999,soon,,other,USD\n"  # 3
    "TEE-M,9.99,2027-02-01,2027-01-01,,\n"  # 4
)
ENGLISH = re.compile(
    r"\b(line|is not|unknown|must|empty|missing|appears|twice|longer|customer|already|number|"
    r"give|belongs|with|the|and|or|first|already)\b"
)


@pytest.fixture
def tee(store):
    return VariantFactory(sku="TEE-M", product=ProductFactory(style_code="TEE", base_price=Decimal("19.00")))


def run_each_importer(tee) -> dict[str, list[str]]:
    """Each importer's errors for a file that is bad in many ways, in the active language."""
    plist = list_for_market(market=MarketFactory())
    return {
        "customers": import_customers(opener=text_opener(CUSTOMERS)).errors,
        "transactions": import_transactions(opener=text_opener(TRANSACTIONS)).errors,
        "stock": import_stock(text=STOCK).errors,
        "catalog": import_catalog(text=CATALOG).errors,
        "prices": import_list_prices(price_list=plist, text=PRICES).errors,
        "customer header": import_customers(opener=text_opener("email,colour\nx@example.com,red\n")).errors,
        "stock header": import_stock(text="sku;amount\nTEE-M;1\n").errors,
        "no rows": import_stock(text="sku,location,on_hand\n").errors,
    }


def test_every_error_of_every_importer_is_translated_prefix_and_message(tee, pseudo_locale):  # noqa: F811
    # when each importer reads a bad file in the pseudo-locale
    reports = run_each_importer(tee)
    # then every error is the translated prefix around a translated message, or a translated message
    for importer, errors in reports.items():
        assert errors, importer
        for error in errors:
            assert re.fullmatch(rf"{OPEN}line \d+: {OPEN}.+{CLOSE}{CLOSE}", error, re.S) or (
                error.startswith(OPEN) and error.endswith(CLOSE) and "line " not in error
            ), f"{importer}: {error}"
    # and the cases that are not translated by accident: a count of them keeps the files bad in many ways
    sizes = [len(reports[name]) for name in ("customers", "transactions", "stock", "catalog", "prices")]
    assert sizes == [8, 11, 6, 9, 7]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "it",
            {
                "customers": "riga 2: email 'not-an-email' non è un indirizzo email",
                "transactions": "riga 4: nessun cliente con l'email nobody@example.com (importa prima i clienti)",
                "stock": "riga 2: SKU sconosciuto 'NOPE'",
                "catalog": "riga 2: style_code 'T 1' può contenere solo lettere, cifre, - e _",
                "prices": "riga 4: valid_to viene prima di valid_from",
                "stock header": "riga 1: colonne mancanti: location, on_hand",
                "no rows": "il file non ha righe di dati",
            },
        ),
        (
            "pl",
            {
                "customers": "wiersz 2: email 'not-an-email' nie jest adresem e-mail",
                "transactions": "wiersz 4: brak klienta z adresem e-mail nobody@example.com",
                "stock": "wiersz 2: nieznany SKU 'NOPE'",
                "catalog": "wiersz 3: category jest puste",
                "prices": "wiersz 4: valid_to jest przed valid_from",
                "stock header": "wiersz 1: brakujące kolumny: location, on_hand",
                "no rows": "plik nie ma wierszy z danymi",
            },
        ),
    ],
)
def test_each_importer_reports_in_italian_and_polish(tee, language, expected):
    # when head office imports the bad files reading Italian or Polish
    with translation.override(language):
        reports = run_each_importer(tee)
    # then each report holds the catalog's sentence, and no English word but column names and data
    for importer, sentence in expected.items():
        assert any(error.startswith(sentence) for error in reports[importer]), (importer, reports[importer])
    for importer, errors in reports.items():
        for error in errors:
            words = re.sub(r"'[^']*'|\S*[_@.=]\S*|#\d+|[A-Z]+-\d+|\b[A-Z]{2,}\b", " ", error)
            assert not ENGLISH.search(words), f"{language} {importer}: {error}"


def test_the_rows_are_sorted_by_line_whatever_the_language(tee):
    # given the transactions import, which sorts the errors of its checks by line after resolving customers
    with translation.override("pl"):
        errors = import_transactions(opener=text_opener(TRANSACTIONS)).errors
    # then the errors are in line order, read from the number, not from the English prefix
    lines = [int(re.match(r"wiersz (\d+):", e).group(1)) for e in errors]
    assert lines == sorted(lines) and lines[0] == 2 and lines[-1] == 5


def test_the_admin_import_page_answers_in_the_head_office_users_language(client, store):
    # given head office reading Polish
    user = staff_user(superuser=True)
    user.language = "pl"
    user.save(update_fields=["language"])
    client.force_login(user)
    # when it uploads a bad customer file
    upload = SimpleUploadedFile("customers.csv", CUSTOMERS.encode(), content_type="text/csv")
    response = client.post("/admin/customers/customer/import/", {"file": upload})
    # then the report is Polish
    html = response.content.decode()
    assert response.status_code == 200
    assert "wiersz 3: podaj e-mail lub card_number: po nich rozpoznawani są klienci" in html
    assert "give an email" not in html and "line 3" not in html


def test_a_historical_purchase_without_its_number_reads_in_the_readers_language(store):
    # given a purchase of the history imported without its transaction id
    customer = create_customer(email="ola@example.com")
    text = f"customer_id,date,quantity,amount,channel\n{customer.pk},2025-01-01,1,10.00,web\n"
    assert import_transactions(opener=text_opener(text)).created == 1
    purchase = Interaction.objects.get(customer=customer)
    # then it keeps the sentence in the project's language, and each reader reads it in theirs
    assert purchase.subject == "Historical purchase"
    with translation.override("pl"):
        assert spoken_subject(purchase) == "Zakup historyczny"
    with translation.override("it"):
        assert spoken_subject(purchase) == "Acquisto storico"


def test_the_catalog_dry_run_words_what_would_change_in_the_readers_language(tee):
    # given a style sold as final sale from now on, checked by head office reading Polish
    text = "style_code,name,category,base_price,sku,final_sale,barcode\nTEE,Tee,Tops,19.00,TEE-M,yes,\n"
    tee.product.category.name = "Tops"
    tee.product.category.save()
    with translation.override("pl"):
        report = import_catalog(text=text, dry_run=True)
    # then the change reads in Polish words, not Python's True/False/None
    assert not report.errors, report.errors
    changes = [change for line in report.lines for change in line.changes]
    assert "final_sale: nie → tak" in changes, changes
    assert not any(word in change for change in changes for word in ("True", "False", "None")), changes
