"""Messages to the shopper about a return: an outbox row in the caller's transaction."""

from contextlib import contextmanager
from contextvars import ContextVar

from orders.returns.models import ReturnRequest
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


def notify_return(*, request: ReturnRequest, kind: str) -> None:
    """Queue "received" / "refunded" / "exchanged" / "rejected"; sent after commit, with consent."""
    if _muted.get() or request.customer_id is None:
        return
    enqueue_outbox_message(topic=NOTIFY_TOPIC, payload={"return_id": request.pk, "kind": kind})
