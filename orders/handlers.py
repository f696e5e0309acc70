"""Outbox handlers of the orders app: messages to shoppers about their orders.

These are service messages (the shopper's own order, pick-up or refund), sent by
orders.notifications.send_service_message to every contact the shopper gave on the order, whatever
their marketing consents say, exactly once per channel. Times are on the clock of the store concerned.
"""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from customers.models import GiftCard, GiftCardEntry
from customers.selectors import shopper_language
from customers.services.giftcards import CODE_TOPIC as GIFT_CARD_CODE_TOPIC
from customers.services.linking import PHONE_CODE_TOPIC
from orders.basket import saved_cart_items
from orders.models import Fulfillment, Order, PaymentRequest, SavedCart
from orders.notifications import InlineImage, OutgoingMessage, adapter_for, send_service_message, shopper_contacts
from orders.qr import qr_png
from orders.services import NOTIFY_TOPIC
from orders.services.assisted import pay_link_url
from orders.services.saved_carts import SAVED_CART_TOPIC, saved_cart_url
from retail.domain.money import format_money
from retail.errors import RetailCode, RetailError
from retail.models import OutboxMessage
from retail.outbox import WITHHELD, outbox_handler
from retail.selectors import opening_hours

SUBJECTS = {
    "ready": _("Your order {number} is ready to collect"),
    "reminder": _("Reminder: collect {number} before {hold}"),
    "expired": _("Your order {number} was not collected and has been cancelled"),
    "collected": _("Receipt for {number}"),
    "shipped": _("Your order {number} is on its way"),
    "cancelled": _("Your order {number} was cancelled"),
    "pay_link": _("Pay for your order {number}"),
}
QR_CID = "pickup-qr@omnistore"
BRAND = "Omnistore"


def store_time(moment, store) -> str:
    """ "Fri 4 Dec, 18:00" on the store's clock (a shopper reads the time where they collect), the day
    and month named in the message's language ("ven 4 dic, 18:00")."""
    return date_format(store.local(moment), "D j M, H:i")


def address(store) -> str:
    """ "12 Long Acre, London WC2E 9LH": the street, city and postcode that are filled in."""
    return ", ".join(part for part in (store.address_line, f"{store.city} {store.postcode}".strip()) if part)


def sender(store) -> str:
    """Who an SMS is from, naming the brand once: "Omnistore Covent Garden" (a store named without it gets it)."""
    return store.name if BRAND.lower() in store.name.lower() else f"{BRAND} {store.name}"


def _recipients(order: Order) -> list[tuple[str, str]]:
    """The contacts the shopper gave on the order (and their login's push, if any)."""
    user_id = order.customer.user_id if order.customer_id else None
    return shopper_contacts(email=order.email, phone=order.phone, user_id=user_id)


def _render(channel: str, context: dict, *, subject: str, key: str, recipient: str) -> OutgoingMessage:
    if channel != "email":
        return OutgoingMessage(
            channel=channel,
            recipient=recipient,
            subject="" if channel == "sms" else subject,  # an SMS has no subject line to repeat
            body=render_to_string(f"orders/messages/{channel}.txt", context).strip(),
            idempotency_key=key,
        )
    images = ()
    fulfillment = context["fulfillment"]
    if context["kind"] in ("ready", "reminder") and fulfillment is not None and fulfillment.qr_token:
        images = (InlineImage(cid=QR_CID, content=qr_png(fulfillment.qr_token), filename="pickup-qr.png"),)
    return OutgoingMessage(
        channel=channel,
        recipient=recipient,
        subject=subject,
        body=render_to_string("orders/messages/email.txt", context).strip(),
        idempotency_key=key,
        html=render_to_string("orders/messages/email.html", {**context, "qr_cid": QR_CID if images else ""}),
        images=images,
    )


def message_context(*, order: Order, fulfillment: Fulfillment | None, kind: str) -> dict:
    """What the message templates show; times on the clock of the store concerned."""
    store = fulfillment.location if fulfillment else order.store
    return {
        "order": order,
        "fulfillment": fulfillment,
        "store": store,
        "kind": kind,
        "hold": store_time(fulfillment.hold_until, store) if fulfillment and fulfillment.hold_until else "",
        "address": address(store),
        "sender": sender(store),
        "collected_at": store_time(fulfillment.closed_at, store) if fulfillment and fulfillment.closed_at else "",
        "opening_hours": opening_hours(store) if fulfillment and kind in ("ready", "reminder") else [],
        "lines": list(order.lines.all()),
        "payments": list(order.payments.all()),
        **(_pay_link(order) if kind == "pay_link" else {}),
    }


def _pay_link(order: Order) -> dict:
    """The pay-by-link's address and deadline (on the selling store's clock)."""
    request = PaymentRequest.objects.filter(order=order).first()
    if request is None or not request.token:
        return {"pay_url": "", "pay_until": ""}
    return {"pay_url": pay_link_url(request), "pay_until": store_time(request.expires_at, order.store)}


def render_message(channel: str, context: dict, *, key: str, recipient: str) -> OutgoingMessage:
    subject = SUBJECTS[context["kind"]].format(number=context["order"].number, hold=context["hold"])
    return _render(channel, context, subject=subject, key=key, recipient=recipient)


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
    # In the shopper's language: theirs, else the language of the market of the store concerned.
    with translation.override(shopper_language(order.customer, fulfillment.location if fulfillment else order.store)):
        context = message_context(order=order, fulfillment=fulfillment, kind=kind)
        send_service_message(
            message=message,
            subject=order,
            reference=order.number,
            kind=kind,
            contacts=_recipients(order),
            render=lambda channel, recipient, key: render_message(channel, context, key=key, recipient=recipient),
        )


@outbox_handler(SAVED_CART_TOPIC)
def send_saved_cart_message(message) -> None:
    """A saved cart sent by an associate: its items and the link that opens them in the shopper's cart.

    To every contact the shopper gave (they asked for it at the counter, as for a pay-by-link). A link
    replaced by a newer sending, or a cart already opened, is not sent (the newer message says it all).
    """
    saved = (
        SavedCart.objects.select_related("customer", "store__market", "sent_by")
        .filter(pk=message.payload["saved_cart_id"])
        .first()
    )
    if saved is None or saved.status != SavedCart.Status.SENT or saved.link_nonce != message.payload["nonce"]:
        return
    with translation.override(shopper_language(saved.customer, saved.store)):  # as the order messages
        _send_saved_cart(message, saved, saved.customer, saved_cart_items(saved))


def _send_saved_cart(message, saved, customer, lines) -> None:
    context = {
        "saved": saved,
        "customer": customer,
        "store": saved.store,
        "sender": sender(saved.store),
        "associate": saved.sent_by.get_short_name() if saved.sent_by else saved.store.name,
        "lines": lines,  # named in the shopper's language, priced in the store's market
        "url": saved_cart_url(saved),
        "until": store_time(saved.link_expires_at, saved.store),
    }
    key = f"outbox:{message.pk}"
    subject = _("Your cart from {store}").format(store=saved.store.name)
    for channel, recipient in shopper_contacts(email=customer.email, phone=customer.phone, user_id=customer.user_id):
        if recipient:
            body = render_to_string("orders/messages/saved_cart.txt", {**context, "channel": channel}).strip()
            adapter_for(channel).send(
                OutgoingMessage(channel=channel, recipient=recipient, subject="" if channel == "sms" else subject,
                                body=body, idempotency_key=key)
            )  # fmt: skip


@outbox_handler(PHONE_CODE_TOPIC, secrets=("code",))
def send_phone_code(message) -> None:
    """The one-time code a shopper asked for to prove a phone number (customers.services.linking).

    Sent whatever the marketing consents say (the shopper asked for it); the code is wiped from the
    stored message in the same transaction that marks it delivered.
    """
    phone, code = message.payload["phone"], message.payload["code"]
    if code == "sent":
        return
    if code == WITHHELD:  # an operator's retry of a message that had failed
        raise RetailError(_("The code was withheld when its SMS failed: the shopper asks for a new one."),
                          code=RetailCode.INVALID)  # fmt: skip
    with translation.override(message.payload.get("language") or settings.LANGUAGE_CODE):  # the asker's
        body = _(
            "{code} is your code to confirm this number. It expires in 10 minutes. "
            "Nobody from the store will ask for it."
        ).format(code=code)
    adapter_for("sms").send(
        OutgoingMessage(channel="sms", recipient=phone, subject="", body=body, idempotency_key=f"outbox:{message.pk}")
    )
    OutboxMessage.objects.filter(pk=message.pk).update(payload={"phone": phone, "code": "sent"})


@outbox_handler(GIFT_CARD_CODE_TOPIC, secrets=("code",))
def send_gift_card_code(message) -> None:
    """A new gift card's number to whoever gets it (customers.services.giftcards.issue_gift_card).

    The only copy of the number outside the shopper's hands: it is wiped from the stored message in
    the same transaction that marks it delivered (as the phone code is).
    """
    payload = message.payload
    card = GiftCard.objects.filter(pk=payload["card_id"]).first()
    if card is None or payload.get("code") in (None, "sent"):
        return
    if payload["code"] == WITHHELD:  # an operator's retry of a message that had failed: the number is gone
        raise RetailError(
            _("The gift card's number was withheld when its e-mail failed: void the card and issue a new one."),
            code=RetailCode.INVALID,
        )
    code = payload["code"]
    # Its last day on the clock of the store that sold it (head office's for a goodwill card).
    sold = GiftCardEntry.objects.filter(card=card, kind="issue").select_related("store").first()
    zone = sold.store.zone if sold is not None and sold.store is not None else None
    context = {
        "card": card,
        "valid_until": date_format(timezone.localtime(card.expires_at, zone), "j E Y"),
        "name": payload.get("name", ""),
        "note": payload.get("note", ""),
        "number": " ".join(code[i : i + 4] for i in range(0, len(code), 4)),
        "brand": BRAND,
    }
    with translation.override(payload.get("language") or settings.LANGUAGE_CODE):  # the recipient's, as guessed
        subject = _("Your {brand} gift card of {amount}").format(
            brand=BRAND, amount=format_money(card.balance, card.currency)
        )
        body = render_to_string("orders/messages/gift_card.txt", context).strip()
    adapter_for("email").send(
        OutgoingMessage(
            channel="email",
            recipient=payload["email"],
            subject=subject,
            body=body,
            idempotency_key=f"outbox:{message.pk}",
        )
    )
    OutboxMessage.objects.filter(pk=message.pk).update(payload={**payload, "code": "sent"})
