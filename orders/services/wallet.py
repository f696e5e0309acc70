"""The shopper's wallet: store credit topped up in the app by card (the test provider in the demo).

Paying with it is store credit as before: the `store_credit` tender of app/web checkout, and at
the till the same tender carrying the app's pay code (customers.services.wallet).
"""

import hashlib
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from customers.errors import CustomerError
from customers.models import Customer, StoreCreditAccount, StoreCreditEntry
from customers.services.loyalty import issue_store_credit
from orders.errors import OrderCode, OrderError
from orders.payments import get_payment_provider
from orders.services._common import capture_or_void, sale_market, void_authorization
from retail.domain.channel import Channel
from retail.domain.money import money
from retail.errors import RetailCode
from retail.services import record_audit_event


@dataclass(frozen=True)
class TopUp:
    entry: StoreCreditEntry
    balance: Decimal
    created: bool


@transaction.atomic
def top_up_store_credit(*, customer: Customer, amount: Decimal, card_token: str, idempotency_key: str) -> TopUp:
    """Add `amount` to the shopper's store credit, charged at once to their card.

    The credit and the charge commit together: a declined card adds nothing. Idempotent by the
    key: a retry finds the first top-up's entry and charges nothing again.
    """
    try:
        amount = money(amount)
    except ArithmeticError:
        raise OrderError(_("Amounts are decimals like 20.00."), code=RetailCode.INVALID) from None
    if amount <= 0 or amount > settings.WALLET_TOP_UP_MAX:
        raise OrderError(
            _("Top up between 0.01 and %(wallet_top_up_max)s.") % {"wallet_top_up_max": settings.WALLET_TOP_UP_MAX},
            code=OrderCode.TOP_UP_AMOUNT,  # a rule of the amount, not its shape (money the schema takes)
            fields={
                "amount": [_("0.01 to %(wallet_top_up_max)s.") % {"wallet_top_up_max": settings.WALLET_TOP_UP_MAX}]
            },
        )
    reference = "topup:" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    done = StoreCreditEntry.objects.filter(account__customer=customer, kind="issue", reference=reference).first()
    if done is not None:
        balance = StoreCreditAccount.objects.get(customer=customer).balance
        return TopUp(entry=done, balance=balance, created=False)
    currency = sale_market(channel=Channel.APP, customer=customer).currency  # the shopper's market's
    provider = get_payment_provider()
    auth = provider.authorize(token=card_token, amount=amount, currency=currency, idempotency_key=reference)
    try:
        entry = issue_store_credit(
            customer=customer, amount=amount, reference=reference, actor=customer.user, currency=currency
        )
    except CustomerError as exc:
        void_authorization(provider, auth)
        raise OrderError(exc.message, code=exc.code, fields=exc.fields) from None
    capture_or_void(provider, auth, amount)
    record_audit_event(
        actor=customer.user,
        action="wallet.topped_up",
        obj=customer,
        details={"amount": str(amount), "provider": provider.name, "payment_reference": auth.reference,
                 "brand": auth.brand, "last4": auth.last4, "reference": reference},
    )  # fmt: skip
    balance = StoreCreditAccount.objects.get(customer=customer).balance
    return TopUp(entry=entry, balance=balance, created=True)
