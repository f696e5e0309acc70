"""The events other systems can subscribe to, and how a service records one.

A service calls `record_event(type=..., data=..., key=...)` inside its own transaction: the Event
row and an outbox message commit (or roll back) with the change. Stock changes are coalesced:
`record_coalesced(type="stock.changed", keys=[...])` keeps one open event per SKU and location;
the outbox seals it WEBHOOKS_COALESCE_SECONDS later with the level as it is then (the data comes
from a builder the owning app registers, so this app imports no other).

The envelope every receiver gets, and the feed serves:
    {"id": "evt_<32 hex>", "type": "order.placed", "version": 1, "occurred_at": "...", "data": {...}}
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, models
from django.utils import timezone

from retail.services import enqueue_outbox_message
from webhooks.errors import WebhookCode, WebhookError
from webhooks.models import Event

EVENTS_TOPIC = "webhooks.events"


@dataclass(frozen=True)
class EventType:
    name: str
    version: int
    description: str
    coalesced: bool = False


EVENT_TYPES: dict[str, EventType] = {
    t.name: t
    for t in [
        EventType("order.placed", 1, "An order was placed on any channel (app, web, store, phone, kiosk, POS)."),
        EventType("order.cancelled", 1, "An order was cancelled by the shopper or the store."),
        EventType("pickup.ready", 1, "A click-and-collect order is ready at the store."),
        EventType("pickup.collected", 1, "A pick-up was handed over at the counter."),
        EventType("pickup.expired", 1, "A pick-up was not collected within the hold window; stock released."),
        EventType("shipment.shipped", 1, "A parcel left the warehouse or store, with its carrier and tracking."),
        EventType("return.requested", 1, "A return was started (online, at the desk, or by a till)."),
        EventType("return.refunded", 1, "A return was refunded (original payment, store credit or exchange)."),
        EventType(
            "stock.changed", 1, "On hand, reserved or available changed for a SKU at a location (coalesced).", True
        ),
        EventType("customer.created", 1, "A customer profile was created."),
        EventType("customer.updated", 1, "A customer profile's details changed."),
        EventType("customer.merged", 1, "Two profiles of one person were merged (or a merge was undone)."),
        EventType("customer.erased", 1, "A customer's personal data was erased; carries no personal data."),
        EventType("storecredit.changed", 1, "A customer's store credit balance changed."),
    ]
}
EVENT_TYPE_CHOICES = [(name, name) for name in EVENT_TYPES]
# The choice set the API and its schema use (named EventTypeEnum there, by retail.api.enums).
Type = models.TextChoices("Type", [(name.upper().replace(".", "_"), (name, name)) for name in EVENT_TYPES])

# Builders of coalesced events' data, registered by the app that owns the data:
# builder(keys) -> {key: data}; a key it leaves out is dropped (its object is gone).
_builders: dict[str, Callable[[list[str]], dict[str, dict]]] = {}


def event_data_builder(type: str):
    def register(func):
        _builders[type] = func
        return func

    return register


def builder_for(type: str) -> Callable[[list[str]], dict[str, dict]]:
    return _builders[type]


def spec_for(type: str) -> EventType:
    try:
        return EVENT_TYPES[type]
    except KeyError:
        raise WebhookError(f"No event type {type!r}.", code=WebhookCode.UNKNOWN_EVENT_TYPE) from None


def coalesce_window() -> timedelta:
    return timedelta(seconds=settings.WEBHOOKS_COALESCE_SECONDS)


def record_event(*, type: str, data: dict, key: str = "") -> Event:
    """Record one event in the caller's transaction (it must be inside one with the change)."""
    spec = spec_for(type)
    event = Event.objects.create(type=type, version=spec.version, occurred_at=timezone.now(), data=data, key=key[:80])
    enqueue_outbox_message(topic=EVENTS_TOPIC, payload={"events": [event.pk]})
    return event


def record_events(items: list[tuple[str, dict, str]]) -> list[Event]:
    """Record several events (type, data, key) with two statements: a batch of till sales."""
    if not items:
        return []
    now = timezone.now()
    events = Event.objects.bulk_create(
        Event(type=type, version=spec_for(type).version, occurred_at=now, data=data, key=key[:80])
        for type, data, key in items
    )
    enqueue_outbox_message(topic=EVENTS_TOPIC, payload={"events": [e.pk for e in events]})
    return events


COALESCE_SQL = """
    INSERT INTO webhooks_event (uid, type, version, occurred_at, data, key, sealed, changes)
    SELECT gen_random_uuid(), %s, %s, %s, '{}'::jsonb, k, false, 1 FROM unnest(%s::text[]) AS k ORDER BY k
    ON CONFLICT (key) WHERE NOT sealed DO UPDATE SET changes = webhooks_event.changes + 1
    RETURNING id, (xmax = 0) AS inserted
"""


def record_coalesced(*, type: str, keys: list[str]) -> list[int]:
    """Note a change of each key; opens one event per key not already open. One statement.

    The open event's row is locked until the caller commits, so the seal (which locks it first)
    reads the data after this change is visible. Returns the ids of the events opened.
    """
    spec = spec_for(type)
    if not keys:
        return []
    with connection.cursor() as cursor:
        cursor.execute(COALESCE_SQL, [type, spec.version, timezone.now(), sorted(set(keys))])
        opened = [pk for pk, inserted in cursor.fetchall() if inserted]
    if opened:
        enqueue_outbox_message(topic=EVENTS_TOPIC, payload={"events": opened}, delay=coalesce_window())
    return opened


def scrub_events(*, key: str, types: list[str], data: dict) -> int:
    """Replace the data of earlier events about something (personal data of an erased customer)."""
    return Event.objects.filter(key=key, type__in=types).update(data=data)


def envelope(event: Event) -> dict:
    """The versioned JSON shape of one event (webhook body and feed item)."""
    return {
        "id": event.public_id,
        "type": event.type,
        "version": event.version,
        "occurred_at": event.occurred_at.isoformat().replace("+00:00", "Z"),
        "data": event.data,
    }
