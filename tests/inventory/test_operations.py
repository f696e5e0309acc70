import pytest

from inventory import services
from inventory.errors import InventoryError
from inventory.models import StockLevel, StockMovement, Transfer
from inventory.selectors import ledger_drift
from retail.models import AuditEvent
from tests.inventory.factories import VariantFactory

pytestmark = pytest.mark.django_db


def on_hand(variant, store):
    return StockLevel.objects.filter(variant=variant, location=store).values_list("on_hand", flat=True).first()


def test_transfer_moves_stock_and_records_discrepancies(store, other_store, associate):
    # given 10 at MAN-01
    a, b = VariantFactory(), VariantFactory()
    services.receive_stock(location=other_store, lines=[(a, 10), (b, 4)], reference="PO")
    transfer = services.request_transfer(from_location=other_store, to_location=store, lines=[(a, 3), (b, 2)])
    # when shipped as asked, and one unit of b never arrives
    services.ship_transfer(transfer=transfer, actor=associate)
    assert (on_hand(a, other_store), on_hand(b, other_store)) == (7, 2)
    services.receive_transfer(transfer=transfer, received={b.sku: 1}, actor=associate)
    # then
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.RECEIVED
    assert {line.variant_id: line.discrepancy for line in transfer.lines.all()} == {a.pk: 0, b.pk: -1}
    assert (on_hand(a, store), on_hand(b, store)) == (3, 1)
    kinds = sorted(StockMovement.objects.filter(reference=transfer.reference).values_list("kind", "quantity"))
    assert kinds == [("transfer_in", 1), ("transfer_in", 3), ("transfer_out", -3), ("transfer_out", -2)]
    event = AuditEvent.objects.get(action="transfer.received_with_discrepancy")
    assert event.details["discrepancies"] == [{"sku": b.sku, "shipped": 2, "received": 1}]
    assert ledger_drift() == []


def test_a_transfer_never_ships_reserved_units(store, other_store):
    a = VariantFactory()
    services.receive_stock(location=other_store, lines=[(a, 5)], reference="PO")
    services.reserve_stock(lines=[(a, 4)], location=other_store, reference="order:1")
    transfer = services.request_transfer(from_location=other_store, to_location=store, lines=[(a, 2)])
    # when / then only 1 is free
    with pytest.raises(InventoryError) as exc:
        services.ship_transfer(transfer=transfer)
    assert exc.value.code == "insufficient_stock"
    assert on_hand(a, other_store) == 5
    transfer.refresh_from_db()
    assert transfer.status == "requested"


def test_transfer_steps_happen_once_and_in_order(store, other_store):
    a = VariantFactory()
    services.receive_stock(location=other_store, lines=[(a, 5)], reference="PO")
    transfer = services.request_transfer(from_location=other_store, to_location=store, lines=[(a, 2)])
    with pytest.raises(InventoryError) as exc:
        services.receive_transfer(transfer=transfer)
    assert exc.value.code == "transfer_state"
    services.ship_transfer(transfer=transfer)
    with pytest.raises(InventoryError):
        services.ship_transfer(transfer=transfer)
    with pytest.raises(InventoryError):
        services.cancel_transfer(transfer=transfer)
    services.receive_transfer(transfer=transfer)
    with pytest.raises(InventoryError):
        services.receive_transfer(transfer=transfer)
    assert (on_hand(a, other_store), on_hand(a, store)) == (3, 2)


def test_transfer_to_itself_is_refused(store):
    a = VariantFactory()
    with pytest.raises(InventoryError) as exc:
        services.request_transfer(from_location=store, to_location=store.code, lines=[(a, 1)])
    assert exc.value.code == "invalid_transfer"
    assert not Transfer.objects.exists()


def test_count_posts_the_difference_and_stamps_the_date(store, stocked, associate):
    # given 10 on hand; a second SKU never stocked here
    other = VariantFactory()
    count = services.start_stock_count(location=store, actor=associate)
    # when 8 scans of the first (by barcode and SKU) and 2 of the other
    for _ in range(7):
        services.add_count_scan(count=count, code=stocked.barcode)
    services.add_count_scan(count=count, code=stocked.sku)
    services.add_count_scan(count=count, code=other.barcode, quantity=2)
    movements = services.post_stock_count(count=count, actor=associate)
    # then
    assert sorted((m.variant_id, m.kind, m.quantity) for m in movements) == sorted(
        [(stocked.pk, "count", -2), (other.pk, "count", 2)]
    )
    assert (on_hand(stocked, store), on_hand(other, store)) == (8, 2)
    assert StockLevel.objects.filter(location=store, last_counted_at__isnull=True).count() == 0
    assert ledger_drift() == []
    with pytest.raises(InventoryError) as exc:
        services.add_count_scan(count=count, code=stocked.sku)
    assert exc.value.code == "count_closed"


def test_count_matching_the_shelf_writes_no_movement_but_stamps_the_date(store, stocked):
    count = services.count_stock(location=store, counts={stocked.sku: 10})
    assert count.status == "posted"
    assert not StockMovement.objects.filter(kind="count").exists()
    assert StockLevel.objects.get(variant=stocked, location=store).last_counted_at == count.posted_at


def test_count_below_reserved_keeps_the_truth_and_shows_the_shortfall(store, stocked):
    # given 6 of 10 promised
    services.reserve_stock(lines=[(stocked, 6)], location=store, reference="order:7")
    # when only 4 are found
    services.count_stock(location=store, counts={stocked.sku: 4})
    # then the level says so; nothing can be promised; consuming finds the shelf short
    level = StockLevel.objects.get(variant=stocked, location=store)
    assert (level.on_hand, level.reserved, level.available, level.short) == (4, 6, 0, 2)
    with pytest.raises(InventoryError) as exc:
        services.consume_reservations(reference="order:7")
    assert exc.value.code == "insufficient_stock"
    assert ledger_drift() == []


def test_unknown_scan_is_a_clear_error(store):
    count = services.start_stock_count(location=store)
    with pytest.raises(InventoryError) as exc:
        services.add_count_scan(count=count, code="0000000000000")
    assert exc.value.code == "unknown_sku"
    assert not count.lines.exists()


def test_return_restock_only_where_returns_are_taken(store, variant):
    store.accepts_returns = False
    store.save()
    with pytest.raises(InventoryError) as exc:
        services.restock_return(location=store, lines=[(variant, 1)], reference="rma:1")
    assert exc.value.code == "returns_not_accepted"
