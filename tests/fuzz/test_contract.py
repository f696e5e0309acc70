"""The API's input contract, walked over the OpenAPI schema: no write operation takes a field it does not
declare (400 `unknown_field`, naming it), at the top of the body or nested at any depth, and the
schema says so (`additionalProperties: false`).

Also the input 500s found by a security test (issue 13, items 9 and 13), each pinned here.
"""

import json
import re
import uuid
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from orders.models import Order
from tests.factories import TEST_PASSWORD, UserFactory
from tests.fuzz.conftest import CUSTOMER_EMAIL, LOGIN_URL
from webhooks.tokens import issue_integration_token

pytestmark = pytest.mark.django_db

UNKNOWN = "zz_not_a_field"
WRITE_METHODS = ("post", "put", "patch", "delete")


def api_schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def resolve(schema: dict, node: dict) -> dict:
    """Follow $ref and one-element allOf to the object or array they stand for."""
    while True:
        if "$ref" in node:
            node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
        elif len(node.get("allOf", [])) == 1:
            node = node["allOf"][0]
        else:
            return node


def unknown_field_bodies(schema: dict, node: dict, depth: int = 0):
    """(path of the unknown field, body) at the top of `node` and in every object nested in it."""
    node = resolve(schema, node)
    yield UNKNOWN, {UNKNOWN: 1}
    if depth > 3:
        return
    for name, prop in node.get("properties", {}).items():
        prop = resolve(schema, prop)
        if prop.get("type") == "object" and prop.get("properties"):
            for path, inner in unknown_field_bodies(schema, prop, depth + 1):
                yield f"{name}.{path}", {name: inner}
        elif prop.get("type") == "array" and resolve(schema, prop["items"]).get("properties"):
            for path, inner in unknown_field_bodies(schema, prop["items"], depth + 1):
                yield f"{name}.0.{path}", {name: [inner]}


def write_operations():
    schema = api_schema()
    for route, item in schema["paths"].items():
        for method in WRITE_METHODS:
            if method in item:
                yield route, method, item[method], schema


@pytest.fixture
def callers(seed, client) -> dict[str, APIClient]:
    shopper, device, anonymous = APIClient(), APIClient(), APIClient()
    login = client.post(
        LOGIN_URL, {"email": CUSTOMER_EMAIL, "password": TEST_PASSWORD}, content_type="application/json"
    )
    shopper.credentials(HTTP_X_SESSION_TOKEN=login.json()["meta"]["session_token"])
    device.credentials(HTTP_AUTHORIZATION=f"Device {seed.device_token}")
    integration = APIClient()
    staff = UserFactory(is_staff=True)
    token = issue_integration_token(user=staff, name="contract", scopes=["webhooks:manage"], actor=None)[1]
    integration.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return {"shopper": shopper, "device": device, "anonymous": anonymous, "integration": integration}


def caller_for(route: str) -> str:
    if "/pos/" in route:
        return "device"
    if route.startswith("/api/v1/webhooks/"):
        return "integration"
    if route.startswith(("/api/v1/me", "/api/v1/returns", "/api/v1/orders/{")):
        return "shopper"
    return "anonymous"


def fill(route: str, seed) -> str:
    values = {"number": seed.values["number"][0], "sku": "FZ-0-S", "token": seed.values["token"][0]}
    return re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), "1")), route)


def refused_fields(response) -> set[str]:
    """Fields named as unknown: in a 400, or in the items a batch refused (its answer is a 200)."""
    body = response.json()
    if response.status_code == 400:
        assert body["code"] == "unknown_field", body
        return set(body["fields"])
    assert response.status_code == 200, body
    items = body.get("rejected") or [r["error"] for r in body.get("results", []) if r["error"]]
    assert items and all(item["code"] == "unknown_field" for item in items), body
    return {f"{key}.0.{field}" for key in ("events", "receipts") for item in items for field in item["fields"]}


def test_every_write_operation_refuses_an_unknown_field_at_any_depth(callers, seed):
    checked = []
    for route, method, operation, schema in write_operations():
        # given a write operation and what its body may hold (none at all for some)
        body_schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        bodies = list(unknown_field_bodies(schema, body_schema)) if body_schema else [(UNKNOWN, {UNKNOWN: 1})]
        if body_schema:
            # the schema tells generated clients that unknown fields are refused
            assert resolve(schema, body_schema).get("additionalProperties") is False, (route, method)
        client = callers[caller_for(route)]
        for path, body in bodies:
            # when it is sent with a field the operation does not take
            response = getattr(client, method)(
                fill(route, seed), body, format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4())
            )
            # then the field is refused by name, never ignored
            assert path in refused_fields(response), (method, route, path, response.json())
            checked.append((method, route, path))
    assert len({(m, r) for m, r, _ in checked}) >= 19
    assert ("post", "/api/v1/orders/", "fulfillment.shipping_address.zz_not_a_field") in checked


@pytest.mark.parametrize("field", ["points", "offer_code"])
def test_a_till_redeeming_for_nobody_is_refused_by_name(callers, seed, field):
    # given a sale that would otherwise be recorded, naming no shopper
    sale = {
        "receipt_number": "R-1",
        "lines": [{"sku": "FZ-0-S", "quantity": 1}],
        "tenders": [{"method": "cash", "amount": "1.00"}],
        field: 100 if field == "points" else "gold20",
    }
    # when the till asks to redeem points or an offer (issue 18: the shopper's, as online checkout does)
    response = callers["device"].post("/api/v1/pos/sales/", sale, format="json")
    # then it is refused by name (never recorded at full price with the field ignored)
    assert response.status_code == 400 and response.json()["code"] == "invalid_sale"
    assert list(response.json()["fields"]) == [field] and field in response.json()["fields"][field][0]
    assert not Order.objects.filter(receipt_number="R-1").exists()


def test_wrong_json_types_are_a_400_in_the_error_shape(callers, seed):
    # given values of the wrong JSON type where the schema says string, integer, boolean, object
    cases = [
        ("/api/v1/carts/", {"lines": [{"sku": 12, "quantity": "2"}], "channel": True}, "anonymous"),
        ("/api/v1/events/", {"events": {}}, "anonymous"),
        ("/api/v1/me/lists/", {"sku": ["FZ-0-S"], "quantity": 1.5}, "shopper"),
        ("/api/v1/pos/sales/", {"receipt_number": 7, "lines": "x", "tenders": [None]}, "device"),
    ]
    for url, body, who in cases:
        # when they are posted
        response = callers[who].post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
        # then a 400 says which fields, never a 500 and never a coercion
        assert response.status_code == 400, (url, response.content)
        assert response.json()["code"] == "invalid" and response.json()["fields"], response.json()


# --- issue 13, item 9: the API's input 500s -------------------------------------------------------


def _receipt(number: str, **over) -> dict:
    return {
        "receipt_number": number,
        "lines": [{"sku": "FZ-0-S", "quantity": 1, "unit_price": "10.00"}],
        "tenders": [{"method": "cash", "amount": "10.00"}],
        **over,
    }


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e999", "sNaN", 12.5])
def test_nan_and_infinity_in_pos_decimals_are_a_400(callers, seed, value):
    # when a till sends a price that is not an amount
    sale = _receipt("R-NAN", lines=[{"sku": "FZ-0-S", "quantity": 1, "unit_price": value}])
    response = callers["device"].post("/api/v1/pos/sales/", sale, format="json")
    # then it is refused on that field (before: NaN compared in the service, a 500)
    assert response.status_code == 400 and list(response.json()["fields"]) == ["lines.0.unit_price"]
    assert not Order.objects.filter(receipt_number="R-NAN").exists()


def test_nan_as_a_json_constant_is_a_parse_error(callers, seed):
    body = b'{"receipt_number": "R-1", "lines": [{"sku": "FZ-0-S", "quantity": 1, "unit_price": NaN}], "tenders": []}'
    response = callers["device"].generic("POST", "/api/v1/pos/sales/", body, content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "parse_error"


def test_one_bad_receipt_never_drops_the_batch(callers, seed):
    # given a batch whose middle receipt has a NaN price, and another a wrong type
    batch = {
        "receipts": [
            _receipt("R-A"),
            _receipt("R-B", tenders=[{"method": "cash", "amount": "NaN"}]),
            _receipt("R-C", lines=[{"sku": "FZ-0-S", "quantity": "1"}]),
            _receipt("R-D"),
        ]
    }
    # when the till uploads it
    response = callers["device"].post("/api/v1/pos/sales/batch/", batch, format="json")
    # then the good receipts are stored and the bad ones answered by position
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["created", "rejected", "rejected", "created"]
    assert results[1]["error"]["fields"] == {
        "tenders.0.amount": ['An amount as a string with at most 2 decimals, e.g. "12.50".']
    }
    assert results[2]["receipt_number"] == "R-C" and "lines.0.quantity" in results[2]["error"]["fields"]
    assert set(Order.objects.values_list("receipt_number", flat=True)) >= {"R-A", "R-D"}
    assert Order.objects.get(receipt_number="R-A").total == Decimal("10.00")


DAY = (datetime.now(UTC) - timedelta(days=2)).date()  # inside the months the timeline keeps


def _event(**over) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "kind": "app_open",
        "channel": "app",
        "occurred_at": f"{DAY.isoformat()}T10:00:00+23:59",
        "identities": {"app_install": "install-1"},
        **over,
    }


def test_an_event_time_with_an_offset_of_23_59_is_stored_in_utc(callers, seed):
    from customers.models import Interaction

    # when an event comes with the largest offset RFC 3339 allows (PostgreSQL takes +/-15:59 at most)
    response = callers["anonymous"].post("/api/v1/events/", {"events": [_event(id="far-east")]}, format="json")
    # then it is kept, at the same instant in UTC (before: a 500 from the database)
    assert response.status_code == 200 and response.json()["accepted"] == [0], response.json()
    stored = Interaction.objects.get(external_id="far-east").occurred_at
    assert stored == datetime.combine(DAY, time(10), UTC) - timedelta(hours=23, minutes=59)


@pytest.mark.parametrize("channel", [{}, [], 1, None])
def test_an_event_channel_of_the_wrong_type_is_refused_by_index(callers, seed, channel):
    # when one event's channel is an object (unhashable: before, a 500 for the whole batch)
    batch = {"events": [_event(occurred_at=f"{DAY.isoformat()}T10:00:00Z"), _event(channel=channel)]}
    response = callers["anonymous"].post("/api/v1/events/", batch, format="json")
    # then only that event is refused, on its channel
    assert response.status_code == 200
    assert response.json()["accepted"] == [0]
    (rejected,) = response.json()["rejected"]
    assert rejected["index"] == 1 and rejected["code"] == "invalid" and list(rejected["fields"]) == ["channel"]


@pytest.mark.parametrize("depth", [33, 1000, 100_000])
def test_deeply_nested_json_is_a_400(callers, seed, depth):
    body = "[" * depth + "]" * depth
    for client in (callers["anonymous"], callers["device"]):
        for url in ("/api/v1/events/", "/api/v1/pos/sales/"):
            response = client.generic("POST", url, body, content_type="application/json")
            assert response.status_code in (400, 401, 403), response.content
            if response.status_code == 400:
                assert response.json()["code"] == "parse_error"


def test_nested_json_inside_the_limit_is_read(callers, seed):
    data = {"a": [[[[{"b": "c"}]]]]}
    response = callers["anonymous"].post("/api/v1/events/", {"events": [_event(data=data)]}, format="json")
    assert response.status_code == 200 and response.json()["accepted"] == [0]


def test_a_lone_surrogate_in_free_form_data_is_a_400(callers, seed):
    body = json.dumps({"events": [_event(data={"note": "\ud800"})]})
    response = callers["anonymous"].generic("POST", "/api/v1/events/", body, content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "parse_error"


# --- issue 13, item 13: a body over the size limit under /api/ answers JSON -------------------------


def test_a_body_over_the_size_limit_is_a_json_413(callers, seed, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = json.dumps({"events": [_event(data={"pad": "x" * 20_000})]})
    for url in ("/api/v1/events/", "/api/v1/orders/", "/api/v1/nowhere/"):
        response = callers["anonymous"].generic("POST", url, body, content_type="application/json")
        assert response.status_code == 413 and response["Content-Type"] == "application/json"
        assert response.json()["code"] == "request_too_large" and "10,000 bytes" in response.json()["message"]


def test_a_body_over_the_limit_read_outside_drf_is_json_too(rf, settings):
    from django.core.exceptions import RequestDataTooBig

    from retail.api.errors import bad_request

    response = bad_request(rf.post("/api/v1/events/"), RequestDataTooBig("too big"))
    assert response.status_code == 413 and json.loads(response.content)["code"] == "request_too_large"
    assert bad_request(rf.post("/portal/"), RequestDataTooBig("too big"))["Content-Type"].startswith("text/html")
