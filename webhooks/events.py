"""The events other systems can subscribe to, and how a service records one.

A service calls `record_event(type=..., data=..., key=...)` inside its own transaction: the Event
row and an outbox message commit (or roll back) with the change. Stock changes are coalesced:
`record_coalesced(type="stock.changed", keys=[...])` keeps one open event per SKU and location;
the outbox seals it WEBHOOKS_COALESCE_SECONDS later with the level as it is then (the data comes
from a builder the owning app registers, so this app imports no other).

The envelope every receiver gets, and the feed serves:
    {"id": "evt_<32 hex>", "type": "order.placed", "version": 1, "occurred_at": "...", "data": {...}}
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from retail.outbox import handler_for, lease
from retail.services import dispatch_outbox_message
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
        EventType("giftcard.changed", 1, "A gift card's balance changed (issued, redeemed, refunded to, expired)."),
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
        raise WebhookError(
            _("No event type %(type)s.") % {"type": repr(type)}, code=WebhookCode.UNKNOWN_EVENT_TYPE
        ) from None


def coalesce_window() -> timedelta:
    return timedelta(seconds=settings.WEBHOOKS_COALESCE_SECONDS)


# The events and their one outbox message in one statement (a checkout's statement budget is 40).
# The outbox row is what retail.services.enqueue_outbox_message writes; it is dispatched the same way.
EVENTS_SQL = """
    WITH event AS (
        INSERT INTO webhooks_event (uid, type, version, occurred_at, data, key, sealed, changes)
        SELECT gen_random_uuid(), t, v, %(now)s, d::jsonb, k, true, 1
        FROM unnest(%(types)s::text[], %(versions)s::int[], %(datas)s::text[], %(keys)s::text[])
             WITH ORDINALITY AS x(t, v, d, k, n)
        ORDER BY n
        RETURNING id, uid
    ),
    message AS (
        INSERT INTO retail_outboxmessage (topic, payload, status, attempts, available_at, created_at, last_error)
        SELECT %(topic)s, jsonb_build_object('events', jsonb_agg(id ORDER BY id)), 'pending', 0, %(available)s,
               %(now)s, ''
        FROM event HAVING count(*) > 0
        RETURNING id
    )
    SELECT event.id, event.uid, (SELECT id FROM message) FROM event ORDER BY event.id
"""
COALESCE_SQL = """
    WITH touched AS (
        INSERT INTO webhooks_event (uid, type, version, occurred_at, data, key, sealed, changes)
        SELECT gen_random_uuid(), %(type)s, %(version)s, %(now)s, '{}'::jsonb, k, false, 1
        FROM unnest(%(keys)s::text[]) AS k ORDER BY k
        ON CONFLICT (key) WHERE NOT sealed DO UPDATE SET changes = webhooks_event.changes + 1
        RETURNING id, (xmax = 0) AS inserted
    ),
    opened AS (SELECT id FROM touched WHERE inserted),
    message AS (
        INSERT INTO retail_outboxmessage (topic, payload, status, attempts, available_at, created_at, last_error)
        SELECT %(topic)s, jsonb_build_object('events', jsonb_agg(id ORDER BY id)), 'pending', 0, %(available)s,
               %(now)s, ''
        FROM opened HAVING count(*) > 0
        RETURNING id
    )
    SELECT (SELECT array_agg(id ORDER BY id) FROM opened), (SELECT id FROM message)
"""


def _dispatch_after_commit(message_id: int | None, delay: timedelta | None = None) -> None:
    if message_id is not None:
        countdown = delay.total_seconds() if delay else None
        transaction.on_commit(
            lambda: dispatch_outbox_message(message_id=message_id, attempt=0, countdown=countdown or None)
        )


def record_event(*, type: str, data: dict, key: str = "") -> Event | None:
    """Record one event in the caller's transaction (it must be inside one with the change)."""
    spec_for(type)
    if not settings.WEBHOOKS_RECORD_EVENTS:
        return None
    return record_events([(type, data, key)])[0]


def record_events(items: list[tuple[str, dict, str]]) -> list[Event]:
    """Record events (type, data, key) and their outbox message with one statement."""
    if not items or not settings.WEBHOOKS_RECORD_EVENTS:
        return []
    handler_for(EVENTS_TOPIC)
    now = timezone.now()
    versions = [spec_for(type).version for type, _, _ in items]
    params = {
        "now": now,
        "available": now + lease(),
        "topic": EVENTS_TOPIC,
        "types": [type for type, _, _ in items],
        "versions": versions,
        "datas": [json.dumps(data, cls=DjangoJSONEncoder) for _, data, _ in items],
        "keys": [key[:80] for _, _, key in items],
    }
    with connection.cursor() as cursor:
        cursor.execute(EVENTS_SQL, params)
        rows = cursor.fetchall()
    events = []
    for (type, data, key), version, (pk, uid, _row) in zip(items, versions, rows, strict=True):
        event = Event(pk=pk, uid=uid, type=type, version=version, occurred_at=now, data=data, key=key[:80])
        event._state.adding, event._state.db = False, connection.alias
        events.append(event)
    _dispatch_after_commit(rows[0][2])
    return events


def record_coalesced(*, type: str, keys: list[str]) -> list[int]:
    """Note a change of each key; opens one event per key not already open. One statement.

    The open event's row is locked until the caller commits, so the seal (which locks it first)
    reads the data after this change is visible. Returns the ids of the events opened.
    """
    spec = spec_for(type)
    if not keys or not settings.WEBHOOKS_RECORD_EVENTS:
        return []
    handler_for(EVENTS_TOPIC)
    now, delay = timezone.now(), coalesce_window()
    params = {
        "type": type,
        "version": spec.version,
        "now": now,
        "keys": sorted(set(keys)),
        "topic": EVENTS_TOPIC,
        "available": now + delay + lease(),
    }
    with connection.cursor() as cursor:
        cursor.execute(COALESCE_SQL, params)
        opened, message_id = cursor.fetchone()
    _dispatch_after_commit(message_id, delay)
    return opened or []


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
