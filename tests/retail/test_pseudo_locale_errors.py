"""Domain errors in the caller's language (issue 19.1, done when): the machine code stays, the human
message is translated. Statically, no domain error (nor validation error) in the apps is raised with
an unmarked literal message or field message; dynamically, API answers rendered in the pseudo-locale
of tests/retail/test_pseudo_locale.py carry their messages as ⟦…⟧ whatever endpoint refuses."""

import ast
from pathlib import Path

import pytest
from django.conf import settings

from tests.customers.test_api import _app_login
from tests.factories import UserFactory
from tests.retail.test_pseudo_locale import CLOSE, OPEN, pseudo_locale, untranslated  # noqa: F401 - a fixture

ROOT = Path(settings.BASE_DIR)
APPS = ["retail", "customers", "inventory", "orders", "insights", "webhooks"]
ERRORS = {
    "OrderError", "CustomerError", "InventoryError", "ReturnError", "RetailError", "WebhookError", "DomainError",
    "NotFound", "PermissionDenied", "IdempotencyError", "InsufficientPoints", "InsufficientStoreCredit",
    "InsufficientGiftCardBalance", "TaxServiceUnavailable", "TaxNotSetUp", "MissingExchangeRate", "ValidationError",
    "AuthenticationFailed", "ExportRefused",
}  # fmt: skip


def unmarked_messages(source: str) -> list[int]:
    """Lines where an error is made with a literal (or f-string) message or field message."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
        if name not in ERRORS:
            continue
        messages = node.args[:1] + [k.value for k in node.keywords if k.arg in ("message", "detail")]
        for k in node.keywords:
            if k.arg == "fields" and isinstance(k.value, ast.Dict):
                messages += [e for v in k.value.values if isinstance(v, (ast.List, ast.Tuple)) for e in v.elts]
        for message in messages:
            literal = isinstance(message, ast.Constant) and isinstance(message.value, str)
            if isinstance(message, ast.JoinedStr) or (literal and any(c.isalpha() for c in message.value)):
                found.append(message.lineno)
    return found


def test_no_domain_error_is_raised_with_an_unmarked_message():
    unmarked = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts or "commands" in path.parts:
                continue
            unmarked += [f"{path.relative_to(ROOT)}:{line}" for line in unmarked_messages(path.read_text())]
    assert unmarked == [], "mark these messages for translation (gettext), then `make messages`:\n" + "\n".join(
        unmarked
    )


@pytest.mark.django_db
def test_api_refusals_carry_translated_messages(api_client, password, store, pseudo_locale):  # noqa: F811
    # given a signed-in shopper
    UserFactory(email="ola@example.com", email_verified=True)
    token = _app_login(api_client, "ola@example.com", password)
    headers = {"HTTP_X_SESSION_TOKEN": token, "HTTP_ACCEPT_LANGUAGE": "pl"}

    # when the API refuses for reasons of every layer
    checkout = {"channel": "app", "from_cart": True, "fulfillment": {"kind": "pickup", "store": "LON-01"}}
    answers = [
        api_client.patch("/api/v1/me/", {"language": "it"}, format="json", **headers),  # customers
        api_client.post("/api/v1/me/cart/lines/", {"sku": "NOPE-1", "quantity": 1}, format="json", **headers),
        api_client.post("/api/v1/orders/", checkout, format="json", HTTP_IDEMPOTENCY_KEY="k-1", **headers),  # orders
        api_client.get("/api/v1/orders/NOPE/", **headers),  # not found
        api_client.post("/api/v1/me/phone/", {"phone": "12"}, format="json", **headers),  # invalid phone
    ]  # fmt: skip

    # then each is a 4xx with its machine code, and a message (and field messages) in the reader's words
    for answer in answers:
        body = answer.json()
        assert 400 <= answer.status_code < 500 and body["code"], body
        assert body["message"].startswith(OPEN) and body["message"].endswith(CLOSE), body
        for messages in body["fields"].values():
            assert untranslated(" ".join(messages), set()) == [], body  # SKUs named are data
