"""Outbox handlers of the orders app: messages to shoppers about their orders.

Delivered exactly once per channel: the Notification row (unique by outbox message and channel)
commits with the outbox's `delivered` mark, and adapters get `outbox:<id>` as idempotency key.
Each channel is used only with the shopper's consent for it.
"""

from django.template.loader import render_to_string
from django.utils import timezone

from customers.services.linking import PHONE_CODE_TOPIC
from orders.models import Fulfillment, Notification, Order
from orders.notifications import OutgoingMessage, adapter_for
from orders.services import NOTIFY_TOPIC
from retail.outbox import outbox_handler

SUBJECTS = {
    "ready": "Your order {number} is ready to collect",
    "reminder": "Reminder: collect {number} before {hold}",
    "expired": "Your order {number} was not collected and has been cancelled",
    "collected": "Receipt for {number}",
    "shipped": "Your order {number} is on its way",
    "cancelled": "Your order {number} was cancelled",
}


def _channels(order: Order) -> list[tuple[str, str]]:
    """(channel, recipient) for every channel we could use, consent checked later."""
    out = [("email", order.email)]
    out.append(("sms", order.phone))
    user_id = order.customer.user_id if order.customer_id else None
    out.append(("push", f"user:{user_id}" if user_id else ""))
    return out


@outbox_handler(NOTIFY_TOPIC)
def send_order_notification(message) -> None:
    payload = message.payload
    order = Order.objects.select_related("customer", "store").filter(pk=payload["order_id"]).first()
    if order is None:
        return
    fulfillment = (
        Fulfillment.objects.select_related("location").filter(pk=payload.get("fulfillment_id")).first()
        if payload.get("fulfillment_id")
        else None
    )
    kind = payload["kind"]
    key = f"outbox:{message.pk}"
    done = set(Notification.objects.filter(message_key=key).values_list("channel", flat=True))
    from customers.services.profiles import has_consent

    hold = (
        timezone.localtime(fulfillment.hold_until).strftime("%d %b %H:%M")
        if fulfillment and fulfillment.hold_until
        else ""
    )
    context = {
        "order": order,
        "fulfillment": fulfillment,
        "kind": kind,
        "hold": hold,
        "lines": list(order.lines.all()),
        "payments": list(order.payments.all()),
    }
    subject = SUBJECTS[kind].format(number=order.number, hold=hold)
    for channel, recipient in _channels(order):
        if channel in done:
            continue
        if not recipient:
            status = Notification.Status.NO_CONTACT
        elif order.customer_id and not has_consent(order.customer, channel):
            status = Notification.Status.NO_CONSENT
        else:
            status = Notification.Status.SENT
            body = render_to_string(
                f"orders/messages/{channel if channel == 'email' else 'short'}.txt", context
            ).strip()
            html = render_to_string("orders/messages/email.html", context) if channel == "email" else ""
            adapter_for(channel).send(
                OutgoingMessage(
                    channel=channel, recipient=recipient, subject=subject, body=body, idempotency_key=key, html=html
                )
            )
        Notification.objects.create(
            order=order,
            kind=kind,
            channel=channel,
            recipient=recipient[:255],
            status=status,
            message_key=key,
            created_at=timezone.now(),
        )


@outbox_handler(PHONE_CODE_TOPIC)
def send_phone_code(message) -> None:
    """The one-time code a shopper asked for to prove a phone number (customers.services.linking).

    Sent whatever the marketing consents say (the shopper asked for it); the code is wiped from the
    stored message in the same transaction that marks it delivered.
    """
    from retail.models import OutboxMessage

    phone, code = message.payload["phone"], message.payload["code"]
    adapter_for("sms").send(
        OutgoingMessage(
            channel="sms",
            recipient=phone,
            subject="Your Omnistore code",
            body=f"{code} is your code to confirm this number. It expires in 10 minutes. "
            "Nobody from the store will ask for it.",
            idempotency_key=f"outbox:{message.pk}",
        )
    )
    OutboxMessage.objects.filter(pk=message.pk).update(payload={"phone": phone, "code": "sent"})
