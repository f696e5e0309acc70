"""A country no market covers (QA on issue 19): every way of shipping there answers `country_not_served`
(400, the country named, a translated message) and writes nothing; never `insufficient_stock` from a
plan made in the home market, never an empty list of shipping methods that reads as "none today"."""

import uuid

import pytest

from inventory import services as inventory
from inventory.models import Reservation, StockMovement
from orders.models import Cart, Order
from retail.markets import serves_country
from retail.models import Market
from tests.factories import MarketFactory
from tests.inventory.factories import VariantFactory

pytestmark = pytest.mark.django_db

NEW_YORK = {"line1": "350 5th Ave", "city": "New York", "postcode": "10118", "country": "US"}


@pytest.fixture
def markets(store):
    """The home market sells in GB and IT, Poland's in PL; nobody covers the United States."""
    Market.objects.filter(is_home=True).update(countries=["GB", "IT"])
    MarketFactory()
    shirt = VariantFactory(sku="SHIRT-M", product__base_price="30.00")
    inventory.receive_stock(location=store, lines=[(shirt, 10)], reference="PO-1")
    return shirt


@pytest.fixture
def signed_in(api_client, shopper_user, shopper):
    api_client.force_authenticate(shopper_user)
    return api_client


def refused(response):
    body = response.json()
    assert (response.status_code, body["code"]) == (400, "country_not_served"), body
    assert "US" in body["message"] and body["fields"]["country"]
    return body


def test_a_country_is_served_when_a_market_covers_it_or_the_home_market_names_none(markets):
    assert (serves_country("it"), serves_country("PL"), serves_country("US")) == (True, True, False)
    Market.objects.filter(is_home=True).update(countries=[])  # one market, no country list: ships anywhere
    assert serves_country("US")


def test_moving_a_cart_to_an_uncovered_country_is_refused_and_changes_nothing(api_client, markets):
    cart = api_client.post("/api/v1/carts/", {"lines": [{"sku": "SHIRT-M", "quantity": 1}]}, format="json").json()

    refused(api_client.put(f"/api/v1/carts/{cart['token']}/country/", {"country": "US"}, format="json"))

    assert Cart.objects.values_list("country", "currency").get() == ("", cart["currency"])
    # and says so in the shopper's language
    italian = api_client.put(
        f"/api/v1/carts/{cart['token']}/country/", {"country": "US"}, format="json", HTTP_ACCEPT_LANGUAGE="it"
    )
    assert refused(italian)["message"].startswith("Non spediamo in US")


def test_a_new_cart_for_an_uncovered_country_is_refused(api_client, markets):
    body = {"country": "US", "lines": [{"sku": "SHIRT-M", "quantity": 1}]}
    refused(api_client.post("/api/v1/carts/", body, format="json"))
    assert not Cart.objects.filter(country="US").exists()


def test_the_shoppers_cart_and_its_country_refuse_an_uncovered_country(signed_in, markets):
    put = signed_in.put("/api/v1/me/cart/", {"lines": [{"sku": "SHIRT-M", "quantity": 1}]}, format="json")
    assert put.status_code == 200, put.json()

    refused(signed_in.put("/api/v1/me/cart/country/", {"country": "US"}, format="json"))
    body = {"country": "US", "lines": [{"sku": "SHIRT-M", "quantity": 3}]}
    refused(signed_in.put("/api/v1/me/cart/", body, format="json"))

    cart = Cart.objects.get()
    assert (cart.country, list(cart.lines.values_list("quantity", flat=True))) == ("", [1])


def test_the_shipping_methods_for_an_uncovered_country_are_refused(signed_in, api_client, markets):
    signed_in.put("/api/v1/me/cart/", {"lines": [{"sku": "SHIRT-M", "quantity": 1}]}, format="json")
    refused(signed_in.get("/api/v1/me/cart/shipping-methods/?country=US"))
    # a covered country without a method is still an empty list, and an anonymous cart answers the same
    assert signed_in.get("/api/v1/me/cart/shipping-methods/?country=IT").json()["methods"] == []
    cart = api_client.post("/api/v1/carts/", {"lines": [{"sku": "SHIRT-M", "quantity": 1}]}, format="json").json()
    refused(api_client.get(f"/api/v1/carts/{cart['token']}/shipping-methods/?country=US"))


def test_checking_out_to_an_uncovered_country_is_refused_not_short_of_stock(signed_in, markets):
    body = {
        "lines": [{"sku": "SHIRT-M", "quantity": 1}],
        "fulfillment": {"kind": "ship", "shipping_address": NEW_YORK},
        "payments": [{"method": "card", "token": "tok_visa_4242"}],
    }
    refused(signed_in.post("/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4())))
    assert (Order.objects.count(), Reservation.objects.count(), StockMovement.objects.count()) == (0, 0, 1)
