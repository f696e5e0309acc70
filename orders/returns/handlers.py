"""Outbox handlers of the returns app: the shopper is told when a return is received and refunded.

Delivered once per channel: the ReturnNotification row (unique by outbox message and channel)
commits with the outbox's `delivered` mark; adapters (orders' email/SMS/push) get `outbox:<id>`
as idempotency key. Each channel is used only with the shopper's consent for it.
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


@outbox_handler(NOTIFY_TOPIC)
def send_return_notification(message) -> None:
    from customers.services.profiles import has_consent

    payload = message.payload
    request = (
        ReturnRequest.objects.select_related("customer__user", "store", "exchange_order", "order")
        .filter(pk=payload["return_id"])
        .first()
    )
    if request is None or request.customer_id is None:
        return
    customer, kind = request.customer, payload["kind"]
    key = f"outbox:{message.pk}"
    done = set(ReturnNotification.objects.filter(message_key=key).values_list("channel", flat=True))
    context = {
        "request": request,
        "kind": kind,
        "lines": list(request.lines.all()),
        "name": customer.first_name or (request.order.contact_name if request.order_id else ""),
        "currency": settings.CURRENCY,
    }
    subject = SUBJECTS[kind].format(rma=request.rma_number)
    channels = [
        ("email", customer.email or (request.order.email if request.order_id else "")),
        ("sms", customer.phone),
        ("push", f"user:{customer.user_id}" if customer.user_id else ""),
    ]
    for channel, recipient in channels:
        if channel in done:
            continue
        if not recipient:
            status = ReturnNotification.Status.NO_CONTACT
        elif not has_consent(customer, channel):
            status = ReturnNotification.Status.NO_CONSENT
        else:
            status = ReturnNotification.Status.SENT
            template = "returns/messages/email.txt" if channel == "email" else "returns/messages/short.txt"
            adapter_for(channel).send(
                OutgoingMessage(
                    channel=channel,
                    recipient=recipient,
                    subject=subject,
                    body=render_to_string(template, context).strip(),
                    idempotency_key=key,
                )
            )
        ReturnNotification.objects.create(
            request=request,
            kind=kind,
            channel=channel,
            recipient=recipient[:255],
            status=status,
            message_key=key,
            created_at=timezone.now(),
        )
