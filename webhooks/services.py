"""Writes of the webhooks app: subscriptions (secret shown once), pause/resume, replay, redeliver."""

import base64
import hashlib
import secrets
from datetime import datetime

from cryptography.fernet import Fernet
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from retail.errors import RetailCode
from retail.models import User
from retail.services import record_audit_event
from webhooks.delivery import dispatch
from webhooks.destinations import check_url
from webhooks.errors import WebhookCode, WebhookError
from webhooks.events import EVENT_TYPES
from webhooks.models import Delivery, Event, Subscription


def _fernet() -> Fernet:
    # The secret must be readable to sign with, so it is encrypted at rest, not hashed.
    key = hashlib.sha256(b"omnistore.webhooks.secret\n" + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def secret_of(subscription: Subscription) -> str:
    return _fernet().decrypt(subscription.secret_encrypted.encode()).decode()


def _set_secret(subscription: Subscription) -> str:
    secret = new_secret()
    subscription.secret_encrypted = _fernet().encrypt(secret.encode()).decode()
    subscription.secret_hint = secret[-4:]
    return secret


def _clean_types(event_types) -> list[str]:
    types = sorted(set(event_types or []))
    unknown = [t for t in types if t not in EVENT_TYPES]
    if unknown:
        raise WebhookError(
            _("Unknown event types: %(value)s.") % {"value": ", ".join(map(str, unknown))},
            code=WebhookCode.UNKNOWN_EVENT_TYPE,
            fields={"event_types": [f"Not an event type: {t}" for t in unknown]},
        )
    if not types:
        raise WebhookError(
            _("Choose at least one event type."), code=WebhookCode.NO_EVENT_TYPES, fields={"event_types": [_("Empty.")]}
        )
    return types


def _check_unique_url(url: str, exclude: int | None = None) -> None:
    if Subscription.objects.filter(url=url).exclude(pk=exclude).exists():
        raise WebhookError(
            _("Another subscription already sends to that URL."),
            code=WebhookCode.SUBSCRIPTION_EXISTS,
            fields={"url": [_("Taken.")]},
        )


@transaction.atomic
def create_subscription(*, name: str, url: str, event_types: list[str], actor: User | None) -> tuple[Subscription, str]:
    """Create a subscription; returns it with its signing secret, which is never shown again."""
    check_url(url, must_resolve=False)
    _check_unique_url(url)
    subscription = Subscription(
        name=name.strip(), url=url, event_types=_clean_types(event_types), created_at=timezone.now(), created_by=actor
    )
    secret = _set_secret(subscription)
    if not subscription.name:
        raise WebhookError(
            _("Give the subscription a name."), code=RetailCode.INVALID, fields={"name": [_("Required.")]}
        )
    subscription.save()
    record_audit_event(actor=actor, action="webhooks.subscription_created", obj=subscription, details={"url": url})
    return subscription, secret


@transaction.atomic
def update_subscription(
    *,
    subscription: Subscription,
    actor: User | None,
    name: str | None = None,
    url: str | None = None,
    event_types: list[str] | None = None,
) -> Subscription:
    subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
    changed = {}
    if name is not None and name.strip() != subscription.name:
        if not name.strip():
            raise WebhookError(
                _("Give the subscription a name."), code=RetailCode.INVALID, fields={"name": [_("Required.")]}
            )
        changed["name"], subscription.name = name.strip(), name.strip()
    if url is not None and url != subscription.url:
        check_url(url, must_resolve=False)
        _check_unique_url(url, exclude=subscription.pk)
        changed["url"], subscription.url = url, url
    if event_types is not None:
        types = _clean_types(event_types)
        if types != subscription.event_types:
            changed["event_types"], subscription.event_types = types, types
    if changed:
        subscription.save(update_fields=[*changed])
        record_audit_event(actor=actor, action="webhooks.subscription_changed", obj=subscription, details=changed)
    return subscription


@transaction.atomic
def rotate_secret(*, subscription: Subscription, actor: User | None) -> str:
    """A new signing secret from the next delivery on; returned once."""
    subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
    secret = _set_secret(subscription)
    subscription.save(update_fields=["secret_encrypted", "secret_hint"])
    record_audit_event(actor=actor, action="webhooks.secret_rotated", obj=subscription)
    return secret


@transaction.atomic
def delete_subscription(*, subscription: Subscription, actor: User | None) -> None:
    record_audit_event(actor=actor, action="webhooks.subscription_deleted", obj=subscription)
    subscription.delete()


@transaction.atomic
def pause_subscription(*, subscription: Subscription, reason: str, actor: User | None) -> Subscription:
    """Stop delivering (events keep queueing for it, in order, until it is resumed)."""
    subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
    if subscription.status == Subscription.Status.PAUSED:
        return subscription
    subscription.status = Subscription.Status.PAUSED
    subscription.paused_reason = reason[:2000]
    subscription.paused_message = {}  # the words given, as given
    subscription.paused_at = timezone.now()
    subscription.save(update_fields=["status", "paused_reason", "paused_message", "paused_at"])
    record_audit_event(
        actor=actor, action="webhooks.subscription_paused", obj=subscription, details={"reason": reason[:500]}
    )
    return subscription


@transaction.atomic
def resume_subscription(*, subscription: Subscription, actor: User | None) -> Subscription:
    """Deliver again from the oldest event still waiting; the failure count starts over."""
    subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
    if subscription.status == Subscription.Status.ACTIVE:
        return subscription
    subscription.status = Subscription.Status.ACTIVE
    subscription.paused_reason, subscription.paused_at, subscription.consecutive_failures = "", None, 0
    subscription.paused_message = {}
    fields = ["status", "paused_reason", "paused_message", "paused_at", "consecutive_failures"]
    subscription.save(update_fields=fields)
    Delivery.objects.filter(subscription=subscription, status=Delivery.Status.PENDING).update(
        next_attempt_at=timezone.now()
    )
    record_audit_event(actor=actor, action="webhooks.subscription_resumed", obj=subscription)
    _kick(subscription.pk)
    return subscription


def _kick(subscription_id: int) -> None:
    transaction.on_commit(lambda: dispatch(subscription_id))


@transaction.atomic
def redeliver(*, delivery_ids: list[int], actor: User | None) -> int:
    """Send these deliveries again (a receiver lost them); they go first, in event order."""
    now = timezone.now()
    rows = list(
        Delivery.objects.select_for_update()
        .filter(pk__in=delivery_ids)
        .order_by("pk")
        .values_list("pk", "subscription")
    )
    Delivery.objects.filter(pk__in=[pk for pk, _ in rows]).update(status=Delivery.Status.PENDING, next_attempt_at=now)
    for pk, _row in rows:
        record_audit_event(actor=actor, action="webhooks.redelivered", object_type="webhooks.delivery", object_id=pk)
    for subscription_id in sorted({s for _pk, s in rows}):
        _kick(subscription_id)
    return len(rows)


@transaction.atomic
def replay_since(*, subscription: Subscription, since: datetime, actor: User | None) -> int:
    """Queue every event of the subscription's types since `since` again, in order (delivered or not)."""
    now = timezone.now()
    events = Event.objects.filter(sealed=True, occurred_at__gte=since, type__in=subscription.event_types)
    existing = Delivery.objects.filter(subscription=subscription, event__in=events)
    count = existing.update(status=Delivery.Status.PENDING, next_attempt_at=now)
    missing = events.exclude(deliveries__subscription=subscription).values_list("pk", flat=True)
    created = Delivery.objects.bulk_create(
        [
            Delivery(subscription=subscription, event_id=pk, next_attempt_at=now, created_at=now)
            for pk in missing.iterator()
        ],
        ignore_conflicts=True,
    )
    record_audit_event(
        actor=actor,
        action="webhooks.replayed",
        obj=subscription,
        details={"since": since.isoformat(), "deliveries": count + len(created)},
    )
    _kick(subscription.pk)
    return count + len(created)
