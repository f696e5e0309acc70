"""A size written as a word in the reader's language (issue 19.1): the demo's bed sizes "Single",
"Double", "King" are English data, so each product translation names its style's worded sizes
({"Double": "Matrimoniale"}) as it names its colours (test_colour_names): read with the product's name
from the same prefetch, with the same fallback. The variant keeps its own size as data (an order line's
size, a shopper's preferred size, the API's `size`); only what people read is worded."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from inventory.catalog import export_catalog
from inventory.catalog_import import import_catalog
from inventory.models import Product, ProductTranslation, Variant
from inventory.selectors import product_cards
from tests.inventory.factories import CategoryFactory, VariantFactory
from tests.inventory.test_catalog_texts import admin_client  # noqa: F401 — a fixture
from tests.inventory.test_colour_names import _product_form, duvet

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/v1/products/"


def _sizes(variants: list[dict]) -> dict[str, tuple[str, str]]:
    return {v["sku"]: (v["size"], v["size_name"]) for v in variants}


def test_the_api_names_the_size_in_the_callers_language_beside_the_variants_own(api_client):
    # given
    double = duvet()
    url = f"{PRODUCTS}{double.product_id}/"

    # when
    italian = api_client.get(url, headers={"accept-language": "it"}).json()
    polish = api_client.get(url, headers={"accept-language": "pl"}).json()
    english = api_client.get(url, headers={"accept-language": "en-GB"}).json()

    # then `size` stays the value an app sends back (a preferred size); King has no Polish name
    assert _sizes(italian["variants"]) == {"DUV-D": ("Double", "Matrimoniale"), "DUV-D-K": ("King", "King size")}
    assert _sizes(polish["variants"]) == {"DUV-D": ("Double", "Dwuosobowy"), "DUV-D-K": ("King", "King")}
    assert _sizes(english["variants"]) == {"DUV-D": ("Double", "Double"), "DUV-D-K": ("King", "King")}


def test_the_timeline_cards_name_the_size_in_the_readers_language():
    duvet()
    cards = product_cards(["DUV-D", "DUV-D-K"], languages=("pl", "it"))
    # Polish first; King has no Polish name, so the next language's
    assert (cards["DUV-D"].size, cards["DUV-D-K"].size) == ("Dwuosobowy", "King size")
    assert product_cards(["DUV-D"])["DUV-D"].size == "Double"


def test_head_office_names_the_sizes_beside_the_colours(admin_client):  # noqa: F811
    # given a duvet in Double with an Italian name and no size names yet
    double = VariantFactory(colour="Grey", size="Double", product__category=CategoryFactory())
    italian = ProductTranslation.objects.create(product=double.product, language="it", name="Copripiumino")
    url = reverse("admin:inventory_product_change", args=[double.product_id])
    assert "Double = Matrimoniale" in admin_client.get(url).text  # the field says how to write them

    # when a line without its "=" is typed, then a size named twice, then good lines
    form = _product_form(double.product, double, italian, "Grey = Grigio")
    form["variants-0-size"] = "Double"
    refused = admin_client.post(url, {**form, "translations-0-sizes": "Double Matrimoniale"})
    twice = admin_client.post(url, {**form, "translations-0-sizes": "King = King size\nKing = Grande"})
    saved = admin_client.post(url, {**form, "translations-0-sizes": "Double = Matrimoniale\r\n\r\nKing=King size"})

    # then the first two are errors on the page and nothing is kept; the last is kept as written
    assert refused.status_code == 200 and "Line 1: write the size as the variants have it" in refused.text
    assert twice.status_code == 200 and "King is named twice: keep one line." in twice.text
    assert saved.status_code == 302
    italian.refresh_from_db()
    assert (italian.colours, italian.sizes) == ({"Grey": "Grigio"}, {"Double": "Matrimoniale", "King": "King size"})
    shown = admin_client.get(url).text  # shown back as typed, a line each
    assert "\nDouble = Matrimoniale" in shown and "King = King size\n" in shown


HEADER = "style_code,name,category,base_price,sku,size,name_it,size_it,name_pl,size_pl\n"


def test_the_catalog_import_names_each_rows_size_and_the_export_writes_them_back():
    # given
    CategoryFactory(name="Bedding", slug="bedding")
    rows = (
        "DUV-1,Duvet cover,Bedding,59.00,DUV-1-D,Double,Copripiumino,Matrimoniale,Poszwa,Dwuosobowy\n"
        "DUV-1,Duvet cover,Bedding,59.00,DUV-1-K,King,Copripiumino,King size,Poszwa,\n"
    )

    # when
    report = import_catalog(text=HEADER + rows)

    # then the variants keep their own sizes; the translations name them
    assert report.errors == []
    assert sorted(Variant.objects.values_list("size", flat=True)) == ["Double", "King"]
    texts = dict(ProductTranslation.objects.values_list("language", "sizes"))
    assert texts == {"it": {"Double": "Matrimoniale", "King": "King size"}, "pl": {"Double": "Dwuosobowy"}}
    exported = export_catalog(products=Product.objects.all()).splitlines()
    assert exported[1].endswith(",Copripiumino,,,Matrimoniale,Poszwa,,,Dwuosobowy")
    assert exported[2].endswith(",Copripiumino,,,King size,Poszwa,,,")
    # and importing what was exported changes nothing
    assert import_catalog(text="\n".join(exported) + "\n").updated == 0

    # when an empty cell is imported for Double in Polish, and a new Italian name for it
    again = "DUV-1,Duvet cover,Bedding,59.00,DUV-1-D,Double,Copripiumino,Due piazze,Poszwa,\n"
    report = import_catalog(text=HEADER + again, dry_run=True)
    assert report.lines[0].changes == [
        "size_it (Double): 'Matrimoniale' → 'Due piazze'",
        "size_pl (Double): 'Dwuosobowy' → ''",
    ]
    import_catalog(text=HEADER + again)

    # then that size's Polish name is gone, the Italian one changed, the style's other sizes stay
    texts = dict(ProductTranslation.objects.values_list("language", "sizes"))
    assert texts == {"it": {"Double": "Due piazze", "King": "King size"}, "pl": {}}


def test_a_size_name_without_the_name_or_the_size_or_named_twice_is_a_line_error():
    CategoryFactory(name="Bedding", slug="bedding")
    rows = (
        "DUV-1,Duvet cover,Bedding,59.00,DUV-1-D,Double,,Matrimoniale,,\n"
        "DUV-2,Sheet,Bedding,29.00,DUV-2-X,,Lenzuolo,Matrimoniale,,\n"
        "DUV-3,Quilt,Bedding,89.00,DUV-3-D,Double,Trapunta,Matrimoniale,,\n"
        "DUV-3,Quilt,Bedding,89.00,DUV-3-E,Double,Trapunta,Due piazze,,\n"
    )
    report = import_catalog(text=HEADER + rows)
    assert report.errors == [
        "line 2: size_it without name_it",
        "line 3: size_it without the variant's size",
        "line 5: size Double of style DUV-3 has two names in size_it",
    ]
    assert not Product.objects.exists()


def test_a_translation_refuses_a_size_that_is_not_text():
    double = duvet()
    text = ProductTranslation.objects.get(product=double.product, language="it")
    text.sizes = {"Double": ""}
    with pytest.raises(ValidationError, match="Give each size and its name"):
        text.full_clean()
