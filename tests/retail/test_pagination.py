"""Cursor-paginated lists (retail.api.pagination): a cursor the list did not give out is a 400
`invalid_cursor`, never the first page again (a client would loop on it) nor a 404 or a 500."""

from base64 import b64encode

import pytest

from customers.services import link_user_to_customer
from tests.factories import UserFactory
from tests.inventory.factories import VariantFactory

pytestmark = pytest.mark.django_db
PRODUCTS = "/api/v1/products/"
MY_ORDERS = "/api/v1/me/orders/"


def encoded(querystring: str) -> str:
    return b64encode(querystring.encode()).decode()


JUNK = [
    "",  # `cursor=` with nothing: DRF read it as no cursor (the first page)
    "junk",  # not base64 of ASCII
    "AAAA",  # base64 of three NUL bytes: DRF read it as no cursor at all (the first page)
    "bm90IGEgY3Vyc29y",  # base64 of "not a cursor"
    encoded("o=-1"),  # a negative offset
    encoded("o=1&o=2"),  # a token twice
    encoded("r=2"),
    encoded("x=1"),  # a token DRF never writes
    "cD1h!!",  # base64 with characters outside its alphabet (DRF dropped them)
    encoded("p=a\x00b"),  # a position PostgreSQL cannot compare text with (NUL)
]


@pytest.mark.parametrize("cursor", JUNK)
def test_a_junk_cursor_on_the_product_list_is_a_400_invalid_cursor(api_client, cursor, django_assert_num_queries):
    VariantFactory.create_batch(3)
    api_client.get(PRODUCTS)  # the home market is made on first use
    with django_assert_num_queries(1):  # the caller's market; the products are not read
        response = api_client.get(PRODUCTS, {"cursor": cursor})
    body = response.json()
    assert (response.status_code, body["code"]) == (400, "invalid_cursor"), body
    assert list(body["fields"]) == ["cursor"]


def test_the_cursors_the_list_gives_out_still_page_through_it(api_client, django_assert_num_queries):
    for n in range(5):
        VariantFactory(product__name=f"Tee {n}")
    first = api_client.get(PRODUCTS, {"page_size": 2}).json()  # the home market is made on first use
    with django_assert_num_queries(3):  # the caller's market, products, variants
        second = api_client.get(first["next"]).json()
    back = api_client.get(second["previous"]).json()
    assert [p["name"] for p in second["results"]] == ["Tee 2", "Tee 3"]
    assert [p["name"] for p in back["results"]] == ["Tee 0", "Tee 1"]


@pytest.mark.parametrize("position", ["yesterday", "2026-13-45T99:00:00Z", "\x00"])
def test_a_cursor_whose_position_is_not_a_time_is_a_400_on_my_orders(api_client, position):
    # given a list ordered by time, and a well-formed cursor whose position is not a time
    shopper = UserFactory(email="jane@example.com")
    link_user_to_customer(user=shopper)
    api_client.force_authenticate(shopper)
    response = api_client.get(MY_ORDERS, {"cursor": encoded(f"p={position}")})
    # then 400 invalid_cursor (before: a 500 from the date parser, or the first page)
    assert (response.status_code, response.json()["code"]) == (400, "invalid_cursor")
