"""Starting, cancelling and rejecting returns (the RMA), with the policy's verdict on every line."""

from collections import defaultdict
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer
from inventory.models import Variant
from orders.errors import OrderCode
from orders.models import Order, OrderLine
from orders.returns.errors import ReturnCode, ReturnError
from orders.returns.events import record_return_event
from orders.returns.models import Condition, Disposition, Reason, ReturnLine, ReturnRequest
from orders.returns.numbers import new_qr_token, new_rma_number
from orders.returns.services.context import ReturnContext, lock_request, service
from orders.returns.services.facts import (
    Item,
    judge_items,
    local_date,
    order_lines_for,
    order_market,
    price_receipted,
    price_receiptless,
    returnable_lines,
    rules_for_market,
    shipping_facts,
)
from orders.returns.services.notify import notify_return
from retail.domain.channel import Channel
from retail.errors import ErrorCode, RetailCode
from retail.models import PosDevice, Store, User
from retail.services import record_audit_event

FOREIGN_KEYS = [f.name for f in ReturnRequest._meta.concrete_fields if f.is_relation]


@dataclass
class LineRequest:
    """One line to bring back: an order line (by `line_number`, or `sku`) and how many, why, in what state."""

    quantity: int
    reason: str
    condition: str = Condition.NEW
    line_number: int | None = None
    sku: str = ""
    reason_note: str = ""
    disposition: str = ""  # what the associate decided at the counter; default from the condition


def _actor(actor) -> User | None:
    return actor if isinstance(actor, User) and actor.pk else None


def _check_lines(lines: list[LineRequest]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    if not lines:
        fields["lines"] = ["Choose at least one line to return."]
    for index, line in enumerate(lines):
        errors = []
        if isinstance(line.quantity, bool) or not isinstance(line.quantity, int) or not 1 <= line.quantity <= 999:
            errors.append("quantity must be a whole number from 1 to 999.")
        if line.reason not in Reason.values:
            errors.append(f"reason is one of {', '.join(Reason.values)}.")
        if line.condition not in Condition.values:
            errors.append(f"condition is one of {', '.join(Condition.values)}.")
        if line.disposition and line.disposition not in Disposition.values:
            errors.append(f"disposition is one of {', '.join(Disposition.values)}.")
        if errors:
            fields[f"lines.{index}"] = errors
    return fields


def _raise_fields(
    fields: dict, *, code: ErrorCode = OrderCode.INVALID_LINE, prefix: str = "Nothing was returned"
) -> None:
    if fields:
        messages = next(iter(fields.values()))
        raise ReturnError(
            _("%(prefix)s: %(value)s") % {"prefix": prefix, "value": messages[0]}, code=code, fields=fields
        )


def _receipted_items(order: Order, order_lines: list[OrderLine], lines: list[LineRequest], *, exclude=None):
    """Match requested lines to order lines; refuse more units than bought minus already returned."""
    by_number = {line.line_number: line for line in order_lines}
    by_sku: dict[str, list[OrderLine]] = defaultdict(list)
    for line in order_lines:
        by_sku[line.sku].append(line)
    returnable = returnable_lines(order_lines, exclude_request=exclude)
    held = {pk: row.held for pk, row in returnable.items() if row.held}
    fields: dict[str, list[str]] = {}
    items: list[Item] = []
    wanted: dict[int, int] = defaultdict(int)
    for index, asked in enumerate(lines):
        if asked.line_number is not None:
            order_line = by_number.get(asked.line_number)
        else:
            candidates = by_sku.get((asked.sku or "").strip(), [])
            order_line = next(
                (c for c in candidates if returnable[c.pk].left - wanted[c.pk] > 0),
                candidates[0] if candidates else None,
            )
        if order_line is None:
            fields[f"lines.{index}"] = [f"Order {order.number} has no line {asked.line_number or asked.sku!r}."]
            continue
        wanted[order_line.pk] += asked.quantity
        items.append(
            Item(
                quantity=asked.quantity,
                reason=asked.reason,
                condition=asked.condition,
                order_line=order_line,
                disposition=asked.disposition,
                reason_note=asked.reason_note,
            )
        )
    code = OrderCode.INVALID_LINE
    if not fields:
        for index, item in enumerate(items):
            line = item.order_line
            delivered, already, left = returnable[line.pk].delivered, returnable[line.pk].held, returnable[line.pk].left
            if wanted[line.pk] > left:
                code = ReturnCode.TOO_MANY_UNITS
                if delivered == 0:
                    message = f"{line.sku} has not reached the shopper yet: cancel it on the order instead."
                else:
                    message = f"Only {left} of {line.sku} can come back: {delivered} bought" + (
                        f", {already} already returned or on another return." if already else "."
                    )
                fields.setdefault(f"lines.{index}.quantity", []).append(message)
    _raise_fields(fields, code=code)
    return items, held


def _new_return_request(**values) -> ReturnRequest:
    now = timezone.now()
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return_request = ReturnRequest(
                    rma_number=new_rma_number(), qr_token=new_qr_token(), created_at=now, updated_at=now, **values
                )
                # Field checks only: the foreign keys are rows just read, and the database CHECKs
                # the constraints (a query each through full_clean, on the desk's hot path).
                return_request.clean_fields(exclude=[*FOREIGN_KEYS, "rma_number", "qr_token"])
                return_request.save()
                return return_request
        except IntegrityError as exc:
            if "return_desk_submission_once" in str(exc):
                raise ReturnError(
                    _("This return was already submitted."), code=ReturnCode.DUPLICATE_SUBMISSION
                ) from None
            if "rma_number" not in str(exc) and "qr_token" not in str(exc):
                raise
    raise ReturnError(_("Could not allocate an RMA number; try again."), code=ReturnCode.RMA_EXHAUSTED)


def verdict_values(verdict) -> dict:
    return {
        "goods_total": verdict.goods,
        "fees_total": verdict.fees,
        "clawback_total": verdict.clawback,
        "refund_total": verdict.refund,
        "shipping_refund": verdict.shipping,
        "shipping_tax": verdict.shipping_tax,
        "approval_required": verdict.needs_approval,
        "summary": verdict.sentences,
        "summaries": verdict.summaries,
    }


# What judging a return sets on its lines (condition and disposition too: the desk's receive leaves
# them to the one write that follows the verdicts)
LINE_FIELDS = ["condition", "disposition", "amount", "tax_amount", "fee", "verdict", "explanation", "explanations"]
# ... and on the return (verdict_values)
VERDICT_FIELDS = ["goods_total", "fees_total", "clawback_total", "refund_total", "shipping_refund", "shipping_tax",
                  "approval_required", "summary", "summaries"]  # fmt: skip


def create_lines(return_request: ReturnRequest, items: list[Item]) -> list[ReturnLine]:
    """The new return's lines, with the engine's verdict on each (the return's row carries its totals)."""
    rows = []
    for item in items:
        variant = item.order_line.variant if item.order_line else item.variant
        rows.append(
            ReturnLine(
                request=return_request,
                order_line=item.order_line,
                variant=variant,
                sku=variant.sku,
                name=(item.order_line.name if item.order_line else variant.product.name)[:200],
                quantity=item.quantity,
                reason=item.reason,
                reason_note=(item.reason_note or "").strip()[:200],
                condition=item.condition,
                disposition=item.disposition,
                unit_basis=item.unit_basis,
                amount=item.paid,
                tax_amount=item.tax,
                fee=item.verdict.fee,
                verdict=ReturnLine.Verdict.NEEDS_APPROVAL
                if item.verdict.needs_approval
                else ReturnLine.Verdict.ELIGIBLE,
                explanation=item.verdict.explanation,
                explanations=item.verdict.explanations,
            )
        )
    return ReturnLine.objects.bulk_create(rows)


def set_verdicts(return_request: ReturnRequest, items: list[Item], verdict, lines) -> None:
    """The engine's answer on an existing return and its lines, in order; nothing is written here
    (VERDICT_FIELDS of the return, LINE_FIELDS of the lines: the caller writes them once)."""
    for field, value in verdict_values(verdict).items():
        setattr(return_request, field, value)
    return_request.updated_at = timezone.now()
    for line, item in zip(lines, items, strict=True):
        line.amount, line.tax_amount, line.fee = item.paid, item.tax, item.verdict.fee
        line.verdict = ReturnLine.Verdict.NEEDS_APPROVAL if item.verdict.needs_approval else ReturnLine.Verdict.ELIGIBLE
        line.explanation, line.explanations = item.verdict.explanation, item.verdict.explanations


def open_return(
    *,
    order: Order,
    lines: list[LineRequest],
    channel: str,
    method: str = ReturnRequest.Method.IN_STORE,
    actor: User | None = None,
    device: PosDevice | None = None,
    store: Store | None = None,
    receipt_number: str = "",
    receipt_fingerprint: str = "",
    note: str = "",
    submission_key: str = "",
) -> ReturnContext:
    """Open a return of some units of an order; each line gets the policy's verdict in words.

    Locks the order's lines, so two returns of the same units cannot both pass the "bought minus
    already returned" check. Refuses unknown lines and too many units with nothing written.
    A step in the caller's transaction (start_return is the service): the context carries the
    rules, the order's lines and the new return's lines to the desk's next steps.
    """
    if method not in ReturnRequest.Method.values:
        raise ReturnError(
            _("method is in_store or mail."), code=ReturnCode.INVALID_METHOD, fields={"method": [_("Unknown.")]}
        )
    if channel not in Channel.values:
        raise ReturnError(
            _("channel is one of %(value)s.") % {"value": ", ".join(Channel.values)}, code=ReturnCode.INVALID_RETURN
        )
    _raise_fields(_check_lines(lines))
    if order.status == Order.Status.CANCELLED:
        raise ReturnError(
            _("Order %(number)s was cancelled: nothing to return.") % {"number": order.number},
            code=ReturnCode.NOT_RETURNABLE,
        )
    order_lines = order_lines_for(order, lock=True)
    items, held = _receipted_items(order, order_lines, lines)
    rules = rules_for_market(order_market(order))  # the selling market's, wherever it comes back
    price_receipted(items, already=held)
    returning: dict[int, int] = {}
    for item in items:
        returning[item.order_line.pk] = returning.get(item.order_line.pk, 0) + item.quantity
    shipping = shipping_facts(order, order_lines, returning=returning, done=held)  # an estimate until refunded
    today = local_date(timezone.now(), order)  # the window in the selling store's days
    verdict = judge_items(items, rules=rules, order=order, today=today, method=method, shipping=shipping)
    return_request = _new_return_request(
        order=order,
        currency=order.currency,  # refunded in what it was paid in, whichever market's store takes it back
        customer=order.customer,
        method=method,
        channel=channel,
        receiptless=False,
        started_store=store or (device.store if device else None),
        device=device,
        receipt_number=(receipt_number or "").strip()[:40],
        receipt_fingerprint=receipt_fingerprint,
        submission_key=(submission_key or "").strip()[:64],
        created_by=_actor(actor),
        note=(note or "").strip()[:300],
        **verdict_values(verdict),
    )
    created = create_lines(return_request, items)
    record_audit_event(
        actor=device or _actor(actor),
        action="return.requested",
        obj=return_request,
        store=return_request.started_store,
        details={
            "rma": return_request.rma_number,
            "order": order.number,
            "channel": channel,
            "method": method,
            "units": sum(i.quantity for i in items),
            "approval_required": return_request.approval_required,
        },
    )
    record_return_event("return.requested", return_request)
    return ReturnContext(return_request, rules=rules, order_lines=tuple(order_lines), lines=tuple(created))


start_return = service(open_return)


def open_receiptless_return(
    *,
    customer,
    lines: list[LineRequest],
    store: Store,
    actor: User | None = None,
    device: PosDevice | None = None,
    receipt_number: str = "",
    note: str = "",
    submission_key: str = "",
) -> ReturnContext:
    """A return without a receipt: the shopper is known (profile or card), lines are SKUs credited at
    the lowest recent price as store credit; the receipt-less limits per shopper apply. A step, as
    open_return (start_receiptless_return is the service)."""

    if not isinstance(customer, Customer) or customer.erased_at or customer.merged_into_id:
        raise ReturnError(
            _("A return without a receipt needs the shopper's profile or loyalty card."),
            code=ReturnCode.RECEIPTLESS_NEEDS_CUSTOMER,
            fields={"customer": [_("Required.")]},
        )
    fields = _check_lines(lines)
    skus = {(line.sku or "").strip() for line in lines}
    variants = {v.sku: v for v in Variant.objects.filter(sku__in=skus).select_related("product__category__parent")}
    for index, line in enumerate(lines):
        if (line.sku or "").strip() not in variants:
            fields.setdefault(f"lines.{index}", []).append(f"Unknown SKU {line.sku!r}.")
    _raise_fields(fields)
    items = [
        Item(
            quantity=line.quantity,
            reason=line.reason,
            condition=line.condition,
            variant=variants[line.sku.strip()],
            disposition=line.disposition,
            reason_note=line.reason_note,
        )
        for line in lines
    ]
    market = store.market  # the returning store's: its prices, its currency, its policy
    rules = rules_for_market(market)
    # The shopper's profile row serialises their receipt-less returns, so the limits hold under races.
    Customer.objects.select_for_update().filter(pk=customer.pk).first()
    price_receiptless(items, rules=rules, market=market)
    verdict = judge_items(
        items,
        rules=rules,
        order=None,
        today=timezone.localdate(),
        method=ReturnRequest.Method.IN_STORE,
        customer=customer,
    )
    return_request = _new_return_request(
        order=None,
        currency=market.currency,
        customer=customer,
        method=ReturnRequest.Method.IN_STORE,
        channel=Channel.STORE,
        receiptless=True,
        started_store=store,
        device=device,
        receipt_number=(receipt_number or "").strip()[:40],
        submission_key=(submission_key or "").strip()[:64],
        created_by=_actor(actor),
        note=(note or "").strip()[:300],
        **verdict_values(verdict),
    )
    created = create_lines(return_request, items)
    record_audit_event(
        actor=device or _actor(actor),
        action="return.requested",
        obj=return_request,
        store=store,
        details={"rma": return_request.rma_number, "receiptless": True, "credit": str(return_request.refund_total)},
    )
    record_return_event("return.requested", return_request)
    return ReturnContext(return_request, rules=rules, lines=tuple(created))


start_receiptless_return = service(open_receiptless_return)


@transaction.atomic
def cancel_return(*, return_request: ReturnRequest, actor: User | None = None) -> ReturnRequest:
    """The shopper (or the store) calls off a return before the goods came in; the units are free again."""
    return_request = lock_request(return_request)
    if return_request.status != ReturnRequest.Status.REQUESTED:
        raise ReturnError(
            _("Return %(rma_number)s is %(value)s; only a requested return can be cancelled.")
            % {"rma_number": return_request.rma_number, "value": return_request.get_status_display().lower()},
            code=RetailCode.ILLEGAL_TRANSITION,
        )
    now = timezone.now()
    return_request.status = ReturnRequest.Status.CANCELLED
    return_request.closed_at = return_request.updated_at = now
    return_request.save(update_fields=["status", "closed_at", "updated_at"])
    record_audit_event(
        actor=_actor(actor), action="return.cancelled", obj=return_request, store=return_request.started_store
    )
    return return_request


@transaction.atomic
def reject_return(*, return_request: ReturnRequest, store: Store, actor: User, reason: str) -> ReturnRequest:
    """Refuse a return before stock moved (goods go back to the shopper); the shopper is told why."""

    return_request = lock_request(return_request)
    if return_request.status not in (ReturnRequest.Status.REQUESTED, ReturnRequest.Status.RECEIVED):
        raise ReturnError(
            _("Return %(rma_number)s is %(value)s; it can no longer be rejected.")
            % {"rma_number": return_request.rma_number, "value": return_request.get_status_display().lower()},
            code=RetailCode.ILLEGAL_TRANSITION,
        )
    if return_request.store_id and return_request.store_id != store.pk:
        raise ReturnError(
            _("Return %(rma_number)s was received at %(name)s; only that store can reject it.")
            % {"rma_number": return_request.rma_number, "name": return_request.store.name},
            code=RetailCode.WRONG_STORE,
        )
    reason = (reason or "").strip()
    if not reason:
        raise ReturnError(
            _("Say why the return is rejected."), code=ReturnCode.INVALID_RETURN, fields={"reason": [_("Required.")]}
        )
    now = timezone.now()
    return_request.status, return_request.closed_at, return_request.updated_at = ReturnRequest.Status.REJECTED, now, now
    return_request.note = reason[:300]
    return_request.store = return_request.store or store
    return_request.save(update_fields=["status", "closed_at", "updated_at", "note", "store"])
    record_audit_event(
        actor=_actor(actor), action="return.rejected", obj=return_request, store=store, details={"reason": reason}
    )
    notify_return(return_request=return_request, kind="rejected")
    return return_request
