"""A return on the shopper's timeline reads in the associate's language (issue 19.1): stored as a
sentence's key with the RMA, the stores and the channel bought on as a code, worded when read."""

import pytest

from customers.models import Interaction
from orders.returns.services import LineRequest, complete_return

pytestmark = pytest.mark.django_db


def test_a_web_order_returned_in_store_reads_in_italian_and_polish(
    client, policy, deliver, shirt, shopper, other_store, other_associate
):
    # given a web order returned in another store
    order = deliver([("SHIRT-M", 1)], channel="web")
    request = complete_return(
        store=other_store,
        actor=other_associate,
        refund_method="store_credit",
        order=order,
        lines=[LineRequest(sku="SHIRT-M", quantity=1, reason="wrong_size")],
    )
    # then the entry keeps the sentence's key and params (the channel as its code), English as its subject
    entry = Interaction.objects.get(source="returns", external_id=f"{request.rma_number}:done")
    assert entry.data["msg"] == {
        "key": "returns.channel_in_store",
        "params": {"rma": request.rma_number, "bought": "web", "store": other_store.name},
    }
    assert entry.subject == f"Bought on the web, returned in {other_store.name} ({request.rma_number})"
    client.force_login(other_associate)
    for language, sentence in [
        ("it", f"Acquistato sul web, reso presso {other_store.name} ({request.rma_number})"),
        ("pl", f"Kupiono przez internet, zwrócono w sklepie {other_store.name} ({request.rma_number})"),
    ]:
        other_associate.language = language
        other_associate.save(update_fields=["language"])
        # when the associate reads the shopper's timeline in their language
        page = client.get(f"/portal/customers/{shopper.pk}/timeline/").content.decode()
        # then the return reads in it, with no English of it left
        assert sentence in page and "returned in" not in page and "Bought on the web" not in page
