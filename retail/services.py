"""Writes of the core app: audit trail, outbox, POS device tokens, store memberships, staff emails."""

import logging
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from retail.errors import RetailCode, RetailError
from retail.models import AuditEvent, IdempotencyKey, OutboxMessage, PosDevice, Store, StoreMembership, User
from retail.models.stores import hash_device_token
from retail.outbox import handler_for, lease

log = logging.getLogger(__name__)


def record_audit_event(
    *,
    actor: User | PosDevice | None,
    action: str,
    obj=None,
    object_type: str = "",
    object_id: str | int = "",
    store: Store | None = None,
    details: dict | None = None,
    ip_address: str | None = None,
) -> AuditEvent:
    """Append one line to the audit trail. `obj` (any model instance) fills type and id.

    The actor is a staff user, a POS device (named in the label, as the trail has no device
    column), or None for the system itself.
    """
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
    if isinstance(actor, PosDevice):
        actor_label, actor = f"device {actor}", None
    else:
        actor = actor if isinstance(actor, User) and actor.pk else None
        actor_label = str(actor) if actor else "system"
    return AuditEvent.objects.create(
        actor=actor,
        actor_label=actor_label[:200],
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        store=store,
        occurred_at=timezone.now(),
        details=details or {},
        ip_address=ip_address,
    )


def enqueue_outbox_message(*, topic: str, payload: dict, delay: timedelta | None = None) -> OutboxMessage:
    """Write a message in the caller's transaction; it is dispatched once that transaction commits.

    If the broker is down at commit, nothing is lost: the periodic sweep sends it once its lease
    (OUTBOX_LEASE_SECONDS) has run out. A rolled-back transaction sends nothing. `delay` holds the
    delivery back that long after the commit (webhooks coalesce stock changes over a short window).
    """

    handler_for(topic)  # unknown topics fail here, inside the caller's transaction
    now = timezone.now()
    delay = delay or timedelta(0)
    message = OutboxMessage(topic=topic, payload=payload, available_at=now + delay + lease(), created_at=now)
    message.full_clean(exclude=["payload"])  # an empty payload is a valid message
    message.save()
    countdown = delay.total_seconds() or None
    transaction.on_commit(lambda: dispatch_outbox_message(message_id=message.pk, attempt=0, countdown=countdown))
    return message


def dispatch_outbox_message(*, message_id: int, attempt: int | None, countdown: float | None = None) -> bool:
    """Queue the delivery task; False when the broker is unreachable (the sweep will send it)."""
    from retail.tasks import deliver_outbox_message  # the task module imports this one

    try:
        if countdown:
            deliver_outbox_message.apply_async((message_id, attempt), countdown=countdown)
        else:
            deliver_outbox_message.delay(message_id, attempt)
    except Exception:  # broker unreachable: the sweep will pick the message up
        log.warning("outbox %s not dispatched now; the sweep will retry", message_id, exc_info=True)
        return False
    return True


@transaction.atomic
def retry_outbox_messages(*, message_ids: list[int], actor: User | None = None) -> int:
    """An operator's "try again": failed or pending messages get a fresh set of attempts now."""
    ids = list(
        OutboxMessage.objects.select_for_update()
        .filter(pk__in=message_ids)
        .exclude(status=OutboxMessage.Status.DELIVERED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )

    OutboxMessage.objects.filter(pk__in=ids).update(
        status=OutboxMessage.Status.PENDING, attempts=0, available_at=timezone.now() + lease()
    )
    for message_id in ids:
        record_audit_event(
            actor=actor, action="outbox.retried", object_type="retail.outboxmessage", object_id=message_id
        )
        transaction.on_commit(lambda message_id=message_id: dispatch_outbox_message(message_id=message_id, attempt=0))
    return len(ids)


@transaction.atomic
def issue_pos_device(*, store: Store, name: str, actor: User | None = None) -> tuple[PosDevice, str]:
    """Create a POS device and return it with its token, which is never shown again."""
    if PosDevice.objects.filter(store=store, name=name).exists():
        raise RetailError(
            _("%(code)s already has a device called %(name)s.") % {"code": store.code, "name": repr(name)},
            code=RetailCode.DEVICE_EXISTS,
        )
    token = PosDevice.new_token()
    device = PosDevice(store=store, name=name, token_prefix=token[4:12], token_hash=hash_device_token(token))
    device.full_clean()
    device.save()
    record_audit_event(actor=actor, action="pos_device.issued", obj=device, store=store)
    return device, token


@transaction.atomic
def rotate_pos_device_token(*, device: PosDevice, actor: User | None = None) -> str:
    token = PosDevice.new_token()
    device.token_prefix = token[4:12]
    device.token_hash = hash_device_token(token)
    device.save(update_fields=["token_prefix", "token_hash"])
    record_audit_event(actor=actor, action="pos_device.token_rotated", obj=device, store=device.store)
    return token


@transaction.atomic
def add_store_membership(
    *, user: User, store: Store, role: str = StoreMembership.Role.ASSOCIATE, actor: User | None = None
) -> StoreMembership:
    membership, _ = StoreMembership.objects.update_or_create(user=user, store=store, defaults={"role": role})
    membership.full_clean()
    record_audit_event(actor=actor, action="membership.set", obj=membership, store=store, details={"role": role})
    return membership


@transaction.atomic
def record_verified_email(*, user: User) -> EmailAddress:
    """Head office vouches for an account's email: it signs in without a verification code.

    Sign-in needs a verified email (mandatory verification, SECURITY.md F16). A shopper proves theirs
    with the code mailed at sign-up; a staff account head office makes (admin, `createsuperuser`,
    the demo seed) has its email set by head office, so it is recorded verified and primary, and the
    account's other addresses are dropped (after an email change the old one no longer signs in).
    Never call this for an account whose email nobody vouched for: a verified email links a login
    to the shopper profile holding it (customers.services.linking).
    """
    email = User.objects.normalize_email(user.email).lower()
    EmailAddress.objects.filter(user=user).exclude(email=email).delete()
    address, _ = EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return address


@transaction.atomic
def set_user_language(*, user: User, language: str) -> User:
    """A user chooses the language they read the portal in ("" goes back to their store's market's
    default). Audited, before and after."""
    language = (language or "").strip()
    if language and language not in dict(settings.LANGUAGES):
        raise RetailError(
            _("Choose one of the languages offered."),
            code=RetailCode.INVALID,
            fields={"language": [_("Unknown language.")]},
        )
    before = user.language
    user.language = language
    user.save(update_fields=["language"])
    record_audit_event(actor=user, action="user.language_set", obj=user, details={"from": before, "to": language})
    return user


def purge_expired_idempotency_keys() -> int:

    deleted, _ = IdempotencyKey.objects.filter(expires_at__lt=timezone.now()).delete()
    return deleted


def idempotency_ttl() -> timedelta:
    return timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
