"""ASVS V4 / V13: a shopper cannot read or act on another shopper's order or return by guessing numbers.

Another's object answers exactly like one that does not exist: same status, same body, and the same
number of database queries (so neither the answer nor the work behind it tells them apart; we do
not time requests, the query count is the stable proxy). Order numbers are 40 random bits from the
OS's CSPRNG, not a sequence. See also tests/orders/test_access_and_lists.py.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.services.linking import link_user_to_customer
from orders import numbers
from orders.models import Order
from orders.returns.models import ReturnRequest
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def mallory_api(api_client):
    mallory = UserFactory(email="mallory@example.com")
    link_user_to_customer(user=mallory)
    api_client.force_authenticate(mallory)
    return api_client


def call(client, method: str, url: str):
    with CaptureQueriesContext(connection) as queries:
        response = getattr(client, method)(url, format="json", HTTP_IDEMPOTENCY_KEY=f"key-{url}")
    return response, len(queries)


@pytest.mark.parametrize(
    ("method", "template"),
    [
        ("get", "/api/v1/orders/{order}/"),
        ("get", "/api/v1/orders/{order}/qr.svg"),
        ("post", "/api/v1/orders/{order}/cancel/"),
        ("post", "/api/v1/orders/{order}/arrived/"),
        ("get", "/api/v1/returns/{rma}/"),
        ("post", "/api/v1/returns/{rma}/cancel/"),
    ],
)
def test_anothers_order_or_return_is_indistinguishable_from_a_missing_one(mallory_api, store_b_work, method, template):
    w = store_b_work
    theirs_url = template.format(order=w.order.number, rma=w.open_rma.rma_number)
    missing_url = template.format(order="OM-0000-0000", rma="RMA-0000-0000")
    statuses = (Order.objects.get(pk=w.order.pk).status, ReturnRequest.objects.get(pk=w.open_rma.pk).status)
    # when Mallory asks for Bea's order or return, and for one that does not exist
    theirs, theirs_queries = call(mallory_api, method, theirs_url)
    missing, missing_queries = call(mallory_api, method, missing_url)
    # then both are the same 404, costing the same work, and Bea's order and return are untouched
    assert theirs.status_code == missing.status_code == 404
    assert theirs.content == missing.content
    assert theirs_queries == missing_queries
    assert (Order.objects.get(pk=w.order.pk).status, ReturnRequest.objects.get(pk=w.open_rma.pk).status) == statuses


def test_anonymous_callers_get_no_order_or_return(api_client, store_b_work):
    for url in (f"/api/v1/orders/{store_b_work.order.number}/", f"/api/v1/returns/{store_b_work.open_rma.rma_number}/"):
        assert api_client.get(url).status_code in (401, 403)


def test_order_numbers_are_random_not_a_sequence():
    # given many fresh numbers / then they are all different, spread over the whole alphabet, and
    # drawn from the operating system's CSPRNG (not a seeded or sequential source)
    drawn = [numbers.new_order_number() for _ in range(2000)]
    assert len(set(drawn)) == len(drawn)
    assert {ch for n in drawn for ch in n[3:].replace("-", "")} == set(numbers.ALPHABET)
    assert isinstance(numbers._source, type(numbers.secrets.SystemRandom()))


def test_anothers_list_item_cannot_be_removed_and_answers_like_a_missing_one(mallory_api, store_b_work):
    from customers.models import ListItem
    from customers.services.lists import add_list_item

    # given Bea has a wishlist item
    item = add_list_item(customer=store_b_work.order.customer, sku="SHIRT-M", channel="app")
    # when Mallory deletes it by id, and an id that does not exist
    theirs, theirs_queries = call(mallory_api, "delete", f"/api/v1/me/lists/items/{item.pk}/")
    missing, missing_queries = call(mallory_api, "delete", f"/api/v1/me/lists/items/{item.pk + 1000}/")
    # then the same 404, and Bea's item is still there
    assert theirs.status_code == missing.status_code == 404
    assert theirs.content == missing.content and theirs_queries == missing_queries
    assert ListItem.objects.filter(pk=item.pk).exists()


def test_anonymous_cart_tokens_are_long_random_and_a_guess_finds_nothing(api_client, store_b_work):
    created = api_client.post("/api/v1/carts/", {"lines": [{"sku": "SHIRT-M", "quantity": 1}]}, format="json")
    assert created.status_code == 201, created.json()
    token = created.json()["token"]
    assert len(token) >= 22  # at least 128 bits of randomness, URL-safe
    guess = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert api_client.get(f"/api/v1/carts/{guess}/").status_code == 404
