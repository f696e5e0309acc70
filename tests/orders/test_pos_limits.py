"""A till's typos are refused as `invalid_sale` (400), never a 500, and write nothing (found by QA on the demo).

A price past what an order line holds overflowed the numeric column; a sale dated year 1 overflowed the
store's clock; a sale dated in the year 2999 was recorded and counted in that year's figures.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from inventory.models import StockLevel
from orders.models import Order
from retail.services import issue_pos_device

pytestmark = pytest.mark.django_db
SALES, BATCH = "/api/v1/pos/sales/", "/api/v1/pos/sales/batch/"


@pytest.fixture
def till(store, api_client):
    _, token = issue_pos_device(store=store, name="Till 1")
    api_client.credentials(HTTP_AUTHORIZATION=f"Device {token}")
    return api_client


def sale(number="R-1", *, price="30.00", quantity=1, paid=None, **extra) -> dict:
    return {
        "receipt_number": number,
        "lines": [{"sku": "SHIRT-M", "quantity": quantity, "unit_price": price}],
        "tenders": [{"method": "cash", "amount": paid or price}],
        **extra,
    }


def assert_refused(response, field: str, words: str, store, shirt):
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid_sale" and words in body["fields"][field][0], body
    assert body["message"]
    assert not Order.objects.exists()
    assert StockLevel.objects.get(variant=shirt, location=store).on_hand == 10


def test_a_price_past_what_an_order_line_holds_is_refused(till, shirt, store):
    response = till.post(SALES, sale(price="9999999999.99"), format="json")
    assert_refused(response, "lines.0", "unit_price is at most 99999999.99", store, shirt)


def test_lines_adding_up_past_what_an_order_holds_are_refused(till, shirt, store):
    # 999 x 99,999,999.99 fits no order total (12 digits)
    response = till.post(SALES, sale(price="99999999.99", quantity=999, paid="9999999999.99"), format="json")
    assert_refused(response, "lines", "add up to more than 9999999999.99", store, shirt)


@pytest.mark.parametrize("sold_at", ["0001-01-01T00:00:00Z", "1999-12-31T23:59:59Z"])
def test_a_sale_dated_before_the_chain_is_refused(till, shirt, store, sold_at):
    response = till.post(SALES, sale(sold_at=sold_at), format="json")
    assert_refused(response, "sold_at", "Not before 2000-01-01", store, shirt)


def test_a_sale_dated_in_the_future_is_refused(till, shirt, store):
    response = till.post(SALES, sale(sold_at="2999-01-01T00:00:00Z"), format="json")
    assert_refused(response, "sold_at", "in the future", store, shirt)


def test_a_till_clock_a_minute_fast_or_a_day_behind_is_taken(till, shirt, store):
    for number, moment in [("R-1", timezone.now() + timedelta(minutes=1)), ("R-2", timezone.now() - timedelta(days=1))]:
        response = till.post(SALES, sale(number, sold_at=moment.isoformat()), format="json")
        assert response.status_code == 201, response.content
        assert Order.objects.get(number=response.json()["number"]).placed_at == moment


def test_in_a_batch_the_typo_is_rejected_and_the_good_receipt_kept(till, shirt, store):
    receipts = [sale("R-1", price="9999999999.99"), sale("R-2", sold_at="0001-01-01T00:00:00Z"), sale("R-3")]
    response = till.post(BATCH, {"receipts": receipts}, format="json")
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["rejected", "rejected", "created"]
    assert {r["error"]["code"] for r in results[:2]} == {"invalid_sale"}
    assert list(Order.objects.values_list("receipt_number", flat=True)) == ["R-3"]
