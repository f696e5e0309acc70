"""Assisted orders ("endless aisle"): an associate sells for the shopper in front of them (or on the
phone) what this store may not have on its shelf, and the shopper pays later.

    place_assisted_order   ship to home, pick-up at another store, or reserve in this store;
                           payment pending (PaymentRequest) at the till or by a pay-by-link
    pay_by_link            the shopper pays on the provider's page (the test provider's in the demo)
    settle_at_till         the POS receipt naming the order pays it (pos/sales with `settles`)
    expire_payment_request unpaid when due: the order is cancelled and its reservations released

Lock order, as everywhere: the payment request, then the order (cancel_order), then stock rows.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.models import Customer, Interaction
from orders.errors import OrderCode, OrderError
from orders.models import Fulfillment, Order, Payment, PaymentRequest
from orders.numbers import normalise_order_number
from orders.payments import get_payment_provider
from orders.services._common import NOTIFY_TOPIC, actor_or_none, audit, notifications_are_muted, timeline
from orders.services.checkout import GroupRequest, place_order
from orders.services.lifecycle import cancel_order
from orders.services.payments import POS_PROVIDER
from retail.domain.channel import Channel
from retail.domain.money import format_money, money
from retail.messages import Message, money_param, say
from retail.models import PosDevice, Store, User
from retail.selectors import role_in_store
from retail.services import enqueue_outbox_message, record_audit_event

ZERO = Decimal("0.00")


# Why the system cancels an order whose payment request lapsed: a whole sentence per way of paying, stored
# in English in the order's history and read back in the reader's language (orders.portal.history.FIXED).
UNPAID_REASONS = {"link": "not paid by the payment link in time", "till": "not paid at the till in time"}


class Deliver:
    """How the basket reaches the shopper (the associate's three choices)."""

    SHIP = "ship"  # to the shopper's address, from the nearest location that has it
    PICKUP = "pickup"  # at another store with pick-up
    RESERVE = "reserve"  # held in this store (a pick-up here)
    CHOICES = (
        (SHIP, gettext_lazy("Ship to home")),
        (PICKUP, gettext_lazy("Pick up at another store")),
        (RESERVE, gettext_lazy("Reserve in this store")),
    )


def till_payment_ttl() -> timedelta:
    return timedelta(hours=float(getattr(settings, "ORDERS_TILL_PAYMENT_HOURS", 4)))


def pay_link_ttl() -> timedelta:
    return timedelta(hours=float(getattr(settings, "ORDERS_PAY_LINK_HOURS", 48)))


@dataclass
class AssistedBasket:
    """What the associate put together: the lines and how they reach the shopper."""

    lines: list[tuple[str, int]]
    deliver: str
    pickup_store: Store | None = None
    shipping_address: dict | None = None


def _groups(basket: AssistedBasket, *, store: Store) -> list[GroupRequest]:
    lines = [(sku, quantity) for sku, quantity in basket.lines]
    if basket.deliver == Deliver.SHIP:
        address = {k: (v or "").strip() for k, v in (basket.shipping_address or {}).items()}
        if not address.get("postcode") or not address.get("line1"):
            raise OrderError(
                _("The shopper has no delivery address: type the street and postcode to ship to."),
                code=OrderCode.INVALID_FULFILLMENT,
                fields={"address": [_("Street and postcode are required to ship.")]},
            )
        return [GroupRequest(kind=Fulfillment.Kind.SHIP, lines=lines, shipping_address=address)]
    if basket.deliver == Deliver.PICKUP:
        if basket.pickup_store is None:
            raise OrderError(
                _("Choose the store where the shopper will collect."),
                code=OrderCode.INVALID_FULFILLMENT,
                fields={"pickup_store": [_("Required.")]},
            )
        return [GroupRequest(kind=Fulfillment.Kind.PICKUP, lines=lines, store=basket.pickup_store)]
    if basket.deliver == Deliver.RESERVE:
        return [GroupRequest(kind=Fulfillment.Kind.PICKUP, lines=lines, store=store)]
    raise OrderError(
        _("Ship to home, pick up at another store, or reserve in this store."),
        code=OrderCode.INVALID_FULFILLMENT,
        fields={"deliver": [_("Unknown.")]},
    )


def _check_placement(*, channel: str, method: str, store: Store, actor: User | None) -> None:
    if Channel.read(channel) is None or not Channel(channel).assisted:
        raise OrderError(
            _("An associate's order is taken in store or by phone."),
            code=OrderCode.INVALID_CHANNEL,
            fields={"channel": [_("store or phone.")]},
        )
    if method not in PaymentRequest.Method.values:
        raise OrderError(
            _("The shopper pays at the till or by a pay-by-link."),
            code=OrderCode.INVALID_PAYMENT,
            fields={"payment": [_("till or link.")]},
        )
    if method == PaymentRequest.Method.TILL and not Channel(channel).in_store:
        raise OrderError(
            _("A shopper on the phone cannot pay at the till: send a pay-by-link."),
            code=OrderCode.INVALID_PAYMENT,
            fields={"payment": [_("Pay-by-link for phone orders.")]},
        )
    if actor_or_none(actor) is None or role_in_store(actor, store) is None:
        raise OrderError(
            _("Only a member of %(name)s sells for it.") % {"name": store.name},
            code=OrderCode.INVALID_CHANNEL,
            extra={"store": store.code},
        )


def _lock_placement_key(key: str) -> None:
    """Serialise two submits of the same form: the second waits, then finds the first's order."""
    digest = int.from_bytes(hashlib.sha256(f"assisted:{key}".encode()).digest()[:8], "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [digest])


def _placed_before(key: str) -> Order | None:
    request = PaymentRequest.objects.select_related("order").filter(placement_key=key).first()
    return request.order if request is not None else None


def place_assisted_order(
    *,
    customer: Customer,
    store: Store,
    actor: User,
    basket: AssistedBasket,
    payment: str,
    placement_key: str,
    channel: str = Channel.STORE,
    offer_code: str = "",
    points: int = 0,
    shipping_method: int | None = None,
) -> tuple[Order, bool]:
    """(order, created): the basket placed for the shopper, stock reserved, the associate the seller.

    Payment is pending (a PaymentRequest for the order's total, after offers and points) until the
    till's receipt or the pay-by-link settles it; a total of 0 (all points) is paid at once.
    Idempotent by `placement_key` (the form's): a second submit returns the first order, created
    False. Errors are place_order's (insufficient_stock with nearby alternatives, unknown_sku...).
    A shipped basket names `shipping_method` (an id, one of orders.basket.shipping_choices) wherever the
    store's market ships to its country: charged with its tax as online checkout charges it
    (`shipping_method_required` / `_unknown` / `_unavailable` otherwise).
    """
    key = (placement_key or "").strip()
    if not 16 <= len(key) <= 64:
        raise OrderError(_("The form expired: open the basket again."), code=OrderCode.INVALID_LINE)
    _check_placement(channel=channel, method=payment, store=store, actor=actor)
    try:
        with transaction.atomic():
            _lock_placement_key(key)
            existing = _placed_before(key)
            if existing is not None:
                return existing, False
            order = _place(customer=customer, store=store, actor=actor, basket=basket, payment=payment, key=key,
                           channel=channel, offer_code=offer_code, points=points,
                           shipping_method=shipping_method)  # fmt: skip
    except IntegrityError:  # the same key placed on another connection without the lock (never by the portal)
        existing = _placed_before(key)
        if existing is None:
            raise
        return existing, False
    return order, True


def _place(*, customer, store, actor, basket, payment, key, channel, offer_code, points, shipping_method) -> Order:
    """Checkout's own steps (an erased or merged profile is refused there), then the payment request."""
    order = place_order(
        channel=channel,
        groups=_groups(basket, store=store),
        customer=customer,
        offer_code=offer_code,
        points=points,
        actor=actor,
        store=store,
        seller=actor,
        payment_due_later=True,
        idempotency_key=key,
        shipping_method=shipping_method,
        require_shipping_method=basket.deliver == Deliver.SHIP,
    )
    now = timezone.now()
    paid = order.total == ZERO
    link = payment == PaymentRequest.Method.LINK
    PaymentRequest.objects.create(
        order=order,
        method=payment,
        status=PaymentRequest.Status.PAID if paid else PaymentRequest.Status.PENDING,
        amount=order.total,
        token=secrets.token_urlsafe(24) if link else "",
        placement_key=key,
        expires_at=now + (pay_link_ttl() if link else till_payment_ttl()),
        sent_at=now if link and not paid else None,
        paid_at=now if paid else None,
        created_at=now,
    )
    audit(
        action="order.assisted_placed",
        order=order,
        actor=actor,
        store=store,
        details={"seller": actor.pk, "channel": channel, "payment": payment, "due": str(order.total),
                 "customer": customer.pk},
    )  # fmt: skip
    if link and not paid:
        _send_pay_link(order)
    return order


def _send_pay_link(order: Order) -> None:
    if notifications_are_muted():
        return
    enqueue_outbox_message(
        topic=NOTIFY_TOPIC, payload={"order_id": order.pk, "kind": "pay_link", "fulfillment_id": None}
    )
    timeline(
        order=order,
        kind=Interaction.Kind.MESSAGE_SENT,
        key="pay_link",
        message=say("orders.pay_link_sent", order=order.number, amount=money_param(order.total, order.currency)),
    )


def _lock_request(**lookup) -> PaymentRequest:
    request = (
        PaymentRequest.objects.select_for_update(of=("self",))
        .select_related("order__store", "order__customer")
        .filter(**lookup)
        .first()
    )
    if request is None:
        raise OrderError(_("No payment is asked for this order."), code=OrderCode.PAYMENT_STATE)
    return request


@transaction.atomic
def pay_by_link(*, token: str, card_token: str, now=None) -> PaymentRequest:
    """The shopper pays a pay-by-link: the card is authorised for the amount due (captured as
    the goods leave, as any online order). Paying a link already paid changes nothing."""
    token = (token or "").strip()
    if not token:
        raise OrderError(_("This payment link is not valid."), code=OrderCode.PAYMENT_STATE)
    request = _lock_request(token=token, method=PaymentRequest.Method.LINK)
    now = now or timezone.now()
    if request.status == PaymentRequest.Status.PAID:
        return request
    if request.status != PaymentRequest.Status.PENDING or request.expires_at <= now:
        raise OrderError(
            _("This payment link has expired and the order was cancelled. Ask the store for a new order."),
            code=OrderCode.PAYMENT_STATE,
        )
    order = request.order
    auth = get_payment_provider().authorize(
        token=card_token, amount=request.amount, currency=order.currency, idempotency_key=f"paylink:{request.pk}"
    )
    Payment.objects.create(
        order=order,
        method=Payment.Method.CARD,
        provider=get_payment_provider().name,
        reference=auth.reference,
        brand=auth.brand[:20],
        last4=auth.last4,
        amount=auth.amount,
        created_at=now,
        updated_at=now,
    )
    said = say("orders.paid_by_link", order=request.order.number, brand=auth.brand, last4=auth.last4)
    _mark_paid(request, now=now, how=f"pay-by-link, {auth.brand} ···{auth.last4}", said=said)
    return request


def _mark_paid(request: PaymentRequest, *, now, how: str, said: Message, device: PosDevice | None = None) -> None:
    """`how` for the audit trail; `said` on the shopper's timeline, in its reader's language."""
    request.status, request.paid_at = PaymentRequest.Status.PAID, now
    request.save(update_fields=["status", "paid_at"])
    order = request.order
    record_audit_event(
        actor=device,
        action="order.payment_received",
        obj=order,
        store=order.store,
        details={"number": order.number, "method": request.method, "amount": str(request.amount), "how": how},
    )
    timeline(order=order, kind=Interaction.Kind.NOTE, key="paid", message=said)


@transaction.atomic
def settle_at_till(
    *, device: PosDevice, order_number: str, receipt_number: str, tenders: list[dict], fingerprint: str = ""
) -> tuple[Order, bool]:
    """(order, settled now): the till's receipt pays an assisted order of its own store (pos/sales
    with `settles`). Card and cash tenders must add up to what is due; the order takes the
    receipt's number and its sale's `fingerprint`, so a replay of the receipt finds it (and so does
    the returns desk) and the same number with another sale is told apart (orders.services.pos)."""
    number = normalise_order_number(order_number) or (order_number or "").strip().upper()
    try:
        request = _lock_request(order__number=number, order__store=device.store)
    except OrderError:
        raise OrderError(
            _("No order %(number)s waits for payment at %(name)s.") % {"number": number, "name": device.store.name},
            code=OrderCode.INVALID_SALE,
            fields={"settles": [_("Unknown here.")]},
        ) from None
    order = request.order
    if order.receipt_number and order.receipt_number == receipt_number:
        return order, False  # a concurrent upload of this receipt settled it a moment ago
    if request.status != PaymentRequest.Status.PENDING or order.status == Order.Status.CANCELLED:
        state = request.get_status_display().lower()
        raise OrderError(
            _("Order %(number)s is %(state)s: nothing to pay at the till.") % {"number": order.number, "state": state},
            code=OrderCode.PAYMENT_STATE,
            fields={"settles": [_("%(state)s.") % {"state": state}]},
        )
    methods = {t["method"] for t in tenders}
    if not methods <= {"card", "cash"}:
        raise OrderError(
            _("An order placed in the portal is paid at the till by card or cash."),
            code=OrderCode.INVALID_SALE,
            fields={"tenders": [_("card or cash.")]},
        )
    paid = sum((money(t["amount"]) for t in tenders), ZERO)
    if paid != request.amount:
        raise OrderError(
            _("Order %(number)s is %(amount)s to pay; the tenders add up to %(paid)s.")
            % {
                "number": order.number,
                "amount": format_money(request.amount, order.currency),
                "paid": format_money(paid, order.currency),
            },
            code=OrderCode.INVALID_SALE,
            fields={"tenders": [_("%(amount)s due.") % {"amount": format_money(request.amount, order.currency)}]},
        )
    now = timezone.now()
    Payment.objects.bulk_create(
        Payment(order=order, method=t["method"], provider=POS_PROVIDER,
                reference=str(t.get("reference") or f"{device.store.code}:{receipt_number}")[:80],
                brand=str(t.get("brand") or "")[:20], last4=str(t.get("last4") or ""), amount=money(t["amount"]),
                captured_amount=money(t["amount"]), status=Payment.Status.CAPTURED, created_at=now, updated_at=now)
        for t in tenders
    )  # fmt: skip
    order.receipt_number, order.receipt_fingerprint, order.device, order.updated_at = (
        receipt_number,
        fingerprint,
        device,
        now,
    )
    order.save(update_fields=["receipt_number", "receipt_fingerprint", "device", "updated_at"])
    said = say("orders.paid_at_till", order=request.order.number, receipt=receipt_number)
    _mark_paid(request, now=now, how=f"at the till, receipt {receipt_number}", said=said, device=device)
    return order, True


def due_payment_request_ids(*, now=None) -> list[int]:
    """Pending requests past their time (read without locks; each is re-checked under its lock)."""
    now = now or timezone.now()
    return list(
        PaymentRequest.objects.filter(status=PaymentRequest.Status.PENDING, expires_at__lte=now)
        .order_by("pk")
        .values_list("pk", flat=True)[:500]
    )


@transaction.atomic
def expire_payment_request(*, request_id: int, now=None) -> bool:
    """Unpaid in time: the order is cancelled (reservations released, shopper told). False if not due."""
    now = now or timezone.now()
    request = _lock_request(pk=request_id)
    if request.status != PaymentRequest.Status.PENDING or request.expires_at > now:
        return False
    order = request.order
    request.status, request.closed_at = PaymentRequest.Status.EXPIRED, now
    request.save(update_fields=["status", "closed_at"])
    cancelled, why = False, order.status
    if order.status == Order.Status.OPEN:
        try:
            unpaid = "link" if request.method == PaymentRequest.Method.LINK else "till"
            cancel_order(
                order=order,
                reason=UNPAID_REASONS[
                    unpaid
                ],  # English like a log: the order's history words it (orders.portal.history)
                said=say(f"orders.cancelled_unpaid_{unpaid}", order=order.number),
            )
            cancelled, why = True, ""
        except OrderError as exc:  # ready or handed over meanwhile: the pick-up's own expiry ends it
            why = exc.code
    audit(action="order.payment_expired", order=order, details={"cancelled": cancelled, "why": why})
    return True


def pay_link_url(request: PaymentRequest) -> str:
    return settings.PUBLIC_URL.rstrip("/") + reverse("pay-link", args=[request.token])
