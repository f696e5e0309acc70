"""Outbox delivery: topic handlers and the at-most-once-successful delivery of one message.

A handler is `handler(message: OutboxMessage) -> None`; it raises to ask for a retry. Apps
register theirs in `<app>/handlers.py` (imported at start-up) with `@outbox_handler("topic")`.
"""

import logging
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from retail.errors import RetailError
from retail.models import OutboxMessage

log = logging.getLogger(__name__)
_handlers: dict[str, Callable[[OutboxMessage], None]] = {}


def outbox_handler(topic: str):
    def register(func):
        if topic in _handlers and _handlers[topic] is not func:
            raise RuntimeError(f"outbox topic {topic!r} has two handlers")
        _handlers[topic] = func
        return func

    return register


def handler_for(topic: str) -> Callable[[OutboxMessage], None]:
    try:
        return _handlers[topic]
    except KeyError:
        raise RetailError(f"No outbox handler for topic {topic!r}.", code="unknown_outbox_topic") from None


def backoff(attempts: int) -> timedelta:
    """Exponential backoff: 10 s, 20 s, 40 s ... capped at one hour."""
    return timedelta(seconds=min(3600, 10 * 2 ** max(0, attempts - 1)))


def deliver_outbox_message(*, message_id: int) -> str:
    """Hand one message to its handler. Returns delivered / skipped / retry / failed.

    Takes the row lock itself (SKIP LOCKED): a second worker given the same id skips it, and a
    worker that dies mid-delivery rolls back, leaving the message pending for the sweep.
    """
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id, status=OutboxMessage.Status.PENDING)
            .first()
        )
        if message is None:
            return "skipped"
        message.attempts += 1
        try:
            with transaction.atomic():
                handler_for(message.topic)(message)
        except Exception as exc:  # noqa: BLE001 — any handler failure is recorded and retried
            message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if message.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
                message.status = OutboxMessage.Status.FAILED
                log.error("outbox %s gave up after %s attempts: %s", message.pk, message.attempts, exc)
            else:
                message.available_at = timezone.now() + backoff(message.attempts)
            message.save(update_fields=["attempts", "last_error", "status", "available_at"])
            return "failed" if message.status == OutboxMessage.Status.FAILED else "retry"
        message.status = OutboxMessage.Status.DELIVERED
        message.delivered_at = timezone.now()
        message.save(update_fields=["attempts", "status", "delivered_at"])
        return "delivered"


def due_outbox_message_ids(*, limit: int = 500) -> list[int]:
    return list(
        OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING, available_at__lte=timezone.now())
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
