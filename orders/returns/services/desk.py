"""The counter's one step, and the till's: start (or take up) a return, approve, receive, refund."""

from dataclasses import dataclass, field

from django.db import IntegrityError, transaction

from orders.models import Order
from orders.numbers import normalise_order_number
from orders.returns.errors import ReturnCode, ReturnError
from orders.returns.models import ReturnRequest
from orders.returns.services._tx import forget
from orders.returns.services.approval import ManagerApproval
from orders.returns.services.receiving import Inspection, receive_return, require_returns_desk
from orders.returns.services.refunds import ExchangeRequest, refund_return
from orders.returns.services.requests import LineRequest, start_receiptless_return, start_return
from retail.domain.channel import Channel
from retail.errors import RetailCode
from retail.models import PosDevice, Store, User


@transaction.atomic
def complete_return(
    *,
    store: Store,
    actor: User,
    refund_method: str,
    request: ReturnRequest | None = None,
    order: Order | None = None,
    customer=None,
    lines: list[LineRequest] | None = None,
    inspections: dict[int, Inspection] | None = None,
    approval: ManagerApproval | None = None,
    exchange: ExchangeRequest | None = None,
    submission_key: str = "",
) -> ReturnRequest:
    """One transaction for the counter: a scanned RMA (`request`), or an order and the lines chosen,
    or a receipt-less return for `customer`; the manager's approval typed on the same screen; the
    goods received and inspected here; the refund. Any refusal leaves nothing written. A second
    submission of the same desk form (`submission_key`) is refused with `duplicate_submission`."""
    require_returns_desk(store)
    held = request is None  # a return made here and now is ours alone until this transaction commits
    if request is None:
        if order is not None:
            request = start_return.within(
                order=order,
                lines=lines or [],
                channel=Channel.STORE,
                store=store,
                actor=actor,
                submission_key=submission_key,
            )
        else:
            request = start_receiptless_return.within(
                customer=customer, lines=lines or [], store=store, actor=actor, submission_key=submission_key
            )
    if request.status in (ReturnRequest.Status.REQUESTED, ReturnRequest.Status.RECEIVED):
        # the refund below judges the return again under the order's lock, and saves its row whole
        request = receive_return.within(
            request=request, store=store, actor=actor, inspections=inspections, judge=False, held=held, save=False
        )
        held = True  # receive_return locked it (or it was made here)
    request = refund_return.within(
        request=request,
        store=store,
        actor=actor,
        method=refund_method,
        exchange=exchange,
        approval=approval,
        held=held,
    )
    forget(request)
    return request


@dataclass
class PosReturn:
    """What a till posts: its own receipt number for the return, the purchase (order number, or the
    original receipt at this store), the lines, and optionally a manager's approval typed at the till."""

    receipt_number: str
    lines: list[dict]  # {"quantity", "reason", optional "condition", "line_number", "sku", "note"}
    order_number: str = ""
    original_receipt: str = ""
    refund_method: str = "original"
    approval: dict = field(default_factory=dict)


def _pos_lines(raw: list[dict]) -> list[LineRequest]:
    """The till's lines ({quantity, reason, optional condition, line_number, sku, note}) as line requests."""
    return [
        LineRequest(
            quantity=line["quantity"],
            reason=line["reason"],
            condition=line.get("condition") or "new",
            line_number=line.get("line_number"),
            sku=line.get("sku") or "",
            reason_note=line.get("note") or "",
        )
        for line in raw
    ]


def record_pos_return(*, device: PosDevice, sale: PosReturn) -> tuple[ReturnRequest, bool]:
    """(return, created). Idempotent by the till's receipt number at its store: a replay gets the first."""
    store = device.store
    receipt = (sale.receipt_number or "").strip()
    if not receipt or len(receipt) > 40:
        raise ReturnError(
            "receipt_number is 1 to 40 characters.",
            code=ReturnCode.INVALID_RETURN,
            fields={"receipt_number": ["Required."]},
        )
    existing = ReturnRequest.objects.filter(started_store=store, receipt_number=receipt).first()
    if existing is not None:
        return existing, False
    try:
        return _record_pos_return(device=device, sale=sale, receipt=receipt), True
    except IntegrityError:
        existing = ReturnRequest.objects.filter(started_store=store, receipt_number=receipt).first()
        if existing is None:
            raise
        return existing, False


@transaction.atomic
def _record_pos_return(*, device: PosDevice, sale: PosReturn, receipt: str) -> ReturnRequest:
    store = device.store
    require_returns_desk(store)
    if sale.order_number:
        order = Order.objects.filter(number=normalise_order_number(sale.order_number) or sale.order_number).first()
    elif sale.original_receipt:
        order = Order.objects.filter(store=store, receipt_number=sale.original_receipt.strip()).first()
    else:
        raise ReturnError(
            "Give the order_number or the original_receipt of the purchase.",
            code=RetailCode.INVALID,
            fields={"order_number": ["Required."]},
        )
    if order is None:
        raise ReturnError("No purchase matches that order or receipt number.", code=ReturnCode.UNKNOWN_ORDER)
    request = start_return.within(
        order=order,
        lines=_pos_lines(sale.lines),
        channel=Channel.STORE,
        device=device,
        store=store,
        receipt_number=receipt,
    )
    request = receive_return.within(request=request, store=store, actor=device, judge=False, held=True, save=False)
    approval = None
    if sale.approval:
        approval = ManagerApproval(
            email=str(sale.approval.get("email") or ""),
            password=str(sale.approval.get("password") or ""),
            reason=str(sale.approval.get("reason") or ""),
            code=str(sale.approval.get("code") or ""),
            pin=str(sale.approval.get("pin") or ""),
        )
    request = refund_return.within(
        request=request, store=store, actor=None, method=sale.refund_method, approval=approval, held=True
    )
    forget(request)
    return request
