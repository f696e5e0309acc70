"""Catalog import as head office uses it: categories are never invented from a typo, "only check the
file" says what the import would do, and a semicolon-separated file is read as such."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from inventory import catalog_import
from inventory.catalog_import import import_catalog
from inventory.models import Category, PriceChange, Product, Variant
from retail.models import AuditEvent
from tests.admin.conftest import staff_user
from tests.inventory.factories import VariantFactory

pytestmark = pytest.mark.django_db

HEADER = "style_code,name,category,base_price,sku,size\n"


@pytest.fixture
def tree():
    """Men / Outerwear and Men / Shirts, as head office set them up."""
    men = Category.objects.create(name="Men", slug="men")
    return {
        "outerwear": Category.objects.create(name="Outerwear", slug="men-outerwear", parent=men),
        "shirts": Category.objects.create(name="Shirts", slug="men-shirts", parent=men),
    }


def test_a_category_typo_is_a_line_error_naming_the_closest_category_and_writes_nothing(tree):
    text = HEADER + "JK-1,Field jacket,Men / Outerwaer,129.00,JK-1-M,M\nSH-1,Oxford shirt,Men/Shirts,39.00,SH-1-M,M\n"
    # when
    report = import_catalog(text=text)
    # then
    assert report.errors == [
        "line 2: category 'Men / Outerwaer' does not exist. Did you mean 'Men / Outerwear'? Correct it, or import"
        " with 'create missing categories' to add it."
    ]
    assert Category.objects.count() == 3 and not Product.objects.exists() and not Variant.objects.exists()


def test_the_dry_run_reports_the_same_category_error_as_the_import(tree):
    text = HEADER + "JK-1,Field jacket,Men/Outerwaer,129.00,JK-1-M,M\n"
    assert import_catalog(text=text, dry_run=True).errors == import_catalog(text=text).errors != []


def test_existing_categories_match_whatever_the_case_and_spacing(tree):
    text = HEADER + "JK-1,Field jacket,  men /OUTERWEAR ,129.00,JK-1-M,M\n"
    report = import_catalog(text=text)
    assert report.errors == [] and report.new_categories == []
    assert Product.objects.get(style_code="JK-1").category == tree["outerwear"]
    assert Category.objects.count() == 3


def test_missing_categories_are_created_only_when_the_import_says_so(tree):
    text = HEADER + "SC-1,Wool scarf,Men/Accessories/Scarves,25.00,SC-1,\nSH-1,Oxford shirt,Men/Shirts,39.00,SH-1-M,M\n"
    # when
    report = import_catalog(text=text, create_categories=True)
    # then the two missing levels are made under the existing Men, and nothing else
    assert report.errors == [] and report.new_categories == ["Men / Accessories", "Men / Accessories / Scarves"]
    scarves = Product.objects.get(style_code="SC-1").category
    assert (scarves.name, scarves.slug, scarves.parent.name, scarves.parent.parent.slug) == (
        "Scarves",
        "men-accessories-scarves",
        "Accessories",
        "men",
    )
    assert Product.objects.get(style_code="SH-1").category == tree["shirts"]
    assert Category.objects.count() == 5
    audit = AuditEvent.objects.get(action="catalog.imported")
    assert audit.details["new_categories"] == ["Men / Accessories", "Men / Accessories / Scarves"]


def test_an_empty_category_path_is_a_line_error(tree):
    report = import_catalog(text=HEADER + "JK-1,Field jacket, / ,129.00,JK-1-M,M\n", create_categories=True)
    assert report.errors == ["line 2: category '/' is not a usable path like Women/Tops"]


def test_two_spellings_of_one_new_category_make_one_category(tree):
    text = HEADER + "TS-1,Tee,Men/T-shirts,19.00,TS-1-M,M\nTS-2,Long tee,Men/T shirts,24.00,TS-2-M,M\n"
    report = import_catalog(text=text, create_categories=True)
    assert report.errors == [] and report.new_categories == ["Men / T-shirts"]
    tees = Product.objects.filter(style_code__in=["TS-1", "TS-2"]).values_list("category__slug", flat=True)
    assert sorted(tees) == ["men-t-shirts", "men-t-shirts"]


CURRENT = "style_code,name,category,base_price,sku,size,colour\n"


@pytest.fixture
def catalogue(tree):
    text = (
        CURRENT
        + "SH-1,Oxford shirt,Men/Shirts,39.00,SH-1-M,M,Blue\n"
        + "SH-1,Oxford shirt,Men/Shirts,39.00,SH-1-L,L,Blue\n"
        + "JK-1,Field jacket,Men/Outerwear,129.00,JK-1-M,M,Olive\n"
    )
    assert import_catalog(text=text).errors == []
    return text


NEXT = (
    CURRENT
    + "SH-1,Oxford shirt,Men/Shirts,39.00,SH-1-M,M,Blue\n"  # unchanged
    + "SH-1,Oxford shirt,Men/Shirts,39.00,SH-1-L,L,Navy\n"  # variant colour changed
    + "JK-1,Field jacket,Men/Outerwear,119.00,JK-1-M,M,Olive\n"  # product price changed
    + "JK-1,Field jacket,Men/Outerwear,119.00,JK-1-L,L,Olive\n"  # new variant
    + "BN-1,Beanie,Men/Hats,15.00,BN-1,,Grey\n"  # new product in a new category
)


def test_the_dry_run_says_what_would_be_created_updated_and_left_unchanged_and_writes_nothing(catalogue):
    before = (Product.objects.count(), Variant.objects.count(), Category.objects.count())
    # when
    report = import_catalog(text=NEXT, dry_run=True, create_categories=True)
    # then counts and rows
    assert report.errors == []
    assert (report.rows, report.created, report.updated, report.unchanged) == (5, 2, 2, 1)
    assert [(r.line, r.sku, r.action) for r in report.lines] == [
        (2, "SH-1-M", "unchanged"),
        (3, "SH-1-L", "update"),
        (4, "JK-1-M", "update"),
        (5, "JK-1-L", "create"),
        (6, "BN-1", "create"),
    ]
    assert report.lines[1].changes == ["colour: 'Blue' → 'Navy'"]
    assert report.lines[2].changes == ["base_price: 129.00 → 119.00"]
    assert report.new_categories == ["Men / Hats"]
    # and nothing was written
    assert (Product.objects.count(), Variant.objects.count(), Category.objects.count()) == before
    assert Variant.objects.get(sku="SH-1-L").colour == "Blue"
    assert Product.objects.get(style_code="JK-1").base_price == Decimal("129.00")


def test_the_import_does_what_its_dry_run_said(catalogue):
    # given the check of the file
    checked = import_catalog(text=NEXT, dry_run=True, create_categories=True)
    # when imported
    done = import_catalog(text=NEXT, create_categories=True)
    # then the same report, and the data says so
    assert (done.created, done.updated, done.unchanged, done.lines, done.new_categories) == (
        checked.created,
        checked.updated,
        checked.unchanged,
        checked.lines,
        checked.new_categories,
    )
    assert Variant.objects.get(sku="SH-1-L").colour == "Navy"
    assert Product.objects.get(style_code="JK-1").base_price == Decimal("119.00")
    assert Variant.objects.get(sku="JK-1-L").product.style_code == "JK-1"
    assert Product.objects.get(style_code="BN-1").category.slug == "men-hats"
    # and the same file again changes nothing
    again = import_catalog(text=NEXT, create_categories=True)
    assert (again.created, again.updated, again.unchanged, again.new_categories) == (0, 0, 5, [])


def test_prices_the_import_changes_are_in_the_price_ledger(catalogue):
    # given the catalogue made by an import: new prices are no change
    assert not PriceChange.objects.exists()
    header = "style_code,name,category,base_price,sku,size,colour,price_override\n"
    shirt_m = "SH-1,Oxford shirt,Men/Shirts,39.00,SH-1-M,M,Blue,\n"
    # when the shirt's L gets its own price, then loses it as the jacket's base price goes down
    assert (
        import_catalog(text=header + shirt_m + "SH-1,Oxford shirt,Men/Shirts,39.00,SH-1-L,L,Blue,42.00\n").errors == []
    )
    text = header + shirt_m + "SH-1,Oxford shirt,Men/Shirts,39.00,SH-1-L,L,Blue,\n"
    assert import_catalog(text=text + "JK-1,Field jacket,Men/Outerwear,119.00,JK-1-M,M,Olive,\n").errors == []
    # then one ledger row per price that changed, from the import
    rows = PriceChange.objects.order_by("pk").values_list(
        "product__style_code", "variant__sku", "old_price", "new_price", "source", "reason"
    )
    assert list(rows) == [
        ("SH-1", "SH-1-L", None, Decimal("42.00"), "import", "Catalog import"),
        ("JK-1", None, Decimal("129.00"), Decimal("119.00"), "import", "Catalog import"),
        ("SH-1", "SH-1-L", Decimal("42.00"), None, "import", "Catalog import"),
    ]


def test_a_column_left_out_leaves_its_field_as_it_is_and_an_empty_cell_clears_it(tree):
    # given a jacket with a brand, a barcode and an own price
    full = "style_code,name,category,base_price,sku,brand,barcode,price_override,colour\n"
    jacket = "JK-1,Field jacket,Men/Outerwear,129.00,JK-1-M,Omni,5000000000031,99.00,Olive\n"
    assert import_catalog(text=full + jacket).errors == []
    # when a file of prices only (no brand, barcode or own price columns) is imported
    prices = "style_code,name,category,base_price,sku,colour\nJK-1,Field jacket,Men/Outerwear,119.00,JK-1-M,\n"
    report = import_catalog(text=prices, dry_run=True)
    # then only the price and the emptied colour change
    assert [r.changes for r in report.lines] == [["base_price: 129.00 → 119.00", "colour: 'Olive' → ''"]]
    assert import_catalog(text=prices).errors == []
    jacket = Variant.objects.select_related("product").get(sku="JK-1-M")
    assert (jacket.product.brand, jacket.barcode, jacket.price_override, jacket.colour) == (
        "Omni",
        "5000000000031",
        Decimal("99.00"),
        "",
    )


def test_a_semicolon_separated_file_with_decimal_commas_is_read_as_such(tree):
    text = (
        "style_code;name;category;base_price;sku;price_override\nJK-1;Field jacket;Men/Outerwear;129,50;JK-1-M;99,9\n"
    )
    # when
    report = import_catalog(text=text)
    # then
    assert report.errors == [] and report.delimiter == ";" and report.delimiter_name == "semicolon-separated"
    jacket = Variant.objects.select_related("product").get(sku="JK-1-M")
    assert (jacket.product.base_price, jacket.price_override) == (Decimal("129.50"), Decimal("99.90"))


def test_a_semicolon_file_with_a_wrong_header_says_how_it_was_read(tree):
    text = "stylecode;name;category;base_price;sku\nJK-1;Field jacket;Men/Outerwear;129,50;JK-1-M\n"
    report = import_catalog(text=text)
    assert len(report.errors) == 1 and report.errors[0].startswith("line 1: missing column(s) style_code;")
    assert "(read as a semicolon-separated file)" in report.errors[0]
    assert not Product.objects.exists()


def test_a_decimal_comma_in_a_comma_separated_file_is_explained(tree):
    text = HEADER + 'JK-1,Field jacket,Men/Outerwear,"129,50",JK-1-M,M\n'
    assert import_catalog(text=text).errors == [
        "line 2: base_price '129,50' is not a number (write it with a decimal point, e.g. 19.99)"
    ]


def test_a_failure_while_writing_leaves_nothing_half_written(tree, monkeypatch):
    # given an import that fails after its categories, products and variants are saved
    text = HEADER + "SC-1,Wool scarf,Men/Scarves,25.00,SC-1,\nSH-1,Oxford shirt,Men/Shirts,39.00,SH-1-M,M\n"

    def audit_fails(**kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(catalog_import, "record_audit_event", audit_fails)
    # when
    with pytest.raises(RuntimeError):
        import_catalog(text=text, create_categories=True)
    # then
    assert Category.objects.count() == 3 and not Product.objects.exists() and not Variant.objects.exists()


def test_a_barcode_already_taken_is_an_error_in_the_dry_run_too(tree):
    VariantFactory(sku="OTHER", barcode="5000000000031")
    text = "style_code,name,category,base_price,sku,barcode\nSH-1,Oxford shirt,Men/Shirts,39.00,SH-1-M,5000000000031\n"
    assert import_catalog(text=text, dry_run=True).errors == import_catalog(text=text).errors != []


# --- the admin page --------------------------------------------------------------------------------


@pytest.fixture
def merchandiser(client):
    client.force_login(staff_user("merchandiser"))
    return client


def upload(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("catalog.csv", text.encode("utf-8"), content_type="text/csv")


def test_the_admin_page_shows_the_typo_then_the_plan_then_imports(merchandiser, catalogue):
    url = "/admin/inventory/product/import/"
    page = merchandiser.get(url).content.decode()
    assert 'name="create_categories"' in page and "Create missing categories" in page
    # a typo is an error on its line
    typo = merchandiser.post(url, {"file": upload(NEXT.replace("Men/Hats", "Men/Hatts")), "dry_run": "on"})
    html = typo.content.decode()
    assert typo.status_code == 200 and "nothing was imported" in html
    assert "line 6: category &#x27;Men / Hatts&#x27; does not exist." in html
    # checking the file with new categories allowed lists every line and the new category
    checked = merchandiser.post(url, {"file": upload(NEXT), "dry_run": "on", "create_categories": "on"})
    html = checked.content.decode()
    assert "Checked 5 rows: 2 would be created, 2 updated, 1 left unchanged. Nothing was written." in html
    assert "What importing this file would do" in html and "<li>Men / Hats</li>" in html
    assert '<tr class="import-update"><td>3</td><td>SH-1</td><td>SH-1-L</td>' in html
    assert "colour: &#x27;Blue&#x27; → &#x27;Navy&#x27;" in html
    assert not Category.objects.filter(slug="men-hats").exists()
    # the import itself
    done = merchandiser.post(url, {"file": upload(NEXT), "create_categories": "on"}, follow=True)
    assert "Imported 5 rows: 2 created, 2 updated, 1 unchanged." in done.content.decode()
    assert Category.objects.filter(slug="men-hats").exists()


def test_the_command_checks_with_the_plan_and_creates_categories_only_when_asked(catalogue, tmp_path, capsys):
    path = tmp_path / "next.csv"
    path.write_text(NEXT, encoding="utf-8")
    # when checked on the command line with new categories allowed
    call_command("import_catalog", str(path), "--dry-run", "--create-categories")
    out = capsys.readouterr().out
    # then it prints what each changed line would do and the category it would make
    assert "line 3: SH-1-L update  colour: 'Blue' → 'Navy'" in out
    assert "line 6: BN-1 create" in out and "new category: Men / Hats" in out
    assert "Checked 5 row(s): 2 would be created, 2 updated, 1 left unchanged. Nothing was written." in out
    assert not Category.objects.filter(slug="men-hats").exists()


def test_the_catalog_carries_its_texts_in_other_languages_and_the_export_reads_back(tree):
    # given a shirt imported with Italian and Polish texts
    header = "style_code,name,category,base_price,sku,name_it,description_it,name_pl\n"
    shirt = "OX-1,Oxford shirt,Men/Shirts,39.00,OX-1-M,Camicia Oxford,Oxford di cotone.,Koszula oxford\n"
    assert import_catalog(text=header + shirt + shirt.replace("OX-1-M", "OX-1-L")).errors == []
    product = Product.objects.get(style_code="OX-1")
    texts = {t.language: (t.name, t.description) for t in product.translations.all()}
    assert texts == {"it": ("Camicia Oxford", "Oxford di cotone."), "pl": ("Koszula oxford", "")}

    # when the Polish name is emptied and the Italian renamed (no description column: it stays)
    again = (
        "style_code,name,category,base_price,sku,name_it,name_pl\nOX-1,Oxford shirt,Men/Shirts,39.00,OX-1-M,Camicia,\n"
    )
    report = import_catalog(text=again, dry_run=True)
    assert report.lines[0].changes == ["name_it: 'Camicia Oxford' → 'Camicia'", "name_pl: 'Koszula oxford' → ''"]
    assert import_catalog(text=again).errors == []

    # then
    assert {t.language: (t.name, t.description) for t in product.translations.all()} == {
        "it": ("Camicia", "Oxford di cotone.")
    }
    # and the export writes them, and reads back unchanged
    from inventory.catalog import export_catalog

    text = export_catalog(products=Product.objects.all())
    texts = ",name_it,description_it,colour_it,size_it,name_pl,description_pl,colour_pl,size_pl"
    assert text.splitlines()[0].endswith(texts)
    assert "Camicia,Oxford di cotone.,," in text
    assert {r.action for r in import_catalog(text=text, dry_run=True).lines} == {"unchanged"}
    # and a description without a name, or two lines of a style that disagree, are line errors
    bad = "style_code,name,category,base_price,sku,name_it,description_it\n"
    bad += "OX-1,Oxford shirt,Men/Shirts,39.00,OX-1-M,,Solo descrizione\n"
    bad += "OX-1,Oxford shirt,Men/Shirts,39.00,OX-1-L,Camicia,\n"
    assert import_catalog(text=bad).errors == [
        "line 2: description_it without name_it",
        "line 3: the texts of style OX-1 differ from its earlier line",
    ]
