"""Service messages to shoppers, and the adapters that carry them: email through Django's mail,
SMS and push through pluggable adapters.

`send_service_message` is the one way orders and returns tell a shopper about their own order,
pick-up, return or refund: to every contact the shopper gave, whatever their marketing consents say
(consent governs marketing only: customers' outreach). Each channel is recorded as one
Notification row (unique by outbox message and channel) that commits with the outbox's
`delivered` mark, so a redelivered message reaches no channel twice.

Every adapter gets the message's idempotency key (`outbox:<id>`); a real SMS/push gateway passes
it on so that a redelivered outbox message cannot reach the shopper twice. Configure with
settings.ORDERS_EMAIL_ADAPTER / ORDERS_SMS_ADAPTER / ORDERS_PUSH_ADAPTER (dotted paths, from the
environment); SMS and push default to the console adapter (the demo prints them to the log).
"""

import email.policy
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import models
from django.utils import timezone
from django.utils.module_loading import import_string

from orders.models import Notification

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class InlineImage:
    """An image the HTML body shows as <img src="cid:{cid}"> (e.g. the pick-up QR)."""

    cid: str
    content: bytes
    filename: str
    mimetype: str = "image/png"


@dataclass(frozen=True)
class OutgoingMessage:
    channel: str  # email, sms, push
    recipient: str
    subject: str  # email subject, push title; an SMS has none
    body: str
    idempotency_key: str
    html: str = ""
    images: tuple[InlineImage, ...] = ()


class NotificationAdapter(Protocol):
    def send(self, message: OutgoingMessage) -> None:
        """Deliver or raise (the outbox retries)."""


class EmailWithInlineImages(EmailMultiAlternatives):
    """Text and HTML alternatives; the HTML part becomes multipart/related with its images."""

    def __init__(self, *args, images: tuple[InlineImage, ...] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.images = images

    def message(self, *, policy=email.policy.default):
        msg = super().message(policy=policy)
        html = msg.get_body(preferencelist=("html",)) if self.images else None
        for image in self.images if html is not None else ():
            maintype, subtype = image.mimetype.split("/", 1)
            html.add_related(
                image.content,
                maintype=maintype,
                subtype=subtype,
                cid=f"<{image.cid}>",
                filename=image.filename,
                disposition="inline",
            )
        return msg


class EmailAdapter:
    """Email through Django's configured mailer; the idempotency key travels as a header."""

    def send(self, message: OutgoingMessage) -> None:
        email = EmailWithInlineImages(
            subject=message.subject,
            body=message.body,
            to=[message.recipient],
            headers={"X-Idempotency-Key": message.idempotency_key},
            images=message.images if message.html else (),
        )
        if message.html:
            email.attach_alternative(message.html, "text/html")
        email.send()


class ConsoleAdapter:
    """SMS / push for the demo: written to the log, nothing leaves the machine."""

    def send(self, message: OutgoingMessage) -> None:
        shown = f"{message.subject} — {message.body}" if message.subject else message.body
        log.info("[%s to %s] %s (%s)", message.channel, message.recipient, shown, message.idempotency_key)


class RecordingAdapter:
    """For tests: keeps what it was given, once per idempotency key (as a real gateway would)."""

    sent: list[OutgoingMessage] = []

    def send(self, message: OutgoingMessage) -> None:
        if any(m.idempotency_key == message.idempotency_key and m.channel == message.channel for m in self.sent):
            return
        type(self).sent.append(message)

    @classmethod
    def reset(cls) -> None:
        cls.sent.clear()


def adapter_for(channel: str) -> NotificationAdapter:
    paths = {
        "email": settings.ORDERS_EMAIL_ADAPTER,
        "sms": settings.ORDERS_SMS_ADAPTER,
        "push": settings.ORDERS_PUSH_ADAPTER,
    }
    return import_string(paths[channel])()


def shopper_contacts(*, email: str, phone: str, user_id: int | None) -> list[tuple[str, str]]:
    """(channel, recipient) for each channel a service message may take; "" where none was given."""
    return [("email", email or ""), ("sms", phone or ""), ("push", f"user:{user_id}" if user_id else "")]


def send_service_message(
    *,
    message,
    subject: models.Model,
    reference: str,
    kind: str,
    contacts: list[tuple[str, str]],
    render: Callable[[str, str, str], OutgoingMessage],
) -> None:
    """Send outbox `message` (of `kind`, about `subject`: an order or a return, numbered `reference`)
    to each of `contacts` (see shopper_contacts), whatever the shopper's marketing consents say.

    `render(channel, recipient, key)` builds what one channel says. A channel without a contact is
    recorded as held back (no_contact); a channel already recorded for this message is skipped
    (the outbox redelivered it). Runs in the outbox's delivery transaction.
    """
    key = f"outbox:{message.pk}"
    done = set(Notification.objects.filter(message_key=key).values_list("channel", flat=True))
    for channel, recipient in contacts:
        if channel in done:
            continue
        if recipient:
            status = Notification.Status.SENT
            adapter_for(channel).send(render(channel, recipient, key))
        else:
            status = Notification.Status.NO_CONTACT
        Notification.objects.create(
            subject=subject,
            reference=reference,
            kind=kind,
            channel=channel,
            recipient=recipient[:255],
            status=status,
            message_key=key,
            created_at=timezone.now(),
        )
