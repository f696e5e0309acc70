"""Every API error is JSON {"code", "message", "fields"} with a stable code, never an HTML page."""

import pytest

from retail.models import PosDevice
from retail.services import issue_pos_device

pytestmark = pytest.mark.django_db


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code
    assert body["message"]
    assert isinstance(body["fields"], dict)
    return body


def test_unknown_route_under_the_api_is_a_json_404(api_client):
    assert_error(api_client.get("/api/v1/nonexistent"), 404, "not_found")
    assert_error(api_client.get("/api/v1/stores/xx/yy/zz/"), 404, "not_found")


def test_unknown_route_elsewhere_stays_an_html_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_unknown_object_is_a_json_404(api_client):
    assert_error(api_client.get("/api/v1/stores/NOPE-01/"), 404, "not_found")


@pytest.mark.parametrize("near", ["abc", "51.5", "51.5,abc", "95,0", "51.5,-200", "nan,0"])
def test_bad_coordinates_are_a_400_on_the_near_field(api_client, near):
    body = assert_error(api_client.get("/api/v1/stores/", {"near": near}), 400, "invalid_coordinates")
    assert list(body["fields"]) == ["near"]
    assert body["fields"]["near"] == [body["message"]]


def test_unknown_kind_is_a_400(api_client):
    body = assert_error(api_client.get("/api/v1/stores/", {"kind": "kiosk"}), 400, "invalid_kind")
    assert "store, warehouse" in body["message"]
    assert body["fields"] == {"kind": [body["message"]]}


def test_a_method_the_endpoint_does_not_take_is_a_405(api_client):
    body = assert_error(api_client.post("/api/v1/stores/", {}, format="json"), 405, "method_not_allowed")
    assert body["message"] == 'Method "POST" not allowed.'
    assert "GET" in api_client.post("/api/v1/stores/", {}, format="json")["Allow"]


@pytest.mark.urls("tests.retail.api_urls")
def test_no_credentials_on_a_protected_endpoint_is_a_401_with_a_challenge(api_client):
    response = api_client.get("/api/v1/whoami/")
    body = assert_error(response, 401, "not_authenticated")
    assert body["message"] == "Sign in to do this."
    assert response["WWW-Authenticate"] == "SessionToken"  # the first scheme the endpoint takes


def test_a_wrong_device_token_is_a_401_even_on_a_public_endpoint(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Device pos_not-a-real-token")
    body = assert_error(api_client.get("/api/v1/stores/"), 401, "authentication_failed")
    assert body["message"] == "Unknown or revoked device token."


def test_a_malformed_device_header_is_a_401(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Device")
    body = assert_error(api_client.get("/api/v1/stores/"), 401, "authentication_failed")
    assert "Device <token>" in body["message"]


@pytest.mark.urls("tests.retail.api_urls")
def test_invalid_input_lists_every_field_with_dotted_paths(api_client):
    response = api_client.post("/api/v1/parcels/", {"lines": [{"sku": "A"}, {"sku": "B", "quantity": 0}]})
    body = assert_error(response, 400, "invalid")
    assert set(body["fields"]) == {"store", "lines.0.quantity", "lines.1.quantity"}
    assert body["fields"]["lines.1.quantity"] == ["Ensure this value is greater than or equal to 1."]
    assert body["message"].startswith("store: ")


@pytest.mark.urls("tests.retail.api_urls")
def test_a_body_that_is_not_json_is_a_400(api_client, store):
    device, token = issue_pos_device(store=store, name="Till 9")
    api_client.credentials(HTTP_AUTHORIZATION=f"Device {token}")
    response = api_client.generic(
        "POST", "/api/v1/effects/", "{not json", content_type="application/json", headers={"Idempotency-Key": "k1"}
    )
    assert_error(response, 400, "parse_error")
    assert PosDevice.objects.get(pk=device.pk).is_active
