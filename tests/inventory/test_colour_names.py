"""A variant's colour in the reader's language (issue 19.1): "Grey" is data written in English, so each
product translation names its style's colours ({"Grey": "Grigio"}), read with the product's name (the
same prefetch: no query more), with the same fallback (the reader's language, the market's, the
variant's own). Italian and Polish staff and shoppers read "Grigio" and "Szary". A size written as a
word ("Double") is named the same way: the tests of cost and of the stock lookup cover both (the rest of
the sizes' in test_size_names)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory import services
from inventory.catalog import export_catalog
from inventory.catalog_import import import_catalog
from inventory.models import Product, ProductTranslation, Variant
from inventory.selectors import product_cards
from tests.factories import MembershipFactory, StoreFactory
from tests.inventory.factories import CategoryFactory, VariantFactory
from tests.inventory.test_catalog_texts import admin_client, market  # noqa: F401 — a fixture

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/v1/products/"
LOOKUP = reverse("inventory_portal:lookup")


def grey_shirt(sku="OX-GRE-M", **product):
    """An Oxford shirt in Grey (and Navy, not named in Polish), named in Italian and Polish."""
    grey = VariantFactory(sku=sku, colour="Grey", size="M", product__name="Oxford shirt", **product)
    VariantFactory(sku=f"{sku}-N", colour="Navy", size="M", product=grey.product)
    ProductTranslation.objects.create(product=grey.product, language="it", name="Camicia Oxford",
                                      colours={"Grey": "Grigio", "Navy": "Blu navy"})  # fmt: skip
    ProductTranslation.objects.create(product=grey.product, language="pl", name="Koszula Oxford",
                                      colours={"Grey": "Szary"})  # fmt: skip
    return grey


def _colours(variants: list[dict]) -> dict[str, str]:
    return {v["sku"]: v["colour"] for v in variants}


def test_the_api_names_the_colour_in_the_callers_language_else_the_variants_own(api_client):
    # given
    grey = grey_shirt()
    url = f"{PRODUCTS}{grey.product_id}/"

    # when
    italian = api_client.get(url, headers={"accept-language": "it"}).json()
    polish = api_client.get(url, headers={"accept-language": "pl"}).json()
    english = api_client.get(url, headers={"accept-language": "en-GB"}).json()

    # then Navy has no Polish name: the variant's own
    assert _colours(italian["variants"]) == {"OX-GRE-M": "Grigio", "OX-GRE-M-N": "Blu navy"}
    assert _colours(polish["variants"]) == {"OX-GRE-M": "Szary", "OX-GRE-M-N": "Navy"}
    assert _colours(english["variants"]) == {"OX-GRE-M": "Grey", "OX-GRE-M-N": "Navy"}


def duvet(sku="DUV-D"):
    """A duvet in Double (and King, not named in Polish): its sizes are words, named in Italian and Polish
    (test_size_names)."""
    double = VariantFactory(sku=sku, colour="", size="Double", product__name="Duvet cover")
    VariantFactory(sku=f"{sku}-K", colour="", size="King", product=double.product)
    ProductTranslation.objects.create(product=double.product, language="it", name="Copripiumino",
                                      sizes={"Double": "Matrimoniale", "King": "King size"})  # fmt: skip
    ProductTranslation.objects.create(product=double.product, language="pl", name="Poszwa na kołdrę",
                                      sizes={"Double": "Dwuosobowy"})  # fmt: skip
    return double


# A style whose variants' colours (sizes) are named: how to make one, the API field, what a Pole reads
WORDED = {"colour": (grey_shirt, "colour", {"Szary", "Navy"}), "size": (duvet, "size_name", {"Dwuosobowy", "King"})}


@pytest.mark.parametrize("part", WORDED)
def test_the_translated_list_with_colours_and_sizes_costs_the_same_for_one_or_many_products(api_client, part):
    # given
    make, field, polish = WORDED[part]
    make()
    headers = {"accept-language": "pl"}
    with CaptureQueriesContext(connection) as one:
        api_client.get(PRODUCTS, headers=headers)
    for n in range(8):
        make(sku=f"S-{n}")

    # when
    with CaptureQueriesContext(connection) as many:
        body = api_client.get(PRODUCTS, headers=headers).json()["results"]

    # then the colours (sizes) came with the names
    assert len(many) == len(one), "\n".join(q["sql"] for q in many.captured_queries)
    assert {v[field] for p in body for v in p["variants"]} == polish


def test_without_its_products_texts_a_variant_shows_its_own_words_and_reads_nothing(django_assert_num_queries):
    grey, double = (Variant.objects.get(pk=make().pk) for make in (grey_shirt, duvet))  # their products not loaded
    with django_assert_num_queries(0):
        assert (grey.display_colour, double.display_size) == ("Grey", "Double")
    assert Product(name="x").colour_name("") == Product(name="x").size_name("") == ""


@pytest.mark.parametrize(
    ("language", "sku", "shown", "english"),
    [
        ("it", "OX-GRE-M", "OX-GRE-M · Grigio · M<", "· Grey ·"),
        ("pl", "OX-GRE-M", "OX-GRE-M · Szary · M<", "· Grey ·"),
        ("it", "DUV-D", "DUV-D · Matrimoniale<", "· Double<"),
        ("pl", "DUV-D", "DUV-D · Dwuosobowy<", "· Double<"),
    ],
)
def test_an_associate_looks_stock_up_and_reads_colour_and_size_in_their_language(client, language, sku, shown, english):
    # given a store of the associate's language, and the shirt and the duvet in stock there
    here = market(language, language, "EUR" if language == "it" else "PLN")
    store = StoreFactory(code="ST-LANG", market=here)
    client.force_login(MembershipFactory(store=store).user)
    services.receive_stock(location=store, lines=[(grey_shirt(), 4), (duvet(), 4)], reference="PO-1")

    client.get(LOOKUP, {"q": sku})  # warm the session's caches
    # when they scan the SKU
    with CaptureQueriesContext(connection) as named:
        page = client.get(LOOKUP, {"q": sku}).text
    ProductTranslation.objects.update(colours={}, sizes={})
    with CaptureQueriesContext(connection) as unnamed:
        client.get(LOOKUP, {"q": sku})

    # then the colour (the size) reads in their language, at the cost of the screen without their names
    assert shown in page.replace("</span>", "<") and english not in page
    assert len(named) == len(unnamed)


def test_the_timeline_cards_name_the_colour_in_the_readers_language():
    grey_shirt()
    cards = product_cards(["OX-GRE-M", "OX-GRE-M-N"], languages=("pl", "it"))
    # Polish first; Navy has no Polish name, so the next language's
    assert (cards["OX-GRE-M"].colour, cards["OX-GRE-M-N"].colour) == ("Szary", "Blu navy")
    assert cards["OX-GRE-M"].label == "Szary M"
    assert product_cards(["OX-GRE-M"])["OX-GRE-M"].colour == "Grey"


def _product_form(product, variant, italian, colours: str) -> dict:
    return {
        "style_code": product.style_code, "name": product.name, "brand": product.brand,
        "category": product.category_id, "base_price": "39.00", "tax_class": "standard", "is_active": "on",
        "description": product.description, "image_url": "", "attributes": "{}", "return_window_days": "",
        "translations-INITIAL_FORMS": 1, "translations-TOTAL_FORMS": 1,
        "translations-0-id": italian.pk, "translations-0-product": product.pk, "translations-0-language": "it",
        "translations-0-name": "Camicia Oxford", "translations-0-description": "",
        "translations-0-colours": colours,
        "variants-INITIAL_FORMS": 1, "variants-TOTAL_FORMS": 1,
        "variants-0-id": variant.pk, "variants-0-product": product.pk, "variants-0-sku": variant.sku,
        "variants-0-barcode": variant.barcode, "variants-0-size": "M", "variants-0-colour": "Grey",
        "variants-0-price_override": "", "variants-0-is_active": "on",
    }  # fmt: skip


def test_head_office_names_the_colours_beside_the_products_name(admin_client):  # noqa: F811
    # given a shirt in Grey with an Italian name and no colour names yet
    grey = VariantFactory(colour="Grey", size="M", product__category=CategoryFactory())
    italian = ProductTranslation.objects.create(product=grey.product, language="it", name="Camicia Oxford")
    url = reverse("admin:inventory_product_change", args=[grey.product_id])
    assert "Grey = Grigio" in admin_client.get(url).text  # the field says how to write them

    # when a line without its "=" is typed, then two good ones
    refused = admin_client.post(url, _product_form(grey.product, grey, italian, "Grey Grigio"))
    saved = admin_client.post(url, _product_form(grey.product, grey, italian, "Grey = Grigio\r\n\r\nNavy=Blu navy"))

    # then the first is an error on the page and nothing is kept; the second is kept as written
    assert refused.status_code == 200 and "Line 1: write the colour as the variants have it" in refused.text
    assert saved.status_code == 302
    italian.refresh_from_db()
    assert italian.colours == {"Grey": "Grigio", "Navy": "Blu navy"}
    assert "Grey = Grigio\nNavy = Blu navy" in admin_client.get(url).text  # shown back as typed


HEADER = "style_code,name,category,base_price,sku,colour,name_it,colour_it,name_pl,colour_pl\n"


def test_the_catalog_import_names_each_rows_colour_and_the_export_writes_them_back():
    # given
    CategoryFactory(name="Shirts", slug="shirts")
    rows = (
        "OX-1,Oxford shirt,Shirts,39.00,OX-1-G,Grey,Camicia Oxford,Grigio,Koszula Oxford,Szary\n"
        "OX-1,Oxford shirt,Shirts,39.00,OX-1-N,Navy,Camicia Oxford,Blu navy,Koszula Oxford,\n"
    )

    # when
    report = import_catalog(text=HEADER + rows)

    # then
    assert report.errors == []
    texts = dict(ProductTranslation.objects.values_list("language", "colours"))
    assert texts == {"it": {"Grey": "Grigio", "Navy": "Blu navy"}, "pl": {"Grey": "Szary"}}
    exported = export_catalog(products=Product.objects.all()).splitlines()
    assert exported[0].endswith(",name_it,description_it,colour_it,size_it,name_pl,description_pl,colour_pl,size_pl")
    assert exported[1].endswith(",Camicia Oxford,,Grigio,,Koszula Oxford,,Szary,")
    assert exported[2].endswith(",Camicia Oxford,,Blu navy,,Koszula Oxford,,,")
    # and importing what was exported changes nothing
    assert import_catalog(text="\n".join(exported) + "\n").updated == 0

    # when an empty cell is imported for Grey in Polish, and a new Italian name for it
    again = "OX-1,Oxford shirt,Shirts,39.00,OX-1-G,Grey,Camicia Oxford,Grigio chiaro,Koszula Oxford,\n"
    report = import_catalog(text=HEADER + again, dry_run=True)
    assert report.lines[0].changes == ["colour_it (Grey): 'Grigio' → 'Grigio chiaro'", "colour_pl (Grey): 'Szary' → ''"]
    import_catalog(text=HEADER + again)

    # then that colour's Polish name is gone, the Italian one changed, the file's other colours stay
    texts = dict(ProductTranslation.objects.values_list("language", "colours"))
    assert texts == {"it": {"Grey": "Grigio chiaro", "Navy": "Blu navy"}, "pl": {}}


def test_a_colour_name_without_the_name_or_the_colour_or_named_twice_is_a_line_error():
    CategoryFactory(name="Shirts", slug="shirts")
    rows = (
        "OX-1,Oxford shirt,Shirts,39.00,OX-1-G,Grey,,Grigio,,\n"
        "OX-2,Linen shirt,Shirts,39.00,OX-2-M,,Camicia di lino,Grigio,,\n"
        "OX-3,Flannel shirt,Shirts,39.00,OX-3-S,Grey,Camicia,Grigio,,\n"
        "OX-3,Flannel shirt,Shirts,39.00,OX-3-M,Grey,Camicia,Grigio scuro,,\n"
    )
    report = import_catalog(text=HEADER + rows)
    assert report.errors == [
        "line 2: colour_it without name_it",
        "line 3: colour_it without the variant's colour",
        "line 5: colour Grey of style OX-3 has two names in colour_it",
    ]
    assert not Product.objects.exists()


def test_a_colour_without_a_name_in_the_callers_language_reads_the_home_markets(api_client):
    # given a home market in Italian; Navy has no Polish name
    market("it", "it", "EUR", home=True)
    grey = grey_shirt()
    body = api_client.get(f"{PRODUCTS}{grey.product_id}/", headers={"accept-language": "pl"}).json()
    assert _colours(body["variants"]) == {"OX-GRE-M": "Szary", "OX-GRE-M-N": "Blu navy"}
