"""Receiving returned goods in a store (or the warehouse, for mail) and deciding where each unit goes."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from inventory.errors import InventoryCode, InventoryError
from inventory.services import adjust_stock, restock_return
from orders.errors import OrderCode
from orders.returns.errors import ReturnCode, ReturnError
from orders.returns.models import Condition, Disposition, ReturnLine, ReturnRequest
from orders.returns.services._tx import remember, remembered, service
from orders.returns.services.facts import (
    DEFAULT_DISPOSITION,
    Item,
    current_rules,
    judge_items,
    local_date,
    offer_facts,
    order_lines_for,
    price_receipted,
    price_receiptless,
    units_in_returns,
)
from orders.returns.services.notify import notify_return
from orders.returns.services.requests import lock_request, save_verdicts
from retail.errors import RetailCode
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
            f"{store.name} ({store.code}) does not take returns. Send the shopper to a store with a returns desk "
            "or let them return it by mail.",
            code=InventoryCode.RETURNS_NOT_ACCEPTED,
        )


def rejudge(
    request: ReturnRequest,
    *,
    lock_order: bool = False,
    lines: list[ReturnLine] | None = None,
    save_request: bool = True,
):
    """Judge the request again from its lines as they are now (conditions found at inspection, exact
    amounts after earlier refunds), and store the verdicts. The window counts from the request's date.
    With `save_request=False` only the lines are written: the caller saves the request's row itself.
    Rules and order lines read earlier in this transaction (`remember`) are not read again."""
    rules = remembered(request, "rules") or current_rules()
    if lines is None:
        lines = request_lines(request)
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
    offer = None
    if request.order_id:
        order_lines = None if lock_order else remembered(request, "order_lines")
        if order_lines is None:
            order_lines = order_lines_for(request.order, lock=lock_order)
        by_pk = {ol.pk: ol for ol in order_lines}
        for item in items:
            item.order_line = by_pk[item.order_line.pk]
        done = units_in_returns(by_pk, statuses=ReturnRequest.DONE_STATUSES, exclude_request=request.pk)
        price_receipted(items, already=done)
        returning: dict[int, int] = {}
        for item in items:
            returning[item.order_line.pk] = returning.get(item.order_line.pk, 0) + item.quantity
        offer = offer_facts(request.order, order_lines, returning=returning, done=done)
    else:
        price_receiptless(items, rules=rules, now=request.created_at)
    verdict = judge_items(
        items,
        rules=rules,
        order=request.order,
        today=local_date(request.created_at),
        method=request.method,
        customer=request.customer,
        offer=offer,
        exclude_request=request.pk,
    )
    save_verdicts(request, items, verdict, create=False, lines=lines, save_request=save_request)
    return verdict


def request_lines(request: ReturnRequest) -> list[ReturnLine]:
    return list(request.lines.select_related("variant__product__category__parent", "order_line").order_by("pk"))


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
                reason=f"Returned damaged ({reference.removeprefix('return:')})",
                kind="damage",
                actor=actor,
                reference=reference,
            )


def _user(actor) -> User | None:
    return actor if isinstance(actor, User) and actor.pk else None


def inspect_lines(
    request: ReturnRequest, *, store: Store, actor, inspections: dict[int, Inspection] | None, save: bool = True
) -> list[ReturnLine]:
    """Set each line's condition and disposition and move its stock (request locked by the caller).
    With `save=False` the lines are only set: the verdicts saved next write them (save_verdicts)."""
    inspections = inspections or {}
    lines = remembered(request, "lines") or request_lines(request)
    unknown = set(inspections) - {line.pk for line in lines}
    if unknown:
        raise ReturnError(
            "Inspect only this return's lines.", code=OrderCode.INVALID_LINE, fields={"lines": ["Unknown."]}
        )
    for line in lines:
        found = inspections.get(line.pk) or Inspection(condition=line.condition)
        if found.condition not in Condition.values:
            raise ReturnError(
                f"Condition is one of {', '.join(Condition.values)}.",
                code=ReturnCode.INVALID_CONDITION,
                fields={f"lines.{line.pk}.condition": ["Unknown."]},
            )
        chosen = found.disposition or (line.disposition if line.pk not in inspections else "")
        disposition = chosen or DEFAULT_DISPOSITION[found.condition]
        if disposition not in Disposition.values:
            raise ReturnError(
                f"Disposition is one of {', '.join(Disposition.values)}.",
                code=ReturnCode.INVALID_DISPOSITION,
                fields={f"lines.{line.pk}.disposition": ["Unknown."]},
            )
        line.condition, line.disposition = found.condition, disposition
    if save:
        ReturnLine.objects.bulk_update(lines, ["condition", "disposition"])
    reference = f"return:{request.rma_number}"
    try:
        _move_stock(lines, store=store, actor=_user(actor), reference=reference)
    except InventoryError as exc:
        raise ReturnError(exc.message, code=exc.code, fields=exc.fields) from None
    remember(request, lines=lines)
    return lines


@service
def receive_return(
    *,
    request: ReturnRequest,
    store: Store,
    actor: User | PosDevice | None,
    inspections: dict[int, Inspection] | None = None,
    inspect: bool = True,
    judge: bool = True,
    held: bool = False,
    save: bool = True,
) -> ReturnRequest:
    """The goods are in this store's hands: record where, inspect (condition, disposition), move stock.

    Only stores that accept returns; a mail return is received at the warehouse. With `inspect`,
    lines not in `inspections` keep the condition the shopper gave and its default disposition.
    Locks the return's row, unless the caller `held` it already in this transaction. With
    `save=False` the request's and its lines' new state is only set: a caller that saves them next in
    the same transaction (the desk's refund: rejudge writes the lines, then the request's row) writes
    them once.
    """
    require_returns_desk(store)
    request = request if held else lock_request(request)
    if request.status not in (ReturnRequest.Status.REQUESTED, ReturnRequest.Status.RECEIVED):
        raise ReturnError(
            f"Return {request.rma_number} is {request.get_status_display().lower()}; it cannot be received again.",
            code=RetailCode.ILLEGAL_TRANSITION,
        )
    if request.status == ReturnRequest.Status.RECEIVED and request.store_id != store.pk:
        raise ReturnError(
            f"Return {request.rma_number} was received at {request.store.name}; finish it there.",
            code=RetailCode.WRONG_STORE,
        )
    now = timezone.now()
    first_receipt = request.status == ReturnRequest.Status.REQUESTED
    request.store, request.status, request.updated_at = store, ReturnRequest.Status.RECEIVED, now
    if first_receipt:
        request.received_at, request.received_by = now, _user(actor)
    fields = ["store", "status", "updated_at", "received_at", "received_by"]
    lines = None
    if inspect:
        lines = inspect_lines(request, store=store, actor=actor, inspections=inspections, save=save)
        request.status, request.inspected_at = ReturnRequest.Status.INSPECTED, now
        fields.append("inspected_at")
    if save:
        request.save(update_fields=fields)
    if inspect and judge:
        rejudge(request, lines=lines)
    record_audit_event(
        actor=actor if isinstance(actor, PosDevice) else _user(actor),
        action="return.received",
        obj=request,
        store=store,
        details={
            "rma": request.rma_number,
            "inspected": inspect,
            "dispositions": [(line.sku, line.quantity, line.disposition) for line in lines or []],
        },
    )
    if first_receipt:
        notify_return(request=request, kind="received")
    return request


@transaction.atomic
def release_inspection(*, line: ReturnLine, store: Store, actor: User, outcome: str) -> ReturnLine:
    """A unit held for inspection goes back on sale (`restock`) or is written off (`damaged`)."""
    request = lock_request(line.request_id)
    line = ReturnLine.objects.select_related("variant").get(pk=line.pk)
    if request.store_id != store.pk:
        raise ReturnError("Release it in the store that received it.", code=RetailCode.WRONG_STORE)
    if line.disposition != Disposition.INSPECTION or line.inspection_released_at is not None:
        raise ReturnError("This line is not waiting for inspection.", code=RetailCode.ILLEGAL_TRANSITION)
    if outcome not in (Disposition.RESTOCK, Disposition.DAMAGED):
        raise ReturnError("Release to restock or damaged.", code=ReturnCode.INVALID_DISPOSITION)
    reference = f"return:{request.rma_number}"
    line.disposition = outcome
    _move_stock([line], store=store, actor=actor, reference=reference)
    line.inspection_released_at = timezone.now()
    line.save(update_fields=["disposition", "inspection_released_at"])
    record_audit_event(
        actor=actor,
        action="return.inspection_released",
        obj=request,
        store=store,
        details={"sku": line.sku, "to": outcome},
    )
    return line
