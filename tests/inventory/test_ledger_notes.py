"""The notes the system writes into the ledgers read in the reader's language (issue 19.1).

Stock movements and loyalty points entries keep the system's sentence as a message (retail/messages.py)
beside its English words; the admin's list and detail word it in the user's language, with no query
more, and show the words a person typed, or a row written before, as stored.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from customers.models import PointsEntry
from customers.services import adjust_points
from inventory import services
from inventory.models import StockMovement
from retail.messages import say
from tests.customers.factories import CustomerFactory
from tests.factories import UserFactory
from tests.helpers import enrol_totp
from tests.inventory.factories import VariantFactory

pytestmark = pytest.mark.django_db


def admin_in(client, language):
    user = UserFactory(is_staff=True, is_superuser=True, language=language)
    enrol_totp(user)
    client.force_login(user)
    return user


def test_a_transfer_and_a_count_write_their_notes_as_messages(store, other_store, associate):
    # given a transfer from MAN-01 to LON-01, shipped and received, then a count at LON-01 finding one less
    variant = VariantFactory()
    services.receive_stock(location=other_store, lines=[(variant, 5)], reference="PO")
    transfer = services.request_transfer(from_location=other_store, to_location=store, lines=[(variant, 3)])
    services.ship_transfer(transfer=transfer, actor=associate)
    services.receive_transfer(transfer=transfer, received={variant.sku: 3}, actor=associate)
    services.count_stock(location=store, counts={variant.sku: 2})
    rows = {m.kind: m for m in StockMovement.objects.filter(variant=variant).exclude(kind="receipt")}
    # then each keeps its English words and its message, and reads in Polish and Italian
    assert rows["transfer_out"].note == "transfer to LON-01"
    assert rows["transfer_out"].message == {"key": "inventory.transfer_to", "params": {"location": "LON-01"}}
    with translation.override("pl"):
        said = {kind: row.said for kind, row in rows.items()}
    assert said == {
        "transfer_out": "przesunięcie do LON-01",
        "transfer_in": "przesunięcie z MAN-01",
        "count": "policzono 2, oczekiwano 3",
    }
    with translation.override("it"):
        assert rows["count"].said == "contati 2, attesi 3"


def test_the_admin_words_the_ledgers_notes_in_its_users_language_with_no_query_more(client, store, other_store):
    # given a movement the system noted, and one whose note head office typed
    variant = VariantFactory()
    services.receive_stock(location=other_store, lines=[(variant, 5)], reference="PO")
    transfer = services.request_transfer(from_location=other_store, to_location=store, lines=[(variant, 2)])
    services.ship_transfer(transfer=transfer)
    typed = services.adjust_stock(location=other_store, variant=variant, quantity=-1, reason="Dropped in the stockroom")
    moved = StockMovement.objects.get(kind="transfer_out")
    admin_in(client, "pl")
    # when a Polish head-office user reads the list and the movement
    listing = client.get(reverse("admin:inventory_stockmovement_changelist")).content.decode()
    detail = client.get(reverse("admin:inventory_stockmovement_change", args=[moved.pk])).content.decode()
    # then the system's note is Polish, the typed one as typed
    assert "przesunięcie do LON-01" in listing and "transfer to LON-01" not in listing
    assert "Dropped in the stockroom" in listing and typed.message == {}
    assert "przesunięcie do LON-01" in detail and "transfer to LON-01" not in detail
    # and wording the notes reads nothing: as many queries for one page of rows as for a bigger one
    url = reverse("admin:inventory_stockmovement_changelist")
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    more = VariantFactory()
    services.receive_stock(location=other_store, lines=[(more, 5)], reference="PO2")
    services.ship_transfer(
        transfer=services.request_transfer(from_location=other_store, to_location=store, lines=[(more, 1)])
    )
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_points_given_back_read_in_the_admins_language_and_a_typed_note_as_typed(client, store):
    # given the points of an order not collected given back, and an adjustment head office typed
    shopper = CustomerFactory(home_store=store)
    back = adjust_points(customer=shopper, points=120, note=say("orders.points_given_back", order="W-1001"))
    adjust_points(customer=shopper, points=-20, note="Goodwill correction")
    assert back.note == "Order W-1001 was not collected: points given back"
    admin_in(client, "it")
    # when an Italian head-office user reads the points entries and the one given back
    listing = client.get(reverse("admin:customers_pointsentry_changelist")).content.decode()
    detail = client.get(reverse("admin:customers_pointsentry_change", args=[back.pk])).content.decode()
    # then
    assert "Ordine W-1001 non ritirato: punti restituiti" in listing and "was not collected" not in listing
    assert "Goodwill correction" in listing
    assert "Ordine W-1001 non ritirato: punti restituiti" in detail


def test_a_note_that_cannot_be_worded_reads_as_stored(store):
    # given entries written before (no message) and one whose sentence is no longer registered
    shopper = CustomerFactory(home_store=store)
    entry = adjust_points(customer=shopper, points=5, note="old words")
    PointsEntry.objects.filter(pk=entry.pk).update(message={"key": "gone.away", "params": {}})
    entry.refresh_from_db()
    # then its stored words are shown
    with translation.override("pl"):
        assert entry.said == "old words"


def test_the_systems_price_reasons_and_transfer_notes_read_in_polish(client, store, other_store):
    # given a base price edited in the product form and a transfer asked for from the stock lookup
    from inventory.models import PriceChange, Transfer
    from inventory.pricing import record_price_edits

    variant = VariantFactory()
    product = variant.product
    record_price_edits(
        changes=[(product, None, product.base_price, product.base_price + 1)],
        source=PriceChange.Source.EDIT,
        reason=say("inventory.product_form"),
    )
    services.receive_stock(location=other_store, lines=[(variant, 2)], reference="PO")
    transfer = services.request_transfer(
        from_location=other_store, to_location=store, lines=[(variant, 1)], note=say("inventory.requested_from_lookup")
    )
    assert PriceChange.objects.get().reason == "edited in the product form"
    assert Transfer.objects.get().note == "requested from the stock lookup"
    admin_in(client, "pl")
    # when a Polish head-office user reads the price ledger and the transfer
    prices = client.get(reverse("admin:inventory_pricechange_changelist")).content.decode()
    moved = client.get(reverse("admin:inventory_transfer_change", args=[transfer.pk])).content.decode()
    # then both say it in Polish
    assert "zmieniono w formularzu produktu" in prices and "edited in the product form" not in prices
    assert "zamówiono z wyszukiwarki stanów" in moved and "requested from the stock lookup" not in moved
