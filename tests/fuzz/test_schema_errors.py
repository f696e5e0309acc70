"""Regression tests for what the fuzzer found in the schema layer (retail.api.schema).

Before: every operation documented only its 2xx answer, so each 400/401/403/404/429 the API
gives by design was an "undocumented status code", and `@idempotent` views did not document
the Idempotency-Key header they require (clients generated from the schema could not send it).
"""

import pytest
from django.urls import path
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.utils import extend_schema
from rest_framework import permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from retail.api.idempotency import idempotent
from retail.api.views import StoreDetailView, StoreListView
from tests.factories import StoreFactory

ERROR_REF = "#/components/schemas/ApiError"


class PlaceThingView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=None, responses={201: None})
    @idempotent(required=True)
    def post(self, request):
        return Response({}, status=201)


class MaybeThingView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=None, responses={200: None})
    @idempotent(required=False)
    def post(self, request):
        return Response({})


def schema_for(*patterns) -> dict:
    return SchemaGenerator(patterns=list(patterns)).get_schema(request=None, public=True)


def error_codes(operation: dict) -> set[str]:
    return {
        code
        for code, response in operation["responses"].items()
        if response.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref") == ERROR_REF
    }


def test_public_lookup_documents_its_error_answers():
    # given the stores endpoints (anyone may read them)
    # when the schema is generated
    schema = schema_for(
        path("api/v1/stores/", StoreListView.as_view()), path("api/v1/stores/<slug:code>/", StoreDetailView.as_view())
    )

    # then a lookup by code documents the 404, a bad credential's 401 and throttling, in the error shape
    detail = schema["paths"]["/api/v1/stores/{code}/"]["get"]
    assert error_codes(detail) == {"400", "401", "404", "429"}
    # and a public read has no 403 to document
    assert "403" not in schema["paths"]["/api/v1/stores/"]["get"]["responses"]
    assert set(schema["components"]["schemas"]["ApiError"]["required"]) == {"code", "message", "fields"}


def test_idempotent_views_document_the_key_and_retry_answers():
    # given two @idempotent views, one requiring the key and one accepting it
    # when the schema is generated
    schema = schema_for(path("things/", PlaceThingView.as_view()), path("maybe/", MaybeThingView.as_view()))

    # then both document the Idempotency-Key header, required only where the view requires it
    for route, required in (("/things/", True), ("/maybe/", False)):
        operation = schema["paths"][route]["post"]
        headers = {p["name"]: p for p in operation["parameters"] if p["in"] == "header"}
        assert headers["Idempotency-Key"].get("required", False) is required
        # and the answers a retry can get: 409 while the first runs, 422 for another body
        assert {"401", "403", "409", "422", "429"} <= error_codes(operation)


@pytest.mark.django_db
def test_a_documented_404_answers_in_the_documented_shape(api_client):
    # given one open store
    StoreFactory(code="LON-01")

    # when a client asks for a code that does not exist
    response = api_client.get("/api/v1/stores/NOPE-99/")

    # then it gets the 404 the schema documents, with the ApiError fields
    assert response.status_code == 404
    assert set(response.json()) >= {"code", "message", "fields"}
    assert response.json()["code"] == "not_found"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/stores/?kind=st%00ore", "kind"),
        ("/api/v1/stores/LON%0001/", "path"),
    ],
)
def test_a_nul_character_in_the_address_is_a_400_not_a_database_error(api_client, url, field):
    # given a store (so that the lookup would reach the database)
    StoreFactory(code="LON-01")

    # when a client sends U+0000, which PostgreSQL text cannot hold
    response = api_client.get(url)

    # then it is refused as bad input, naming where
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert field in response.json()["fields"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body", [b'{"note": "a\\u0000b"}', b'{"a\\u0000": 1}', b'{"lines": [{"sku": "x\\u0000"}]}', b'{"note": "a\x00"}']
)
def test_a_nul_character_in_a_json_body_is_a_400(api_client, body):
    # when a JSON body carries U+0000 (escaped or raw), at any depth, in a key or a value
    response = api_client.generic("POST", "/api/v1/stores/", body, content_type="application/json")

    # then it is refused before any view runs
    assert response.status_code == 400
    assert response.json()["fields"] == {"body": ["Contains NUL."]}


@pytest.mark.django_db
def test_an_escaped_backslash_before_u0000_is_not_a_nul(api_client):
    # given a JSON string holding the six characters \u0000 (an escaped backslash), not U+0000
    body = b'{"note": "C:\\\\u0000"}'

    # when it is sent, then the guard lets it through to the view (GET-only here: 405, not 400)
    response = api_client.generic("POST", "/api/v1/stores/", body, content_type="application/json")
    assert response.status_code == 405


def test_a_field_that_may_be_blank_keeps_its_example_on_the_property():
    # given the profile update's phone: E.164 or empty (allow_blank wraps it in oneOf)
    schema = SchemaGenerator().get_schema(request=None, public=True)
    phone = schema["components"]["schemas"]["PatchedMeUpdateRequest"]["properties"]["phone"]
    # then its example is on the property as well as on the E.164 branch: schemathesis' coverage phase
    # built its valid cases from the branch's bounds instead ("+1000000", no numbering plan's number: all
    # refused with invalid_phone, the staff run's validation_mismatch)
    assert phone["example"] == phone["oneOf"][0]["example"] == "+447700900123"
