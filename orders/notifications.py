"""Notification adapters: email through Django's mail, SMS and push through pluggable adapters.

Every adapter gets the message's idempotency key (`outbox:<id>`); a real SMS/push gateway passes
it on so that a redelivered outbox message cannot reach the shopper twice. Configure with
settings.ORDERS_EMAIL_ADAPTER / ORDERS_SMS_ADAPTER / ORDERS_PUSH_ADAPTER (dotted paths, from the
environment); SMS and push default to the console adapter (the demo prints them to the log).
"""

import email.policy
import logging
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils.module_loading import import_string

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
