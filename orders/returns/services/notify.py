"""Messages to the shopper about a return: an outbox row in the caller's transaction."""

from orders.returns.models import ReturnRequest
from retail.services import enqueue_outbox_message

NOTIFY_TOPIC = "returns.notify"


def notify_return(*, request: ReturnRequest, kind: str) -> None:
    """Queue "received" / "refunded" / "exchanged" / "rejected"; sent after commit, with consent."""
    if request.customer_id is None:
        return
    enqueue_outbox_message(topic=NOTIFY_TOPIC, payload={"return_id": request.pk, "kind": kind})
