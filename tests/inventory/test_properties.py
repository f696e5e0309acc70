"""Random sequences of stock operations keep every invariant (hypothesis, on PostgreSQL)."""

import itertools
from datetime import timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from inventory import services
from inventory.errors import InventoryError
from inventory.models import Reservation, StockLevel, StockMovement
from tests.factories import StoreFactory
from tests.inventory.factories import VariantFactory

pytestmark = pytest.mark.django_db
_serial = itertools.count()

quantities = st.integers(min_value=-3, max_value=8)  # zero and negatives are bad input on purpose
SLOT = st.integers(min_value=0, max_value=1)


class StockMachine(RuleBasedStateMachine):
    """Two SKUs, two stores; `expected` is the on-hand figure a shop-floor tally would give."""

    def __init__(self):
        super().__init__()
        n = next(_serial)
        self.stores = [StoreFactory(code=f"P{n}-A"), StoreFactory(code=f"P{n}-B", latitude="53.48", longitude="-2.24")]
        self.variants = [VariantFactory(sku=f"P{n}-X"), VariantFactory(sku=f"P{n}-Y")]
        self.expected = {(v.pk, s.pk): 0 for v in self.variants for s in self.stores}
        self.refs = itertools.count()
        for store in self.stores:  # opening stock, so that reservations usually succeed
            services.receive_stock(location=store, lines=[(v, 12) for v in self.variants], reference="opening")
            for variant in self.variants:
                self.expected[(variant.pk, store.pk)] = 12

    def _try(self, call):
        """Bad input and refusals must raise InventoryError and change nothing."""
        before = self._snapshot()
        try:
            return call()
        except InventoryError:
            assert self._snapshot() == before
            return None

    def _snapshot(self):
        return (
            sorted(StockLevel.objects.filter(location__in=self.stores).values_list("pk", "on_hand", "reserved")),
            StockMovement.objects.filter(location__in=self.stores).count(),
            sorted(Reservation.objects.filter(location__in=self.stores).values_list("pk", "status")),
        )

    @rule(v=SLOT, s=SLOT, q=quantities)
    def receive(self, v, s, q):
        if self._try(lambda: services.receive_stock(location=self.stores[s], lines=[(self.variants[v], q)])):
            self.expected[(self.variants[v].pk, self.stores[s].pk)] += q

    @rule(v=SLOT, s=SLOT, q=quantities, q2=st.integers(min_value=0, max_value=3))
    def reserve(self, v, s, q, q2):
        lines = [(self.variants[v].sku, q)] + (
            [(self.variants[1 - v].sku, q2), (self.variants[v].sku, 1)] if q2 else []
        )
        self._try(
            lambda: services.reserve_stock(
                lines=lines, location=self.stores[s], reference=f"r{next(self.refs)}", ttl=timedelta(minutes=5)
            )
        )

    def _active(self, index):
        rows = list(Reservation.objects.filter(location__in=self.stores, status="active").order_by("pk"))
        return rows[index % len(rows)] if rows else None

    @rule(i=st.integers(min_value=0, max_value=10))
    def release(self, i):
        reservation = self._active(i)
        if reservation:
            self._try(lambda: services.release_reservation(reservation=reservation))

    @rule(i=st.integers(min_value=0, max_value=10), part=st.integers(min_value=0, max_value=3))
    def consume(self, i, part):
        reservation = self._active(i)
        if reservation is None:
            return
        quantity = min(part, reservation.quantity)
        if self._try(lambda: services.consume_reservation(reservation=reservation, quantity=quantity)) is not None:
            self.expected[(reservation.variant_id, reservation.location_id)] -= quantity

    @rule()
    def expire_everything_due(self):
        services.expire_due_reservations(now=timezone.now() + timedelta(minutes=10))

    @rule(v=SLOT, s=SLOT, q=quantities)
    def sell_off_the_shelf(self, v, s, q):
        if self._try(
            lambda: services.record_sale(location=self.stores[s], lines=[(self.variants[v], q)], reference="pos")
        ):
            # a till sale always lands; units beyond the ledger's count are booked as found first
            key = (self.variants[v].pk, self.stores[s].pk)
            self.expected[key] = max(self.expected[key] - q, 0)

    @rule(v=SLOT, s=SLOT, q=quantities)
    def adjust(self, v, s, q):
        if self._try(
            lambda: services.adjust_stock(location=self.stores[s], variant=self.variants[v], quantity=q, reason="prop")
        ):
            self.expected[(self.variants[v].pk, self.stores[s].pk)] += q

    @rule(v=SLOT, s=SLOT, counted=st.integers(min_value=0, max_value=12))
    def count(self, v, s, counted):
        services.count_stock(location=self.stores[s], counts={self.variants[v].sku: counted})
        self.expected[(self.variants[v].pk, self.stores[s].pk)] = counted

    @rule(v=SLOT, s=SLOT, q=st.integers(min_value=1, max_value=4), lost=st.integers(min_value=0, max_value=1))
    def transfer(self, v, s, q, lost):
        source, destination, variant = self.stores[s], self.stores[1 - s], self.variants[v]
        transfer = services.request_transfer(from_location=source, to_location=destination, lines=[(variant, q)])
        if self._try(lambda: services.ship_transfer(transfer=transfer)) is None:
            services.cancel_transfer(transfer=transfer)
            return
        services.receive_transfer(transfer=transfer, received={variant.sku: q - lost})
        self.expected[(variant.pk, source.pk)] -= q
        self.expected[(variant.pk, destination.pk)] += q - lost

    @invariant()
    def levels_match_ledger_tally_and_reservations(self):
        levels = {(lv.variant_id, lv.location_id): lv for lv in StockLevel.objects.filter(location__in=self.stores)}
        ledger = {
            (r["variant_id"], r["location_id"]): r["total"]
            for r in StockMovement.objects.filter(location__in=self.stores)
            .values("variant_id", "location_id")
            .annotate(total=Sum("quantity"))
        }
        held = {
            (r["variant_id"], r["location_id"]): r["total"]
            for r in Reservation.objects.filter(location__in=self.stores, status="active")
            .values("variant_id", "location_id")
            .annotate(total=Sum("quantity"))
        }
        for key, expected in self.expected.items():
            level = levels.get(key)
            assert (level.on_hand if level else 0) == expected == ledger.get(key, 0)
            if level:
                assert level.on_hand >= 0 and level.reserved >= 0
                assert level.reserved == held.get(key, 0)
                assert level.available == max(0, level.on_hand - level.reserved - level.safety_stock)


def test_random_operation_sequences_keep_every_invariant():
    run_state_machine_as_test(
        StockMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            database=None,
        ),
    )
