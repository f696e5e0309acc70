"""Webhooks (issue 20): what writing events costs the checkout.

The target: checkout p95 with events written (order.placed, stock.changed coalesced) and webhook
subscriptions to every type is at most 10% above the same checkout with event writing switched
off (WEBHOOKS_RECORD_EVENTS=False). Fan-out and delivery run in the Celery worker, after the
commit, so they are not part of the request; what the request pays is the event row, its outbox
message, the stock upsert and the publish of the outbox task. Run both, interleaved:

    .venv/bin/python -m benchmarks.run --only webhooks.checkout_events_off webhooks.checkout_events_on --repeat 3
"""

from django.test import override_settings

from benchmarks.context import ScenarioContext
from benchmarks.registry import scenario
from benchmarks.scenarios.orders import _cleanup, pickup_checkout

URL = "https://hooks{}.bench-webhooks.invalid/omnistore"


def _subscribe(n: int = 3) -> None:
    from webhooks.events import EVENT_TYPES
    from webhooks.models import Subscription
    from webhooks.services import create_subscription

    Subscription.objects.filter(url__contains="bench-webhooks").delete()
    for i in range(n):
        create_subscription(name=f"Bench {i}", url=URL.format(i), event_types=list(EVENT_TYPES), actor=None)


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
