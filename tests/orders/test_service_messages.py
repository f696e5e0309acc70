"""Service messages: every contact the shopper gave, whatever the marketing consents; one message per
event; no phrase said twice in an SMS or a push; the ready email with its QR, address and hours,
on the clock of the store concerned."""

import struct
import zlib
from datetime import UTC, datetime

import pytest
from django.core import mail

from customers.services.profiles import set_consent
from orders.handlers import message_context, render_message
from orders.models import Fulfillment, Notification
from orders.notifications import RecordingAdapter
from orders.qr import qr_matrix, qr_png
from orders.services import GroupRequest, TenderRequest, hand_over_pickup, mark_ready, place_order, scan_pick
from retail.models import OutboxMessage
from retail.outbox import deliver_outbox_message
from tests.helpers import repeated_phrases

pytestmark = pytest.mark.django_db

HOURS = {d: ["09:00", "19:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat")} | {"sun": None}
MIDNIGHT_UTC = datetime(2026, 12, 4, 0, 30, tzinfo=UTC)  # Friday 00:30 in London, Thursday 19:30 in New York


def deliver_pending() -> list[str]:
    return [
        deliver_outbox_message(message_id=pk, attempt=0)[0]
        for pk in OutboxMessage.objects.filter(status="pending", topic="orders.notify")
        .order_by("pk")
        .values_list("pk", flat=True)
    ]


def make_ready(order, *, associate, store) -> Fulfillment:
    fulfillment = Fulfillment.objects.get(order=order)
    for line in order.lines.all():
        for _ in range(line.quantity):
            scan_pick(fulfillment=fulfillment, code=line.sku, actor=associate, store=store)
    return mark_ready(fulfillment=fulfillment, actor=associate, store=store)


def png_rows(png: bytes) -> tuple[int, list[bytes]]:
    """(width, pixel rows) of an 8-bit greyscale PNG with filter 0 on every row."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, data, width = 8, b"", 0
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        tag, body = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        assert struct.unpack(">I", png[pos + 8 + length : pos + 12 + length])[0] == zlib.crc32(tag + body)
        if tag == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert (width, depth, colour) == (height, 8, 0)
        elif tag == b"IDAT":
            data += body
        pos += 12 + length
    raw = zlib.decompress(data)
    stride = width + 1
    rows = [raw[i : i + stride] for i in range(0, len(raw), stride)]
    assert all(row[0] == 0 for row in rows)
    return width, [row[1:] for row in rows]


# --------------------------------------------------------------------------- consent governs marketing only


def test_a_guest_who_agreed_to_nothing_is_told_by_email_and_sms(shirt, store, associate):
    # given a guest checkout with an email and a phone, no consent of any kind
    order = place_order(
        channel="web",
        groups=[GroupRequest(kind="pickup", lines=[("SHIRT-M", 1)], store=store)],
        contact={"email": "guest@example.com", "phone": "+447700900456"},
        tenders=[TenderRequest(method="card", token="tok_visa_4242")],
    )
    assert not order.customer.consents.filter(granted=True).exists()
    fulfillment = make_ready(order, associate=associate, store=store)
    # when the ready message is delivered
    assert deliver_pending() == ["delivered"]
    # then both contacts they gave got the pick-up code; push has no app account to go to
    sent = {m.channel: m for m in RecordingAdapter.sent}
    assert set(sent) == {"email", "sms"}
    assert sent["email"].recipient == "guest@example.com" and sent["sms"].recipient == "+447700900456"
    assert all(fulfillment.pickup_code in m.body for m in sent.values())
    assert dict(Notification.objects.values_list("channel", "status")) == {
        "email": "sent",
        "sms": "sent",
        "push": "no_contact",
    }


def test_consents_refused_on_every_channel_still_let_the_receipt_through(
    place_pickup, shirt, store, associate, shopper
):
    from customers.services.profiles import update_customer_profile

    update_customer_profile(customer=shopper, values={"phone": "+447700900123"})
    for channel in ("email", "sms", "push"):
        set_consent(customer=shopper, channel=channel, granted=False, source="app")
    order = place_pickup([("SHIRT-M", 1)])
    fulfillment = make_ready(order, associate=associate, store=store)
    deliver_pending()
    RecordingAdapter.reset()
    # when the shopper collects
    hand_over_pickup(
        fulfillment=fulfillment,
        actor=associate,
        store=store,
        verification="code",
        proof=fulfillment.pickup_code,
        collected_by_name="",
    )
    assert deliver_pending() == ["delivered"]
    # then the receipt reaches every contact, once each
    assert sorted(m.channel for m in RecordingAdapter.sent) == ["email", "push", "sms"]
    assert all(m.subject == "" or order.number in m.subject for m in RecordingAdapter.sent)


# --------------------------------------------------------------------------- the texts


@pytest.mark.parametrize("kind", ["ready", "reminder", "expired", "collected", "shipped", "cancelled"])
def test_no_sms_or_push_says_a_phrase_twice(kind, place_pickup, shirt, store, associate):
    store.name = "Omnistore Covent Garden"  # as the demo's stores are named
    store.address_line, store.postcode, store.opening_hours = "12 Long Acre", "WC2E 9LH", HOURS
    store.save()
    fulfillment = make_ready(place_pickup([("SHIRT-M", 1)]), associate=associate, store=store)
    fulfillment.tracking_number = "1Z999"
    context = message_context(order=fulfillment.order, fulfillment=fulfillment, kind=kind)
    sms = render_message("sms", context, key="k", recipient="+447700900123")
    push = render_message("push", context, key="k", recipient="user:1")
    # an SMS has no subject (a gateway would not show it); a push shows title then body
    assert sms.subject == "" and len(sms.body) <= 160
    assert repeated_phrases(sms.body) == set(), sms.body
    assert repeated_phrases(f"{push.subject}. {push.body}") == set(), (push.subject, push.body)
    assert sms.body.count("Omnistore") == 1, sms.body  # the brand once, not "Omnistore: ... at Omnistore ..."


def test_the_ready_email_carries_the_qr_the_address_and_the_opening_hours(
    settings, place_pickup, shirt, store, associate
):
    settings.ORDERS_EMAIL_ADAPTER = "orders.notifications.EmailAdapter"
    store.address_line, store.postcode, store.opening_hours = "12 Long Acre", "WC2E 9LH", HOURS
    store.save()
    fulfillment = make_ready(place_pickup([("SHIRT-M", 1)]), associate=associate, store=store)
    Fulfillment.objects.filter(pk=fulfillment.pk).update(hold_until=MIDNIGHT_UTC)
    mail.outbox.clear()
    # when the ready message is delivered through the real email adapter (Django's test mailer)
    assert deliver_pending() == ["delivered"]
    (email,) = mail.outbox
    message = email.message()
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    # then both versions say where, until when (the store's clock) and when the store is open
    for body in (text, html):
        assert "12 Long Acre, London WC2E 9LH" in body
        assert "Fri 4 Dec, 00:30" in body
        assert "Monday" in body and "09:00\N{EN DASH}19:00" in body and "Closed" in body
        assert fulfillment.pickup_code in body
    # and the HTML shows the pick-up QR as an inline PNG of the same code the counter scans
    related = next(part for part in message.walk() if part.get_content_type() == "multipart/related")
    (image,) = [part for part in related.iter_parts() if part.get_content_type() == "image/png"]
    assert image["Content-ID"] == "<pickup-qr@omnistore>" and 'src="cid:pickup-qr@omnistore"' in html
    assert image.get_content() == qr_png(fulfillment.qr_token)


def test_the_qr_png_holds_the_qr_modules():
    # given the QR of a pick-up token
    matrix = qr_matrix("tok123")
    # when it is drawn as a PNG, 6 pixels per module
    width, rows = png_rows(qr_png("tok123", box=6))
    # then every module is one 6x6 square of black or white
    assert width == len(matrix) * 6 and len(rows) == width
    for y, modules in enumerate(matrix):
        for x, dark in enumerate(modules):
            assert rows[y * 6 + 3][x * 6 + 3] == (0 if dark else 255)
    assert any(any(modules) for modules in matrix)  # there is something to scan


@pytest.mark.parametrize(
    ("zone", "shown"),
    [("Europe/London", "Fri 4 Dec, 00:30"), ("America/New_York", "Thu 3 Dec, 19:30")],
)
def test_the_hold_is_on_the_pickup_stores_clock(zone, shown, place_pickup, shirt, store, associate):
    store.time_zone = zone
    store.save()
    fulfillment = make_ready(place_pickup([("SHIRT-M", 1)]), associate=associate, store=store)
    Fulfillment.objects.filter(pk=fulfillment.pk).update(hold_until=MIDNIGHT_UTC)
    assert deliver_pending() == ["delivered"]
    assert all(shown in m.body for m in RecordingAdapter.sent)
