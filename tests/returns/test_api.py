"""The returns API: a shopper starts a return in the app; a till posts a return by receipt."""

from decimal import Decimal

import pytest

from inventory.models import StockMovement
from orders.returns.models import ReturnRequest
from orders.returns.services import LineRequest, start_return
from orders.services import PosSale, record_pos_sale
from retail.services import issue_pos_device
from tests.factories import UserFactory
from tests.helpers import MANAGER_PIN

pytestmark = pytest.mark.django_db


@pytest.fixture
def app(api_client, shopper_user, shopper):
    api_client.force_authenticate(shopper_user)
    return api_client


def post_return(client, data, key="key-1"):
    return client.post("/api/v1/returns/", data, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_a_shopper_starts_a_return_in_the_app_and_gets_an_rma_and_qr(app, policy, deliver, shirt, other_store):
    order = deliver([("SHIRT-M", 2)], channel="web", days_ago=3)
    body = {
        "order_number": order.number.lower().replace("-", " "),
        "method": "in_store",
        "store": other_store.code,
        "lines": [{"line_number": 1, "quantity": 1, "reason": "wrong_size"}],
    }
    # when
    response = post_return(app, body)
    replay = post_return(app, body)
    # then
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["rma_number"].startswith("RMA-") and data["qr_payload"].startswith("OMNI-RETURN:")
    assert data["status"] == "requested" and data["started_store"] == other_store.code
    assert data["lines"][0]["verdict"] == "eligible"
    assert data["lines"][0]["explanation"].startswith("Bought on the web 3 days ago; web orders can be returned")
    assert data["refund_total"] == "30.00"
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    assert replay.json()["rma_number"] == data["rma_number"]
    assert ReturnRequest.objects.count() == 1
    qr = app.get(f"/api/v1/returns/{data['rma_number']}/qr.svg")
    assert qr.status_code == 200 and qr["Content-Type"] == "image/svg+xml"
    assert b'aria-label="Return QR code"' in qr.content


def test_more_than_bought_is_a_clear_400_with_nothing_written(app, policy, deliver, shirt):
    order = deliver([("SHIRT-M", 1)])
    response = post_return(
        app, {"order_number": order.number, "lines": [{"sku": "SHIRT-M", "quantity": 3, "reason": "wrong_size"}]}
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "too_many_units"
    assert body["message"] == "Nothing was returned: Only 1 of SHIRT-M can come back: 1 bought."
    assert "lines.0.quantity" in body["fields"]
    assert ReturnRequest.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (
            {"order_number": "OM-0000-0000", "lines": [{"line_number": 1, "quantity": 1, "reason": "other"}]},
            "not_found",
        ),
        ({"order_number": "X", "lines": [{"quantity": 1, "reason": "other"}]}, "invalid_line"),
        ({"order_number": "X", "lines": [{"line_number": 1, "quantity": 1, "reason": "meh"}]}, "invalid"),
        ({"order_number": "X", "lines": []}, "invalid"),
    ],
)
def test_bad_input_is_a_4xx_with_a_code(app, policy, body, code):
    response = post_return(app, body)
    assert 400 <= response.status_code < 500
    assert response.json()["code"] == code


def test_another_shoppers_order_and_unknown_rma_are_404(app, api_client, policy, deliver, shirt):
    # given an order of someone else
    from customers.services.linking import link_user_to_customer

    stranger = link_user_to_customer(user=UserFactory(email="other@example.com"))
    order = deliver([("SHIRT-M", 1)], customer=stranger)
    theirs = start_return(order=order, lines=[LineRequest(line_number=1, quantity=1, reason="other")], channel="web")
    # then
    assert (
        post_return(
            app, {"order_number": order.number, "lines": [{"line_number": 1, "quantity": 1, "reason": "other"}]}
        ).status_code
        == 404
    )
    assert app.get(f"/api/v1/returns/{theirs.rma_number}/").json()["code"] == "not_found"
    assert app.get("/api/v1/returns/RMA-ZZZZ-ZZZZ/").status_code == 404


def test_a_return_needs_an_idempotency_key(app, policy):
    response = app.post("/api/v1/returns/", {"order_number": "X", "lines": []}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "idempotency_key_required"


def test_shopper_cancels_a_requested_return(app, policy, deliver, shirt):
    order = deliver([("SHIRT-M", 1)])
    rma = post_return(
        app, {"order_number": order.number, "lines": [{"line_number": 1, "quantity": 1, "reason": "changed_mind"}]}
    ).json()["rma_number"]
    response = app.post(f"/api/v1/returns/{rma}/cancel/")
    again = app.post(f"/api/v1/returns/{rma}/cancel/")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert again.status_code == 409 and again.json()["code"] == "illegal_transition"


def test_my_returns_list_has_constant_queries(app, policy, deliver, shirt, django_assert_num_queries):
    order = deliver([("SHIRT-M", 5)])
    start_return(order=order, lines=[LineRequest(line_number=1, quantity=1, reason="other")], channel="web")
    with django_assert_num_queries(3) as one:
        assert len(app.get("/api/v1/returns/").json()["results"]) == 1
    for _ in range(4):
        start_return(order=order, lines=[LineRequest(line_number=1, quantity=1, reason="other")], channel="web")
    with django_assert_num_queries(len(one.captured_queries)):
        assert len(app.get("/api/v1/returns/").json()["results"]) == 5


def test_my_returns_list_pages_by_cursor_newest_first(app, policy, deliver, shirt, django_assert_num_queries):
    order = deliver([("SHIRT-M", 5)])
    for _ in range(5):
        start_return(order=order, lines=[LineRequest(line_number=1, quantity=1, reason="other")], channel="web")
    newest_first = list(ReturnRequest.objects.order_by("-created_at", "-pk").values_list("rma_number", flat=True))

    first = app.get("/api/v1/returns/", {"page_size": 2}).json()
    with django_assert_num_queries(3):  # a later page costs what the first does
        second = app.get(first["next"]).json()
    last = app.get(second["next"]).json()

    pages = [[r["rma_number"] for r in page["results"]] for page in (first, second, last)]
    assert pages == [newest_first[:2], newest_first[2:4], newest_first[4:]]
    assert (first["previous"], last["next"]) == (None, None)


@pytest.mark.parametrize("cursor", ["junk", "", "bz0xMDAmcj0y"])
def test_my_returns_list_refuses_a_cursor_it_did_not_give_out(app, cursor):
    response = app.get("/api/v1/returns/", {"cursor": cursor})
    assert (response.status_code, response.json()["code"]) == (400, "invalid_cursor")


def test_the_schema_says_my_returns_list_is_paginated():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    get = schema["paths"]["/api/v1/returns/"]["get"]
    assert {"cursor", "page_size"} <= {p["name"] for p in get["parameters"]}
    listing = get["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    page = schema["components"]["schemas"][listing]
    assert page["properties"]["results"]["items"]["$ref"].endswith("/ReturnOutput")
    assert {"next", "previous", "results"} <= set(page["properties"])
    post = schema["paths"]["/api/v1/returns/"]["post"]
    assert post["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].endswith("/ReturnOutput")


# --------------------------------------------------------------------------- POS


@pytest.fixture
def till(store):
    from rest_framework.test import APIClient

    device, token = issue_pos_device(store=store, name="Till 1")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Device {token}")
    client.device = device
    return client


def test_a_till_posts_a_return_idempotently_by_receipt(till, policy, shirt, store, shopper):
    # given a till sale of two shirts paid 30 card + 30 cash
    order, _ = record_pos_sale(
        device=till.device,
        sale=PosSale(
            receipt_number="S-1001",
            lines=[{"sku": "SHIRT-M", "quantity": 2}],
            tenders=[{"method": "card", "amount": "30.00", "last4": "4242"}, {"method": "cash", "amount": "30.00"}],
        ),
    )
    body = {
        "receipt_number": "R-2001",
        "original_receipt": "S-1001",
        "lines": [{"sku": "SHIRT-M", "quantity": 1, "reason": "wrong_size"}],
    }
    # when the till posts the return, then posts it again
    first = till.post("/api/v1/pos/returns/", body, format="json")
    second = till.post("/api/v1/pos/returns/", body, format="json")
    # then one return, refunded to the card tender, the shirt back in this store's stock
    assert first.status_code == 201, first.json()
    assert first.json()["status"] == "refunded" and first.json()["refund_total"] == "30.00"
    assert second.status_code == 200 and second["Idempotent-Replayed"] == "true"
    assert second.json()["rma_number"] == first.json()["rma_number"]
    assert ReturnRequest.objects.count() == 1
    card = order.payments.get(method="card")
    assert card.refunded_amount == Decimal("30.00")
    assert StockMovement.objects.filter(kind="return_restock", location=store).count() == 1


def test_a_return_receipt_number_resent_with_another_return_is_refused_and_changes_nothing(
    till, policy, shirt, store, manager
):
    # given a till sale of two shirts, and one of them returned on receipt R-2001
    record_pos_sale(
        device=till.device,
        sale=PosSale(receipt_number="S-1001", lines=[{"sku": "SHIRT-M", "quantity": 2}],
                     tenders=[{"method": "cash", "amount": "60.00"}]),
    )  # fmt: skip
    body = {"receipt_number": "R-2001", "original_receipt": "S-1001",
            "lines": [{"sku": "SHIRT-M", "quantity": 1, "reason": "wrong_size"}]}  # fmt: skip
    first = till.post("/api/v1/pos/returns/", body, format="json")
    # when the till sends R-2001 again for both shirts
    other = {**body, "lines": [{"sku": "SHIRT-M", "quantity": 2, "reason": "wrong_size"}]}
    refused = till.post("/api/v1/pos/returns/", other, format="json")
    # then 422 idempotency_mismatch, the first return unchanged and nothing else refunded
    assert (first.status_code, refused.status_code) == (201, 422), refused.json()
    assert refused.json()["code"] == "idempotency_mismatch" and "R-2001" in refused.json()["message"]
    assert ReturnRequest.objects.count() == 1 and ReturnRequest.objects.get().refund_total == Decimal("30.00")
    # and the same return with a manager's approval added (nothing changes what comes back) replays
    again = till.post("/api/v1/pos/returns/", {**body, "approval": {"email": manager.email, "pin": MANAGER_PIN,
                                                                     "reason": "retry"}}, format="json")  # fmt: skip
    assert again.status_code == 200 and again.json()["rma_number"] == first.json()["rma_number"]


def test_a_till_return_over_the_policy_needs_a_manager(till, policy, shirt, store, manager):
    record_pos_sale(
        device=till.device,
        sale=PosSale(
            receipt_number="S-1",
            lines=[{"sku": "SHIRT-M", "quantity": 1}],
            tenders=[{"method": "cash", "amount": "30.00"}],
        ),
    )
    body = {
        "receipt_number": "R-1",
        "original_receipt": "S-1",
        "lines": [{"sku": "SHIRT-M", "quantity": 1, "reason": "changed_mind", "condition": "damaged"}],
    }
    refused = till.post("/api/v1/pos/returns/", body, format="json")
    assert refused.status_code == 409 and refused.json()["code"] == "approval_required"
    assert ReturnRequest.objects.count() == 0
    body["approval"] = {"email": manager.email, "pin": MANAGER_PIN, "reason": "Seam split, goodwill"}
    accepted = till.post("/api/v1/pos/returns/", body, format="json")
    assert accepted.status_code == 201, accepted.json()
    assert accepted.json()["lines"][0]["disposition"] == "damaged"


def test_a_till_return_of_an_unknown_purchase_is_a_documented_404(till, policy, shirt):
    # given no sale with that receipt at this store
    body = {
        "receipt_number": "R-404",
        "original_receipt": "S-NOPE",
        "lines": [{"sku": "SHIRT-M", "quantity": 1, "reason": "wrong_size"}],
    }
    # when the till posts a return of it
    response = till.post("/api/v1/pos/returns/", body, format="json")
    # then it is a 404 naming the rule, nothing is written, and the schema says a till may get it
    assert response.status_code == 404 and response.json()["code"] == "unknown_order"
    assert ReturnRequest.objects.count() == 0
    schema = till.get("/api/schema/", {"format": "json"}).json()
    assert "404" in schema["paths"]["/api/v1/pos/returns/"]["post"]["responses"]


def test_only_a_device_posts_returns(app):
    response = app.post("/api/v1/pos/returns/", {"receipt_number": "R"}, format="json")
    assert response.status_code == 403
