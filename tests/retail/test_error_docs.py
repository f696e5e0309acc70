"""Each operation's OpenAPI lists the error codes it can answer, per status, derived from its code
(retail.api.codes); the API description lists every code. The live fuzz run (tests/fuzz/test_live.py)
checks every error the server really answers against these lists."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from retail.api.codes import codes_of_handler
from retail.errors import error_codes


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def codes(operation: dict, status: str) -> list[str]:
    return operation["responses"].get(status, {}).get("x-error-codes", [])


def test_checkout_documents_the_retry_throttle_and_domain_answers(schema):
    checkout = schema["paths"]["/api/v1/orders/"]["post"]
    # the framework's answers around it
    assert {"idempotency_in_progress", "insufficient_stock"} <= set(codes(checkout, "409"))
    assert codes(checkout, "422") == ["idempotency_mismatch"]
    assert codes(checkout, "429") == ["throttled", "too_many_gift_card_attempts"]  # a gift card tender is limited too
    assert {"unknown_field", "invalid", "parse_error", "idempotency_key_required"} <= set(codes(checkout, "400"))
    # what its service raises (walked) and what a provider behind an instance raises (declared)
    assert {"unknown_sku", "empty_cart", "invalid_fulfillment", "pickup_not_offered"} <= set(codes(checkout, "400"))
    assert codes(checkout, "402") == ["payment_declined"]
    assert codes(checkout, "503") == ["order_number_clash", "tax_service_unavailable"]  # the tax provider down
    # and its body is required: without one it says neither fulfillment nor groups, always refused (a fuzzer
    # sent none as valid data: schema-valid, answered invalid_fulfillment)
    assert checkout["requestBody"]["required"] is True
    # and each code sits under the status it answers with
    for status, response in checkout["responses"].items():
        for code in response.get("x-error-codes", []):
            assert next(m.status for e in error_codes() for m in e if m.value == code) == int(status)


def test_a_shopper_endpoint_documents_its_credentials_answers(schema):
    order = schema["paths"]["/api/v1/orders/{number}/"]["get"]
    assert codes(order, "401") == ["authentication_failed", "not_authenticated"]
    assert codes(order, "403") == ["permission_denied"]
    assert codes(order, "404") == ["not_found"]
    assert [next(iter(s)) for s in order["security"]] == ["sessionToken", "cookieAuth"]


def test_a_till_endpoint_takes_only_the_device_token(schema):
    sale = schema["paths"]["/api/v1/pos/sales/"]["post"]
    assert sale["security"] == [{"posDevice": []}]
    assert "invalid_sale" in codes(sale, "400") and "insufficient_stock" in codes(sale, "409")


def test_the_walk_follows_services_imports_and_serializer_rules():
    from orders.api.views import CheckoutView
    from orders.returns.api.views import MyReturnsView

    # a code raised three calls down, in another app
    assert "insufficient_stock" in codes_of_handler(CheckoutView, "post")
    # a serializer's rule across fields, and a function imported inside the service
    assert {"invalid_line", "too_many_units", "not_returnable"} <= codes_of_handler(MyReturnsView, "post")


def test_the_api_description_lists_every_code_with_its_status(schema):
    description = schema["info"]["description"]
    for enum in error_codes():
        for member in enum:
            assert f"| `{member.value}` | {member.status} | {member.meaning} |" in description


@pytest.mark.parametrize(
    "route", ["/api/v1/orders/", "/api/v1/me/giftcards/", "/api/v1/me/wallet/topups/", "/api/v1/pos/returns/"]
)
def test_an_operation_that_pays_or_refunds_by_card_documents_the_providers_answers(schema, route):
    # given an operation whose service calls the payment provider (through an instance: the walk cannot follow)
    operation = schema["paths"][route]["post"]
    # then it lists what any provider answers (the fuzzer got an undocumented 400 invalid_payment for an
    # unknown card token when buying a gift card and topping up the wallet)
    assert "invalid_payment" in codes(operation, "400") and "payment_declined" in codes(operation, "402")
