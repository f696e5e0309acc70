"""Manager approval at the counter: the one check behind every "a manager of this store says yes".

Returns over the policy (desk and POS `approval{}`), and any other counter decision that needs a
manager (cycle counts over a threshold, ...), call `verify_manager_approval`. A manager approves
with their short approval PIN for this store (set by themself, `set_approval_pin`), or with their
password and authenticator code. The check:
- looks among this store's active managers only (the email names which one);
- answers one message for every failure (unknown person, associate, manager elsewhere, wrong PIN
  or password, missing code, no second factor), so it is no oracle for anyone's password;
- counts each failure in the sign-in lockout (allauth's `login_failed` limits: per account and
  per client address), and refuses while that account is locked, before looking at the secret;
- refuses managers without a second factor (TOTP): a PIN is set while signed in with it, and is
  void once it is gone;
- locks a PIN after PIN_FAILURES wrong PINs in a day (a 6-digit PIN must not be guessable by
  trying a few a minute); the manager sets a new one.
Failures are logged (the refusal rolls back the caller's transaction, audit rows with it); the
approval itself is audited by the caller with `method` in its details, PIN changes here.
"""

import logging
import re
from dataclasses import dataclass

from allauth.account.adapter import get_adapter
from allauth.core import context
from allauth.core.internal import ratelimit
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.hashers import check_password, make_password
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from retail.errors import RetailCode, RetailError
from retail.models import Store, StoreMembership, User
from retail.services import record_audit_event

log = logging.getLogger(__name__)

DENIED = "Manager approval refused. Check the manager's email and PIN (or password and authenticator code)."
LOCKED = "Too many wrong approvals for this manager. Wait a few minutes or ask another manager."
PIN_PATTERN = re.compile(r"^\d{6}$")
PIN_FAILURES = 10  # wrong PINs per manager and store in PIN_FAILURE_WINDOW, then the PIN is locked
PIN_FAILURE_WINDOW = 24 * 3600
FALLBACK_LOCK = (5, 15 * 60)  # outside a web request (shell, tasks): 5 failures lock for 15 minutes


@dataclass(frozen=True)
class ApprovalCredentials:
    """What the manager types at the counter: their email and a PIN, or password + authenticator code."""

    email: str
    pin: str = ""
    password: str = ""
    code: str = ""

    @property
    def method(self) -> str:
        return "pin" if self.pin else "password"


def _has_second_factor(user: User) -> bool:

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def _totp_ok(user: User, code: str) -> bool:

    totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    code = "".join((code or "").split())
    return bool(totp and code and TOTP(totp).validate_code(code))


def _pin_failures_key(membership_id: int) -> str:
    return f"approval-pin-failures:{membership_id}"


class _Lockout:
    """The sign-in lockout of allauth (`login_failed`), charged by approvals as by sign-ins."""

    def __init__(self, email: str, store: Store):

        self.request, self.email, self.usage = context.request, email, None
        self.fallback_key = f"approval-failures:{store.pk}:{email}"

    def take(self) -> bool:
        """Charge one attempt; False when the account is locked already."""
        if self.request is None:
            return cache.get(self.fallback_key, 0) < FALLBACK_LOCK[0]

        key = get_adapter(self.request)._get_login_attempts_cache_key(self.request, email=self.email)
        self.usage = ratelimit.consume(self.request, app="allauth.account", action="login_failed", key=key)
        return bool(self.usage)

    def succeeded(self) -> None:
        if self.usage:  # a success gives back its own charge, as allauth does for a sign-in
            self.usage.rollback()

    def failed(self) -> None:
        if self.request is None and not cache.add(self.fallback_key, 1, FALLBACK_LOCK[1]):
            try:
                cache.incr(self.fallback_key)
            except ValueError:
                cache.set(self.fallback_key, 1, FALLBACK_LOCK[1])


def verify_manager_approval(*, credentials: ApprovalCredentials, store: Store, purpose: str = "") -> User:
    """The manager of `store` these credentials prove, or RetailError `approval_denied` (403) /
    `approval_locked` (429). `purpose` only goes to the log ("return RMA-…", "count #12")."""
    email = (credentials.email or "").strip().lower()
    lockout = _Lockout(email, store)
    if not lockout.take():
        log.warning("manager approval refused at %s for %s (%s): locked", store.code, email, purpose)
        raise RetailError(LOCKED, code=RetailCode.APPROVAL_LOCKED)
    membership = (
        StoreMembership.objects.select_related("user")
        .filter(store=store, role=StoreMembership.Role.MANAGER, user__email__iexact=email, user__is_active=True)
        .first()
        if email
        else None
    )
    why = _refusal(membership, credentials)
    if why:
        lockout.failed()
        log.warning("manager approval refused at %s for %s (%s): %s", store.code, email, purpose, why)
        raise RetailError(DENIED, code=RetailCode.APPROVAL_DENIED, fields={"approval": [DENIED]})
    lockout.succeeded()
    return membership.user


def _refusal(membership: StoreMembership | None, credentials: ApprovalCredentials) -> str:
    """Why these credentials do not prove this store's manager ("" when they do); for the log only."""
    secret = credentials.pin or credentials.password or ""
    if membership is None:
        make_password(secret)  # the same hashing work as for a manager, whoever was typed
        return "not a manager of this store"
    user = membership.user
    if credentials.pin:
        key = _pin_failures_key(membership.pk)
        if not membership.approval_pin or cache.get(key, 0) >= PIN_FAILURES:
            make_password(secret)
            return "no usable PIN"
        if not check_password(credentials.pin, membership.approval_pin):
            if not cache.add(key, 1, PIN_FAILURE_WINDOW):
                try:
                    cache.incr(key)
                except ValueError:
                    cache.set(key, 1, PIN_FAILURE_WINDOW)
            return "wrong PIN"
        return "" if _has_second_factor(user) else "no second factor"
    if not user.check_password(credentials.password or ""):
        return "wrong password"
    if not _has_second_factor(user):
        return "no second factor"
    return "" if _totp_ok(user, credentials.code) else "wrong or missing authenticator code"


@transaction.atomic
def set_approval_pin(*, user: User, store: Store, pin: str, password: str) -> StoreMembership:
    """A manager sets (or changes) their own approval PIN for `store`: six digits, confirmed with
    their password, only with a second factor enrolled. Audited (never the PIN)."""
    membership = (
        StoreMembership.objects.select_for_update()
        .filter(user=user, store=store, role=StoreMembership.Role.MANAGER, user__is_active=True)
        .first()
    )
    if membership is None:
        raise RetailError(
            _("Only a manager of this store has an approval PIN here."), code=RetailCode.PERMISSION_DENIED
        )
    if not user.check_password(password or ""):
        raise RetailError(
            _("Your password is wrong."), code=RetailCode.INVALID, fields={"password": [_("Wrong password.")]}
        )
    if not _has_second_factor(user):
        raise RetailError(
            _("Set up your authenticator app first."),
            code=RetailCode.MFA_REQUIRED,
            fields={"pin": [_("Needs two-factor sign-in.")]},
        )
    pin = (pin or "").strip()
    if not PIN_PATTERN.match(pin) or len(set(pin)) == 1 or pin in "0123456789" or pin in "9876543210":
        raise RetailError(
            _("The PIN is six digits, not all the same and not a run like 123456."),
            code=RetailCode.INVALID,
            fields={"pin": [_("Six digits, not 111111 or 123456.")]},
        )
    membership.approval_pin, membership.approval_pin_set_at = make_password(pin), timezone.now()
    membership.save(update_fields=["approval_pin", "approval_pin_set_at"])
    cache.delete(_pin_failures_key(membership.pk))
    record_audit_event(actor=user, action="manager.approval_pin_set", obj=membership, store=store)
    return membership
