"""Receiving returned goods in a store (or the warehouse, for mail) and deciding where each unit goes."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.errors import InventoryCode, InventoryError
from inventory.services import adjust_stock, restock_return
from orders.errors import OrderCode
from orders.returns.errors import ReturnCode, ReturnError
from orders.returns.models import Condition, Disposition, ReturnLine, ReturnRequest
from orders.returns.services.context import ReturnContext, hold, lock_request
from orders.returns.services.facts import (
    DEFAULT_DISPOSITION,
    Item,
    judge_items,
    local_date,
    offer_facts,
    order_lines_for,
    price_receipted,
    price_receiptless,
    return_market,
    rules_for_market,
    shipping_facts,
    units_in_returns,
)
from orders.returns.services.notify import notify_return
from orders.returns.services.requests import LINE_FIELDS, VERDICT_FIELDS, set_verdicts
from retail.errors import RetailCode
from retail.messages import say
from retail.models import PosDevice, Store, User
from retail.services import record_audit_event


@dataclass
class Inspection:
    """What the associate found: the item's condition and where it goes (default from the condition)."""

    condition: str
    disposition: str = ""


def require_returns_desk(store: Store) -> None:
    if not (store.is_active and store.accepts_returns):
        raise ReturnError(
            _(
                "%(name)s (%(code)s) does not take returns. Send the shopper to a store with a returns desk or let "
                "them return it by mail."
            )
            % {"name": store.name, "code": store.code},
            code=InventoryCode.RETURNS_NOT_ACCEPTED,
        )


def judge(context: ReturnContext) -> ReturnContext:
    """Judge the return again from its lines as they are now (conditions found at inspection, exact
    amounts after earlier refunds); the window counts from the return's date. The verdicts are set
    on the return and its lines, not written (VERDICT_FIELDS, LINE_FIELDS: the caller writes them).
    Reads only what the context does not carry yet, and hands it on."""
    return_request = context.return_request
    market = None
    if context.rules is None or not return_request.order_id:
        market = return_market(return_request)
    rules = context.rules or rules_for_market(market)
    lines = context.lines if context.lines is not None else return_lines(return_request)
    items = [
        Item(
            quantity=ln.quantity,
            reason=ln.reason,
            condition=ln.condition,
            order_line=ln.order_line,
            variant=ln.variant,
        )
        for ln in lines
    ]
    offer = shipping = None
    order_lines = context.order_lines
    if return_request.order_id:
        if order_lines is None:
            order_lines = tuple(order_lines_for(return_request.order))
        by_pk = {ol.pk: ol for ol in order_lines}
        for item in items:
            item.order_line = by_pk[item.order_line.pk]
        done = units_in_returns(by_pk, statuses=ReturnRequest.DONE_STATUSES, exclude_request=return_request.pk)
        price_receipted(items, already=done)
        returning: dict[int, int] = {}
        for item in items:
            returning[item.order_line.pk] = returning.get(item.order_line.pk, 0) + item.quantity
        offer = offer_facts(return_request.order, order_lines, returning=returning, done=done)
        shipping = shipping_facts(
            return_request.order, order_lines, returning=returning, done=done, exclude_request=return_request.pk
        )
    else:
        price_receiptless(items, rules=rules, market=market, now=return_request.created_at)
    verdict = judge_items(
        items,
        rules=rules,
        order=return_request.order,
        today=local_date(return_request.created_at, return_request.order),
        method=return_request.method,
        customer=return_request.customer,
        offer=offer,
        shipping=shipping,
        exclude_request=return_request.pk,
    )
    set_verdicts(return_request, items, verdict, lines)
    return context.knowing(rules=rules, order_lines=order_lines, lines=tuple(lines))


@transaction.atomic
def rejudge_return(*, return_request: ReturnRequest) -> ReturnRequest:
    """Judge a return again and store the verdicts (the demo seed, after moving a return back in time)."""
    context = judge(hold(return_request))
    ReturnLine.objects.bulk_update(context.lines, LINE_FIELDS)
    context.return_request.save(update_fields=[*VERDICT_FIELDS, "updated_at"])
    return context.return_request


def return_lines(return_request: ReturnRequest) -> list[ReturnLine]:
    return list(return_request.lines.select_related("variant__product__category__parent", "order_line").order_by("pk"))


def _move_stock(lines: list[ReturnLine], *, store: Store, actor, reference: str) -> None:
    """Units back on sale (restock, and damaged ones before they are written off) in one ledger call
    for the whole return, then each damaged line written off; units held for inspection wait in the
    back room, neither sellable nor written off, until released."""

    back = [line for line in lines if line.disposition in (Disposition.RESTOCK, Disposition.DAMAGED)]
    if back:  # within the return's transaction, which any refusal here rolls back whole: no savepoint
        restock_return.within(
            location=store, lines=[(line.variant, line.quantity) for line in back], actor=actor, reference=reference
        )
    for line in back:
        if line.disposition == Disposition.DAMAGED:
            adjust_stock(
                location=store,
                variant=line.variant,
                quantity=-line.quantity,
                reason=say("returns.damaged_stock", rma=reference.removeprefix("return:")),
                kind="damage",
                actor=actor,
                reference=reference,
            )


def _user(actor) -> User | None:
    return actor if isinstance(actor, User) and actor.pk else None


def inspect_lines(
    context: ReturnContext, *, store: Store, actor, inspections: dict[int, Inspection] | None
) -> ReturnContext:
    """Set each line's condition and disposition (not written: the verdicts' write that follows takes
    them, LINE_FIELDS) and move its stock."""
    inspections = inspections or {}
    return_request = context.return_request
    lines = context.lines if context.lines is not None else return_lines(return_request)
    unknown = set(inspections) - {line.pk for line in lines}
    if unknown:
        raise ReturnError(
            _("Inspect only this return's lines."), code=OrderCode.INVALID_LINE, fields={"lines": [_("Unknown.")]}
        )
    for line in lines:
        found = inspections.get(line.pk) or Inspection(condition=line.condition)
        if found.condition not in Condition.values:
            raise ReturnError(
                _("Condition is one of %(value)s.") % {"value": ", ".join(Condition.values)},
                code=ReturnCode.INVALID_CONDITION,
                fields={f"lines.{line.pk}.condition": [_("Unknown.")]},
            )
        chosen = found.disposition or (line.disposition if line.pk not in inspections else "")
        disposition = chosen or DEFAULT_DISPOSITION[found.condition]
        if disposition not in Disposition.values:
            raise ReturnError(
                _("Disposition is one of %(value)s.") % {"value": ", ".join(Disposition.values)},
                code=ReturnCode.INVALID_DISPOSITION,
                fields={f"lines.{line.pk}.disposition": [_("Unknown.")]},
            )
        line.condition, line.disposition = found.condition, disposition
    reference = f"return:{return_request.rma_number}"
    try:
        _move_stock(lines, store=store, actor=_user(actor), reference=reference)
    except InventoryError as exc:
        raise ReturnError(exc.message, code=exc.code, fields=exc.fields) from None
    return context.knowing(lines=tuple(lines))


# What receiving sets on the return's row
RECEIVED_FIELDS = ["store", "status", "updated_at", "received_at", "received_by", "inspected_at"]


def receive(
    context: ReturnContext,
    *,
    store: Store,
    actor: User | PosDevice | None,
    inspections: dict[int, Inspection] | None = None,
    inspect: bool = True,
) -> ReturnContext:
    """The goods are in this store's hands: record where, inspect (condition, disposition), move stock.

    A step: the return's new state (RECEIVED_FIELDS, and its lines' LINE_FIELDS when inspected) is
    set, not written; receive_return writes it with the verdicts, the desk's refund with its own.
    Only stores that accept returns; a mail return is received at the warehouse. With `inspect`,
    lines not in `inspections` keep the condition the shopper gave and its default disposition.
    """
    require_returns_desk(store)
    return_request = context.return_request
    if return_request.status not in (ReturnRequest.Status.REQUESTED, ReturnRequest.Status.RECEIVED):
        raise ReturnError(
            _("Return %(rma_number)s is %(value)s; it cannot be received again.")
            % {"rma_number": return_request.rma_number, "value": return_request.get_status_display().lower()},
            code=RetailCode.ILLEGAL_TRANSITION,
        )
    if return_request.status == ReturnRequest.Status.RECEIVED and return_request.store_id != store.pk:
        raise ReturnError(
            _("Return %(rma_number)s was received at %(name)s; finish it there.")
            % {"rma_number": return_request.rma_number, "name": return_request.store.name},
            code=RetailCode.WRONG_STORE,
        )
    now = timezone.now()
    first_receipt = return_request.status == ReturnRequest.Status.REQUESTED
    return_request.store, return_request.status, return_request.updated_at = store, ReturnRequest.Status.RECEIVED, now
    if first_receipt:
        return_request.received_at, return_request.received_by = now, _user(actor)
    inspected = ()
    if inspect:
        context = inspect_lines(context, store=store, actor=actor, inspections=inspections)
        return_request.status, return_request.inspected_at = ReturnRequest.Status.INSPECTED, now
        inspected = context.lines
    record_audit_event(
        actor=actor if isinstance(actor, PosDevice) else _user(actor),
        action="return.received",
        obj=return_request,
        store=store,
        details={
            "rma": return_request.rma_number,
            "inspected": inspect,
            "dispositions": [(line.sku, line.quantity, line.disposition) for line in inspected],
        },
    )
    if first_receipt:
        notify_return(return_request=return_request, kind="received")
    return context


@transaction.atomic
def receive_return(
    *,
    return_request: ReturnRequest,
    store: Store,
    actor: User | PosDevice | None,
    inspections: dict[int, Inspection] | None = None,
    inspect: bool = True,
) -> ReturnRequest:
    """Receive (and inspect) a return on its own: its row locked, received, judged again from what
    the inspection found, and written once (the return's row, its lines)."""
    context = receive(hold(return_request), store=store, actor=actor, inspections=inspections, inspect=inspect)
    fields = RECEIVED_FIELDS
    if inspect:
        context = judge(context)
        ReturnLine.objects.bulk_update(context.lines, LINE_FIELDS)
        fields = [*fields, *VERDICT_FIELDS]
    context.return_request.save(update_fields=fields)
    return context.return_request


@transaction.atomic
def release_inspection(*, line: ReturnLine, store: Store, actor: User, outcome: str) -> ReturnLine:
    """A unit held for inspection goes back on sale (`restock`) or is written off (`damaged`)."""
    return_request = lock_request(line.request_id)
    line = ReturnLine.objects.select_related("variant").get(pk=line.pk)
    if return_request.store_id != store.pk:
        raise ReturnError(_("Release it in the store that received it."), code=RetailCode.WRONG_STORE)
    if line.disposition != Disposition.INSPECTION or line.inspection_released_at is not None:
        raise ReturnError(_("This line is not waiting for inspection."), code=RetailCode.ILLEGAL_TRANSITION)
    if outcome not in (Disposition.RESTOCK, Disposition.DAMAGED):
        raise ReturnError(_("Release to restock or damaged."), code=ReturnCode.INVALID_DISPOSITION)
    reference = f"return:{return_request.rma_number}"
    line.disposition = outcome
    _move_stock([line], store=store, actor=actor, reference=reference)
    line.inspection_released_at = timezone.now()
    line.save(update_fields=["disposition", "inspection_released_at"])
    record_audit_event(
        actor=actor,
        action="return.inspection_released",
        obj=return_request,
        store=store,
        details={"sku": line.sku, "to": outcome},
    )
    return line
