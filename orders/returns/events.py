"""Webhook events of the returns app: return.requested and return.refunded (exchanges included)."""

from retail.domain.money import money
from webhooks.events import record_event


def return_data(return_request) -> dict:
    return {
        "id": return_request.pk,
        "rma_number": return_request.rma_number,
        "status": return_request.status,
        "method": return_request.method,
        "channel": return_request.channel,
        "receiptless": return_request.receiptless,
        "order_id": return_request.order_id,
        "customer_id": return_request.customer_id,
        "refund_total": str(money(return_request.refund_total)),
        "refund_method": return_request.refund_method or None,
    }


def record_return_event(type: str, return_request, **extra) -> None:
    record_event(type=type, data={"return": return_data(return_request), **extra}, key=f"return:{return_request.pk}")
