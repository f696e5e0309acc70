import pytest
from django.urls import reverse

from inventory import services
from inventory.models import StockLevel
from tests.factories import StoreFactory
from tests.inventory.factories import CategoryFactory, ProductFactory, VariantFactory

pytestmark = pytest.mark.django_db

AVAILABILITY = "/api/v1/availability/"
PRODUCTS = "/api/v1/products/"


def test_products_search_by_name_sku_and_barcode(api_client):
    # given
    shirt = VariantFactory(product__name="Oxford shirt", sku="OX-NAV-M", barcode="5000000000017")
    VariantFactory(product__name="Wool coat")
    # when / then
    for query in ("oxford", "OX-NAV-M", "5000000000017"):
        body = api_client.get(PRODUCTS, {"q": query}).json()
        assert [p["id"] for p in body["results"]] == [shirt.product_id], query
    assert body["results"][0]["variants"][0]["sku"] == "OX-NAV-M"


def test_products_category_filter_includes_subcategories(api_client):
    women = CategoryFactory(slug="women")
    tops = CategoryFactory(slug="women-tops", parent=women)
    in_tops = ProductFactory(category=tops)
    ProductFactory(category=CategoryFactory(slug="home"))
    body = api_client.get(PRODUCTS, {"category": "women"}).json()
    assert [p["id"] for p in body["results"]] == [in_tops.pk]
    response = api_client.get(PRODUCTS, {"category": "nope"})
    assert response.status_code == 400
    assert response.json()["code"] == "unknown_category"


def test_products_are_cursor_paginated_and_hide_inactive(api_client):
    for n in range(5):
        VariantFactory(product__name=f"Tee {n}")
    ProductFactory(name="Tee hidden", is_active=False)
    first = api_client.get(PRODUCTS, {"page_size": 3}).json()
    second = api_client.get(first["next"]).json()
    names = [p["name"] for p in first["results"] + second["results"]]
    assert names == [f"Tee {n}" for n in range(5)]


def test_product_list_query_count_is_constant(api_client, django_assert_num_queries):
    VariantFactory()
    with django_assert_num_queries(3):  # the caller's market, products, variants (with their price there)
        api_client.get(PRODUCTS)
    for _ in range(10):
        product = ProductFactory()
        VariantFactory.create_batch(3, product=product)
    with django_assert_num_queries(3):
        assert len(api_client.get(PRODUCTS).json()["results"]) == 11


def test_product_detail_with_variants(api_client):
    variant = VariantFactory(price_override="25.00")
    body = api_client.get(f"{PRODUCTS}{variant.product_id}/").json()
    assert body["variants"] == [
        {
            "id": variant.pk,
            "sku": variant.sku,
            "barcode": variant.barcode,
            "size": "M",
            "size_name": "M",
            "colour": "Navy",
            "price": "25.00",
        }
    ]
    assert api_client.get(f"{PRODUCTS}999999/").json()["code"] == "not_found"


def test_availability_at_a_store(api_client, store, stocked):
    StockLevel.objects.filter(variant=stocked).update(reserved=3)
    response = api_client.get(AVAILABILITY, {"sku": stocked.sku, "store": store.code})
    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert (row["store"], row["available"], row["in_stock"]) == (store.code, 7, True)
    assert "on_hand" not in row and "reserved" not in row


def test_availability_near_a_point(api_client, store, stocked, other_store):
    services.receive_stock(location=other_store, lines=[(stocked, 1)], reference="PO")
    body = api_client.get(AVAILABILITY, {"sku": stocked.sku, "near": "53.48,-2.24", "limit": "2"}).json()
    assert [r["store"] for r in body["results"]] == [other_store.code, store.code]
    assert body["results"][0]["distance_km"] < 1


def test_availability_at_a_store_says_how_far_it_is_from_a_point(api_client, store, stocked):
    # when a shopper asks about one store, from where they are (both parameters, the schema allows it)
    body = api_client.get(AVAILABILITY, {"sku": stocked.sku, "store": store.code, "near": "51.5072,-0.1276"}).json()
    # then the row says how far that store is
    (row,) = body["results"]
    assert row["store"] == store.code and 0 <= row["distance_km"] < 50


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"sku": "NOPE", "store": "LON-01"}, 400, "unknown_sku"),
        ({"sku": "SHIRT-NAVY-M", "store": "NOWHERE"}, 400, "unknown_store"),
        ({"sku": "SHIRT-NAVY-M", "near": "north"}, 400, "invalid_coordinates"),
        ({"sku": "SHIRT-NAVY-M", "near": "91,0"}, 400, "invalid_coordinates"),
        ({"sku": "SHIRT-NAVY-M", "near": "51,0", "limit": "0"}, 400, "invalid"),
        ({"store": "LON-01"}, 400, "invalid"),
        ({"sku": "SHIRT-NAVY-M,", "store": "LON-01"}, 400, "invalid"),
        ({"sku": "SHIRT-NAVY-M", "store": "LON 01"}, 400, "invalid"),
    ],
)
def test_availability_bad_input_is_a_clear_4xx(api_client, store, stocked, params, status, code):
    response = api_client.get(AVAILABILITY, params)
    assert response.status_code == status
    body = response.json()
    assert body["code"] == code
    assert body["message"]


@pytest.mark.parametrize("mode", ["store", "near"])
def test_availability_query_count_is_constant_in_stores_and_skus(api_client, django_assert_num_queries, mode):
    # given one store and one SKU
    first = StoreFactory(code="Q-000")
    variants = [VariantFactory()]
    services.receive_stock(location=first, lines=[(variants[0], 3)], reference="PO")
    params = {"store": first.code} if mode == "store" else {"near": "51.5,-0.12", "limit": "5"}
    # (the store), the variants, the levels with their locations' pick-up promise columns (no query for the
    # promises: benchmarks' inventory.availability.* ceilings of 3 and 2 statements)
    expected = 3 if mode == "store" else 2

    def ask():
        response = api_client.get(AVAILABILITY, {"sku": ",".join(v.sku for v in variants), **params})
        assert response.status_code == 200
        return response.json()["results"]

    with django_assert_num_queries(expected):
        assert len(ask()) == 1
    # when there are 20 stores and 10 SKUs
    stores = [first] + [StoreFactory(code=f"Q-{n:03d}") for n in range(1, 20)]
    variants += [VariantFactory() for _ in range(9)]
    for s in stores:
        services.receive_stock(location=s, lines=[(v, 2) for v in variants], reference="PO")
    # then the same number of queries
    with django_assert_num_queries(expected):
        assert len(ask()) == (10 if mode == "store" else 50)


def test_schema_documents_inventory_endpoints(api_client):
    schema = api_client.get(reverse("api-schema"), HTTP_ACCEPT="application/json").json()
    assert {"/api/v1/products/", "/api/v1/products/{id}/", "/api/v1/availability/"} <= set(schema["paths"])
    params = {p["name"] for p in schema["paths"]["/api/v1/availability/"]["get"]["parameters"]}
    assert {"sku", "store", "near", "limit"} <= params
