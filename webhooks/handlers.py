"""Outbox handlers of the webhooks app.

`webhooks.events`: seal coalesced events (their data read now, once the window is over) and fan
each event out to the subscriptions of its type as Delivery rows, committed with the outbox's
`delivered` mark; each subscription's delivery task is queued after that commit.
`webhooks.alert`: tell head office by email that a subscription was paused.
"""

import json

from django.conf import settings
from django.core.mail import send_mail
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from retail.messages import spoken
from retail.models import User
from retail.outbox import outbox_handler
from retail.selectors import head_office_language, supported_language
from webhooks.events import EVENTS_TOPIC, builder_for
from webhooks.models import Delivery, Event, Subscription

ALERT_TOPIC = "webhooks.alert"


SEAL_SQL = """
    UPDATE webhooks_event AS event SET sealed = true, data = sealed.data, occurred_at = %s
    FROM unnest(%s::bigint[], %s::jsonb[]) AS sealed(id, data)
    WHERE event.id = sealed.id
"""


def seal_events(ids: list[int]) -> None:
    """Seal the open events among `ids` with their data as of now.

    Locks them in key order, as `record_coalesced` does, so a stock change in flight commits
    first and its effect is in the data read here. One statement seals them all (a window of a
    busy chain closes hundreds of SKUs at once).
    """
    locked = Event.objects.select_for_update().filter(pk__in=ids, sealed=False).order_by("key")
    open_events = list(locked.values_list("pk", "type", "key"))
    now = timezone.now()
    by_type: dict[str, list[tuple[int, str]]] = {}
    for pk, type_, key in open_events:
        by_type.setdefault(type_, []).append((pk, key))
    sealed_ids, datas, gone = [], [], []
    for type_, events in by_type.items():
        data = builder_for(type_)([key for _, key in events])
        for pk, key in events:
            if key in data:
                sealed_ids.append(pk)
                datas.append(json.dumps(data[key], cls=DjangoJSONEncoder))
            else:
                gone.append(pk)
    if gone:
        Event.objects.filter(pk__in=gone).delete()
    if sealed_ids:
        with connection.cursor() as cursor:
            cursor.execute(SEAL_SQL, [now, sealed_ids, datas])


def fan_out(ids: list[int]) -> list[int]:
    """Create the deliveries of these (sealed) events; returns the subscriptions to deliver for."""
    events = list(Event.objects.filter(pk__in=ids, sealed=True).values_list("pk", "type"))
    if not events:
        return []
    types = sorted({t for _, t in events})
    subscriptions = list(Subscription.objects.filter(event_types__overlap=types).values_list("pk", "event_types"))
    now = timezone.now()
    rows = [
        Delivery(subscription_id=sub, event_id=pk, next_attempt_at=now, created_at=now)
        for pk, type_ in events
        for sub, wanted in subscriptions
        if type_ in wanted
    ]
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    return sorted({row.subscription_id for row in rows})


FEED_LOCK = 20_2026_12  # pg_advisory_xact_lock key: one publisher at a time gives out feed positions
POSITIONS_SQL = """
    UPDATE webhooks_event AS event SET position = numbered.position
    FROM (
        SELECT id, (SELECT coalesce(max(position), 0) FROM webhooks_event) + row_number() OVER (ORDER BY id) AS position
        FROM webhooks_event WHERE id = ANY(%s) AND sealed AND position IS NULL
    ) AS numbered
    WHERE event.id = numbered.id
"""


def assign_positions(ids: list[int]) -> None:
    """Give these sealed events the next feed positions, in id order.

    Takes a transaction-level lock held until the caller commits: the next publisher reads the
    maximum only after this one's positions are visible, so positions commit in increasing order.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [FEED_LOCK])
        cursor.execute(POSITIONS_SQL, [ids])


@outbox_handler(EVENTS_TOPIC)
def publish_events(message) -> None:
    from webhooks.delivery import dispatch  # delivery imports this module (ALERT_TOPIC)

    ids = [int(pk) for pk in message.payload.get("events", [])]
    seal_events(ids)
    for subscription_id in fan_out(ids):
        transaction.on_commit(lambda subscription_id=subscription_id: dispatch(subscription_id))
    assign_positions(ids)  # last: the lock is held only from here to the commit


def alert_recipients() -> dict[str, list[str]]:
    """Who is told, by language: the configured addresses (in the language of the staff user with that
    address, if any) or every active superuser; a user's own language, else head office's."""
    if settings.WEBHOOKS_ALERT_EMAILS:
        emails = list(settings.WEBHOOKS_ALERT_EMAILS)
        users = User.objects.filter(is_active=True, email__in=emails)
    else:
        users = User.objects.filter(is_active=True, is_superuser=True).exclude(email="")
        emails = []
    chosen = dict(users.order_by("-is_superuser", "pk").values_list("email", "language"))
    emails = emails or list(chosen)
    by_language: dict[str, list[str]] = {}
    default = None
    for email in emails:
        language = chosen.get(email)
        if language:
            language = supported_language(language)
        else:
            default = default or head_office_language()
            language = default
        by_language.setdefault(language, []).append(email)
    return by_language


@outbox_handler(ALERT_TOPIC)
def alert_head_office(message) -> None:
    payload = message.payload
    for language, recipients in alert_recipients().items():
        with translation.override(language):
            reason = spoken(payload.get("message"), payload.get("reason", ""))
            send_mail(
                subject=_("Webhook subscription paused: %(name)s") % {"name": payload.get("name", "")},
                message=_(
                    "Omnistore stopped sending webhooks to %(url)s.\n\n%(reason)s\n\n"
                    "Events keep queueing for it. Fix the receiver, then resume the subscription in the admin "
                    "(Integrations > Subscriptions); it is sent everything it missed, in order."
                )
                % {"url": payload.get("url", ""), "reason": reason},
                from_email=None,
                recipient_list=recipients,
            )
