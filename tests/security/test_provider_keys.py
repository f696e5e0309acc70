"""The payment provider's idempotency key is scoped to the caller (F8)."""

import pytest

from customers.services.linking import link_user_to_customer
from inventory import services as inventory
from orders.models import Payment
from tests.factories import StoreFactory, UserFactory
from tests.inventory.factories import VariantFactory

pytestmark = pytest.mark.django_db


def test_two_shoppers_using_the_same_idempotency_key_get_separate_authorisations(api_client):
    store = StoreFactory(code="LON-01")
    inventory.receive_stock(location=store, lines=[(VariantFactory(sku="SHIRT-M"), 5)], reference="PO-1")
    body = {
        "channel": "app",
        "lines": [{"sku": "SHIRT-M", "quantity": 1}],
        "fulfillment": {"kind": "pickup", "store": "LON-01"},
        "payments": [{"method": "card", "token": "tok_visa_4242"}],
    }
    answers = []
    for email in ("ann@example.com", "bob@example.com"):
        user = UserFactory(email=email)
        link_user_to_customer(user=user)
        api_client.force_authenticate(user)
        # the same (client-chosen) key: a weak UUID generator, or someone who read it off another's request
        answers.append(api_client.post("/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY="order-1"))
    assert [a.status_code for a in answers] == [201, 201], [a.json() for a in answers]
    references = list(Payment.objects.order_by("pk").values_list("reference", flat=True))
    # a real provider deduplicates by its idempotency key: Bob's hold must not be Ann's
    assert len(set(references)) == 2, references
