"""Outbox delivery: topic handlers and the at-most-once-successful delivery of one message.

A handler is `handler(message: OutboxMessage) -> None`; it raises to ask for a retry. Apps
register theirs in `<app>/handlers.py` (imported at start-up) with `@outbox_handler("topic")`.

Delivery does not depend on the broker redelivering anything (Redis only redelivers an
unacknowledged task after its visibility timeout, an hour by default):
- `attempts` is the fencing token. Every task carries the attempt it is meant to make; a
  delivery first claims that attempt in its own committed transaction (attempts + 1), so a
  duplicate task (sweep, retry, late broker redelivery) finds the number moved on and skips,
  and a handler that kills its worker still uses up an attempt (a poison message ends failed
  instead of looping forever).
- The handler then runs in a transaction holding the row lock; its database effect and the
  `delivered` mark commit together. A worker killed there rolls back to "pending".
- `available_at` is a lease: while a message is queued or being delivered it lies
  OUTBOX_LEASE_SECONDS ahead, so the periodic sweep re-sends only what nobody has touched for
  that long (a lost task, a dead worker, a broker that was down), and never floods the queue
  with copies of messages that are merely waiting their turn.
"""

import logging
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from retail.errors import RetailCode, RetailError
from retail.models import OutboxMessage

log = logging.getLogger(__name__)
_handlers: dict[str, Callable[[OutboxMessage], None]] = {}
_secrets: dict[str, tuple[str, ...]] = {}
WITHHELD = "withheld"


def outbox_handler(topic: str, *, secrets: tuple[str, ...] = ()):
    """Register the handler of a topic. `secrets` name payload keys that must not outlive the message
    (a one-time code, a gift card's number): the handler wipes them when it delivers, and a message that
    ends failed has them replaced by "withheld" in the same transaction."""

    def register(func):
        if topic in _handlers and _handlers[topic] is not func:
            raise RuntimeError(f"outbox topic {topic!r} has two handlers")
        _handlers[topic] = func
        _secrets[topic] = tuple(secrets)
        return func

    return register


def _give_up(message: OutboxMessage) -> list[str]:
    """Mark the message failed and withhold its secrets; the fields to save."""
    message.status = OutboxMessage.Status.FAILED
    keys = [key for key in _secrets.get(message.topic, ()) if key in (message.payload or {})]
    if not keys:
        return ["status"]
    message.payload = {**message.payload, **dict.fromkeys(keys, WITHHELD)}
    return ["status", "payload"]


def handler_for(topic: str) -> Callable[[OutboxMessage], None]:
    try:
        return _handlers[topic]
    except KeyError:
        raise RetailError(
            _("No outbox handler for topic %(topic)s.") % {"topic": repr(topic)}, code=RetailCode.UNKNOWN_OUTBOX_TOPIC
        ) from None


def backoff(attempts: int) -> timedelta:
    """Exponential backoff: 10 s, 20 s, 40 s ... capped at one hour."""
    return timedelta(seconds=min(3600, 10 * 2 ** max(0, attempts - 1)))


def lease() -> timedelta:
    return timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)


def _claim(*, message_id: int, attempt: int | None) -> tuple[str, int]:
    """Count the attempt and commit it before the handler runs. Returns (state, attempt number)."""
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id, status=OutboxMessage.Status.PENDING)
            .first()
        )
        if message is None or (attempt is not None and message.attempts != attempt):
            return "skipped", 0
        if message.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
            # The last attempt never reported back: its worker died in the handler.
            fields = _give_up(message)
            message.last_error = message.last_error or "The worker was lost during every attempt."
            message.save(update_fields=[*fields, "last_error"])
            log.error("outbox %s gave up after %s attempts (worker lost)", message.pk, message.attempts)
            return "failed", message.attempts
        message.attempts += 1
        message.available_at = timezone.now() + lease()
        message.save(update_fields=["attempts", "available_at"])
        return "claimed", message.attempts


def deliver_outbox_message(*, message_id: int, attempt: int | None = None) -> tuple[str, int]:
    """Hand one message to its handler. Returns (delivered / skipped / retry / failed, attempts).

    `attempt` is the number of attempts the message had when the task was sent; a task whose
    attempt was already made by someone else is skipped. None (an operator's retry) skips the check.
    """
    state, attempts = _claim(message_id=message_id, attempt=attempt)
    if state != "claimed":
        return state, attempts
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id, status=OutboxMessage.Status.PENDING, attempts=attempts)
            .first()
        )
        if message is None:
            return "skipped", attempts  # our lease ran out and the sweep handed it to someone else
        try:
            with transaction.atomic():
                handler_for(message.topic)(message)
        except Exception as exc:  # noqa: BLE001 — any handler failure is recorded and retried
            message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            fields = ["status"]
            if message.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
                fields = _give_up(message)
                log.error("outbox %s gave up after %s attempts: %s", message.pk, message.attempts, exc)
            else:
                message.available_at = timezone.now() + backoff(message.attempts)
            message.save(update_fields=[*fields, "last_error", "available_at"])
            return ("failed" if message.status == OutboxMessage.Status.FAILED else "retry"), attempts
        message.status = OutboxMessage.Status.DELIVERED
        message.delivered_at = timezone.now()
        message.save(update_fields=["status", "delivered_at"])
        return "delivered", attempts


def take_due_outbox_messages(*, limit: int = 500) -> list[tuple[int, int]]:
    """Pending messages nobody has touched for a lease, as (id, attempts); renews their lease.

    Rows being delivered right now are locked and skipped.
    """
    now = timezone.now()
    with transaction.atomic():
        due = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(status=OutboxMessage.Status.PENDING, available_at__lte=now)
            .order_by("id")
            .values_list("id", "attempts")[:limit]
        )
        OutboxMessage.objects.filter(pk__in=[pk for pk, _ in due]).update(available_at=now + lease())
    return due
