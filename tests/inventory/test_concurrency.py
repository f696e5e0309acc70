"""Real concurrent connections on PostgreSQL: every thread opens its own connection."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from inventory import services
from inventory.errors import InventoryError
from inventory.models import Reservation, StockLevel
from inventory.selectors import ledger_drift
from tests.factories import StoreFactory
from tests.inventory.factories import VariantFactory

pytestmark = pytest.mark.django_db(transaction=True)


def run_concurrently(calls, *, timeout=60):
    """Start every call at the same moment, each in its own thread and connection; return outcomes."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def worker(index, call):
        try:
            barrier.wait(timeout=timeout)
            outcomes[index] = ("ok", call())
        except InventoryError as exc:
            outcomes[index] = ("error", exc.code)
        except Exception as exc:  # noqa: BLE001 — a deadlock or crash must show up in the assertion
            outcomes[index] = ("crash", repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(t.is_alive() for t in threads), "a worker hung"
    return outcomes


def test_fifty_shoppers_race_for_the_last_five_units():
    # given 5 units left of a SKU
    store = StoreFactory(code="RACE-1")
    variant = VariantFactory()
    services.receive_stock(location=store, lines=[(variant, 5)], reference="PO-race")
    # when 50 connections each try to reserve one at the same moment
    outcomes = run_concurrently(
        [
            lambda i=i: services.reserve_stock(lines=[(variant.sku, 1)], location=store, reference=f"cart:{i}")
            for i in range(50)
        ]
    )
    # then exactly 5 win and 45 get a clean insufficient_stock
    assert sorted(o[0] for o in outcomes).count("ok") == 5
    assert [o for o in outcomes if o[0] != "ok"] == [("error", "insufficient_stock")] * 45
    level = StockLevel.objects.get(variant=variant, location=store)
    assert (level.on_hand, level.reserved, level.available) == (5, 5, 0)
    assert Reservation.objects.filter(variant=variant, status="active").count() == 5
    assert ledger_drift() == []


def test_two_skus_reserved_in_opposite_order_do_not_deadlock():
    # given two SKUs with plenty of stock
    store = StoreFactory(code="RACE-2")
    a, b = VariantFactory(), VariantFactory()
    services.receive_stock(location=store, lines=[(a, 100), (b, 100)], reference="PO-ab")
    # when 20 requests ask for (a, b) and 20 for (b, a) at once
    calls = []
    for i in range(40):
        lines = [(a.sku, 1), (b.sku, 1)] if i % 2 else [(b.sku, 1), (a.sku, 1)]
        calls.append(lambda lines=lines, i=i: services.reserve_stock(lines=lines, location=store, reference=f"o:{i}"))
    outcomes = run_concurrently(calls)
    # then all succeed (no deadlock error) and both levels carry 40 reserved
    assert [o[0] for o in outcomes] == ["ok"] * 40, outcomes
    assert list(
        StockLevel.objects.filter(location=store).order_by("variant_id").values_list("reserved", flat=True)
    ) == [
        40,
        40,
    ]


def test_two_skus_consumed_in_opposite_order_do_not_deadlock():
    # given 20 orders, each holding a and b; half are handed over listing b first
    store = StoreFactory(code="RACE-3")
    a, b = VariantFactory(), VariantFactory()
    services.receive_stock(location=store, lines=[(a, 50), (b, 50)], reference="PO-ab")
    held = [services.reserve_stock(lines=[(a, 1), (b, 1)], location=store, reference=f"o:{i}") for i in range(20)]
    calls = []
    for i, pair in enumerate(held):
        ids = [r.pk for r in (pair if i % 2 else reversed(pair))]
        calls.append(lambda ids=ids: services.consume_reservations(ids=ids, kind="pickup"))
    # when
    outcomes = run_concurrently(calls)
    # then
    assert [o[0] for o in outcomes] == ["ok"] * 20, outcomes
    levels = StockLevel.objects.filter(location=store)
    assert {(lv.on_hand, lv.reserved) for lv in levels} == {(30, 0)}
    assert ledger_drift() == []


@pytest.mark.parametrize(
    "racers",
    [
        ("consume", "consume"),
        ("consume", "release"),
        ("release", "expire"),
        ("consume", "expire"),
        ("expire", "expire"),
    ],
)
def test_a_reservation_is_closed_once_when_two_workers_race(racers):
    # given one reservation of 3 units that is already due
    store = StoreFactory(code="RACE-4")
    variant = VariantFactory()
    services.receive_stock(location=store, lines=[(variant, 10)], reference="PO")
    (reservation,) = services.reserve_stock(
        lines=[(variant, 3)], location=store, reference="order:1", ttl=timedelta(seconds=1)
    )
    later = timezone.now() + timedelta(minutes=1)
    actions = {
        "consume": lambda: services.consume_reservation(reservation=reservation.pk),
        "release": lambda: services.release_reservation(reservation=reservation.pk),
        "expire": lambda: services.expire_due_reservations(now=later),
    }
    # when two workers close it at the same moment
    outcomes = run_concurrently([actions[racers[0]], actions[racers[1]]])
    # then exactly one closed it; the other was told or found nothing due
    closed = [o for o in outcomes if o[0] == "ok" and o[1] not in (0,)]
    assert len(closed) == 1, outcomes
    assert all(o in (("error", "reservation_closed"), ("ok", 0)) for o in outcomes if o not in closed), outcomes
    level = StockLevel.objects.get(variant=variant, location=store)
    reservation.refresh_from_db()
    assert level.reserved == 0
    assert level.on_hand == (7 if reservation.status == "consumed" else 10)
    assert ledger_drift() == []


def test_mixed_operations_racing_on_one_sku_keep_every_invariant():
    # given 12 units at a store, an open transfer request for 3 of them, and 2 already reserved
    store, elsewhere = StoreFactory(code="RACE-5"), StoreFactory(code="RACE-6")
    variant = VariantFactory()
    services.receive_stock(location=store, lines=[(variant, 12)], reference="PO")
    transfer = services.request_transfer(from_location=store, to_location=elsewhere, lines=[(variant, 3)])
    (held,) = services.reserve_stock(lines=[(variant, 2)], location=store, reference="order:held")
    calls = [
        lambda i=i: services.reserve_stock(lines=[(variant, 1)], location=store, reference=f"c:{i}") for i in range(8)
    ]
    calls += [
        lambda i=i: services.record_sale(location=store, lines=[(variant, 1)], reference=f"pos:{i}") for i in range(4)
    ]
    calls += [
        lambda: services.ship_transfer(transfer=transfer.pk),
        lambda: services.adjust_stock(location=store, variant=variant, quantity=-1, reason="torn", kind="damage"),
        lambda: services.consume_reservation(reservation=held.pk, kind="pickup"),
        lambda: services.count_stock(location=elsewhere, counts={variant.sku: 0}),
    ]
    # when all run at once
    outcomes = run_concurrently(calls)
    # then nothing crashed or deadlocked; refusals are clean; the books balance
    assert not [o for o in outcomes if o[0] == "crash"], outcomes
    assert {o[1] for o in outcomes if o[0] == "error"} <= {"insufficient_stock"}
    level = StockLevel.objects.get(variant=variant, location=store)
    active = sum(Reservation.objects.filter(location=store, status="active").values_list("quantity", flat=True))
    assert level.on_hand >= 0 and level.reserved == active
    # no unit promised twice: promises exceed the shelf only by units that left it without a
    # reservation (a till sale or damage is recorded as it happened; the level then shows `short`)
    off_shelf = sum(1 for o in outcomes[8:12] if o[0] == "ok") + (outcomes[13][0] == "ok")
    assert level.reserved <= level.on_hand + off_shelf
    assert level.short == max(0, level.reserved - level.on_hand)
    assert ledger_drift() == []
