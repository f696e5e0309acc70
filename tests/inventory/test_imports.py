import pytest
from django.core.management import CommandError, call_command

from inventory.catalog import export_catalog
from inventory.models import Category, Product, StockLevel, StockMovement, Variant
from inventory.selectors import ledger_drift
from tests.inventory.factories import VariantFactory

pytestmark = pytest.mark.django_db

CATALOG = """style_code,name,brand,category,base_price,sku,barcode,size,colour,price_override,final_sale
TS-1,Pocket tee,Omni,Men/T-shirts,19.99,TS-1-NAV-M,5000000000031,M,Navy,,no
TS-1,Pocket tee,Omni,Men/T-shirts,19.99,TS-1-NAV-L,5000000000048,L,Navy,17.50,no
MG-9,Stoneware mug,Harbour,Home/Kitchen,8.00,MG-9-SND,,,Sand,,yes
"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_import_catalog_creates_then_changes_nothing_on_a_second_run(tmp_path, capsys):
    path = write(tmp_path, "catalog.csv", CATALOG)
    # when
    call_command("import_catalog", str(path), "--create-categories")
    # then
    assert "3 created" in capsys.readouterr().out
    tee = Product.objects.get(style_code="TS-1")
    assert (tee.category.slug, tee.category.parent.slug, str(tee.base_price)) == ("men-t-shirts", "men", "19.99")
    assert Variant.objects.get(sku="TS-1-NAV-L").price == 17.50
    assert Product.objects.get(style_code="MG-9").final_sale is True
    # when imported again
    call_command("import_catalog", str(path), "--create-categories")
    assert "0 created, 0 updated, 3 unchanged" in capsys.readouterr().out
    assert (Product.objects.count(), Variant.objects.count(), Category.objects.count()) == (2, 3, 4)


def test_import_catalog_updates_changed_rows(tmp_path):
    call_command("import_catalog", str(write(tmp_path, "a.csv", CATALOG)), "--create-categories")
    call_command(
        "import_catalog",
        str(write(tmp_path, "b.csv", CATALOG.replace("Pocket tee", "Pocket T-shirt"))),
        "--create-categories",
    )
    assert Product.objects.get(style_code="TS-1").name == "Pocket T-shirt"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (CATALOG.replace("19.99,TS-1-NAV-L", "cheap,TS-1-NAV-L"), "line 3: base_price 'cheap' is not a number"),
        (
            CATALOG.replace("TS-1-NAV-L,5000000000048", "TS-1-NAV-M,5000000000048"),
            "line 3: SKU TS-1-NAV-M appears twice",
        ),
        (CATALOG.replace("5000000000048", "5000000000031"), "line 3: barcode 5000000000031 is also on SKU TS-1-NAV-M"),
        (CATALOG.replace(",yes\n", ",maybe\n"), "line 4: final_sale must be yes/no"),
        (CATALOG.replace("MG-9,Stoneware mug", "MG-9,"), "line 4: name is empty"),
        ("name,sku\nTee,X\n", "line 1: missing column(s) style_code, category, base_price"),
        (CATALOG + "XX-1,Thing,Omni,Home,1.00,XX-1-A,,,,,no,extra\n", "line 5: more cells than columns"),
        ("", "line 1: missing column(s)"),
    ],
)
def test_a_bad_catalog_line_imports_nothing(tmp_path, capsys, text, message):
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_catalog", str(write(tmp_path, "bad.csv", text)), "--create-categories")
    assert message in capsys.readouterr().err
    assert not Product.objects.exists() and not Variant.objects.exists()


def test_barcode_of_another_existing_sku_is_refused(tmp_path, capsys):
    VariantFactory(sku="OTHER", barcode="5000000000031")
    with pytest.raises(CommandError):
        call_command("import_catalog", str(write(tmp_path, "c.csv", CATALOG)), "--create-categories")
    assert "barcode 5000000000031 already belongs to SKU OTHER" in capsys.readouterr().err


def test_import_stock_posts_counts_and_is_idempotent(tmp_path, store, other_store, stocked, capsys):
    # given 10 at LON-01
    text = f"sku,location,on_hand,safety_stock\n{stocked.sku},LON-01,7,1\n{stocked.sku},MAN-01,4,\n"
    path = write(tmp_path, "stock.csv", text)
    # when
    call_command("import_stock", str(path))
    # then
    levels = {lv.location.code: lv for lv in StockLevel.objects.select_related("location")}
    assert (levels["LON-01"].on_hand, levels["LON-01"].safety_stock, levels["MAN-01"].on_hand) == (7, 1, 4)
    assert levels["LON-01"].last_counted_at is not None
    assert ledger_drift() == []
    movements = StockMovement.objects.count()
    # when imported again
    call_command("import_stock", str(path))
    assert "0 created, 0 updated, 2 unchanged" in capsys.readouterr().out.splitlines()[-1]
    assert StockMovement.objects.count() == movements


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("NOPE,LON-01,3", "line 3: unknown SKU 'NOPE'"),
        ("SHIRT-NAVY-M,NOWHERE,3", "line 3: unknown location 'NOWHERE'"),
        ("SHIRT-NAVY-M,MAN-01,-3", "line 3: on_hand must be a whole number 0 or more"),
        ("SHIRT-NAVY-M,LON-01,2", "line 3: SHIRT-NAVY-M at LON-01 appears twice"),
    ],
)
def test_a_bad_stock_line_imports_nothing(tmp_path, capsys, store, other_store, stocked, row, message):
    text = f"sku,location,on_hand\nSHIRT-NAVY-M,LON-01,1\n{row}\n"
    with pytest.raises(CommandError):
        call_command("import_stock", str(write(tmp_path, "s.csv", text)))
    assert message in capsys.readouterr().err
    assert StockLevel.objects.get(variant=stocked, location=store).on_hand == 10
    assert StockMovement.objects.count() == 1


def test_dry_run_writes_nothing(tmp_path, capsys):
    call_command("import_catalog", str(write(tmp_path, "a.csv", CATALOG)), "--dry-run", "--create-categories")
    assert "Checked 3 row(s)" in capsys.readouterr().out
    assert not Product.objects.exists()


def test_exported_catalog_reads_back_unchanged(tmp_path, capsys):
    # given an imported catalog, edited nowhere
    call_command("import_catalog", str(write(tmp_path, "a.csv", CATALOG)), "--create-categories")
    capsys.readouterr()
    # when exported and imported again
    text = export_catalog(products=Product.objects.all())
    call_command("import_catalog", str(write(tmp_path, "b.csv", text)))
    # then nothing changes
    assert "0 created, 0 updated, 3 unchanged" in capsys.readouterr().out
    assert text.splitlines()[0].startswith("style_code,name,category,base_price,sku,brand")
