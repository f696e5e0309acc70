"""Webhook events of the returns app: return.requested and return.refunded (exchanges included)."""

from retail.domain.money import money
from webhooks.events import record_event


def return_data(request) -> dict:
    return {
        "id": request.pk,
        "rma_number": request.rma_number,
        "status": request.status,
        "method": request.method,
        "channel": request.channel,
        "receiptless": request.receiptless,
        "order_id": request.order_id,
        "customer_id": request.customer_id,
        "refund_total": str(money(request.refund_total)),
        "refund_method": request.refund_method or None,
    }


def record_return_event(type: str, request, **extra) -> None:
    record_event(type=type, data={"return": return_data(request), **extra}, key=f"return:{request.pk}")
