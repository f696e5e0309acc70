"""Messages to the shopper about a return: an outbox row in the caller's transaction."""

from contextlib import contextmanager
from contextvars import ContextVar

from orders.returns.models import ReturnRequest
from retail.models import OutboxMessage
from retail.services import enqueue_outbox_message

NOTIFY_TOPIC = "returns.notify"
_muted: ContextVar[bool] = ContextVar("returns_notifications_muted", default=False)
_happened_at: ContextVar = ContextVar("returns_happened_at", default=None)


@contextmanager
def happened_at(moment):
    """Demo seed only: returns of old orders land on the timeline when they happened, not today."""
    token = _happened_at.set(moment)
    try:
        yield
    finally:
        _happened_at.reset(token)


def backdated_to():
    return _happened_at.get()


@contextmanager
def notifications_muted():
    """Demo seed only: invented shoppers are not sent messages about invented returns."""
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


# A refund or exchange message lists the goods too: it makes a "received" still waiting redundant.
SUPERSEDES = {"refunded": "received", "exchanged": "received"}


def notify_return(*, return_request: ReturnRequest, kind: str) -> None:
    """Queue "received" / "refunded" / "exchanged" / "rejected"; sent after commit to the shopper's
    contacts. One message per event: a refund in the same visit as the receipt (the desk, the till)
    drops the "received" message that nobody has started to deliver."""
    if _muted.get():
        return
    order = return_request.order if return_request.order_id else None
    if return_request.customer_id is None and not (order and (order.email or order.phone)):
        return
    if kind in SUPERSEDES:
        waiting = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(
                topic=NOTIFY_TOPIC,
                status=OutboxMessage.Status.PENDING,
                attempts=0,
                payload__return_id=return_request.pk,
                payload__kind=SUPERSEDES[kind],
            )
            .values_list("pk", flat=True)
        )
        OutboxMessage.objects.filter(pk__in=list(waiting)).delete()
    enqueue_outbox_message(topic=NOTIFY_TOPIC, payload={"return_id": return_request.pk, "kind": kind})
