"""Availability has one home: StockLevel.available, a column the database computes from on_hand,
reserved and safety_stock. Every reader (ORM, raw SQL, seeds, insights) reads the column; the
formula is written nowhere else; levels changed in memory read the same number."""

import re
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inventory import services
from inventory.ledger import Kind, lock_levels, post_movement, save_levels_and_movements
from inventory.models import StockLevel

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("retail", "webhooks", "inventory", "customers", "orders", "insights", "benchmarks")
HOME = ROOT / "inventory" / "models" / "stock.py"

# on_hand less reserved less safety stock, in Python, SQL or ORM lookups, in either order:
#   on_hand - reserved - safety_stock · F("on_hand") - F("reserved") - F("safety_stock")
#   on_hand__lte=F("reserved") + F("safety_stock") · reserved + safety_stock >= on_hand
_NAME = r"[\w.\"'()\[\]]*"
FORMULA = re.compile(
    rf"on_hand{_NAME}\s*(?:__\w+\s*=|[-<>=]+)\s*{_NAME}reserved{_NAME}\s*[-+]\s*{_NAME}safety"
    rf"|reserved{_NAME}\s*\+\s*{_NAME}safety\w*{_NAME}\s*[<>=]+\s*{_NAME}on_hand",
)


def formula_lines(source: str) -> list[int]:
    return [n for n, line in enumerate(source.splitlines(), start=1) if FORMULA.search(line)]


def test_the_availability_formula_is_written_only_in_its_home():
    # given every module of the apps and benchmarks but the home and the migrations (history, frozen)
    found = []
    for app in SCANNED:
        for path in sorted((ROOT / app).rglob("*.py")):
            if path == HOME or "migrations" in path.parts:
                continue
            found += [f"{path.relative_to(ROOT)}:{line}" for line in formula_lines(path.read_text())]

    # then
    assert found == [], "read StockLevel.available (sl.available in SQL) instead: " + ", ".join(found)


@pytest.mark.parametrize(
    "source",
    [
        "return max(0, self.on_hand - self.reserved - self.safety_stock)",
        'available = "GREATEST(sl.on_hand - sl.reserved - sl.safety_stock, 0)"',
        'return Greatest(F("on_hand") - F("reserved") - F("safety_stock"), Value(0))',
        'stockouts=Count("pk", filter=Q(on_hand__lte=F("reserved") + F("safety_stock"))),',
        '.filter(on_hand__gte=F("reserved") + F("safety_stock") + 4)',
        '"available": max(0, on_hand - reserved - safety),',
        "WHERE sl.reserved + sl.safety_stock < sl.on_hand",
    ],
)
def test_the_scan_finds_the_formula(source):
    assert formula_lines(source) == [1]


@pytest.mark.parametrize(
    "source",
    [
        '"variant_id", "location_id", "on_hand", "reserved", "safety_stock", "available"',
        "free = max(0, level.on_hand - level.reserved) if level else 0",  # a transfer may ship safety stock
        "WHERE sl.available > 0",
        'fields = ["location", "on_hand", "reserved", "safety_stock", "last_counted_at"]',
    ],
)
def test_the_scan_leaves_other_code_alone(source):
    assert formula_lines(source) == []


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    on_hand=st.integers(min_value=0, max_value=50),
    reserved=st.integers(min_value=0, max_value=50),
    safety=st.integers(min_value=0, max_value=50),
)
def test_the_column_the_orm_the_sql_and_a_level_in_memory_agree(stocked, store, on_hand, reserved, safety):
    # given a level with any figures (reserved may exceed on_hand after a count)
    level = StockLevel.objects.get(variant=stocked, location=store)
    StockLevel.objects.filter(pk=level.pk).update(on_hand=on_hand, reserved=reserved, safety_stock=safety)

    # when it is read every way
    orm = StockLevel.objects.get(pk=level.pk).available
    with connection.cursor() as cursor:
        cursor.execute("SELECT available FROM inventory_stocklevel WHERE id = %s", [level.pk])
        (raw,) = cursor.fetchone()
    level.on_hand, level.reserved, level.safety_stock = on_hand, reserved, safety
    level.recompute_available()

    # then
    assert orm == raw == level.available == max(0, on_hand - reserved - safety)
    assert StockLevel.objects.filter(pk=level.pk, available__gt=0).exists() == (orm > 0)


@pytest.mark.django_db
def test_a_level_saved_in_bulk_or_by_save_holds_its_new_availability_in_memory(stocked, store):
    # given 10 on hand at the store
    level = StockLevel.objects.get(variant=stocked, location=store)
    assert level.available == 10

    # when the ledger sells 4 (bulk_update reads nothing back) ...
    with transaction.atomic():
        locked = lock_levels([(stocked.pk, store.pk)])[(stocked.pk, store.pk)]
        sale = post_movement(
            locked, kind=Kind.SALE, quantity=-4, actor=None, reference="T-1", note="", now=timezone.now()
        )
        save_levels_and_movements([locked], [sale], ["on_hand"])
    # ... and the safety stock is raised (save with update_fields)
    raised = services.set_safety_stock(location=store, variant=stocked, safety_stock=3)

    # then each level in memory says what the column says
    assert locked.available == 6
    assert raised.available == 3 == StockLevel.objects.get(pk=level.pk).available
