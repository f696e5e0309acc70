"""A cart ships to a country (issue 19.2): the web or app cart is priced in the market of the shipping
country, in its currency; changing the country re-prices every line in the new market's list (or
refuses, `not_sold_in_market`, changing nothing); the shipping methods and checkout follow it. The API
contract: PUT me/cart/country/ and carts/{token}/country/, `country` on the cart's PUT and answer."""

import uuid

import pytest
from drf_spectacular.generators import SchemaGenerator

from inventory import services as inventory
from orders.models import Cart, Order
from tests.inventory.factories import VariantFactory, enter_market_prices

pytestmark = pytest.mark.django_db

WARSAW = {"line1": "ul. Marszałkowska 1", "city": "Warszawa", "postcode": "00-001", "country": "PL"}


@pytest.fixture
def goods(store, poland, warsaw):
    """SHIRT-M (30.00 at home, 129.00 in Poland) and SOCKS (5.00, not sold in Poland), stocked in both."""
    shirt = VariantFactory(sku="SHIRT-M", product__base_price="30.00")
    socks = VariantFactory(sku="SOCKS", product__base_price="5.00")
    enter_market_prices(poland, shirt, price="129.00")
    for where in (store, warsaw):
        inventory.receive_stock(location=where, lines=[(shirt, 10), (socks, 10)], reference=f"PO-{where.code}")
    return shirt, socks


@pytest.fixture
def signed_in(api_client, shopper_user, shopper):
    api_client.force_authenticate(shopper_user)
    return api_client


def new_cart(client, lines, **extra):
    body = {"lines": [{"sku": sku, "quantity": quantity} for sku, quantity in lines], **extra}
    response = client.post("/api/v1/carts/", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def summary(cart: dict):
    return (
        cart["country"],
        cart["currency"],
        cart["subtotal"],
        [(line["sku"], line["unit_price"], line["price_when_added"], line["price_changed"]) for line in cart["lines"]],
    )


def test_changing_the_country_reprices_the_cart_in_the_new_markets_list_and_currency(api_client, goods, settings):
    # given an anonymous cart of two shirts at home
    cart = new_cart(api_client, [("SHIRT-M", 2)])
    assert summary(cart) == ("", settings.CURRENCY, "60.00", [("SHIRT-M", "30.00", "30.00", False)])

    # when it is to ship to Poland
    response = api_client.put(f"/api/v1/carts/{cart['token']}/country/", {"country": "PL"}, format="json")

    # then its lines are in złoty at Poland's price, as if added there
    assert response.status_code == 200, response.json()
    assert summary(response.json()) == ("PL", "PLN", "258.00", [("SHIRT-M", "129.00", "129.00", False)])
    assert (Cart.objects.get().currency, Cart.objects.get().market.code) == ("PLN", "pl")
    # and back home, in the home currency again
    back = api_client.put(f"/api/v1/carts/{cart['token']}/country/", {"country": "gb"}, format="json").json()
    assert summary(back) == ("GB", settings.CURRENCY, "60.00", [("SHIRT-M", "30.00", "30.00", False)])


def test_a_line_not_sold_in_the_new_market_refuses_the_move_and_changes_nothing(api_client, goods, settings):
    cart = new_cart(api_client, [("SHIRT-M", 1), ("SOCKS", 2)])

    response = api_client.put(f"/api/v1/carts/{cart['token']}/country/", {"country": "PL"}, format="json")

    assert response.status_code == 409
    body = response.json()
    assert (body["code"], body["skus"], body["currency"]) == ("not_sold_in_market", ["SOCKS"], "PLN")
    assert "SOCKS" in body["message"] and "country" in body["fields"]
    after = api_client.get(f"/api/v1/carts/{cart['token']}/").json()
    assert summary(after) == summary(cart)


@pytest.mark.parametrize(
    ("country", "status", "code"), [("XX", 400, "invalid_country"), ("P1", 400, "invalid_country")]
)
def test_a_country_that_is_none_is_a_400(api_client, goods, country, status, code):
    cart = new_cart(api_client, [("SHIRT-M", 1)])
    response = api_client.put(f"/api/v1/carts/{cart['token']}/country/", {"country": country}, format="json")
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert (
        api_client.put(f"/api/v1/carts/{cart['token']}/country/", {"country": "POL"}, format="json").status_code == 400
    )
    assert Cart.objects.get().country == ""


def test_the_shoppers_cart_put_with_a_country_is_priced_there(signed_in, goods):
    # when the signed-in shopper fills the cart for Poland (app)
    body = {"channel": "web", "country": "PL", "lines": [{"sku": "SHIRT-M", "quantity": 1}]}
    response = signed_in.put("/api/v1/me/cart/", body, format="json")

    # then in złoty, and it says where it ships
    assert response.status_code == 200, response.json()
    assert summary(response.json()) == ("PL", "PLN", "129.00", [("SHIRT-M", "129.00", "129.00", False)])
    # and a line it cannot sell there is refused in the cart's currency
    added = signed_in.post("/api/v1/me/cart/lines/", {"sku": "SOCKS", "quantity": 1}, format="json")
    assert (added.status_code, added.json()["code"]) == (409, "not_sold_in_market")


def test_the_shoppers_cart_follows_its_country_to_checkout(signed_in, goods):
    # given a cart filled at home, then shipped to Poland
    signed_in.put("/api/v1/me/cart/", {"lines": [{"sku": "SHIRT-M", "quantity": 2}]}, format="json")
    moved = signed_in.put("/api/v1/me/cart/country/", {"country": "PL"}, format="json")
    assert (moved.status_code, moved.json()["currency"]) == (200, "PLN")

    # when it is checked out to a Warsaw address
    body = {
        "from_cart": True,
        "fulfillment": {"kind": "ship", "shipping_address": WARSAW},
        "payments": [{"method": "card", "token": "tok_visa_4242"}],
    }
    response = signed_in.post("/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))

    # then the order is Polish, at the prices the cart showed, shipped from Poland
    assert response.status_code == 201, response.json()
    assert (response.json()["currency"], response.json()["total"]) == ("PLN", "258.00")
    order = Order.objects.get()
    assert [f.location.code for f in order.fulfillments.all()] == ["WAW-01"]


def test_the_shipping_methods_default_to_the_carts_country(api_client, goods):
    cart = new_cart(api_client, [("SHIRT-M", 1)], country="PL")
    assert cart["country"] == "PL"
    answer = api_client.get(f"/api/v1/carts/{cart['token']}/shipping-methods/").json()
    assert (answer["country"], answer["currency"]) == ("PL", "PLN")


def test_moving_a_cart_costs_the_same_queries_for_one_line_or_twenty(
    api_client, goods, poland, django_assert_num_queries
):
    one = new_cart(api_client, [("SHIRT-M", 1)])
    many_variants = [VariantFactory(sku=f"TEE-{n:02d}") for n in range(19)]
    enter_market_prices(poland, *many_variants)
    many = new_cart(api_client, [("SHIRT-M", 1)] + [(v.sku, 1) for v in many_variants])

    with django_assert_num_queries(12) as first:
        moved = api_client.put(f"/api/v1/carts/{one['token']}/country/", {"country": "PL"}, format="json")
    assert moved.status_code == 200
    with django_assert_num_queries(len(first.captured_queries)):
        response = api_client.put(f"/api/v1/carts/{many['token']}/country/", {"country": "PL"}, format="json")
    assert len(response.json()["lines"]) == 20


def test_the_schema_documents_the_carts_country():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path in ("/api/v1/me/cart/country/", "/api/v1/carts/{token}/country/"):
        operation = schema["paths"][path]["put"]
        body = operation["requestBody"]["content"]["application/json"]["schema"]
        assert body["$ref"].endswith("CartCountryInputRequest")
        assert {"200", "400", "409"} <= set(operation["responses"])
    assert "country" in schema["components"]["schemas"]["CartOutput"]["required"]
    assert "country" in schema["components"]["schemas"]["CartInputRequest"]["properties"]
