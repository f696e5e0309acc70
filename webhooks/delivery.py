"""Delivering webhooks: one worker at a time per subscription, in event order, at least once.

- Order: a subscription's pending deliveries go out oldest event first, one at a time; a failure
  holds the queue (so stock of one SKU, and everything else, arrives in order after an outage).
- Lease: a worker takes the subscription's lease (`lease_until`, renewed each attempt) before
  sending; a second task for it finds the lease held and leaves. A killed worker's lease runs out
  and the periodic sweep hands the subscription to another worker, which sends the unconfirmed
  delivery again: at least once, and receivers dedupe on the event id.
- Retries: exponential backoff with jitter per delivery; a timeout per attempt.
- Circuit breaker: WEBHOOKS_FAILURES_BEFORE_PAUSE consecutive failures pause the subscription,
  with the reason in the admin, an audit line and an email to head office (through the outbox).
"""

import json
import logging
import random
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from retail.messages import say
from retail.services import enqueue_outbox_message, record_audit_event
from webhooks import signing
from webhooks.destinations import Answer, post
from webhooks.events import envelope
from webhooks.handlers import ALERT_TOPIC
from webhooks.models import Delivery, DeliveryAttempt, Subscription

log = logging.getLogger(__name__)


def backoff(attempts: int) -> timedelta:
    """Exponential with jitter: base * 2^(n-1), capped, then a random 50-100% of it."""
    base = settings.WEBHOOKS_BACKOFF_BASE_SECONDS
    ceiling = min(settings.WEBHOOKS_BACKOFF_MAX_SECONDS, base * 2 ** max(0, attempts - 1))
    return timedelta(seconds=ceiling * random.uniform(0.5, 1.0))


def lease() -> timedelta:
    return timedelta(seconds=settings.WEBHOOKS_LEASE_SECONDS)


def dispatch(subscription_id: int, countdown: float | None = None) -> bool:
    """Queue the subscription's delivery task; False when the broker is down (the sweep retries)."""
    from webhooks.tasks import deliver_webhooks  # the task module imports this one

    try:
        if countdown:
            deliver_webhooks.apply_async((subscription_id,), countdown=countdown)
        else:
            deliver_webhooks.delay(subscription_id)
    except Exception:  # broker unreachable: the sweep will pick the subscription up
        log.warning("webhooks for subscription %s not dispatched now", subscription_id, exc_info=True)
        return False
    return True


def _take_lease(subscription_id: int) -> uuid.UUID | None:
    now, token = timezone.now(), uuid.uuid4()
    taken = (
        Subscription.objects.filter(pk=subscription_id, status=Subscription.Status.ACTIVE)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=now + lease(), lease_token=token)
    )
    return token if taken else None


def _renew_lease(subscription_id: int, token: uuid.UUID) -> bool:
    return bool(
        Subscription.objects.filter(pk=subscription_id, lease_token=token, status=Subscription.Status.ACTIVE).update(
            lease_until=timezone.now() + lease()
        )
    )


def _release_lease(subscription_id: int, token: uuid.UUID) -> None:
    Subscription.objects.filter(pk=subscription_id, lease_token=token).update(lease_until=None, lease_token=None)


def _head(subscription_id: int) -> Delivery | None:
    return (
        Delivery.objects.select_related("event", "subscription")
        .filter(subscription_id=subscription_id, status=Delivery.Status.PENDING)
        .order_by("event_id")
        .first()
    )


def body_and_headers(delivery: Delivery, secret: str) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(envelope(delivery.event), separators=(",", ":"), sort_keys=True).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Omnistore-Webhooks/1",
        signing.HEADER: signing.sign(secret, body),
        "Omnistore-Event-Id": delivery.event.public_id,
        "Omnistore-Event-Type": delivery.event.type,
        "Omnistore-Delivery-Attempt": str(delivery.attempts + 1),
    }
    return body, headers


def attempt(delivery: Delivery) -> Answer:
    """Send one delivery once and record the attempt (and the breaker's verdict)."""
    from webhooks.services import secret_of  # services import this module (dispatch)

    subscription = delivery.subscription
    body, headers = body_and_headers(delivery, secret_of(subscription))
    answer = post(subscription.url, body=body, headers=headers, timeout=settings.WEBHOOKS_TIMEOUT_SECONDS)
    record_answer(delivery=delivery, answer=answer)
    return answer


@transaction.atomic
def record_answer(*, delivery: Delivery, answer: Answer) -> None:
    now = timezone.now()
    number = delivery.attempts + 1
    DeliveryAttempt.objects.create(
        delivery=delivery,
        number=number,
        attempted_at=now,
        succeeded=answer.ok,
        response_status=answer.status,
        latency_ms=answer.latency_ms,
        response_excerpt=answer.excerpt,
        error=answer.error,
    )
    fields = {
        "attempts": number,
        "last_attempt_at": now,
        "response_status": answer.status,
        "latency_ms": answer.latency_ms,
        "response_excerpt": answer.excerpt,
        "error": answer.error,
    }
    if answer.ok:
        Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.SUCCEEDED, delivered_at=now, **fields)
        Subscription.objects.filter(pk=delivery.subscription_id).update(consecutive_failures=0, last_success_at=now)
        return
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=now + backoff(number), **fields)
    subscription = Subscription.objects.select_for_update().get(pk=delivery.subscription_id)
    subscription.consecutive_failures += 1
    subscription.last_failure_at = now
    subscription.save(update_fields=["consecutive_failures", "last_failure_at"])
    if (
        subscription.consecutive_failures >= settings.WEBHOOKS_FAILURES_BEFORE_PAUSE
        and subscription.status == Subscription.Status.ACTIVE
    ):
        trip_breaker(subscription=subscription, answer=answer)


def trip_breaker(*, subscription: Subscription, answer: Answer) -> None:
    """Pause a subscription that keeps failing; head office sees why (admin, audit, email)."""
    # the last answer is data (a status, the error's or the receiver's own words); the sentence is worded when read
    last = f"HTTP {answer.status}" if answer.status else answer.error
    if last and answer.excerpt:
        last += f" ({answer.excerpt[:200]})"
    count = subscription.consecutive_failures
    said = say("webhooks.paused", count=count, last=last) if last else say("webhooks.paused_no_answer", count=count)
    reason = said.subject
    subscription.status = Subscription.Status.PAUSED
    subscription.paused_reason = reason
    subscription.paused_message = said.stored
    subscription.paused_at = timezone.now()
    subscription.save(update_fields=["status", "paused_reason", "paused_message", "paused_at"])
    record_audit_event(
        actor=None, action="webhooks.subscription_paused", obj=subscription, details={"reason": reason[:500]}
    )
    enqueue_outbox_message(
        topic=ALERT_TOPIC,
        payload={
            "subscription": subscription.pk,
            "name": subscription.name,
            "url": subscription.url,
            "reason": reason,
            "message": said.stored,
        },
    )
    log.warning("webhook subscription %s paused: %s", subscription.pk, reason)


def deliver_for_subscription(*, subscription_id: int, budget: int = 200) -> tuple[str, float | None]:
    """Send the subscription's due deliveries in order. Returns (outcome, seconds until the next try).

    Outcomes: busy (another worker has it), idle (nothing pending), wait (the head is backing
    off, or the breaker tripped), more (budget used up: queue another task to be fair to others).
    """
    token = _take_lease(subscription_id)
    if token is None:
        return "busy", None
    try:
        outcome = _deliver_due(subscription_id, token, budget)
    finally:
        _release_lease(subscription_id, token)
    if outcome[0] == "idle" and _has_due(subscription_id):
        return "more", None  # queued while we held the lease: its own task found the lease taken
    return outcome


def _has_due(subscription_id: int) -> bool:
    return Delivery.objects.filter(
        subscription_id=subscription_id,
        subscription__status=Subscription.Status.ACTIVE,
        status=Delivery.Status.PENDING,
        next_attempt_at__lte=timezone.now(),
    ).exists()


def _deliver_due(subscription_id: int, token: uuid.UUID, budget: int) -> tuple[str, float | None]:
    for _ in range(budget):
        if not _renew_lease(subscription_id, token):
            return "idle", None  # paused meanwhile
        head = _head(subscription_id)
        if head is None:
            return "idle", None
        wait = (head.next_attempt_at - timezone.now()).total_seconds()
        if wait > 0:
            return "wait", wait
        if not attempt(head).ok:
            head.refresh_from_db(fields=["next_attempt_at"])
            return "wait", max(0.0, (head.next_attempt_at - timezone.now()).total_seconds())
    return "more", None


def due_subscription_ids(*, limit: int = 500) -> list[int]:
    """Active subscriptions nobody is delivering for, with a delivery due: what a lost task left."""
    now = timezone.now()
    return list(
        Subscription.objects.filter(status=Subscription.Status.ACTIVE)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .filter(deliveries__status=Delivery.Status.PENDING, deliveries__next_attempt_at__lte=now)
        .distinct()
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


def purge_delivery_log(*, now=None) -> int:
    """Delete attempts and finished deliveries older than WEBHOOKS_LOG_RETENTION_DAYS."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.WEBHOOKS_LOG_RETENTION_DAYS)
    attempts, _ = DeliveryAttempt.objects.filter(attempted_at__lt=cutoff).delete()
    deliveries, _ = Delivery.objects.filter(status=Delivery.Status.SUCCEEDED, created_at__lt=cutoff).delete()
    return attempts + deliveries
