"""Selling gift cards: online (paid by card through the payment provider) and at the till.

The card and its ledger are customers' (customers.services.giftcards); this module takes the money.
A sold card is not stock and not an order line: the card's `issue` entry is the sale's record
(reference `online:<key digest>` or `pos:<store>:<receipt>`), unique, so a retry never sells two.
The number reaches the recipient only through the outbox message (and, at the till, the answer
the till prints once); a replay answers with the card's last four digits only.
"""

import hashlib
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from customers.errors import CustomerError
from customers.models import Customer, GiftCard, GiftCardEntry
from customers.services.giftcards import IssuedGiftCard, issue_gift_card
from orders.errors import OrderCode, OrderError
from orders.payments import get_payment_provider
from orders.services._common import capture_or_void, sale_market
from retail.domain.channel import Channel
from retail.domain.money import format_money, money
from retail.errors import RetailCode
from retail.models import PosDevice
from retail.services import record_audit_event

TILL_TENDERS = ("card", "cash")  # a gift card is not bought with another gift card or store credit


@dataclass(frozen=True)
class GiftCardSale:
    """What the seller gets back: the card, its number the first time only (`code` is "" on a replay)."""

    card: GiftCard
    code: str
    created: bool


def _replay(reference: str) -> GiftCardSale | None:
    entry = GiftCardEntry.objects.select_related("card").filter(kind="issue", reference=reference).first()
    return GiftCardSale(card=entry.card, code="", created=False) if entry else None


@transaction.atomic
def sell_gift_card_online(
    *,
    customer: Customer,
    amount: Decimal,
    card_token: str,
    channel: str,
    idempotency_key: str,
    send_to: str = "",
    recipient_name: str = "",
    note: str = "",
) -> GiftCardSale:
    """The shopper buys a gift card in the app or on the web shop, paid at once by card.

    The card is issued first (its checks: amount, address), then the payment is authorised and
    captured; a declined card rolls the card back. The number is emailed to `send_to` (the
    shopper's own address when empty) and never answered. A retry with the same key is a replay.
    """
    if channel not in Channel.online_values():
        raise OrderError(
            _("Gift cards are bought online in the app or on the web shop."),
            code=OrderCode.INVALID_CHANNEL,
            fields={"channel": [_("An online channel.")]},
        )
    send_to = (send_to or "").strip() or customer.email
    if not send_to:
        raise OrderError(
            _("Say where to send the gift card (an email address)."),
            code=RetailCode.INVALID,
            fields={"send_to": [_("Required: your profile has no email.")]},
        )
    reference = "online:" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    if (replay := _replay(reference)) is not None:
        return replay
    issued: IssuedGiftCard = issue_gift_card(
        amount=amount,
        source=GiftCard.Source.SOLD,
        channel=channel,
        reference=reference,
        currency=sale_market(channel=channel, customer=customer).currency,  # the shopper's market's
        customer=customer,
        send_to=send_to,
        recipient_name=recipient_name,
        note=note,
    )
    provider = get_payment_provider()
    paid = issued.card.balance
    auth = provider.authorize(
        token=card_token, amount=paid, currency=issued.card.currency, idempotency_key=f"giftcard:{reference}"
    )
    capture_or_void(provider, auth, paid)
    record_audit_event(
        actor=customer.user,
        action="gift_card.paid_online",
        obj=issued.card,
        details={"provider": provider.name, "payment_reference": auth.reference, "brand": auth.brand,
                 "last4": auth.last4, "amount": str(paid), "customer_id": customer.pk},
    )  # fmt: skip
    return GiftCardSale(card=issued.card, code=issued.code, created=True)


@transaction.atomic
def sell_gift_card_at_till(
    *,
    device: PosDevice,
    receipt_number: str,
    amount: Decimal,
    tenders: list[dict],
    send_to: str = "",
    recipient_name: str = "",
    note: str = "",
) -> GiftCardSale:
    """A till sold a gift card (its own receipt, paid by card or cash at the till, which took the money).

    Idempotent by (store, receipt number): a replay answers the card without its number. The
    number is answered the first time (for the till to print) and emailed to `send_to` if given.
    """
    receipt = (receipt_number or "").strip()
    if not receipt:
        raise OrderError(_("A receipt number, not blank."), code=OrderCode.INVALID_SALE,
                         fields={"receipt_number": [_("Required.")]})  # fmt: skip
    reference = f"pos:{device.store.code}:{receipt}"[:100]
    if (replay := _replay(reference)) is not None:
        return replay
    fields: dict[str, list[str]] = {}
    paid = Decimal("0.00")
    for index, tender in enumerate(tenders):
        if tender.get("method") not in TILL_TENDERS:
            fields[f"tenders.{index}.method"] = [_("Pay for a gift card by card or cash.")]
        paid += money(tender.get("amount") or 0)
    try:
        amount = money(amount)
    except ArithmeticError:
        fields["amount"] = [_("A decimal like 25.00.")]
    if not fields and paid != amount:
        currency = device.store.market.currency
        fields["tenders"] = [
            _("Tenders add up to %(paid)s, the gift card to %(amount)s.")
            % {"paid": format_money(paid, currency), "amount": format_money(amount, currency)}
        ]
    if fields:
        first = next(iter(fields.items()))
        raise OrderError(
            _("The sale was not recorded: %(field)s: %(error)s") % {"field": first[0], "error": first[1][0]},
            code=OrderCode.INVALID_SALE,
            fields=fields,
        )
    try:
        issued = issue_gift_card(
            amount=amount,
            source=GiftCard.Source.SOLD,
            channel=Channel.STORE,
            reference=reference,
            currency=device.store.market.currency,  # the till's store's market's
            store=device.store,
            send_to=send_to,
            recipient_name=recipient_name,
            note=note,
        )
    except CustomerError as exc:
        if exc.code == "gift_card_already_issued" and (replay := _replay(reference)) is not None:
            return replay  # a concurrent upload of the same receipt won
        raise
    record_audit_event(
        actor=device,
        action="gift_card.sold_at_till",
        obj=issued.card,
        store=device.store,
        details={"device": device.pk, "receipt": receipt, "amount": str(amount),
                 "tenders": [{"method": t["method"], "amount": str(money(t["amount"]))} for t in tenders]},
    )  # fmt: skip
    return GiftCardSale(card=issued.card, code=issued.code, created=True)
