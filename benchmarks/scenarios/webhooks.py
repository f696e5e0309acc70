"""Webhooks (issue 20): what writing events costs the checkout.

The target: checkout p95 with events written (order.placed, stock.changed coalesced) and webhook
subscriptions to every type is at most 10% above the same checkout with event writing switched
off (WEBHOOKS_RECORD_EVENTS=False). Fan-out and delivery run in the Celery worker, after the
commit, so they are not part of the request; what the request pays is the event row, its outbox
message, the stock upsert and the publish of the outbox task. Run both, interleaved:

    .venv/bin/python -m benchmarks.run --only webhooks.checkout_events_off webhooks.checkout_events_on --repeat 3

The issue's claim is about a busy chain: `webhooks.checkout_under_events_{off,on}` measure the
same checkout while `benchmarks.event_load` writes ~1,000 events/s of tills' receipts, deliveries
and profile changes in other processes (with the worker's sealing and fan-out to four filtered
subscriptions), the same paced changes in both and events written only in the second. Each
round's achieved rates are in the report's NOTE lines; the VS line is p95 on / p95 off:

    .venv/bin/python -m benchmarks.run --only webhooks.checkout_under_events_on --repeat 3
"""

import time

from django.test import override_settings

from benchmarks import event_load
from benchmarks.context import ScenarioContext
from benchmarks.registry import scenario
from benchmarks.scenarios.orders import _cleanup, pickup_checkout

URL = "https://hooks{}.bench-webhooks.invalid/omnistore"
# The systems around the store, each with the event types it takes (the load's subscriptions).
SUBSCRIBERS = {
    "Web shop": ["stock.changed", "order.placed", "order.cancelled", "pickup.ready", "pickup.collected"],
    "ERP": ["order.placed", "order.cancelled", "return.refunded", "giftcard.changed", "storecredit.changed"],
    "Marketing": ["customer.created", "customer.updated", "customer.merged", "customer.erased", "order.placed"],
    "Carrier": ["shipment.shipped", "pickup.ready", "pickup.expired"],
}
LOAD_EVENTS_PER_S = 1200  # the target the background load is paced for; what it achieved is measured
LOAD_SECONDS = 300  # the load's children stop by themselves after this, whatever happens to this process


def _subscribe(n: int = 3, subscribers: dict[str, list[str]] | None = None) -> None:
    from webhooks.events import EVENT_TYPES
    from webhooks.models import Subscription
    from webhooks.services import create_subscription

    Subscription.objects.filter(url__contains="bench-webhooks").delete()
    chosen = subscribers or {f"Bench {i}": list(EVENT_TYPES) for i in range(n)}
    for i, (name, types) in enumerate(chosen.items()):
        create_subscription(name=name, url=URL.format(i), event_types=types, actor=None)


def _forget() -> None:
    from webhooks.models import Event, Subscription

    Subscription.objects.filter(url__contains="bench-webhooks").delete()
    Event.objects.filter(data__lines__0__sku__startswith="BENCHORD").delete()
    Event.objects.filter(type="stock.changed", sealed=False).delete()


def _checkout(ctx: ScenarioContext, *, events: bool):
    _cleanup()
    _forget()
    if events:
        _subscribe()
    call = pickup_checkout(ctx)
    with override_settings(WEBHOOKS_RECORD_EVENTS=events):
        yield call
    _forget()
    _cleanup()


@scenario(name="webhooks.checkout_events_off", calls=200, max_queries=40, expect_status=201)
def checkout_events_off(ctx: ScenarioContext):
    """POST /api/v1/orders/ (3 lines, pick-up) with event writing switched off: the baseline."""
    yield from _checkout(ctx, events=False)


@scenario(name="webhooks.checkout_events_on", calls=200, max_queries=40, expect_status=201)
def checkout_events_on(ctx: ScenarioContext):
    """The same checkout writing its events, with three subscriptions to every event type."""
    yield from _checkout(ctx, events=True)


def _checkout_under_load(ctx: ScenarioContext, *, events: bool, roles=event_load.ROLES):
    """The checkout measured while the background load writes its changes (benchmarks.event_load)."""
    _cleanup()
    _forget()
    event_load.cleanup()
    tiny = ctx.scale.name == "tiny"  # the harness's own test: a small load on the test database
    rate = 50 if tiny else LOAD_EVENTS_PER_S
    load = event_load.Load(events=events, mix=event_load.Mix(rate), seconds=60 if tiny else LOAD_SECONDS)
    load.mark()
    event_load.vacuum()
    _subscribe(subscribers=SUBSCRIBERS)
    event_load.prepare(skus=200 if tiny else 4000, customers=200)
    call = pickup_checkout(ctx)
    try:
        with override_settings(WEBHOOKS_RECORD_EVENTS=events):
            load.start(roles)
            time.sleep(0.5 if tiny else 2)  # the load's first operations (imports, plans) before the first timed call
            yield call
            ctx.notes.update(load.stop())
            ctx.notes["target_events_per_s"] = rate
    finally:
        if load.started and not load.reports:
            load.stop()
        event_load.forget_events(after_event=load.first_event, after_message=load.first_message)
        _forget()
        event_load.cleanup()
        _cleanup()


@scenario(name="webhooks.checkout_under_events_off", calls=200, max_queries=40, expect_status=201)
def checkout_under_events_off(ctx: ScenarioContext):
    """The pick-up checkout while tills, deliveries and profile changes run beside it, events off."""
    yield from _checkout_under_load(ctx, events=False)


@scenario(
    name="webhooks.checkout_under_events_on",
    calls=200,
    max_queries=40,
    expect_status=201,
    compare_with="webhooks.checkout_under_events_off",
    max_ratio=1.10,
)
def checkout_under_events_on(ctx: ScenarioContext):
    """The same checkout and load writing ~1,000 events/s (4 subscriptions with type filters, fan-out running)."""
    yield from _checkout_under_load(ctx, events=True)


@scenario(
    name="webhooks.checkout_under_events_written",
    calls=200,
    max_queries=40,
    expect_status=201,
    compare_with="webhooks.checkout_under_events_off",
    max_ratio=1.10,
)
def checkout_under_events_written(ctx: ScenarioContext):
    """The same, events written but the worker's share (sealing, fan-out) not on these cores.

    As when the Celery workers run on other hosts: the writers' event statements and publishes
    are measured, the publishing is not. Stock windows then stay open (a change of an open
    SKU counts into its event), so fewer event rows are written for the same changes.
    """
    yield from _checkout_under_load(ctx, events=True, roles=[r for r in event_load.ROLES if r != "publisher"])
