"""Tenders of an order: authorised at checkout, captured as goods leave, voided or refunded at the end.

Store credit and gift cards are spent from their ledgers at checkout (captured at once); card
amounts are only held. Each time a fulfilment is collected or
shipped, what the shopper now owes (the paid share of the units that left) is captured; when the
order closes, whatever is still held is voided and anything taken beyond what is owed (a short
pick, an expiry after store credit was spent) goes back to where it came from.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from customers.errors import CustomerError
from customers.models import GiftCardEntry
from customers.services.giftcards import redeem_gift_card, refund_to_gift_card
from customers.services.loyalty import issue_store_credit, spend_store_credit
from orders.errors import OrderCode, OrderError
from orders.models import Fulfillment, Order, Payment
from orders.payments import get_payment_provider
from orders.services._common import actor_or_none, audit
from retail.domain.money import format_money, money, unit_share

ZERO = Decimal("0.00")
POS_PROVIDER = "pos"
GIFT_CARD_PROVIDER = "giftcard"  # Payment.reference is "giftcard:<ledger entry id>"
DONE_STATUSES = (Fulfillment.Status.COLLECTED, Fulfillment.Status.SHIPPED)


@dataclass
class TenderRequest:
    """How the shopper pays part of the order: card (token from the payment SDK), gift_card
    (token: the card's number) or store_credit. A card without amount pays what is left."""

    method: str
    token: str = ""
    amount: Decimal | None = None
    # gift_card: whose wrong numbers count together (e.g. ("ip:203.0.113.9",)), besides the shopper
    caller: tuple[str, ...] = ()


def _new_payment(order: Order, **values) -> Payment:
    now = timezone.now()
    return Payment.objects.create(order=order, created_at=now, updated_at=now, **values)


SPEND_ORDER = {"store_credit": 0, "gift_card": 1, "card": 2}  # our own ledgers first, the card for the rest


def _check_methods(tenders: list[TenderRequest]) -> None:
    methods = [t.method for t in tenders]
    if any(m not in SPEND_ORDER for m in methods):
        raise OrderError(
            _("Pay by card, gift_card or store_credit."),
            code=OrderCode.INVALID_PAYMENT,
            fields={"payments": [_("Unknown method.")]},
        )
    if methods.count("card") > 1:
        raise OrderError(
            _("Use one card per order."), code=OrderCode.INVALID_PAYMENT, fields={"payments": [_("One card.")]}
        )


def _tender_amount(tender: TenderRequest, *, index: int, left: Decimal, due: Decimal, currency: str) -> Decimal:
    """What this tender pays: its amount (positive, to the cent), or for a card without one, what is left.
    `index` is the tender's place in the request, which the error's field names."""
    if tender.amount is not None:
        try:
            amount = money(tender.amount)
        except ArithmeticError:
            raise OrderError(_("Amounts are decimals like 12.50."), code=OrderCode.INVALID_PAYMENT) from None
        if amount <= 0:
            raise OrderError(
                _("Each payment amount must be positive."),
                code=OrderCode.INVALID_PAYMENT,
                fields={f"payments.{index}.amount": ["> 0"]},
            )
    elif tender.method == "card":
        amount = left
    else:
        raise OrderError(
            _("Say how much to pay with %(method)s.") % {"method": Payment.Method(tender.method).label.lower()},
            code=OrderCode.INVALID_PAYMENT,
            fields={f"payments.{index}.amount": [_("Required.")]},
        )
    if amount > left:
        raise OrderError(
            _("The payments add up to more than the total of %(due)s.") % {"due": format_money(due, currency)},
            code=OrderCode.PAYMENT_MISMATCH,
            fields={f"payments.{index}.amount": [_("More than is left to pay.")]},
        )
    return amount


def _spend_store_credit(*, order: Order, amount: Decimal, actor) -> Payment:
    try:
        entry = spend_store_credit(
            customer=order.customer,
            amount=amount,
            reference=order.number,
            actor=actor_or_none(actor),
            store=order.store,
            currency=order.currency,
        )
    except CustomerError as exc:
        raise OrderError(exc.message, code=exc.code, extra=exc.extra) from None
    return _new_payment(
        order,
        method=Payment.Method.STORE_CREDIT,
        provider="store_credit",
        reference=f"credit:{entry.pk}",
        amount=amount,
        captured_amount=amount,
        status=Payment.Status.CAPTURED,
    )


def _authorize_card(*, order: Order, token: str, amount: Decimal, idempotency_key: str) -> Payment:
    provider = get_payment_provider()
    auth = provider.authorize(token=token, amount=amount, currency=order.currency, idempotency_key=idempotency_key)
    return _new_payment(
        order,
        method=Payment.Method.CARD,
        provider=provider.name,
        reference=auth.reference,
        brand=auth.brand[:20],
        last4=auth.last4,
        amount=auth.amount,
    )


def authorize_payments(
    *, order: Order, tenders: list[TenderRequest], idempotency_key: str, actor=None
) -> list[Payment]:
    """Store credit, then gift cards, are spent at once from their ledgers; the card is authorised for the rest.

    The tenders must cover the order's total exactly. Called inside place_order's transaction.
    """
    due = order.total
    if due == ZERO and not tenders:
        return []
    _check_methods(tenders)
    payments, left = [], due
    # spent in SPEND_ORDER; an error names the tender by its place in the request
    spending = sorted(enumerate(tenders), key=lambda item: SPEND_ORDER[item[1].method])
    for index, (position, tender) in enumerate(spending):
        amount = _tender_amount(tender, index=position, left=left, due=due, currency=order.currency)
        if amount == ZERO:
            continue
        if tender.method == "store_credit":
            payments.append(_spend_store_credit(order=order, amount=amount, actor=actor))
        elif tender.method == "gift_card":
            payments.append(spend_gift_card(order=order, code=tender.token, amount=amount, actor=actor,
                                            caller=(f"customer:{order.customer_id}", *tender.caller)))  # fmt: skip
        else:
            key = f"{idempotency_key}:{index}"
            payments.append(_authorize_card(order=order, token=tender.token, amount=amount, idempotency_key=key))
        left -= amount
    if left != ZERO:
        raise OrderError(
            _("The payments cover %(value)s of %(due)s. Add a card for the remaining %(left)s.")
            % {
                "value": format_money(due - left, order.currency),
                "due": format_money(due, order.currency),
                "left": format_money(left, order.currency),
            },
            code=OrderCode.PAYMENT_MISMATCH,
            fields={"payments": [_("%(left)s left to pay.") % {"left": format_money(left, order.currency)}]},
        )
    return payments


def spend_gift_card(*, order: Order, code: str, amount: Decimal, caller, actor=None, reference: str = "") -> Payment:
    """Pay `amount` of the order from a gift card's ledger (see customers.services.giftcards): a
    captured Payment naming the ledger entry, so a refund goes back to the same card. Its errors
    keep their codes (insufficient_gift_card_balance, gift_card_not_found, ...)."""
    try:
        entry = redeem_gift_card(
            code=code,
            amount=amount,
            reference=reference or order.number,
            caller=caller,
            currency=order.currency,
            actor=actor_or_none(actor),
            store=order.store,
        )
    except CustomerError as exc:
        raise OrderError(exc.message, code=exc.code, fields={"payments": [exc.message]}, extra=exc.extra) from None
    return _new_payment(
        order,
        method=Payment.Method.GIFT_CARD,
        provider=GIFT_CARD_PROVIDER,
        reference=f"{GIFT_CARD_PROVIDER}:{entry.pk}",
        brand="gift card",
        last4=entry.card.last4,
        amount=amount,
        captured_amount=amount,
        status=Payment.Status.CAPTURED,
    )


def owed_amount(order: Order) -> Decimal:
    """What the shopper owes for the units that left: the paid share of each picked unit, and the
    shipping charge once a parcel of the order has shipped."""
    owed = ZERO
    shipped = False
    for line in order.lines.all():
        if line.fulfillment.status in DONE_STATUSES and line.picked_quantity:
            owed += unit_share(line.total, line.quantity, 0, line.picked_quantity)
            shipped = shipped or line.fulfillment.status == Fulfillment.Status.SHIPPED
    return owed + (order.shipping_paid if shipped else ZERO)


def settle_payments(*, order: Order, actor=None) -> dict:
    """Capture what is owed now; when the order is closed, void what is held and refund any excess.

    Called (under the order's row lock) after every fulfilment transition. Idempotent: a second
    call finds nothing left to do.
    """
    provider = get_payment_provider()
    payments = list(Payment.objects.select_for_update().filter(order=order).order_by("pk"))
    owed = owed_amount(order)
    taken = sum((p.captured_amount - p.refunded_amount for p in payments), ZERO)
    now = timezone.now()
    result = {"captured": ZERO, "voided": ZERO, "refunded": ZERO}
    if owed > taken:
        need = owed - taken
        for payment in sorted(payments, key=lambda p: (p.method != Payment.Method.GIFT_CARD, p.pk)):
            if payment.status != Payment.Status.AUTHORIZED or need == ZERO:
                continue
            amount = min(need, payment.amount - payment.captured_amount)
            if amount <= ZERO:
                continue
            provider.capture(
                reference=payment.reference,
                amount=amount,
                idempotency_key=f"{payment.reference}:capture:{payment.captured_amount}",
            )
            payment.captured_amount += amount
            payment.updated_at = now
            payment.save(update_fields=["captured_amount", "updated_at"])
            need -= amount
            result["captured"] += amount
        if need > ZERO:
            raise OrderError(
                _("%(need)s of this order is not covered by its payments.") % {"need": need},
                code=OrderCode.PAYMENT_STATE,
            )
    if order.status == Order.Status.OPEN:
        return result
    # Closed: release what is still held, give back what was taken beyond what is owed.
    for payment in payments:
        if payment.status == Payment.Status.AUTHORIZED:
            remainder = payment.amount - payment.captured_amount
            if remainder > ZERO:
                provider.void(reference=payment.reference, idempotency_key=f"{payment.reference}:void")
                result["voided"] += remainder
            payment.status = Payment.Status.CAPTURED if payment.captured_amount > ZERO else Payment.Status.VOIDED
            payment.updated_at = now
            payment.save(update_fields=["status", "updated_at"])
    excess = sum((p.captured_amount - p.refunded_amount for p in payments), ZERO) - owed
    for payment in sorted(payments, key=lambda p: ({"card": 0, "gift_card": 1}.get(p.method, 2), p.pk)):
        if excess <= ZERO:
            break
        amount = min(excess, payment.refundable)
        if amount <= ZERO:
            continue
        refund_payment(payment=payment, amount=amount, reference=f"{order.number}:settle", actor=actor)
        excess -= amount
        result["refunded"] += amount
    if any(result.values()):
        audit(action="order.payments_settled", order=order, actor=actor, details={k: str(v) for k, v in result.items()})
    return result


def refund_payment(*, payment: Payment, amount: Decimal, reference: str, actor=None) -> Payment:
    """Give `amount` of a captured payment back to where it came from (returns call this too).

    Store credit is re-issued to the shopper, a gift card paid from its ledger is loaded again, and
    cards are refunded by the provider.
    Locks the payment row; refuses more than was captured and not yet refunded.
    """
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    amount = money(amount)
    if amount <= ZERO or amount > payment.refundable:
        raise OrderError(
            _("Only %(refundable)s of this payment can be refunded.") % {"refundable": payment.refundable},
            code=OrderCode.INVALID_REFUND,
            fields={"amount": [_("Too much.")]},
        )
    if payment.method == Payment.Method.STORE_CREDIT:
        issue_store_credit(
            customer=payment.order.customer,
            amount=amount,
            reference=f"{reference}:{payment.pk}:{payment.refunded_amount}",
            actor=actor_or_none(actor),
            store=payment.order.store,
            currency=payment.order.currency,
        )
    elif payment.provider == GIFT_CARD_PROVIDER:
        entry = GiftCardEntry.objects.select_related("card").get(pk=int(payment.reference.split(":", 1)[1]))
        try:
            refund_to_gift_card(
                card=entry.card,
                amount=amount,
                reference=f"{reference}:{payment.pk}:{payment.refunded_amount}",
                actor=actor_or_none(actor),
                store=payment.order.store,
            )
        except CustomerError as exc:
            raise OrderError(exc.message, code=exc.code, fields={"amount": [exc.message]}, extra=exc.extra) from None
    elif payment.provider != POS_PROVIDER:  # the till refunds its own card and cash tenders
        get_payment_provider().refund(
            reference=payment.reference,
            amount=amount,
            idempotency_key=f"{payment.reference}:refund:{payment.refunded_amount}",
        )
    payment.refunded_amount += amount
    if payment.refunded_amount == payment.captured_amount:
        payment.status = Payment.Status.REFUNDED
    payment.updated_at = timezone.now()
    payment.save(update_fields=["refunded_amount", "status", "updated_at"])
    return payment
