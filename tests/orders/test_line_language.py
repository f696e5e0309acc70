"""An order's lines are named in the order's language (issue 19.1): the shopper's, else the market's.
The name is written when the order is placed (OrderLine.name keeps what was sold), so the API's order,
receipts, returns and messages read it without a query per line, and a later rename rewrites no sale."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory import services as inventory
from inventory.models import ProductTranslation
from orders.models import OrderLine
from retail.services import issue_pos_device
from tests.factories import MarketFactory, StoreFactory
from tests.inventory.factories import VariantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def milano(store):
    """The test store sells in Italy (in euros, at the catalog's prices)."""
    italy = MarketFactory(code="it", name="Italia", countries=["IT"], currency="EUR", default_language="it",
                          languages=["it", "en-gb"])  # fmt: skip
    store.market = italy
    store.save(update_fields=["market"])
    return store


@pytest.fixture
def texts(shirt, jeans):
    """The shirt has an Italian name; the jeans have none (their catalog name is read)."""
    ProductTranslation.objects.create(product=shirt.product, language="it", name="Camicia Oxford")
    ProductTranslation.objects.create(product=shirt.product, language="pl", name="Koszula Oxford")


def checkout(client, lines, key):
    return client.post(
        "/api/v1/orders/",
        {
            "channel": "app",
            "lines": [{"sku": sku, "quantity": quantity} for sku, quantity in lines],
            "fulfillment": {"kind": "pickup", "store": "LON-01"},
            "payments": [{"method": "card", "token": "tok_visa_4242"}],
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )


def names(body) -> list[str]:
    return [line["name"] for line in body["lines"]]


def test_an_italian_shoppers_order_reads_in_italian_in_the_api_at_a_constant_cost(
    api_client, shopper, shopper_user, milano, shirt, jeans, texts
):
    # given an Italian shopper
    shopper.language = "it"
    shopper.save(update_fields=["language"])
    api_client.force_authenticate(shopper_user)

    # when they order the shirt and the jeans
    placed = checkout(api_client, [("SHIRT-M", 1), ("JEANS-32", 1)], key="k-1")

    # then the order's lines read in Italian where the catalog has it, in its own words where not
    assert placed.status_code == 201, placed.json()
    number = placed.json()["number"]
    assert names(placed.json()) == ["Camicia Oxford", jeans.product.name]
    detail = api_client.get(f"/api/v1/orders/{number}/")
    assert names(detail.json()) == ["Camicia Oxford", jeans.product.name]
    # and a later rename of the Italian text rewrites no sale
    ProductTranslation.objects.filter(language="it").update(name="Camicia nuova")
    assert names(api_client.get(f"/api/v1/orders/{number}/").json())[0] == "Camicia Oxford"

    # and the detail costs the same with one line as with two, read in any language
    one = checkout(api_client, [("SHIRT-M", 1)], key="k-2").json()["number"]
    with CaptureQueriesContext(connection) as single:
        api_client.get(f"/api/v1/orders/{one}/", HTTP_ACCEPT_LANGUAGE="pl")
    with CaptureQueriesContext(connection) as double:
        api_client.get(f"/api/v1/orders/{number}/", HTTP_ACCEPT_LANGUAGE="pl")
    assert len(single) == len(double)


def test_naming_the_lines_in_italian_costs_one_query_whatever_the_lines(
    api_client, shopper, shopper_user, milano, shirt, jeans, texts
):
    api_client.force_authenticate(shopper_user)
    cart = [("SHIRT-M", 1), ("JEANS-32", 1)]

    # given the same order placed by an English reader (no text to look up), then an Italian one (after a
    # first order, which fills the caches every checkout reads once)
    checkout(api_client, cart, key="k-0")
    shopper.language = "en-gb"
    shopper.save(update_fields=["language"])
    with CaptureQueriesContext(connection) as english:
        assert names(checkout(api_client, cart, key="k-en").json()) == [shirt.product.name, jeans.product.name]
    shopper.language = "it"
    shopper.save(update_fields=["language"])
    with CaptureQueriesContext(connection) as italian:
        assert names(checkout(api_client, cart, key="k-it").json()) == ["Camicia Oxford", jeans.product.name]

    # then the Italian order reads its texts in one query more, for both lines
    texts_read = [q["sql"] for q in italian.captured_queries if "inventory_producttranslation" in q["sql"]]
    assert len(texts_read) == 1 and len(italian) == len(english) + 1


def test_a_shopper_without_a_language_gets_the_markets_and_one_who_chose_english_the_catalogs(
    place_pickup, shopper, milano, shirt, jeans, texts
):
    # without a language of their own: the store's market's (as their messages)
    order = place_pickup([("SHIRT-M", 1)])
    assert OrderLine.objects.get(order=order).name == "Camicia Oxford"
    # a shopper who reads English in Italy reads the catalog's English, not Italian
    shopper.language = "en-gb"
    shopper.save(update_fields=["language"])
    order = place_pickup([("SHIRT-M", 1)])
    assert OrderLine.objects.get(order=order).name == shirt.product.name


def test_a_till_sale_is_named_in_its_shoppers_or_its_markets_language(api_client, shirt, jeans, texts):
    # given a till in Warsaw
    poland = MarketFactory(languages=["pl", "en-gb"])
    warsaw = StoreFactory(code="WAW-01", name="Warszawa", market=poland)
    _, token = issue_pos_device(store=warsaw, name="Till 1")
    api_client.credentials(HTTP_AUTHORIZATION=f"Device {token}")
    sale = {
        "receipt_number": "R-1",
        "lines": [{"sku": "SHIRT-M", "quantity": 1, "unit_price": "30.00"}, {"sku": "JEANS-32", "quantity": 1,
                                                                             "unit_price": "59.99"}],
        "tenders": [{"method": "cash", "amount": "89.99"}],
    }  # fmt: skip

    # when a sale without a known shopper is posted
    response = api_client.post("/api/v1/pos/sales/", sale, format="json")

    # then its lines read in Polish where the catalog has it
    assert response.status_code == 201, response.json()
    lines = OrderLine.objects.filter(order__number=response.json()["number"]).order_by("line_number")
    assert [line.name for line in lines] == ["Koszula Oxford", jeans.product.name]


def test_two_sizes_of_one_product_both_read_in_the_orders_language(
    api_client, shopper, shopper_user, store, milano, shirt, texts
):
    # given an Italian shopper and a second size of the shirt (each variant loads its own product row)
    large = VariantFactory(sku="SHIRT-L", barcode="5000000000031", product=shirt.product)
    inventory.receive_stock(location=store, lines=[(large, 10)], reference="PO-3")
    shopper.language = "it"
    shopper.save(update_fields=["language"])
    api_client.force_authenticate(shopper_user)

    # when they order both sizes (found driving the demo: a Warsaw order read 'Coastal pocket tee' on one
    # size and 'Koszulka z kieszonką Coastal' on the other)
    placed = checkout(api_client, [("SHIRT-M", 1), ("SHIRT-L", 1)], key="k-sizes")

    # then both lines read in Italian
    assert placed.status_code == 201, placed.json()
    assert names(placed.json()) == ["Camicia Oxford", "Camicia Oxford"]


@pytest.fixture
def colour_names(shirt, texts):
    """The shirt is Navy: "Blu navy" in Italian, "Granatowy" in Polish."""
    ProductTranslation.objects.filter(language="it").update(colours={"Navy": "Blu navy"})
    ProductTranslation.objects.filter(language="pl").update(colours={"Navy": "Granatowy"})


def test_an_italian_shoppers_line_keeps_its_colour_in_italian(
    api_client, shopper, shopper_user, milano, shirt, jeans, colour_names
):
    # given an Italian shopper; the jeans' colour has no Italian name
    shopper.language = "it"
    shopper.save(update_fields=["language"])
    api_client.force_authenticate(shopper_user)

    # when they order the shirt and the jeans
    placed = checkout(api_client, [("SHIRT-M", 1), ("JEANS-32", 1)], key="k-colour")

    # then the lines keep the colour in Italian where the catalog names it, as their names
    assert placed.status_code == 201, placed.json()
    assert [line["colour"] for line in placed.json()["lines"]] == ["Blu navy", jeans.colour]
    # and a later change of the colour's name rewrites no sale
    ProductTranslation.objects.filter(language="it").update(colours={"Navy": "Blu"})
    detail = api_client.get(f"/api/v1/orders/{placed.json()['number']}/").json()
    assert [line["colour"] for line in detail["lines"]] == ["Blu navy", jeans.colour]


def test_a_till_sale_keeps_the_colour_in_its_markets_language(api_client, shirt, jeans, colour_names):
    poland = MarketFactory(languages=["pl", "en-gb"])
    _, token = issue_pos_device(store=StoreFactory(code="WAW-01", market=poland), name="Till 1")
    api_client.credentials(HTTP_AUTHORIZATION=f"Device {token}")
    sale = {"receipt_number": "R-C", "lines": [{"sku": "SHIRT-M", "quantity": 1, "unit_price": "30.00"}],
            "tenders": [{"method": "cash", "amount": "30.00"}]}  # fmt: skip
    response = api_client.post("/api/v1/pos/sales/", sale, format="json")
    assert response.status_code == 201, response.json()
    line = OrderLine.objects.get(order__number=response.json()["number"])
    assert (line.name, line.colour) == ("Koszula Oxford", "Granatowy")


def test_a_line_keeps_the_variants_own_size_though_the_catalog_names_it(
    api_client, shopper, shopper_user, milano, shirt, jeans, colour_names
):
    # given an Italian shopper, and the shirt's size named in Italian (as the demo names its bed sizes)
    ProductTranslation.objects.filter(language="it").update(sizes={shirt.size: "Media"})
    shopper.language = "it"
    shopper.save(update_fields=["language"])
    api_client.force_authenticate(shopper_user)

    # when they order it
    placed = checkout(api_client, [("SHIRT-M", 1)], key="k-size")

    # then the line's size is the variant's (data the shopper's sizes are learnt from), its colour worded
    assert placed.status_code == 201, placed.json()
    assert [(line["size"], line["colour"]) for line in placed.json()["lines"]] == [(shirt.size, "Blu navy")]
