"""Outbox handlers of the returns app: the shopper is told when a return is received and refunded.

Service messages about the shopper's own return: they go to the contacts the shopper gave (the
profile's, else the order's), whatever the marketing consents say. Delivered once per channel:
the ReturnNotification row (unique by outbox message and channel) commits with the outbox's
`delivered` mark; adapters (orders' email/SMS/push) get `outbox:<id>` as idempotency key.
"""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from orders.notifications import OutgoingMessage, adapter_for
from orders.returns.models import ReturnNotification, ReturnRequest
from orders.returns.services.notify import NOTIFY_TOPIC
from retail.outbox import outbox_handler

SUBJECTS = {
    "received": "We have received your return {rma}",
    "refunded": "Your refund for {rma} is on its way",
    "exchanged": "Your exchange for {rma} is placed",
    "rejected": "About your return {rma}",
}


def return_context(*, request: ReturnRequest, kind: str) -> dict:
    customer, order = request.customer, request.order
    return {
        "request": request,
        "kind": kind,
        "lines": list(request.lines.all()),
        "name": (customer.first_name if customer else "") or (order.contact_name if order else ""),
        "currency": settings.CURRENCY,
    }


def render_return_message(channel: str, context: dict, *, key: str, recipient: str) -> OutgoingMessage:
    subject = SUBJECTS[context["kind"]].format(rma=context["request"].rma_number)
    return OutgoingMessage(
        channel=channel,
        recipient=recipient,
        subject="" if channel == "sms" else subject,  # an SMS has no subject line to repeat
        body=render_to_string(f"returns/messages/{channel}.txt", context).strip(),
        idempotency_key=key,
    )


@outbox_handler(NOTIFY_TOPIC)
def send_return_notification(message) -> None:
    payload = message.payload
    request = (
        ReturnRequest.objects.select_related("customer__user", "store", "exchange_order", "order")
        .filter(pk=payload["return_id"])
        .first()
    )
    if request is None:
        return
    customer, order, kind = request.customer, request.order, payload["kind"]
    key = f"outbox:{message.pk}"
    done = set(ReturnNotification.objects.filter(message_key=key).values_list("channel", flat=True))
    context = return_context(request=request, kind=kind)
    channels = [
        ("email", (customer.email if customer else "") or (order.email if order else "")),
        ("sms", (customer.phone if customer else "") or (order.phone if order else "")),
        ("push", f"user:{customer.user_id}" if customer and customer.user_id else ""),
    ]
    for channel, recipient in channels:
        if channel in done:
            continue
        if recipient:
            status = ReturnNotification.Status.SENT
            adapter_for(channel).send(render_return_message(channel, context, key=key, recipient=recipient))
        else:
            status = ReturnNotification.Status.NO_CONTACT
        ReturnNotification.objects.create(
            request=request,
            kind=kind,
            channel=channel,
            recipient=recipient[:255],
            status=status,
            message_key=key,
            created_at=timezone.now(),
        )
