"""The end of a pick-up's life: reminders before the hold ends, expiry after it, cancellation.

Run by beat (orders.tasks) and by people (cancel). Each re-checks the state under the row lock,
so repeated or overlapping runs act once.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Interaction
from orders.errors import OrderCode, OrderError
from orders.events import record_order_event
from orders.models import Fulfillment, Order
from orders.services._common import audit, notify, record_status, timeline
from orders.services._transitions import (
    S,
    close_order_if_done,
    end_fulfillment,
    lock_fulfillment,
    reminder_before,
    reversal_lines,
)
from retail.messages import Message, say
from retail.models import User


@transaction.atomic
def expire_pickup(*, fulfillment: Fulfillment, now=None) -> bool:
    """The hold window is over: stock back on sale, payment voided, shopper told. False if not due."""
    fulfillment = lock_fulfillment(fulfillment)
    now = now or timezone.now()
    if fulfillment.status != S.READY or fulfillment.hold_until is None or fulfillment.hold_until > now:
        return False
    order = fulfillment.order
    lines = end_fulfillment(fulfillment, S.EXPIRED, actor=None, note="not collected in time")
    close_order_if_done(order, actor=None)
    audit(
        action="pickup.expired",
        order=order,
        store=fulfillment.location,
        details={"hold_until": fulfillment.hold_until.isoformat()},
    )
    record_order_event("pickup.expired", order, fulfillment=fulfillment)
    timeline(
        order=order,
        kind=Interaction.Kind.RETURN,
        key=f"{fulfillment.pk}:expired",
        store=fulfillment.location,
        message=say("orders.expired", order=order.number),
        data={"reason": "pickup_expired", "lines": reversal_lines(lines)},
    )
    notify(order=order, kind="expired", fulfillment=fulfillment)
    return True


@transaction.atomic
def send_pickup_reminder(*, fulfillment: Fulfillment, now=None) -> bool:
    """Once per pick-up, within `reminder_before()` of the end of the hold. False if not due or done."""
    fulfillment = lock_fulfillment(fulfillment)
    now = now or timezone.now()
    if (
        fulfillment.status != S.READY
        or fulfillment.reminder_sent_at is not None
        or not (fulfillment.hold_until - reminder_before() <= now < fulfillment.hold_until)
    ):
        return False
    fulfillment.reminder_sent_at = now
    fulfillment.save(update_fields=["reminder_sent_at"])
    order = fulfillment.order
    record_status(order=order, fulfillment=fulfillment, from_status=S.READY, to_status=S.READY, note="reminder sent")
    audit(action="pickup.reminder_sent", order=order, store=fulfillment.location)
    until = fulfillment.location.local(fulfillment.hold_until)  # on the pick-up store's clock
    timeline(
        order=order,
        kind=Interaction.Kind.MESSAGE_SENT,
        key=f"{fulfillment.pk}:reminder",
        store=fulfillment.location,
        message=say("orders.reminder", order=order.number, store=fulfillment.location.name, until=until.isoformat()),
    )
    notify(order=order, kind="reminder", fulfillment=fulfillment)
    return True


def due_pickup_ids(*, now=None) -> tuple[list[int], list[int]]:
    """(ids due a reminder, ids due to expire) — read without locks; each service re-checks under lock."""
    now = now or timezone.now()
    ready = Fulfillment.objects.filter(status=S.READY)
    remind = list(
        ready.filter(reminder_sent_at__isnull=True, hold_until__gt=now, hold_until__lte=now + reminder_before())
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    expire = list(ready.filter(hold_until__lte=now).order_by("pk").values_list("pk", flat=True))
    return remind, expire


def _cancelled(order: Order, reason: str) -> Message:
    if reason:
        return say("orders.cancelled_because", order=order.number, reason=reason)
    return say("orders.cancelled", order=order.number)


@transaction.atomic
def cancel_order(
    *,
    order: Order,
    actor: User | None = None,
    reason: str = "",
    by_customer: bool = False,
    said: Message | None = None,
) -> Order:
    """Cancel while nothing is ready, collected or shipped ("until picked"); stock and payment released.

    `reason` is what a person typed, shown as typed; when the system cancels, `said` is what the
    shopper's timeline says instead (a sentence worded in its reader's language)."""
    order = Order.objects.select_for_update(of=("self",)).select_related("customer", "store").get(pk=order.pk)
    fulfillments = list(Fulfillment.objects.select_for_update().filter(order=order).order_by("pk"))
    blocking = [f for f in fulfillments if f.status in (S.READY, S.COLLECTED, S.SHIPPED)]
    if order.status != Order.Status.OPEN and not blocking:
        blocking = [f for f in fulfillments if f.status not in (S.PLACED, S.PICKING)]
    if order.status != Order.Status.OPEN or blocking:
        status = blocking[0].status if blocking else order.status
        state = S(status).label.lower() if blocking else status
        raise OrderError(
            _("Order %(number)s is %(state)s; it can no longer be cancelled.")
            % {"number": order.number, "state": state},
            code=OrderCode.ORDER_NOT_CANCELLABLE,
            extra={"status": status},
        )
    reversal = []
    for fulfillment in fulfillments:
        if fulfillment.status in (S.PLACED, S.PICKING):
            fulfillment.order = order
            note = f"cancelled by the {'shopper' if by_customer else 'store'}" + (f": {reason}" if reason else "")
            reversal += end_fulfillment(fulfillment, S.CANCELLED, actor=actor, note=note)
    close_order_if_done(order, actor=actor)
    audit(action="order.cancelled", order=order, actor=actor, details={"reason": reason, "by_customer": by_customer})
    record_order_event("order.cancelled", order, by_customer=by_customer)
    timeline(
        order=order,
        kind=Interaction.Kind.RETURN,
        key="cancelled",
        actor=actor,
        message=said or _cancelled(order, reason),
        data={"reason": "cancelled", "lines": reversal_lines(reversal)},
    )
    notify(order=order, kind="cancelled")
    return order
