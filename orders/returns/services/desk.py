"""The counter's one step, and the till's: start (or take up) a return, approve, receive, refund."""

from dataclasses import asdict, dataclass, field

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from orders.models import Order
from orders.numbers import normalise_order_number
from orders.returns.errors import ReturnCode, ReturnError
from orders.returns.models import ReturnRequest
from orders.returns.services.approval import ManagerApproval
from orders.returns.services.context import ReturnContext, hold
from orders.returns.services.receiving import Inspection, receive, require_returns_desk
from orders.returns.services.refunds import ExchangeRequest, refund
from orders.returns.services.requests import LineRequest, open_receiptless_return, open_return
from retail import fingerprints
from retail.domain.channel import Channel
from retail.errors import RetailCode
from retail.models import PosDevice, Store, User


@transaction.atomic
def complete_return(
    *,
    store: Store,
    actor: User,
    refund_method: str,
    return_request: ReturnRequest | None = None,
    order: Order | None = None,
    customer=None,
    lines: list[LineRequest] | None = None,
    inspections: dict[int, Inspection] | None = None,
    approval: ManagerApproval | None = None,
    exchange: ExchangeRequest | None = None,
    submission_key: str = "",
) -> ReturnRequest:
    """One transaction for the counter: a scanned RMA (`return_request`), or an order and the lines
    chosen, or a receipt-less return for `customer`; the manager's approval typed on the same screen;
    the goods received and inspected here; the refund. Any refusal leaves nothing written. A second
    submission of the same desk form (`submission_key`) is refused with `duplicate_submission`.
    The steps hand each other a ReturnContext: the return's row and lines are written once, by the
    refund."""
    require_returns_desk(store)
    if return_request is not None:
        context = hold(return_request)
    elif order is not None:
        context = open_return(
            order=order,
            lines=lines or [],
            channel=Channel.STORE,
            store=store,
            actor=actor,
            submission_key=submission_key,
        )
    else:
        context = open_receiptless_return(
            customer=customer, lines=lines or [], store=store, actor=actor, submission_key=submission_key
        )
    context = _receive_here(context, store=store, actor=actor, inspections=inspections)
    context = refund(context, store=store, actor=actor, method=refund_method, exchange=exchange, approval=approval)
    return context.return_request


def _receive_here(context: ReturnContext, *, store: Store, actor, inspections=None) -> ReturnContext:
    """Goods not received yet (or received, not inspected) are received and inspected at this counter."""
    if context.return_request.status not in (ReturnRequest.Status.REQUESTED, ReturnRequest.Status.RECEIVED):
        return context
    return receive(context, store=store, actor=actor, inspections=inspections)


RETURN_FINGERPRINT = "orders.returns.pos"


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

    @property
    def as_sent(self) -> dict:
        """What comes back and how it is refunded, as the till sent it; not the manager's approval (its
        PIN or password has no place in a stored hash, and approving changes nothing that comes back)."""
        return {k: v for k, v in asdict(self).items() if k != "approval"}

    @property
    def fingerprint(self) -> str:
        return fingerprints.fingerprint(self.as_sent, purpose=RETURN_FINGERPRINT)


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
    """(return, created). Idempotent by the till's receipt number at its store: a replay gets the first;
    the same number with another return is refused (`_replay`)."""
    store = device.store
    receipt = (sale.receipt_number or "").strip()
    if not receipt or len(receipt) > 40:
        raise ReturnError(
            _("receipt_number is 1 to 40 characters."),
            code=ReturnCode.INVALID_RETURN,
            fields={"receipt_number": [_("Required.")]},
        )
    existing = ReturnRequest.objects.filter(started_store=store, receipt_number=receipt).first()
    if existing is not None:
        return _replay(existing, sale, receipt), False
    try:
        return _record_pos_return(device=device, sale=sale, receipt=receipt), True
    except IntegrityError:
        existing = ReturnRequest.objects.filter(started_store=store, receipt_number=receipt).first()
        if existing is None:
            raise
        return _replay(existing, sale, receipt), False


def _replay(existing: ReturnRequest, sale: PosReturn, receipt: str) -> ReturnRequest:
    """The first return of this receipt, if this is the same return; else 422 idempotency_mismatch (the
    rule of DESIGN.md's Idempotency-Key). Returns stored before fingerprints were kept replay as they did."""
    stored = existing.receipt_fingerprint
    if stored and not fingerprints.same_request(stored, sale.as_sent, purpose=RETURN_FINGERPRINT):
        raise ReturnError(
            _("Receipt %(receipt)s was recorded with another return at this store. A new return needs a new number.")
            % {"receipt": receipt},
            code=RetailCode.IDEMPOTENCY_MISMATCH,
            fields={"receipt_number": [_("Already used for another return.")]},
        )
    return existing


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
            _("Give the order_number or the original_receipt of the purchase."),
            code=RetailCode.INVALID,
            fields={"order_number": [_("Required.")]},
        )
    if order is None:
        raise ReturnError(_("No purchase matches that order or receipt number."), code=ReturnCode.UNKNOWN_ORDER)
    context = open_return(
        order=order,
        lines=_pos_lines(sale.lines),
        channel=Channel.STORE,
        device=device,
        store=store,
        receipt_number=receipt,
        receipt_fingerprint=sale.fingerprint,
    )
    context = receive(context, store=store, actor=device)
    approval = None
    if sale.approval:
        approval = ManagerApproval(
            email=str(sale.approval.get("email") or ""),
            password=str(sale.approval.get("password") or ""),
            reason=str(sale.approval.get("reason") or ""),
            code=str(sale.approval.get("code") or ""),
            pin=str(sale.approval.get("pin") or ""),
        )
    context = refund(context, store=store, actor=None, method=sale.refund_method, approval=approval)
    return context.return_request
