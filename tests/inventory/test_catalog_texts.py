"""Catalog texts in the reader's language (issue 19.1): product names, descriptions and category names
have translations; the API reads the caller's language (Accept-Language), then the home market's
default, then the catalog's own text; the portal the staff member's language, then the store's market's."""

import pytest
from django.urls import reverse

from inventory import services
from inventory.catalog_texts import reading_order
from inventory.models import CategoryTranslation, ProductTranslation
from tests.factories import MarketFactory, MembershipFactory, StoreFactory, UserFactory
from tests.helpers import enrol_totp
from tests.inventory.factories import CategoryFactory, VariantFactory

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/v1/products/"
LOOKUP = reverse("inventory_portal:lookup")


def market(code, language, currency, *, home=False):
    return MarketFactory(
        code=code,
        name=code.upper(),
        countries=[code.upper()],
        currency=currency,
        default_language=language,
        languages=[language, "en-gb"],
        is_home=home,
    )


def shirt(**product):
    category = CategoryFactory(name="Shirts", slug="shirts")
    CategoryTranslation.objects.get_or_create(category=category, language="it", defaults={"name": "Camicie"})
    variant = VariantFactory(
        product__name="Oxford shirt", product__description="Cotton oxford.", product__category=category, **product
    )
    ProductTranslation.objects.create(
        product=variant.product, language="it", name="Camicia Oxford", description="Oxford di cotone."
    )
    return variant


def test_reading_order_stops_at_the_catalogs_own_language():
    assert reading_order("pl", "it") == ("pl", "it")
    assert reading_order("it", "it") == ("it",)
    assert reading_order("it", "en-gb", "pl") == ("it", "en-gb")  # the catalog's English comes before Polish
    assert reading_order("en-gb", "it") == ("en-gb",)  # an English reader reads the catalog, not the market's
    assert reading_order("pl-PL", "xx") == ("pl",)


def test_the_api_answers_in_the_callers_language(api_client):
    # given
    variant = shirt()

    # when
    italian = api_client.get(f"{PRODUCTS}{variant.product_id}/", headers={"accept-language": "it"}).json()
    english = api_client.get(f"{PRODUCTS}{variant.product_id}/", headers={"accept-language": "en-GB"}).json()

    # then
    assert (italian["name"], italian["description"], italian["category_name"]) == (
        "Camicia Oxford",
        "Oxford di cotone.",
        "Camicie",
    )
    assert (english["name"], english["description"], english["category_name"]) == (
        "Oxford shirt",
        "Cotton oxford.",
        "Shirts",
    )


def test_an_untranslated_text_falls_back_to_the_market_default_then_the_catalogs_own(api_client):
    # given a home market in Italian; a Polish name without a Polish description
    market("it", "it", "EUR", home=True)
    variant = shirt()
    ProductTranslation.objects.create(product=variant.product, language="pl", name="Koszula Oxford")
    plain = VariantFactory(product__name="Wool coat", product__description="Warm.")

    # when
    body = api_client.get(PRODUCTS, headers={"accept-language": "pl"}).json()["results"]
    detail = api_client.get(f"{PRODUCTS}{variant.product_id}/", headers={"accept-language": "pl"}).json()

    # then the Polish name, the Italian description and category (the market's), the catalog's own text else
    assert {p["id"]: p["name"] for p in body} == {variant.product_id: "Koszula Oxford", plain.product_id: "Wool coat"}
    assert (detail["description"], detail["category_name"]) == ("Oxford di cotone.", "Camicie")


def test_the_api_searches_in_the_callers_language(api_client):
    # given
    variant = shirt()
    VariantFactory(product__name="Wool coat")

    # when
    found = api_client.get(PRODUCTS, {"q": "camicia"}, headers={"accept-language": "it"}).json()["results"]
    in_english = api_client.get(PRODUCTS, {"q": "camicia"}, headers={"accept-language": "en-GB"}).json()["results"]

    # then
    assert [p["id"] for p in found] == [variant.product_id]
    assert in_english == []
    found = api_client.get(PRODUCTS, {"q": "oxford"}, headers={"accept-language": "it"}).json()["results"]
    assert [p["name"] for p in found] == ["Camicia Oxford"]  # the catalog's own name still finds it


def test_the_translated_list_costs_the_same_for_one_or_many_products(api_client, django_assert_num_queries):
    # given
    shirt()
    headers = {"accept-language": "it"}
    # the caller's market (prices), products, variants, the home market's language, the products' and the
    # categories' texts
    with django_assert_num_queries(6):
        api_client.get(PRODUCTS, headers=headers)
    for n in range(10):
        variant = VariantFactory()
        ProductTranslation.objects.create(product=variant.product, language="it", name=f"Maglia {n}")
        CategoryTranslation.objects.create(category=variant.product.category, language="it", name=f"Maglie {n}")

    # when / then
    with django_assert_num_queries(6):
        body = api_client.get(PRODUCTS, headers=headers).json()["results"]
    assert len(body) == 11 and {p["name"] for p in body} >= {"Camicia Oxford", "Maglia 9"}
    assert "Maglie 9" in {p["category_name"] for p in body}


@pytest.fixture
def admin_client(client):
    superuser = UserFactory(is_staff=True, is_superuser=True)
    enrol_totp(superuser)  # admin users must have a second factor
    client.force_login(superuser)
    return client


def test_head_office_writes_one_text_per_language_in_the_product_form(admin_client):
    # given
    variant = shirt()
    product = variant.product
    url = reverse("admin:inventory_product_change", args=[product.pk])
    page = admin_client.get(url)
    assert page.status_code == 200 and "Camicia Oxford" in page.text
    italian = ProductTranslation.objects.get(product=product)
    data = {
        "style_code": product.style_code, "name": product.name, "brand": product.brand,
        "category": product.category_id, "base_price": "39.00", "tax_class": "standard", "is_active": "on",
        "description": product.description, "image_url": "", "attributes": "{}", "return_window_days": "",
        "translations-INITIAL_FORMS": 1, "translations-TOTAL_FORMS": 3,
        "translations-0-id": italian.pk, "translations-0-product": product.pk, "translations-0-language": "it",
        "translations-0-name": "Camicia Oxford", "translations-0-description": "Oxford di cotone.",
        "translations-1-language": "pl", "translations-1-name": "Koszula", "translations-1-description": "",
        "translations-2-language": "pl", "translations-2-name": "Koszula bis", "translations-2-description": "",
        "variants-INITIAL_FORMS": 1, "variants-TOTAL_FORMS": 1,
        "variants-0-id": variant.pk, "variants-0-product": product.pk, "variants-0-sku": variant.sku,
        "variants-0-barcode": variant.barcode, "variants-0-size": "M", "variants-0-colour": "Navy",
        "variants-0-price_override": "", "variants-0-is_active": "on",
    }  # fmt: skip

    # when two Polish texts are typed
    response = admin_client.post(url, data)

    # then the form says so and nothing is saved
    assert response.status_code == 200
    assert "Please correct the duplicate data for language." in response.text
    assert not ProductTranslation.objects.filter(language="pl").exists()

    # and one Polish text is saved beside the Italian one
    data["translations-TOTAL_FORMS"] = 2
    response = admin_client.post(url, data)
    assert response.status_code == 302
    assert dict(product.translations.values_list("language", "name")) == {"it": "Camicia Oxford", "pl": "Koszula"}


def test_an_italian_associate_looks_stock_up_in_italian(client, django_assert_num_queries):
    # given an Italian store, its associate (no choice of their own) and a shirt in stock there
    milano = StoreFactory(code="MIL-01", name="Milano Duomo", market=market("it", "it", "EUR"))
    client.force_login(MembershipFactory(store=milano).user)
    variant = shirt(sku="OX-NAV-M")
    services.receive_stock(location=milano, lines=[(variant, 4)], reference="PO-1")

    # when they type the Italian name, then scan the SKU
    by_name = client.get(LOOKUP, {"q": "camicia"})
    by_sku = client.get(LOOKUP, {"q": "OX-NAV-M"})

    # then
    assert "Camicia Oxford" in by_name.text and "OX-NAV-M" in by_name.text
    assert "Camicia Oxford" in by_sku.text and "Oxford shirt" not in by_sku.text


def test_an_english_associate_in_an_italian_store_reads_the_catalogs_english(client):
    # given
    milano = StoreFactory(code="MIL-01", name="Milano Duomo", market=market("it", "it", "EUR"))
    client.force_login(MembershipFactory(store=milano, user__language="en-gb").user)
    variant = shirt(sku="OX-NAV-M")
    services.receive_stock(location=milano, lines=[(variant, 4)], reference="PO-1")

    # when
    response = client.get(LOOKUP, {"q": "OX-NAV-M"})

    # then
    assert "Oxford shirt" in response.text and "Camicia Oxford" not in response.text
