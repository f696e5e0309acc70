"""The shopper's wallet at the till: a pay code from the app, shown as a QR, that lets a till spend their store credit.

A code is random (96 bits, so it cannot be guessed in its lifetime), lives WALLET_PAY_CODE_SECONDS,
is bound to the shopper who asked for it and pays once: `use_pay_code` marks it used in one
conditional UPDATE, so two tills scanning the same QR at once get one success and one refusal.
Asking for a new code leaves older unused ones to expire (a phone may show a stale screen).
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.errors import CustomerCode, CustomerError
from customers.models import Customer, PayCode
from retail.services import record_audit_event

PREFIX = "OMW-"  # what a till's scanner reads first: a wallet code, not a gift card or loyalty card


@dataclass(frozen=True)
class IssuedPayCode:
    pay_code: PayCode
    code: str  # shown once, in the app's QR; never stored


def _hash(code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"wallet:{code.strip()}".encode(), hashlib.sha256).hexdigest()


def _refused() -> CustomerError:
    return CustomerError(
        _("This wallet code is not valid any more. Ask the shopper to open the wallet in the app again."),
        code=CustomerCode.PAY_CODE_INVALID,
        fields={"code": [_("Unknown, used or expired.")]},
    )


@transaction.atomic
def issue_pay_code(*, customer: Customer) -> IssuedPayCode:
    """A fresh code for the shopper's wallet QR, valid WALLET_PAY_CODE_SECONDS."""
    if customer.is_anonymous or customer.merged_into_id or customer.erased_at:
        raise CustomerError(_("This profile cannot pay any more."), code=CustomerCode.CUSTOMER_NOT_LIVE)
    code = PREFIX + secrets.token_urlsafe(12)
    now = timezone.now()
    pay_code = PayCode.objects.create(
        customer=customer,
        code_hash=_hash(code),
        created_at=now,
        expires_at=now + timedelta(seconds=settings.WALLET_PAY_CODE_SECONDS),
    )
    return IssuedPayCode(pay_code=pay_code, code=code)


def customer_for_pay_code(code: str) -> Customer | None:
    """Whose wallet a scanned code opens (unused and unexpired), without using it: the till's sale
    is then recorded for that shopper. None when the code is no good."""
    found = (
        PayCode.objects.select_related("customer")
        .filter(code_hash=_hash(code or ""), used_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    return found.customer if found else None


@transaction.atomic
def use_pay_code(*, code: str, reference: str, customer: Customer | None = None, actor=None) -> Customer:
    """Use the code for `reference` (the order it pays) and return its shopper; once only.

    With `customer` (the shopper the till named), the code must be theirs. One answer for unknown,
    used and expired codes (`pay_code_invalid`).
    """
    now = timezone.now()
    codes = PayCode.objects.filter(code_hash=_hash(code or ""), used_at__isnull=True, expires_at__gt=now)
    if customer is not None:
        codes = codes.filter(customer=customer)
    if not codes.update(used_at=now, used_for=reference[:100]):
        raise _refused()
    pay_code = PayCode.objects.select_related("customer").get(code_hash=_hash(code))
    record_audit_event(actor=actor, action="wallet.pay_code_used", obj=pay_code.customer,
                       details={"pay_code_id": pay_code.pk, "reference": reference[:100]})  # fmt: skip
    return pay_code.customer
