"""Payment providers: authorise at checkout, capture at hand-over or shipping, void, refund.

A provider never sees or returns card data we would keep: checkout passes the client's token
(what a payment SDK gives the app), the provider answers with its own reference, the brand and
the last four digits. `get_payment_provider()` returns the configured one
(settings.ORDERS_PAYMENT_PROVIDER, a dotted path; the built-in TestPaymentProvider by default).

A real provider (Stripe, Adyen...) implements the same four methods and passes our idempotency
key on to its API so that a retried call cannot charge twice.
"""

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from orders.errors import OrderCode, OrderError

# What any provider answers (an unknown token or reference, a declined card): called through an instance,
# which retail.api.codes cannot follow, so each view that reaches a provider declares these with @raises.
PROVIDER_CODES = (OrderCode.PAYMENT_DECLINED, OrderCode.INVALID_PAYMENT)


@dataclass(frozen=True)
class Authorization:
    reference: str
    brand: str
    last4: str
    amount: Decimal


class PaymentProvider(Protocol):
    name: str

    def authorize(self, *, token: str, amount: Decimal, currency: str, idempotency_key: str) -> Authorization:
        """Hold `amount` on the instrument behind `token`; raise OrderError(payment_declined)."""

    def capture(self, *, reference: str, amount: Decimal, idempotency_key: str) -> None: ...

    def void(self, *, reference: str, idempotency_key: str) -> None: ...

    def refund(self, *, reference: str, amount: Decimal, idempotency_key: str) -> None: ...


class TestPaymentProvider:
    """A deterministic provider for the demo and the tests (no network, no card data).

    Tokens: `tok_<brand>_<last4>` (e.g. tok_visa_4242) authorise; `tok_decline...` is declined
    ("card_declined"); `tok_insufficient...` is declined for funds. (Gift cards are not the
    provider's: they are paid from Omnistore's own ledger, customers.services.giftcards.) References are
    derived from the idempotency key, so a retried authorisation returns the same reference.
    """

    name = "test"
    BRANDS = {"visa", "mastercard", "amex", "maestro"}

    def authorize(self, *, token: str, amount: Decimal, currency: str, idempotency_key: str) -> Authorization:
        token = (token or "").strip()
        if amount <= 0:
            raise OrderError(_("An authorisation needs a positive amount."), code=OrderCode.INVALID_PAYMENT)
        if token.startswith("tok_decline"):
            raise OrderError(
                _("The card was declined. Ask the shopper for another card."), code=OrderCode.PAYMENT_DECLINED
            )
        if token.startswith("tok_insufficient"):
            raise OrderError(_("The card has insufficient funds."), code=OrderCode.PAYMENT_DECLINED)
        reference = "test_" + hashlib.sha256(f"{idempotency_key}:{token}:{amount}".encode()).hexdigest()[:24]
        parts = token.split("_")
        if (
            len(parts) != 3
            or parts[0] != "tok"
            or parts[1] not in self.BRANDS
            or not parts[2].isdigit()
            or len(parts[2]) != 4
        ):
            raise OrderError(
                _("Unknown payment token: send the token your payment SDK gave you (test: tok_visa_4242)."),
                code=OrderCode.INVALID_PAYMENT,
            )
        return Authorization(reference=reference, brand=parts[1], last4=parts[2], amount=amount)

    def capture(self, *, reference: str, amount: Decimal, idempotency_key: str) -> None:
        self._check(reference, amount)

    def void(self, *, reference: str, idempotency_key: str) -> None:
        self._check(reference, Decimal("0.01"))

    def refund(self, *, reference: str, amount: Decimal, idempotency_key: str) -> None:
        self._check(reference, amount)

    @staticmethod
    def _check(reference: str, amount: Decimal) -> None:
        if not reference.startswith("test_"):
            raise OrderError(
                _("%(reference)s is not a test provider reference.") % {"reference": repr(reference)},
                code=OrderCode.INVALID_PAYMENT,
            )
        if amount <= 0:
            raise OrderError(_("The amount must be positive."), code=OrderCode.INVALID_PAYMENT)


def get_payment_provider() -> PaymentProvider:
    return import_string(settings.ORDERS_PAYMENT_PROVIDER)()
