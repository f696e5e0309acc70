"""What orders tell the shopper's timeline reads in the associate's language (issue 19.1): a pick-up
ready and collected, a till sale and a cart sent are stored as a sentence's key and params, and the
Italian or Polish clienteling timeline words them, with their order numbers, stores and counts, and
no English left of them."""

import pytest

from customers.models import Interaction
from customers.services.profiles import update_customer_profile
from orders.models import Fulfillment
from orders.services import hand_over_pickup, mark_ready, scan_pick, send_cart_to_customer
from retail.services import issue_pos_device
from tests.helpers import pickup_proof

pytestmark = pytest.mark.django_db


def timeline_in(client, associate, customer, language: str) -> str:
    associate.language = language
    associate.save(update_fields=["language"])
    client.force_login(associate)
    response = client.get(f"/portal/customers/{customer.pk}/timeline/")
    assert response.status_code == 200
    return response.content.decode()


def test_a_pickup_ready_and_collected_reads_in_italian_and_polish(
    client, place_pickup, shirt, store, associate, shopper
):
    # given a pick-up made ready and collected at Covent Garden
    order = place_pickup([("SHIRT-M", 1)])
    fulfillment = Fulfillment.objects.get(order=order)
    scan_pick(fulfillment=fulfillment, code="SHIRT-M", actor=associate, store=store)
    fulfillment = mark_ready(fulfillment=fulfillment, actor=associate, store=store)
    hand_over_pickup(
        fulfillment=fulfillment,
        actor=associate,
        store=store,
        verification="code",
        collected_by_name="Jane Shopper",
        proof=pickup_proof(fulfillment, "code"),
    )
    # then each entry keeps its sentence's key and params, and English words as its subject
    ready = Interaction.objects.get(customer=shopper, external_id=f"{order.number}:{fulfillment.pk}:ready")
    assert ready.data["msg"] == {"key": "orders.ready", "params": {"order": order.number, "store": "Covent Garden"}}
    assert ready.subject == f"Order {order.number} ready to collect at Covent Garden"
    # when an Italian associate reads the timeline
    italian = timeline_in(client, associate, shopper, "it")
    # then the sentences are Italian, with the order number and the store
    assert f"Ordine {order.number} pronto per il ritiro presso Covent Garden" in italian
    assert f"Ritirato {order.number} presso Covent Garden" in italian
    assert "ready to collect" not in italian and f"Collected {order.number}" not in italian
    # and in Polish
    polish = timeline_in(client, associate, shopper, "pl")
    assert f"Zamówienie {order.number} czeka na odbiór w sklepie Covent Garden" in polish
    assert f"Odebrano {order.number} w sklepie Covent Garden" in polish
    assert "ready to collect" not in polish and f"Collected {order.number}" not in polish


def test_a_till_sale_reads_in_polish(client, api_client, shirt, store, associate, shopper):
    # given a till sale for the shopper, found by their loyalty card
    update_customer_profile(customer=shopper, values={"card_number": "OMNI-000123"})
    _, token = issue_pos_device(store=store, name="Till 1")
    api_client.credentials(HTTP_AUTHORIZATION=f"Device {token}")
    sale = {
        "receipt_number": "R-0042",
        "customer": {"card": "OMNI-000123"},
        "lines": [{"sku": "SHIRT-M", "quantity": 1}],
        "tenders": [{"method": "cash", "amount": "30.00"}],
    }
    response = api_client.post("/api/v1/pos/sales/", sale, format="json")
    assert response.status_code == 201, response.json()
    purchase = Interaction.objects.get(customer=shopper, kind="purchase")
    assert purchase.data["msg"]["key"] == "orders.bought_in_store" and purchase.subject.startswith("Bought in")
    # when a Polish associate reads the timeline, then the sale reads in Polish with its receipt
    polish = timeline_in(client, associate, shopper, "pl")
    assert "Kupiono w sklepie Covent Garden (paragon R-0042)" in polish
    assert "Bought in" not in polish and "receipt R-0042" not in polish


@pytest.mark.parametrize(
    ("language", "one", "few"),
    [
        ("it", "ha inviato 1 articolo al carrello online", "ha inviato 3 articoli al carrello online"),
        ("pl", "wysłał(a) 1 produkt do koszyka online", "wysłał(a) 3 produkty do koszyka online"),
    ],
)
def test_a_cart_sent_counts_its_items_in_the_readers_plural(
    client, shirt, store, associate, shopper, language, one, few
):
    # given an associate sent one item, then three, to the shopper's online cart
    send_cart_to_customer(customer=shopper, lines=[("SHIRT-M", 1)], associate=associate, store=store)
    send_cart_to_customer(customer=shopper, lines=[("SHIRT-M", 3)], associate=associate, store=store)
    # when the timeline is read in Italian or Polish
    page = timeline_in(client, associate, shopper, language)
    # then each says its count in that language's plural form, with the associate's name
    name = associate.get_short_name()
    assert f"{name} {one}" in page and f"{name} {few}" in page
    assert "to the online cart" not in page and "item(s)" not in page
