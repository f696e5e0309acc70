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
