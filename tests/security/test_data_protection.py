"""ASVS V8 (data protection): no card data in the schema or the data; secrets only from the environment.

Payments keep the provider's reference, the brand and the last four digits. Every model field of
every installed app is checked by name, and a raw card number sent by mistake is found nowhere in
the database afterwards (not in the stored idempotent answer, the audit trail or the outbox).
"""

import re

import pytest
from django.apps import apps
from django.db import models

from customers.services.linking import link_user_to_customer
from inventory import services as inventory
from tests.factories import StoreFactory, UserFactory
from tests.inventory.factories import VariantFactory

CARD_LIKE = re.compile(
    r"(^|_)(pan|card_?number|cc_?number|cvv2?|cvc2?|csc|expiry|expiration|exp_(month|year)|track_?data|pin_?block)($|_)"
)
# A loyalty card number is not a payment card: it is the shopper's membership id (customers.Customer).
NOT_PAYMENT_CARDS = {"customers.customer.card_number"}
PAN = "4111111111111111"


def test_no_model_field_is_named_like_card_data():
    offending = [
        f"{model._meta.label_lower}.{field.name}"
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if getattr(field, "concrete", False) and CARD_LIKE.search(field.name.lower())
    ]
    assert sorted(set(offending) - NOT_PAYMENT_CARDS) == []


def test_payments_keep_only_reference_brand_last4_and_amounts():
    from orders.models import Payment

    names = {f.name for f in Payment._meta.get_fields() if getattr(f, "concrete", False)}
    assert {"reference", "brand", "last4"} <= names
    assert not names & {"token", "number", "pan", "cvv", "expiry"}
    assert Payment._meta.get_field("last4").max_length == 4


@pytest.mark.django_db
def test_a_card_number_sent_by_mistake_is_stored_nowhere(api_client, caplog):
    # given a shopper whose app sends the raw card number instead of the payment SDK's token
    store = StoreFactory(code="LON-01")
    inventory.receive_stock(location=store, lines=[(VariantFactory(sku="SHIRT-M"), 5)], reference="PO-1")
    user = UserFactory(email="jane@example.com")
    link_user_to_customer(user=user)
    api_client.force_authenticate(user)
    body = {
        "channel": "app",
        "lines": [{"sku": "SHIRT-M", "quantity": 1}],
        "fulfillment": {"kind": "pickup", "store": "LON-01"},
        "payments": [{"method": "card", "token": PAN}],
    }
    # when it checks out
    response = api_client.post("/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY="pan-1")
    # then it is refused without echoing the number
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_payment"
    assert PAN not in response.content.decode()
    # and no text or JSON column of any table holds it, nor any log line
    hits = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, (models.CharField, models.TextField)):
                lookup = f"{field.name}__contains"
            elif isinstance(field, models.JSONField):
                lookup = f"{field.name}__icontains"  # on PostgreSQL: the JSON's text
            else:
                continue
            if model._default_manager.filter(**{lookup: PAN}).exists():
                hits.append(f"{model._meta.label}.{field.name}")
    assert hits == []
    assert PAN not in caplog.text


def test_secrets_come_from_the_environment_only():
    """No secret-looking setting has a literal value in settings.py other than the labelled local default."""
    from pathlib import Path

    from django.conf import settings

    source = Path(settings.BASE_DIR, "retail", "settings.py").read_text()
    literal = re.compile(r"^(\w*(SECRET|PASSWORD|TOKEN|API_KEY)\w*)\s*=\s*[\"']", re.MULTILINE)
    assert literal.findall(source) == []
    for name in ("EMAIL_HOST_PASSWORD", "SECRET_KEY"):
        assert f'env("{name}"' in source
