"""What every order service shares: status history, timeline entries, notifications."""

from contextlib import contextmanager
from contextvars import ContextVar

from django.utils import timezone
from django.utils.translation import gettext as _

from customers.errors import CustomerError
from customers.services.loyalty import earn_points
from customers.services.timeline import record_interaction
from orders.errors import OrderCode, OrderError
from orders.models import Fulfillment, Order, StatusChange
from retail.errors import RetailCode
from retail.markets import market_for_sale, serves_country
from retail.messages import Message
from retail.models import Market, Store, User
from retail.services import enqueue_outbox_message, record_audit_event

NOTIFY_TOPIC = "orders.notify"
_muted: ContextVar[bool] = ContextVar("orders_notifications_muted", default=False)


@contextmanager
def notifications_muted():
    """Demo seed only: invented shoppers are not sent messages about invented orders."""
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


def notifications_are_muted() -> bool:
    return _muted.get()


def actor_or_none(actor) -> User | None:
    return actor if isinstance(actor, User) and actor.pk else None


def record_status(
    *,
    order: Order,
    to_status: str,
    actor=None,
    fulfillment: Fulfillment | None = None,
    from_status: str = "",
    note: str = "",
) -> StatusChange:
    actor = actor_or_none(actor)
    return StatusChange.objects.create(
        order=order,
        fulfillment=fulfillment,
        from_status=from_status,
        to_status=to_status,
        actor=actor,
        actor_label=str(actor) if actor else "system",
        note=note[:300],
        occurred_at=timezone.now(),
    )


def record_statuses(*, order: Order, to_status: str, fulfillments: list, actor=None) -> None:
    """The same transition for several fulfilments at once, in one insert: [(fulfilment, note)]."""
    actor = actor_or_none(actor)
    now = timezone.now()
    StatusChange.objects.bulk_create(
        [
            StatusChange(order=order, fulfillment=f, to_status=to_status, actor=actor,
                         actor_label=str(actor) if actor else "system", note=note[:300], occurred_at=now)
            for f, note in fulfillments
        ]
    )  # fmt: skip


def audit(*, action: str, order: Order, actor=None, store=None, details: dict | None = None) -> None:
    record_audit_event(
        actor=actor_or_none(actor),
        action=action,
        obj=order,
        store=store or order.store,
        details={"number": order.number, **(details or {})},
    )


def notify(*, order: Order, kind: str, fulfillment: Fulfillment | None = None) -> None:
    """Queue a message to the shopper (written in the caller's transaction; sent after commit)."""
    if _muted.get() or (order.customer_id is None and not (order.email or order.phone)):
        return
    enqueue_outbox_message(
        topic=NOTIFY_TOPIC,
        payload={"order_id": order.pk, "kind": kind, "fulfillment_id": fulfillment.pk if fulfillment else None},
    )


def timeline(
    *,
    order: Order,
    kind: str,
    message: Message,
    key: str,
    actor=None,
    store=None,
    data: dict | None = None,
    channel=None,
    in_store: bool = True,
) -> None:
    """An entry on the shopper's timeline (idempotent by `key` through customers' record_interaction),
    saying `message` (orders/timeline_messages.py) in the reader's language.

    `store` defaults to the order's store; `in_store=False` records no store (an online action).
    """
    if order.customer_id is None:
        return

    if kind == "return" and not (data or {}).get("lines"):
        kind = "note"  # nothing was left to give back: a plain entry, not a return of zero units
    record_interaction(
        customer=order.customer,
        channel=channel or order.channel,
        kind=kind,
        source="orders",
        external_id=f"{order.number}:{key}",
        store=(store or order.store) if in_store else None,
        associate=actor_or_none(actor),
        message=message,
        # the currency its amounts are in: a return or cancellation of a złoty order takes złoty off the tier's spend
        data={"order_number": order.number, "currency": order.currency, **(data or {})},
    )


def sale_market(*, store: Store | None = None, channel: str = "", country: str = "", customer=None) -> Market:
    """The market a sale belongs to, so its currency: the store's (in store, pick-up, curbside), else
    the market selling on the online channel in the shopper's country (the address shipped to, else
    the country of their home store), else retail.markets.market_for_sale's fallbacks. A country shipped
    to that no market covers is refused (`country_not_served`), never sold in the home market and left to
    fail later as a stock shortage; it costs a query only then (the country is not the market's)."""
    shipped_to = (country or "").strip().upper() if store is None else ""
    if store is None and not country and customer is not None and customer.home_store_id:
        country = customer.home_store.country
    market = market_for_sale(store=store, channel=channel, country=country or "")
    if shipped_to and shipped_to not in market.countries and not serves_country(shipped_to):
        raise country_not_served(shipped_to)
    return market


def country_not_served(country: str, *, field: str = "country") -> OrderError:
    """The answer for a country no market covers: nothing is sold or shipped there."""
    return OrderError(
        _("We do not ship to %(country)s: no market of ours covers it. Choose an address in a country we serve.")
        % {"country": country},
        code=OrderCode.COUNTRY_NOT_SERVED,
        fields={field: [_("We do not ship to this country.")]},
        extra={"country": country},
    )


def earn_points_for(*, order: Order, amount, actor=None) -> int:
    """Loyalty points for what the shopper paid (idempotent by order number); 0 when too little."""
    if order.customer_id is None or amount < 1:
        return 0

    try:
        entry = earn_points(customer=order.customer, reference=order.number, amount=amount, currency=order.currency,
                            actor=actor_or_none(actor))  # fmt: skip
    except CustomerError as exc:
        if exc.code == "invalid":  # the tier's rate gives less than one point
            return 0
        if exc.code == RetailCode.EXCHANGE_RATE_MISSING:  # no rate today: none earned, and head office can see why
            record_audit_event(
                actor=actor_or_none(actor),
                action="loyalty.points_not_earned",
                obj=order,
                details={"number": order.number, "currency": order.currency, "reason": exc.message},
            )
            return 0
        raise
    Order.objects.filter(pk=order.pk).update(points_earned=entry.points)
    order.points_earned = entry.points
    return entry.points


def void_authorization(provider, auth) -> None:
    """Give back a card authorisation that will not be captured (idempotent at the provider)."""
    provider.void(reference=auth.reference, idempotency_key=f"{auth.reference}:void")


def capture_or_void(provider, auth, amount) -> None:
    """Capture an authorisation in full; if the provider refuses, void it and re-raise its OrderError."""
    try:
        provider.capture(reference=auth.reference, amount=amount, idempotency_key=f"{auth.reference}:capture:0")
    except OrderError:
        void_authorization(provider, auth)
        raise
