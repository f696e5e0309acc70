"""Who may act as which profile: logins and guests are linked to a profile only when proven.

A profile holds a shopper's balances, offers, consents and in-store history, so nothing that
anyone can type (an email at sign-up, a phone at guest checkout) reaches it by itself:
- A new login gets a profile of its own that holds no email/phone identity: the account sees
  only what it creates. Once allauth has verified its email (`email_confirmed`), or the shopper
  typed the code we texted to a phone (`confirm_phone_code`), the login is linked: to the
  profile already holding that identity (the account's own profile, still empty of identities,
  is merged into it), or the identity is added to the account's profile.
- A guest checkout gets a fresh profile holding no identity (`create_guest_profile`): a guest
  never spends, reads or changes an existing profile. Its orders join the owner's profile when
  the owner proves the email or phone they were placed with (orders does that on
  `identity_verified`); the guest gains nothing from it.
"""

import hashlib
import hmac
import logging
import secrets
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from customers.errors import CustomerCode, CustomerError
from customers.events import record_customer_created
from customers.models import Consent, Customer, CustomerIdentity
from customers.normalise import normalise_email, normalise_phone
from customers.services.merge import merge_customers
from customers.services.profiles import DEVICE_LINKED, live_profile, refresh_search_name
from customers.signals import identity_verified
from retail.errors import RetailCode
from retail.models import User
from retail.services import enqueue_outbox_message, record_audit_event

log = logging.getLogger(__name__)

# The reasons the system gives the merges it makes (an email or a phone verified): stored in English like a
# log, read back in the reader's language by `merge_reason_read`, one whole sentence each (a reason head
# office typed is shown as typed).
VERIFIED = "%(kind)s verified by the shopper"
GUEST_VERIFIED = "guest order, %(kind)s verified by the shopper"
_SYSTEM_REASONS = {
    "email verified by the shopper": gettext_noop("email verified by the shopper"),
    "phone verified by the shopper": gettext_noop("phone verified by the shopper"),
    "guest order, email verified by the shopper": gettext_noop("guest order, email verified by the shopper"),
    "guest order, phone verified by the shopper": gettext_noop("guest order, phone verified by the shopper"),
    DEVICE_LINKED: gettext_noop("device linked"),
}


def merge_reason_read(reason: str) -> str:
    """A merge's reason in the reader's language when the system gave it; else as typed."""
    return _(_SYSTEM_REASONS[reason]) if reason in _SYSTEM_REASONS else reason


STRONG_KINDS = ("email", "phone", "card", "pos_customer_id")
PHONE_CODE_TOPIC = "customers.phone_code"
PHONE_CODE_TTL = timedelta(minutes=10)
PHONE_CODE_TRIES = 5  # wrong codes per sent code; then a new code must be asked for
PHONE_CODES_PER_HOUR = 5  # codes sent per account per hour (an SMS costs money and annoys the owner)


def verified_emails(user: User) -> set[str]:
    """The addresses allauth has verified for this login (normalised)."""

    return {
        normalise_email(e)
        for e in EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True)
    }


def _holds_strong_identity(customer: Customer) -> bool:
    return CustomerIdentity.objects.filter(customer=customer, kind__in=STRONG_KINDS).exists()


def _split_name(full_name: str) -> tuple[str, str]:
    first, _, last = (full_name or "").strip().partition(" ")
    return first[:80], last.strip()[:80]


@transaction.atomic
def link_user_to_customer(*, user: User) -> Customer:
    """The profile of a signed-in shopper (idempotent).

    A login already linked keeps its profile. Otherwise it gets a profile of its own; when its
    email is already verified, that email is linked at once (to the profile holding it, if any).
    """
    customer, created = _own_profile(user)
    if created and customer.email and customer.email in verified_emails(user):
        customer = link_verified_identity(user=user, kind="email", value=customer.email)
    return customer


def _own_profile(user: User) -> tuple[Customer, bool]:
    """The login's profile, made on first use (locks the user row against a double create)."""
    existing = Customer.objects.filter(user=user).first()
    if existing is not None:
        return live_profile(existing), False
    User.objects.select_for_update().filter(pk=user.pk).first()
    existing = Customer.objects.filter(user=user).first()
    if existing is not None:  # another request made it while we waited for the lock
        return live_profile(existing), False
    first, last = _split_name(user.full_name)
    now = timezone.now()
    try:
        email = normalise_email(user.email or "")
    except ValidationError:
        email = ""
    # The email is a contact for the account's own orders, not an identity until it is verified.
    customer = Customer(first_name=first, last_name=last, email=email, user=user, created_at=now, updated_at=now)
    refresh_search_name(customer)
    customer.save()
    record_audit_event(actor=None, action="customer.created", obj=customer, details={"source": "sign-up"})
    return customer, True


@transaction.atomic
def link_verified_identity(*, user: User, kind: str, value: str) -> Customer:
    """The login proved it owns `value` (an email allauth verified, or a phone by code): link it.

    - nobody holds the identity: it is added to the login's profile;
    - a profile without a login holds it: the login's own profile is merged into that one when it
      holds no email/phone/card of its own yet (the usual first verification), so the shopper now
      sees their in-store history; a login whose profile already holds other identities is not
      merged automatically (two real profiles: staff merge them side by side), it is audited;
    - another login holds it: nothing moves (audited).
    Then `identity_verified` lets orders attach guest orders placed with this email or phone.
    """
    if kind not in ("email", "phone"):
        raise CustomerError(_("Only an email or a phone can be verified."), code=CustomerCode.INVALID_IDENTITY)
    value = normalise_email(value) if kind == "email" else normalise_phone(value)
    own, _created = _own_profile(user)
    identity = CustomerIdentity.objects.select_related("customer").filter(kind=kind, value=value).first()
    holder = live_profile(identity.customer) if identity else None
    target = own
    if holder is None:
        CustomerIdentity.objects.create(customer=own, kind=kind, value=value, created_at=timezone.now())
        _fill_contact(own, kind, value)
        outcome = "identity_added"
    elif holder.pk == own.pk:
        _fill_contact(own, kind, value)
        outcome = "already_linked"
    elif holder.user_id or holder.erased_at:
        outcome = "held_by_another_login"
    elif _holds_strong_identity(own):
        outcome = "two_profiles_left_for_staff"
    else:
        merge_customers(source=own, target=holder, actor=None, reason=VERIFIED % {"kind": kind})
        target = Customer.objects.get(pk=holder.pk)
        outcome = "linked_to_existing_profile"
    record_audit_event(
        actor=user, action="customer.identity_verified", obj=target, details={"kind": kind, "outcome": outcome}
    )
    if outcome != "held_by_another_login":
        identity_verified.send(sender=Customer, customer=target, kind=kind, value=value)
    return target


def _fill_contact(customer: Customer, kind: str, value: str) -> None:
    field = {"email": "email", "phone": "phone"}[kind]
    if getattr(customer, field) != value:
        setattr(customer, field, value)
        customer.updated_at = timezone.now()
        customer.save(update_fields=[field, "updated_at"])


@transaction.atomic
def create_guest_profile(*, name: str = "", email: str = "", phone: str = "") -> Customer:
    """A profile for one guest checkout: the contact it gave, and no identity (nobody can find or
    reach an existing profile through it, and it cannot claim one for later)."""
    try:
        email = normalise_email(email or "")
        phone = normalise_phone(phone or "")
    except ValidationError as exc:
        field = "phone" if exc.code == "invalid_phone" else "email"
        raise CustomerError(exc.messages[0], code=RetailCode.INVALID, fields={field: exc.messages}) from None
    if not (email or phone):
        raise CustomerError(
            _("Give an email or phone number so we can tell you when the order is ready."),
            code=RetailCode.INVALID,
            fields={"email": [_("Email or phone required.")]},
        )
    first, last = _split_name(name)
    now = timezone.now()
    customer = Customer(
        first_name=first, last_name=last, email=email, phone=phone, channels=[], created_at=now, updated_at=now
    )
    refresh_search_name(customer)
    customer.save()
    record_audit_event(actor=None, action="customer.created", obj=customer, details={"source": "guest checkout"})
    record_customer_created(customer)
    return customer


@transaction.atomic
def attach_guest_profile(*, guest: Customer, owner: Customer, kind: str) -> None:
    """A guest checkout's profile joins the profile of the shopper who proved its email or phone:
    its orders and timeline move, not what the guest stated (consents, name, contacts), which
    nobody proved and which must not overwrite the owner's (an opt-out, the number we text)."""

    Consent.objects.filter(customer=guest).delete()
    Customer.objects.filter(pk=guest.pk).update(first_name="", last_name="", email="", phone="", search_name="")
    guest.refresh_from_db()
    merge_customers(source=guest, target=owner, reason=GUEST_VERIFIED % {"kind": kind})


# --- phone by one-time code ------------------------------------------------------------------


def _code_key(user: User) -> str:
    return f"phone-code:{user.pk}"


def _digest(user: User, phone: str, code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"{user.pk}:{phone}:{code}".encode(), hashlib.sha256).hexdigest()


@transaction.atomic
def send_phone_code(*, user: User, phone: str) -> None:
    """Text a 6-digit code to `phone` so the shopper can prove it is theirs.

    The answer is the same whoever holds the number (nothing is learnt about other accounts);
    at most PHONE_CODES_PER_HOUR codes an hour per account. The code leaves through the outbox
    (orders delivers it with the configured SMS adapter); only its HMAC is kept, in the cache.
    """
    try:
        phone = normalise_phone(phone or "")
    except ValidationError as exc:
        # a rule of the numbering plan, not of the input's shape (which any string of digits has)
        raise CustomerError(exc.messages[0], code=CustomerCode.INVALID_PHONE, fields={"phone": exc.messages}) from None
    if not phone:
        raise CustomerError(
            _("Give the phone number to verify."), code=RetailCode.INVALID, fields={"phone": [_("Required.")]}
        )
    sent_key = f"phone-code-sent:{user.pk}"
    sent = 1
    if not cache.add(sent_key, 1, 3600):
        try:
            sent = cache.incr(sent_key)
        except ValueError:  # expired meanwhile, or the cache is down (limits fail open, SECURITY F4)
            sent = 1
    if sent > PHONE_CODES_PER_HOUR:
        raise CustomerError(_("Too many codes asked for. Try again in an hour."), code=CustomerCode.TOO_MANY_CODES)
    code = f"{secrets.randbelow(10**6):06d}"
    cache.set(_code_key(user), {"digest": _digest(user, phone, code), "tries": 0}, int(PHONE_CODE_TTL.total_seconds()))
    enqueue_outbox_message(  # the code is written in the language the shopper asked in
        topic=PHONE_CODE_TOPIC, payload={"phone": phone, "code": code, "language": translation.get_language() or ""}
    )
    record_audit_event(actor=user, action="customer.phone_code_sent", details={"phone_last4": phone[-4:]})


@transaction.atomic
def confirm_phone_code(*, user: User, phone: str, code: str) -> Customer:
    """The code we texted, typed back: the phone is proven and linked (see link_verified_identity).

    One message for every failure (wrong, expired, other number); PHONE_CODE_TRIES wrong codes
    void the code.
    """
    wrong = CustomerError(
        _("That code is not right or has expired. Ask for a new one."),
        code=CustomerCode.INVALID_CODE,
        fields={"code": [_("Wrong.")]},
    )
    try:
        phone = normalise_phone(phone or "")
    except ValidationError:
        raise wrong from None
    held = cache.get(_code_key(user))
    if not held or held.get("tries", 0) >= PHONE_CODE_TRIES:
        raise wrong
    if not hmac.compare_digest(held["digest"], _digest(user, phone, str(code or "").strip())):
        held["tries"] = held.get("tries", 0) + 1
        cache.set(_code_key(user), held, int(PHONE_CODE_TTL.total_seconds()))
        raise wrong
    cache.delete(_code_key(user))
    return link_verified_identity(user=user, kind="phone", value=phone)
