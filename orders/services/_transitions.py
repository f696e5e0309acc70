"""What every pick-up transition shares: row locks, state checks, history, closing the order.

Lock order everywhere: the Order row, then its Fulfillment rows, then Payments, then (inside
inventory) Reservations and StockLevels, each in primary-key order, so transitions never deadlock.
"""

from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.services.loyalty import adjust_points
from inventory.services import release_reservations
from orders.errors import OrderCode, OrderError
from orders.models import Fulfillment, Order, PaymentRequest
from orders.numbers import new_pickup_code, new_qr_token
from orders.services._common import actor_or_none, earn_points_for, record_status
from orders.services.payments import owed_amount, settle_payments
from retail.domain.money import unit_share
from retail.errors import RetailCode
from retail.messages import say
from retail.models import Store
from retail.selectors import closes_at

S = Fulfillment.Status
K = Fulfillment.Kind
TERMINAL = (S.COLLECTED, S.SHIPPED, S.EXPIRED, S.CANCELLED)


def hold_ends(location: Store, ready_at) -> datetime:
    """When a pick-up ready at `ready_at` stops being held, on the pick-up store's own calendar: the
    store's closing time `pickup_hold_days` days later (its next open day if closed that day), else
    the end (23:59) of that day. Counted in the store's days, not in UTC hours, so a hold across a
    clock change still ends at closing time and a New York store's hold ends on New York's evening."""
    last_day = location.local(ready_at).date() + timedelta(days=location.pickup_hold_days)
    if location.opening_hours:
        for offset in range(7):
            closing = closes_at(location, last_day + timedelta(days=offset))
            if closing is not None:
                return closing
    return datetime.combine(last_day, time(23, 59), tzinfo=location.zone)


def reminder_before() -> timedelta:
    return timedelta(hours=int(getattr(settings, "ORDERS_REMINDER_HOURS_BEFORE", 24)))


def pick_sla() -> timedelta:
    return timedelta(hours=int(getattr(settings, "ORDERS_PICK_SLA_HOURS", 2)))


def lock_fulfillment(fulfillment: Fulfillment | int) -> Fulfillment:
    """Lock the order row, then the fulfilment; returns a fresh fulfilment with its order."""
    pk = fulfillment.pk if isinstance(fulfillment, Fulfillment) else fulfillment
    order_id = Fulfillment.objects.filter(pk=pk).values_list("order_id", flat=True).first()
    if order_id is None:
        raise OrderError(_("There is no such pick-up."), code=RetailCode.NOT_FOUND)
    order = Order.objects.select_for_update(of=("self",)).select_related("customer", "store").get(pk=order_id)
    locked = Fulfillment.objects.select_for_update(of=("self",)).select_related("location").get(pk=pk)
    locked.order = order
    return locked


def require_state(fulfillment: Fulfillment, verb: str, allowed: tuple, kinds: tuple | None = None) -> None:
    if kinds is not None and fulfillment.kind not in kinds:
        raise OrderError(
            _("A %(value)s cannot be %(verb)s.") % {"value": fulfillment.get_kind_display().lower(), "verb": verb},
            code=RetailCode.ILLEGAL_TRANSITION,
            extra={"status": fulfillment.status, "kind": fulfillment.kind},
        )
    if fulfillment.status not in allowed:
        raise OrderError(
            _("Order %(number)s is %(value)s; it cannot be %(verb)s now.")
            % {"number": fulfillment.order.number, "value": fulfillment.get_status_display().lower(), "verb": verb},
            code=RetailCode.ILLEGAL_TRANSITION,
            extra={"status": fulfillment.status, "allowed_from": list(allowed)},
        )


def require_store(fulfillment: Fulfillment, store: Store | None) -> None:
    if store is not None and fulfillment.location_id != store.pk:
        raise OrderError(
            _("This order is collected at %(name)s, not here.") % {"name": fulfillment.location.name},
            code=RetailCode.WRONG_STORE,
        )


def require_paid(fulfillment: Fulfillment, verb: str) -> None:
    """An assisted order leaves the store only once paid: the till's receipt or the pay-by-link settled it.

    Read without a lock (the order's is held): a request only ever goes from pending to paid or closed,
    and a payment committing meanwhile is seen by the next try.
    """
    order = fulfillment.order
    request = PaymentRequest.objects.filter(order_id=order.pk).values_list("method", "status", "amount").first()
    if request is None or request[1] == PaymentRequest.Status.PAID:
        return
    method, state, amount = request
    if state != PaymentRequest.Status.PENDING:
        how = "it was not paid in time"
    elif method == PaymentRequest.Method.TILL:
        how = f"the shopper pays {amount} at the till of {order.store.name} with the order number first"
    else:
        how = f"the pay-by-link for {amount} sent to the shopper is not paid yet; ask them to open it and pay"
    raise OrderError(
        _("Order %(number)s is not paid: %(how)s. It cannot be %(verb)s until it is.")
        % {"number": order.number, "how": how, "verb": verb},
        code=OrderCode.NOT_PAID,
        extra={"payment": method, "payment_status": state, "due": str(amount)},
    )


def move(fulfillment: Fulfillment, to: str, *, actor, note: str = "", fields: tuple = ()) -> None:
    before = fulfillment.status
    fulfillment.status = to
    if to in TERMINAL:
        fulfillment.closed_at = timezone.now()
        fields = (*fields, "closed_at")
    fulfillment.save(update_fields=["status", *fields])
    record_status(
        order=fulfillment.order, fulfillment=fulfillment, from_status=before, to_status=to, actor=actor, note=note
    )


def close_order_if_done(order: Order, *, actor) -> None:
    """When every fulfilment has ended: complete or cancel the order, settle payments and points."""
    statuses = list(order.fulfillments.values_list("status", flat=True))
    if any(s not in TERMINAL for s in statuses):
        settle_payments(order=order, actor=actor)
        return
    before = order.status
    order.status = (
        Order.Status.COMPLETED if any(s in (S.COLLECTED, S.SHIPPED) for s in statuses) else Order.Status.CANCELLED
    )
    order.closed_at = order.updated_at = timezone.now()
    order.save(update_fields=["status", "closed_at", "updated_at"])
    record_status(order=order, from_status=before, to_status=order.status, actor=actor)
    settle_payments(order=order, actor=actor)
    if order.customer_id is None:
        return
    owed = owed_amount(order)
    if owed > 0:
        earn_points_for(order=order, amount=owed, actor=actor)
    elif order.points_redeemed:
        adjust_points(
            customer=order.customer,
            points=order.points_redeemed,
            note=say("orders.points_given_back", order=order.number),
            actor=actor_or_none(actor),
        )


def reversal_lines(lines) -> list[dict]:
    return [{"sku": line.sku, "qty": qty, "amount": str(amount)} for line, qty, amount in lines if qty]


def assign_pickup_code(fulfillment: Fulfillment) -> None:
    """A 6-digit code no other open pick-up of the store has, and a QR token; given when ready.

    The unique constraint settles a race between two associates; the loser draws again.
    """
    taken = set(
        Fulfillment.objects.filter(location=fulfillment.location_id, status__in=Fulfillment.OPEN_STATUSES)
        .exclude(pickup_code="")
        .values_list("pickup_code", flat=True)
    )
    for _attempt in range(10):
        code = new_pickup_code()
        if code in taken:
            continue
        try:
            with transaction.atomic():
                Fulfillment.objects.filter(pk=fulfillment.pk).update(pickup_code=code, qr_token=new_qr_token())
        except IntegrityError:
            taken.add(code)
            continue
        fulfillment.refresh_from_db(fields=["pickup_code", "qr_token"])
        return
    raise OrderError(_("Could not find a free pick-up code; try again."), code=OrderCode.PICKUP_CODE_EXHAUSTED)


def release(fulfillment: Fulfillment, actor) -> None:

    release_reservations(reference=fulfillment.reservation_reference, actor=actor_or_none(actor))


# --------------------------------------------------------------------------- picking


def end_fulfillment(fulfillment: Fulfillment, to: str, *, actor, note: str) -> list:
    """Release its stock and close it; returns the reversal lines for the timeline."""
    release(fulfillment, actor)
    move(fulfillment, to, actor=actor, note=note)
    return [
        (line, line.open_quantity, unit_share(line.total, line.quantity, 0, line.open_quantity))
        for line in fulfillment.lines.all()
    ]
