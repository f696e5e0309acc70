"""Giving money back: to the original tenders, as store credit, or as an exchange for other items.

Lock order, everywhere: the return row, then the order row, then its payment rows (primary-key
order). Two submissions of one return queue on the return row (the second finds it refunded);
returns of the same order queue on the order row, and the cap "never more than was paid" is
checked under that lock.
"""

from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.errors import CustomerError
from customers.models import Task
from customers.services.clienteling import raise_task_for_event
from customers.services.loyalty import issue_store_credit, reverse_points
from customers.services.timeline import record_interaction
from inventory.errors import InventoryError
from inventory.market_prices import market_prices
from inventory.models import Variant
from orders.errors import OrderError
from orders.models import Order, Payment
from orders.returns.errors import ReturnCode, ReturnError
from orders.returns.events import record_return_event
from orders.returns.models import ReturnLine, ReturnRequest
from orders.returns.policy import APPROVAL, allowed_refund_methods
from orders.returns.services.approval import ManagerApproval, record_approval
from orders.returns.services.context import ReturnContext, hold
from orders.returns.services.notify import backdated_to, notify_return
from orders.returns.services.receiving import judge
from orders.returns.services.requests import LINE_FIELDS
from orders.services import GroupRequest, TenderRequest, place_order, refund_payment
from retail.domain.channel import Channel
from retail.domain.money import format_money, money
from retail.errors import RetailCode
from retail.messages import say
from retail.models import Store, User
from retail.services import record_audit_event

ZERO = Decimal("0.00")
TENDER_ORDER = {
    Payment.Method.CARD: 0,
    Payment.Method.GIFT_CARD: 1,
    Payment.Method.CASH: 2,
    Payment.Method.STORE_CREDIT: 3,
}
# Bought away from a store's counter (online, kiosk, phone): returned in a store, it is news to the client's associate.


@dataclass
class ExchangeRequest:
    """What the shopper takes instead: SKUs reserved at this store for pick-up, or shipped.

    A dearer exchange is paid by `card_token` (the till's payment terminal); a cheaper one gives
    the difference back to the original payment, or as store credit (`difference_to`).
    """

    lines: list[tuple[str, int]]
    kind: str = "pickup"
    shipping_address: dict = field(default_factory=dict)
    card_token: str = ""
    difference_to: str = "original"


def _user(actor) -> User | None:
    return actor if isinstance(actor, User) and actor.pk else None


def _refundable_for_order(order: Order, payments: list[Payment]) -> Decimal:
    """What the shopper paid and has not had back: captured, less refunds, less store credit given by returns."""
    taken = sum((p.captured_amount - p.refunded_amount for p in payments), ZERO)
    credited = (
        ReturnRequest.objects.filter(order=order, status__in=ReturnRequest.DONE_STATUSES).aggregate(
            s=Sum("refunded_to_credit")
        )["s"]
        or ZERO
    )
    return taken - credited


def _to_tenders(*, payments: list[Payment], amount: Decimal, currency: str, reference: str, actor) -> Decimal:

    left = amount
    for payment in sorted(payments, key=lambda p: (TENDER_ORDER.get(p.method, 9), p.pk)):
        if left <= ZERO:
            break
        part = min(left, payment.refundable)
        if part <= ZERO:
            continue
        try:
            refund_payment(payment=payment, amount=part, reference=reference, actor=_user(actor))
        except OrderError as exc:
            raise ReturnError(exc.message, code=exc.code, fields=exc.fields) from None
        payment.refunded_amount += part
        left -= part
    if left > ZERO:
        raise ReturnError(
            _("Only %(value)s of %(amount)s can go back to the original payment.")
            % {"value": format_money(amount - left, currency), "amount": format_money(amount, currency)},
            code=ReturnCode.REFUND_EXCEEDS_PAID,
        )
    return amount


def _credit(*, return_request: ReturnRequest, amount: Decimal, reference: str, store: Store, actor) -> None:

    # in the return's currency: what the goods were paid in (receipt-less: the market's they were priced in)
    currency = return_request.currency
    try:
        issue_store_credit(
            customer=return_request.customer, amount=amount, reference=reference, actor=_user(actor), store=store,
            currency=currency,
        )  # fmt: skip
    except CustomerError as exc:
        raise ReturnError(exc.message, code=exc.code) from None


def _exchange(
    *, return_request: ReturnRequest, store: Store, actor, exchange: ExchangeRequest, refund: Decimal, payments
) -> dict:

    wanted = [(str(sku).strip(), q) for sku, q in exchange.lines or []]
    if not wanted or any(isinstance(q, bool) or not isinstance(q, int) or q < 1 for _, q in wanted):
        raise ReturnError(
            _("Choose what the shopper takes instead (SKU and quantity)."),
            code=ReturnCode.INVALID_EXCHANGE,
            fields={"exchange.lines": [_("Required.")]},
        )
    if exchange.difference_to not in ("original", "store_credit"):
        raise ReturnError(_("A difference goes to original or store_credit."), code=ReturnCode.INVALID_EXCHANGE)
    variants = {v.sku: v for v in Variant.objects.filter(sku__in=[s for s, _ in wanted]).select_related("product")}
    unknown = sorted({s for s, _ in wanted} - variants.keys())
    if unknown:
        raise ReturnError(
            _("Unknown SKU: %(value)s.") % {"value": ", ".join(unknown)},
            code=ReturnCode.INVALID_EXCHANGE,
            fields={"sku": unknown},
        )
    try:  # at the price in the desk's market, where the exchange order is placed
        prices = market_prices(variants=variants.values(), market=store.market).require(variants.values())
    except InventoryError as exc:
        raise ReturnError(exc.message, code=exc.code, fields=exc.fields) from None
    new_total = sum((money(prices[variants[s].pk].amount * q) for s, q in wanted), ZERO)
    credit = min(refund, new_total)
    rma = return_request.rma_number
    tenders = []
    if credit > ZERO:
        _credit(return_request=return_request, amount=credit, reference=f"exchange:{rma}", store=store, actor=actor)
        tenders.append(TenderRequest(method="store_credit", amount=credit))
    charged = new_total - credit
    if charged > ZERO:
        if not exchange.card_token:
            raise ReturnError(
                _("The new items cost %(charged)s more than the return: take a card payment for the difference.")
                % {"charged": charged},
                code=ReturnCode.INVALID_EXCHANGE,
                fields={"card_token": [_("Required for the difference.")]},
            )
        tenders.append(TenderRequest(method="card", token=exchange.card_token, amount=charged))
    group = GroupRequest(
        kind=exchange.kind,
        lines=wanted,
        store=store if exchange.kind in ("pickup", "curbside") else None,
        shipping_address=exchange.shipping_address or {},
    )
    try:
        order = place_order(
            channel=Channel.STORE,
            groups=[group],
            customer=return_request.customer,
            tenders=tenders,
            actor=_user(actor),
            store=store,
            idempotency_key=f"exchange:{rma}",
        )
    except OrderError as exc:
        raise ReturnError(exc.message, code=exc.code, fields=exc.fields, extra=exc.extra) from None
    difference = refund - credit
    to_tenders = to_credit = ZERO
    if difference > ZERO:
        if exchange.difference_to == "original" and return_request.order_id:
            to_tenders = _to_tenders(payments=payments, amount=difference, currency=return_request.currency,
                                     reference=f"return:{rma}", actor=actor)  # fmt: skip
        else:
            _credit(
                return_request=return_request, amount=difference, reference=f"return:{rma}", store=store, actor=actor
            )
            to_credit = difference
    return {"order": order, "charged": charged, "to_tenders": to_tenders, "to_credit": credit + to_credit}


def _reverse_points(*, return_request: ReturnRequest, actor) -> int:
    """Points earned on the order, taken back in proportion to what this return refunds (cumulatively,
    so that returning everything in several goes reverses exactly what was earned)."""
    order = return_request.order
    if order is None or return_request.customer_id is None or not order.points_earned or order.total <= 0:
        return 0

    earlier = (
        ReturnRequest.objects.filter(order=order, status__in=ReturnRequest.DONE_STATUSES)
        .exclude(pk=return_request.pk)
        .aggregate(goods=Sum("goods_total"), points=Sum("points_reversed"))
    )
    goods = (earlier["goods"] or ZERO) + return_request.goods_total
    target = int((Decimal(order.points_earned) * goods / order.total).to_integral_value(rounding=ROUND_DOWN))
    wanted = min(order.points_earned, target) - (earlier["points"] or 0)
    if wanted <= 0:
        return 0
    entry = reverse_points(customer=return_request.customer, reference=order.number, points=wanted, actor=_user(actor))
    return -entry.points if entry is not None else 0


def _timeline_and_task(*, return_request: ReturnRequest, lines, store: Store, actor) -> None:
    if return_request.customer_id is None:
        return

    order = return_request.order
    in_store, rma = return_request.method == ReturnRequest.Method.IN_STORE, return_request.rma_number
    returned = {"store": store.name} if in_store else {}
    if order is None:
        key, bought = "receiptless", {}
    elif order.channel == Channel.STORE:
        key, bought = "store", {"bought_at": order.store.name}
    else:
        key, bought = "channel", {"bought": order.channel}
    message = say(f"returns.{key}_{'in_store' if in_store else 'by_mail'}", rma=rma, **bought, **returned)
    occurred_at = backdated_to()
    record_interaction(
        occurred_at=occurred_at,
        customer=return_request.customer,
        channel=Channel.STORE
        if return_request.method == ReturnRequest.Method.IN_STORE
        else (return_request.channel or Channel.WEB),
        kind="return",
        source="returns",
        external_id=f"{return_request.rma_number}:done",
        store=store,
        associate=_user(actor),
        message=message,
        data={
            "rma": return_request.rma_number,
            "order_number": order.number if order else "",
            "bought_on": order.channel if order else "",
            "refund": str(return_request.refund_total),
            "refund_method": return_request.refund_method,
            "currency": return_request.currency,  # of the amounts: the spend it takes off is in it
            "lines": [
                {
                    "sku": line.sku,
                    "qty": line.quantity,
                    "amount": str(line.amount),
                    "category": line.order_line.category if line.order_line else "",
                    "size": line.order_line.size if line.order_line else "",
                }
                for line in lines
            ],
        },
    )
    away = order is not None and order.channel in Channel.away_from_the_counter()
    online_in_store = away and return_request.method == "in_store"
    if online_in_store and occurred_at is None:
        customer = return_request.customer
        raise_task_for_event(
            customer=customer,
            reason=Task.Reason.RETURNED_IN_STORE,
            trigger_key=f"return:{return_request.rma_number}",
            message=say("returns.returned_in_store_task", customer=str(customer), order=order.number, store=store.name),
            store=customer.home_store or store,
        )


def _check_refundable(return_request: ReturnRequest, *, store: Store, method: str, exchange) -> None:
    """Inspected here, not refunded yet, by a method this return allows."""
    if return_request.status in ReturnRequest.DONE_STATUSES:
        raise ReturnError(
            _("Return %(rma_number)s was already %(value)s (%(refund_total)s by %(value2)s).")
            % {
                "rma_number": return_request.rma_number,
                "value": return_request.get_status_display().lower(),
                "refund_total": format_money(return_request.refund_total, return_request.currency),
                "value2": return_request.get_refund_method_display().lower(),
            },
            code=ReturnCode.ALREADY_REFUNDED,
        )
    if return_request.status != ReturnRequest.Status.INSPECTED:
        raise ReturnError(
            _("Return %(rma_number)s is %(value)s: receive and inspect the goods before refunding.")
            % {"rma_number": return_request.rma_number, "value": return_request.get_status_display().lower()},
            code=RetailCode.ILLEGAL_TRANSITION,
        )
    if return_request.store_id != store.pk:
        raise ReturnError(
            _("Return %(rma_number)s was received at %(name)s; refund it there.")
            % {"rma_number": return_request.rma_number, "name": return_request.store.name},
            code=RetailCode.WRONG_STORE,
        )
    if method not in ReturnRequest.RefundMethod.values:
        raise ReturnError(
            _("Refund to original, store_credit or exchange."),
            code=ReturnCode.INVALID_REFUND_METHOD,
            fields={"refund_method": [_("Unknown.")]},
        )
    refused = allowed_refund_methods(
        receiptless=return_request.receiptless, known_shopper=return_request.customer_id is not None
    ).refused.get(method)
    if refused:
        raise ReturnError(refused, code=ReturnCode.INVALID_REFUND_METHOD, fields={"refund_method": [refused]})
    if method == ReturnRequest.RefundMethod.EXCHANGE and exchange is None:
        raise ReturnError(_("Say what the shopper takes instead."), code=ReturnCode.INVALID_EXCHANGE)


def _lock_payments(return_request: ReturnRequest) -> list[Payment]:
    """The order's row, then its payments' (primary-key order), locked: the cap is checked under them."""
    if not return_request.order_id:
        return []
    Order.objects.select_for_update(of=("self",)).filter(pk=return_request.order_id).first()
    return list(Payment.objects.select_for_update().filter(order_id=return_request.order_id).order_by("pk"))


def _require_approval(return_request: ReturnRequest, *, store: Store, approval, actor) -> None:
    """What the policy flags needs a manager: the approval typed with the refund, or `approval_required`."""
    if approval is not None and return_request.approval_required and not return_request.is_approved:
        record_approval(return_request=return_request, store=store, approval=approval, actor=actor)
    if return_request.approval_required and not return_request.is_approved:
        why = [
            f"{line.sku}: {line.worded_explanation}"
            for line in return_request.lines.filter(verdict="approval").only("sku", "explanation", "explanations")
        ] + [s for s in return_request.worded_summary if str(APPROVAL) in s]
        raise ReturnError(
            " ".join([_("A manager of this store must approve this return."), *why]),
            code=ReturnCode.APPROVAL_REQUIRED,
            extra={"why": why},
        )


def _check_cap(return_request: ReturnRequest, payments: list[Payment]) -> None:
    """Never more back than the order paid and has not had back already."""
    if not return_request.order_id:
        return
    refund, available = return_request.refund_total, _refundable_for_order(return_request.order, payments)
    if refund > available:
        raise ReturnError(
            _(
                "This return would refund %(refund)s, but only %(available)s of order %(number)s was paid and not "
                "yet given back."
            )
            % {
                "refund": format_money(refund, return_request.currency),
                "available": format_money(available, return_request.currency),
                "number": return_request.order.number,
            },
            code=ReturnCode.REFUND_EXCEEDS_PAID,
        )


def _pay_out(
    return_request: ReturnRequest, *, method: str, payments: list[Payment], exchange, store: Store, actor
) -> None:
    """The refund to the original tenders, as store credit, or as an exchange; the return says which."""
    refund, reference = return_request.refund_total, f"return:{return_request.rma_number}"
    return_request.refunded_to_tenders = return_request.refunded_to_credit = return_request.exchange_charged = ZERO
    return_request.status = ReturnRequest.Status.REFUNDED
    if method == ReturnRequest.RefundMethod.EXCHANGE:
        result = _exchange(
            return_request=return_request, store=store, actor=actor, exchange=exchange, refund=refund, payments=payments
        )
        return_request.exchange_order, return_request.exchange_charged = result["order"], result["charged"]
        return_request.refunded_to_tenders = result["to_tenders"]
        return_request.refunded_to_credit = result["to_credit"]
        return_request.status = ReturnRequest.Status.EXCHANGED
    elif refund > ZERO and method == ReturnRequest.RefundMethod.ORIGINAL:
        return_request.refunded_to_tenders = _to_tenders(
            payments=payments, amount=refund, currency=return_request.currency, reference=reference, actor=actor
        )
    elif refund > ZERO:
        _credit(return_request=return_request, amount=refund, reference=reference, store=store, actor=actor)
        return_request.refunded_to_credit = refund
    return_request.refund_method = method


def refund(
    context: ReturnContext,
    *,
    store: Store,
    actor: User | None,
    method: str,
    exchange: ExchangeRequest | None = None,
    approval: ManagerApproval | None = None,
) -> ReturnContext:
    """Refund an inspected return once: to the original tenders, as store credit, or as an exchange.

    A step on a return this transaction holds (refund_return is the service). Amounts are
    recomputed under the locks (exact unit shares of each line's paid total, fees, offer clawback)
    and never exceed what the order paid and has not had back. Points earned are reversed in
    proportion. Raises `already_refunded` for a second submission, `approval_required` when a
    manager's approval is missing. Lock order: the return's row (the caller's), the order's, its
    payments'. The return's row and lines are written here once, with what earlier steps set.
    """
    return_request = context.return_request
    _check_refundable(return_request, store=store, method=method, exchange=exchange)
    payments = _lock_payments(return_request)
    # the verdict, totals and approval_required, on the return and its lines (its row is saved below, once)
    context = judge(context)
    ReturnLine.objects.bulk_update(context.lines, LINE_FIELDS)
    _require_approval(return_request, store=store, approval=approval, actor=actor)
    _check_cap(return_request, payments)
    _pay_out(return_request, method=method, payments=payments, exchange=exchange, store=store, actor=actor)
    return_request.points_reversed = _reverse_points(return_request=return_request, actor=actor)
    return_request.closed_at = return_request.updated_at = timezone.now()
    # No full_clean on this hot path: amounts come from the engine and the database CHECKs them
    # (refund = goods - fees - clawback, nothing negative, a done return has a refund method).
    return_request.save()
    _record_refund(return_request, store=store, actor=actor)
    _timeline_and_task(return_request=return_request, lines=context.lines, store=store, actor=actor)
    exchanged = return_request.status == ReturnRequest.Status.EXCHANGED
    notify_return(return_request=return_request, kind="exchanged" if exchanged else "refunded")
    return context


def _record_refund(return_request: ReturnRequest, *, store: Store, actor) -> None:
    refunded = return_request.status == ReturnRequest.Status.REFUNDED
    record_audit_event(
        actor=_user(actor),
        action="return.refunded" if refunded else "return.exchanged",
        obj=return_request,
        store=store,
        details={
            "rma": return_request.rma_number,
            "order": return_request.order.number if return_request.order_id else None,
            "method": return_request.refund_method,
            "refund": str(return_request.refund_total),
            "to_tenders": str(return_request.refunded_to_tenders),
            "to_credit": str(return_request.refunded_to_credit),
            "fees": str(return_request.fees_total),
            "clawback": str(return_request.clawback_total),
            "points_reversed": return_request.points_reversed,
            "exchange_order": return_request.exchange_order.number if return_request.exchange_order_id else None,
            "approved_by": return_request.approved_by_id,
        },
    )
    record_return_event("return.refunded", return_request)


@transaction.atomic
def refund_return(
    *,
    return_request: ReturnRequest,
    store: Store,
    actor: User | None,
    method: str,
    exchange: ExchangeRequest | None = None,
    approval: ManagerApproval | None = None,
) -> ReturnRequest:
    """Refund a return on its own: its row locked first, then `refund` (which see)."""
    context = refund(
        hold(return_request), store=store, actor=actor, method=method, exchange=exchange, approval=approval
    )
    return context.return_request
