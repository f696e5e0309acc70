"""The webhooks benchmark compares the same checkout with event writing off and on (issue 20)."""

import pytest

from benchmarks.build import ensure_dataset
from benchmarks.harness import run_benchmark
from benchmarks.registry import discover
from benchmarks.scales import get_scale
from retail.models import OutboxMessage

TINY = get_scale("tiny")
NAMES = ["webhooks.checkout_events_off", "webhooks.checkout_events_on"]


@pytest.fixture
def registry():
    return discover()


@pytest.fixture
def tiny_dataset(db, registry):
    return ensure_dataset(scale=TINY, registry=registry, log=lambda message: None)


def test_the_checkout_writes_its_events_only_when_switched_on(tiny_dataset, registry):
    # when both scenarios run a few calls at the tiny scale
    before = OutboxMessage.objects.filter(topic="webhooks.events").count()
    run = run_benchmark(scale=TINY, registry=registry, names=NAMES, calls=4, warmup=1, log=lambda message: None)
    off, on = (next(r for r in run.results if r.name == name) for name in NAMES)
    # then both measured, and writing the events costs each checkout two statements (the order.placed
    # event with its outbox message; the stock upsert, with its outbox message when a window opens)
    assert off.error is None and on.error is None, (off.error, on.error)
    assert [b - a for a, b in zip(off.queries, on.queries, strict=True)] == [2, 2, 2, 2], (off.queries, on.queries)
    assert max(on.queries) <= 40
    assert OutboxMessage.objects.filter(topic="webhooks.events").count() > before


UNDER_LOAD = ["webhooks.checkout_under_events_off", "webhooks.checkout_under_events_on"]


@pytest.fixture
def committed_tiny_dataset(registry):
    """The tiny dataset committed, so that the load's child processes see it; the builders' marker
    table is not a model's and is not flushed after the test: it is dropped (see test_load.py)."""
    from django.db import connection

    from benchmarks.build import MARKER_TABLE

    def drop_markers():
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {MARKER_TABLE}")

    drop_markers()
    yield ensure_dataset(scale=TINY, registry=registry, log=lambda message: None)
    drop_markers()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_checkout_under_the_event_load_runs_off_and_on_and_leaves_nothing(committed_tiny_dataset, registry):
    from customers.models import Customer
    from inventory.models import StockLevel, Variant
    from orders.models import Order
    from retail.models import PosDevice
    from webhooks.models import Delivery, Event, Subscription

    counted = (Order, Customer, Variant, StockLevel, PosDevice, Event, Delivery, Subscription)
    before = {model.__name__: model.objects.count() for model in counted}

    # when only the "on" scenario is asked for (its baseline comes with it), a few calls at tiny
    run = run_benchmark(scale=TINY, registry=registry, names=UNDER_LOAD[1:], calls=3, warmup=1, log=lambda m: None)

    # then both ran, with the load's child processes writing changes beside the checkout
    off, on = (next(r for r in run.results if r.name == name) for name in UNDER_LOAD)
    assert off.error is None and on.error is None, (off.error, on.error)
    (off_notes,), (on_notes,) = off.notes, on.notes
    for notes in (off_notes, on_notes):
        assert notes["errors"] == 0, notes
        assert notes["receipts_per_s"] > 0 and notes["delivery_lines_per_s"] > 0, notes
        assert notes["profile_changes_per_s"] > 0, notes
    # events were written only with the switch on, and fanned out to the filtered subscriptions
    assert off_notes["events"] == "off" and off_notes["events_per_s"] == 0, off_notes
    assert on_notes["events"] == "on" and on_notes["events_per_s"] > 0, on_notes
    assert on_notes["deliveries_per_s"] > 0, on_notes
    # the report compares the two
    assert on.compare_with == off.name and on.compared_ratio is not None
    assert on.to_dict()["ratio_p95_to_compared"] == round(on.compared_ratio, 3)
    # and the load left nothing behind: its orders, stock, tills, shoppers, events, subscriptions
    after = {model.__name__: model.objects.count() for model in counted}
    assert after == before
    assert not Order.objects.filter(receipt_number__startswith="BENCHEVT").exists()
