"""Outbox handlers of the returns app: the shopper is told when a return is received and refunded.

Service messages about the shopper's own return, sent by orders.notifications.send_service_message
(once per channel, one Notification row each) to the contacts the shopper gave (the profile's, else
the order's), whatever the marketing consents say.
"""

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from customers.selectors import shopper_language
from orders.notifications import OutgoingMessage, send_service_message, shopper_contacts
from orders.returns.models import ReturnRequest
from orders.returns.services.notify import NOTIFY_TOPIC
from retail.markets import market_currency
from retail.outbox import outbox_handler

SUBJECTS = {
    "received": _("We have received your return {rma}"),
    "refunded": _("Your refund for {rma} is on its way"),
    "exchanged": _("Your exchange for {rma} is placed"),
    "rejected": _("About your return {rma}"),
}


def return_context(*, request: ReturnRequest, kind: str) -> dict:
    customer, order = request.customer, request.order
    return {
        "request": request,
        "kind": kind,
        "lines": list(request.lines.all()),
        "name": (customer.first_name if customer else "") or (order.contact_name if order else ""),
        "currency": market_currency(currency=request.currency, store=request.store),
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
    kind = payload["kind"]
    context = return_context(request=request, kind=kind)
    # In the shopper's language: theirs, else the language of the market of the returns desk's store.
    with translation.override(shopper_language(request.customer, request.store)):
        _send(message, request, kind, context)


def _send(message, request: ReturnRequest, kind: str, context: dict) -> None:
    customer, order = request.customer, request.order
    send_service_message(
        message=message,
        subject=request,
        reference=request.rma_number,
        kind=kind,
        contacts=shopper_contacts(
            email=(customer.email if customer else "") or (order.email if order else ""),
            phone=(customer.phone if customer else "") or (order.phone if order else ""),
            user_id=customer.user_id if customer else None,
        ),
        render=lambda channel, recipient, key: render_return_message(channel, context, key=key, recipient=recipient),
    )
