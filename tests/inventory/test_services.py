from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from inventory import services
from inventory.errors import InventoryError
from inventory.models import Reservation, StockLevel, StockMovement
from inventory.selectors import ledger_drift
from inventory.signals import stock_back_in_stock
from retail.models import AuditEvent
from tests.inventory.factories import VariantFactory

pytestmark = pytest.mark.django_db


def level(variant, store):
    return StockLevel.objects.get(variant=variant, location=store)


def test_receive_stock_writes_a_receipt_and_the_level(store, variant, associate):
    # when
    movements = services.receive_stock(
        location=store, lines=[(variant.sku, 4), (variant, 3)], actor=associate, reference="PO-7"
    )
    # then: duplicate lines are summed into one movement
    assert [(m.kind, m.quantity, m.balance_after, m.reference) for m in movements] == [("receipt", 7, 7, "PO-7")]
    assert level(variant, store).on_hand == 7
    assert AuditEvent.objects.filter(action="stock.received", store=store).exists()
    assert ledger_drift() == []


def test_reserve_sums_duplicate_lines_before_checking(store, stocked):
    # given 10 on hand / when two lines of 6 of the same SKU / then refused: 12 > 10
    with pytest.raises(InventoryError) as exc:
        services.reserve_stock(lines=[(stocked.sku, 6), (stocked.sku, 6)], location=store, reference="order:1")
    assert exc.value.code == "insufficient_stock"
    assert exc.value.extra["lines"] == [{"sku": stocked.sku, "requested": 12, "available": 10}]
    assert level(stocked, store).reserved == 0
    assert not Reservation.objects.exists()


def test_reserve_is_all_or_nothing(store, stocked):
    # given a second SKU with nothing in stock
    other = VariantFactory()
    # when
    with pytest.raises(InventoryError) as exc:
        services.reserve_stock(lines=[(stocked, 2), (other, 1)], location=store, reference="order:2")
    # then the first line is not reserved either
    assert exc.value.code == "insufficient_stock"
    assert exc.value.status == 409
    assert level(stocked, store).reserved == 0
    assert not Reservation.objects.exists()


def test_reserve_respects_safety_stock(store, stocked):
    # given 10 on hand of which 3 are kept back
    StockLevel.objects.filter(variant=stocked, location=store).update(safety_stock=3)
    # when / then
    services.reserve_stock(lines=[(stocked, 7)], location=store, reference="a")
    with pytest.raises(InventoryError):
        services.reserve_stock(lines=[(stocked, 1)], location=store, reference="b")


def test_consume_writes_the_sale_and_lowers_both_figures(store, stocked, associate):
    # given
    (reservation,) = services.reserve_stock(lines=[(stocked, 4)], location=store, reference="order:3")
    # when
    movement = services.consume_reservation(reservation=reservation, kind="pickup", actor=associate)
    # then
    assert (movement.kind, movement.quantity, movement.reference) == ("pickup", -4, "order:3")
    lv = level(stocked, store)
    assert (lv.on_hand, lv.reserved) == (6, 0)
    reservation.refresh_from_db()
    assert reservation.status == "consumed"
    assert ledger_drift() == []


def test_short_pick_consumes_less_and_releases_the_rest(store, stocked):
    (reservation,) = services.reserve_stock(lines=[(stocked, 4)], location=store, reference="order:4")
    # when only 3 are found on the shelf
    services.consume_reservation(reservation=reservation, quantity=3)
    # then
    lv = level(stocked, store)
    assert (lv.on_hand, lv.reserved) == (7, 0)


@pytest.mark.parametrize("first", ["consume", "release"])
def test_a_reservation_closes_once(store, stocked, first):
    (reservation,) = services.reserve_stock(lines=[(stocked, 2)], location=store, reference="order:5")
    close = {
        "consume": lambda: services.consume_reservation(reservation=reservation),
        "release": lambda: services.release_reservation(reservation=reservation),
    }
    close[first]()
    for second in ("consume", "release"):
        with pytest.raises(InventoryError) as exc:
            close[second]()
        assert exc.value.code == "reservation_closed"
    lv = level(stocked, store)
    assert lv.reserved == 0
    assert lv.on_hand == (8 if first == "consume" else 10)


def test_expire_due_reservations_only_touches_due_ones(store, stocked):
    # given one due and one not
    (due,) = services.reserve_stock(lines=[(stocked, 2)], location=store, reference="cart:1", ttl=timedelta(minutes=1))
    (later,) = services.reserve_stock(lines=[(stocked, 3)], location=store, reference="cart:2", ttl=timedelta(hours=1))
    # when
    expired = services.expire_due_reservations(now=timezone.now() + timedelta(minutes=5))
    # then
    assert expired == 1
    due.refresh_from_db()
    later.refresh_from_db()
    assert (due.status, later.status) == ("expired", "active")
    assert level(stocked, store).reserved == 3
    assert services.expire_due_reservations(now=timezone.now() + timedelta(minutes=5)) == 0


def test_release_by_reference_is_idempotent(store, stocked):
    services.reserve_stock(lines=[(stocked, 2)], location=store, reference="order:9")
    assert len(services.release_reservations(reference="order:9")) == 1
    assert services.release_reservations(reference="order:9") == []
    assert level(stocked, store).reserved == 0


def test_adjust_needs_a_reason_and_cannot_go_below_zero(store, stocked, associate):
    with pytest.raises(InventoryError) as exc:
        services.adjust_stock(location=store, variant=stocked, quantity=-2, reason=" ")
    assert exc.value.code == "invalid_reason"
    with pytest.raises(InventoryError) as exc:
        services.adjust_stock(location=store, variant=stocked, quantity=-11, reason="theft")
    assert exc.value.code == "insufficient_stock"
    movement = services.adjust_stock(
        location=store, variant=stocked.barcode, quantity=-2, reason="water leak", kind="damage", actor=associate
    )
    assert (movement.kind, movement.quantity, movement.note) == ("damage", -2, "water leak")
    assert level(stocked, store).on_hand == 8
    assert ledger_drift() == []


@pytest.mark.parametrize(
    ("lines", "code"),
    [
        ([("NOPE", 1)], "unknown_sku"),
        ([("SHIRT-NAVY-M", 0)], "invalid_quantity"),
        ([("SHIRT-NAVY-M", -3)], "invalid_quantity"),
        ([("SHIRT-NAVY-M", 1.5)], "invalid_quantity"),
        ([], "invalid_quantity"),
    ],
)
def test_bad_lines_write_nothing(store, stocked, lines, code):
    before = (StockMovement.objects.count(), Reservation.objects.count())
    for call in (
        lambda: services.receive_stock(location=store, lines=lines),
        lambda: services.reserve_stock(lines=lines, location=store, reference="x"),
        lambda: services.record_sale(location=store, lines=lines, reference="x"),
    ):
        with pytest.raises(InventoryError) as exc:
            call()
        assert exc.value.code == code
    assert (StockMovement.objects.count(), Reservation.objects.count()) == before
    assert level(stocked, store).on_hand == 10


def test_unknown_or_closed_location_is_refused(store, stocked, other_store):
    with pytest.raises(InventoryError) as exc:
        services.receive_stock(location="NOWHERE", lines=[(stocked, 1)])
    assert exc.value.code == "unknown_location"
    other_store.is_active = False
    other_store.save()
    with pytest.raises(InventoryError) as exc:
        services.reserve_stock(lines=[(stocked, 1)], location=other_store, reference="x")
    assert exc.value.code == "unknown_location"


def test_database_refuses_negative_stock_even_without_the_service(store, stocked):
    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.filter(variant=stocked, location=store).update(on_hand=-1)
    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.filter(variant=stocked, location=store).update(reserved=-1)


def test_movements_are_append_only(store, stocked):
    movement = StockMovement.objects.first()
    with pytest.raises(ValueError, match="append-only"):
        movement.save()
    with pytest.raises(ValueError, match="append-only"):
        movement.delete()


def test_extend_reservations_moves_the_expiry_later_only(store, stocked):
    (reservation,) = services.reserve_stock(lines=[(stocked, 1)], location=store, reference="order:11")
    later = timezone.now() + timedelta(days=7)
    assert services.extend_reservations(reference="order:11", expires_at=later) == 1
    reservation.refresh_from_db()
    assert reservation.expires_at == later
    assert services.extend_reservations(reference="order:11", expires_at=later - timedelta(days=1)) == 0
    with pytest.raises(InventoryError) as exc:
        services.extend_reservations(reference="order:none", expires_at=later)
    assert exc.value.code == "reservation_closed"


def test_safety_stock_is_set_through_the_service_and_audited(store, stocked, associate):
    level = services.set_safety_stock(location=store, variant=stocked.sku, safety_stock=4, actor=associate)
    assert (level.safety_stock, level.available) == (4, 6)
    assert AuditEvent.objects.get(action="stock.safety_stock_set").details == {"sku": stocked.sku, "from": 0, "to": 4}
    with pytest.raises(InventoryError) as exc:
        services.set_safety_stock(location=store, variant=stocked, safety_stock=-1)
    assert exc.value.code == "invalid_quantity"


def test_a_person_releasing_a_hold_is_audited(store, stocked, associate):
    services.reserve_stock(lines=[(stocked, 1)], location=store, reference="order:12")
    services.release_reservations(reference="order:12", actor=associate)
    event = AuditEvent.objects.get(action="reservation.released")
    assert (event.actor, event.details) == (associate, {"references": ["order:12"]})


def test_back_in_stock_is_announced_after_commit_only_when_still_sellable(
    store, variant, django_capture_on_commit_callbacks
):
    # given a listener
    heard = []

    def listener(sender, pairs, **kwargs):
        heard.append(pairs)

    stock_back_in_stock.connect(listener)
    try:
        # when a return is restocked and written off as damaged in one transaction
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            services.restock_return(location=store, lines=[(variant, 1)], reference="rma:1")
            services.adjust_stock(location=store, variant=variant, quantity=-1, reason="torn", kind="damage")
        # then nobody is told
        assert heard == []
        # when a delivery arrives
        with django_capture_on_commit_callbacks(execute=True):
            services.receive_stock(location=store, lines=[(variant, 3)], reference="PO")
        # then it is announced once
        assert heard == [[(variant.pk, store.pk)]]
    finally:
        stock_back_in_stock.disconnect(listener)


def test_a_till_sale_beyond_the_ledger_books_the_found_units_then_the_sale(store, stocked, associate):
    # given 10 on hand and a till that sold 12 (the ledger missed 2 units)
    # when the sale is recorded
    movements = services.record_sale(location=store, lines=[(stocked, 12)], reference="POS-R-1", actor=associate)
    # then the sale is not refused: 2 units are booked as found stock, then 12 sold, shelf at 0
    assert [(m.kind, m.quantity) for m in movements] == [("sale", -12)]
    found = StockMovement.objects.get(reference="POS-R-1", kind="adjustment")
    assert found.quantity == 2 and "count this SKU" in found.note
    assert level(stocked, store).on_hand == 0
    assert ledger_drift() == []


def test_a_pickup_movement_still_refuses_units_that_are_not_there(store, stocked):
    with pytest.raises(InventoryError) as exc:
        services.record_sale(location=store, lines=[(stocked, 11)], reference="x", kind="pickup")
    assert exc.value.code == "insufficient_stock"
    assert level(stocked, store).on_hand == 10
