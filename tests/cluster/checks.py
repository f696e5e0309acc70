"""After the load: did every message leave once, do the ledgers still sum? Reads the primary.

Each check returns plain numbers for the summary; `failures()` turns them into sentences.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True)
class Marks:
    """The highest ids before the load: what is above was made by the run (or by beat during it)."""

    outbox: int
    event: int
    order: int

    @classmethod
    def now(cls) -> Marks:
        from orders.models import Order
        from retail.models import OutboxMessage
        from webhooks.models import Event

        def top(model) -> int:
            return model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

        return cls(outbox=top(OutboxMessage), event=top(Event), order=top(Order))


def undelivered(marks: Marks) -> dict:
    """What the run's outbox and events still owe: 0 everywhere once the workers have caught up."""
    from retail.models import OutboxMessage
    from webhooks.models import Event

    messages = Counter(OutboxMessage.objects.filter(pk__gt=marks.outbox).values_list("status", flat=True))
    events = Event.objects.filter(pk__gt=marks.event)
    return {
        "outbox_pending": messages.get(OutboxMessage.Status.PENDING, 0),
        "outbox_failed": messages.get(OutboxMessage.Status.FAILED, 0),
        "events_unpublished": events.filter(position__isnull=True).count(),
    }


def deliveries(marks: Marks, *, received: list[str], subscription_id: int) -> dict:
    """The run's outbox messages, the orders' e-mails as the mail relay received them, the webhooks' fan-out."""
    from django.db.models import Count

    from orders.models import Notification, Order
    from retail.models import OutboxMessage
    from webhooks.models import Delivery, Event

    messages = OutboxMessage.objects.filter(pk__gt=marks.outbox)
    by_status = Counter(messages.values_list("status", flat=True))
    attempts = dict(messages.values_list("pk", "attempts"))
    sent = list(
        Notification.objects.filter(
            message_key__in=[f"outbox:{pk}" for pk in attempts], channel="email", status=Notification.Status.SENT
        ).values_list("message_key", flat=True)
    )
    seen = Counter(received)
    lost = sorted(key for key in sent if not seen[key])
    again = {key: n for key, n in seen.items() if n > 1 and key.startswith("outbox:")}
    # a second copy is expected only of a message whose first attempt died with its worker
    unexplained = sorted(key for key in again if attempts.get(int(key.split(":")[1]), 0) < 2)
    events = Event.objects.filter(pk__gt=marks.event)
    placed = events.filter(type="order.placed")
    fanned = Delivery.objects.filter(subscription_id=subscription_id, event__in=placed).count()
    orders = Order.objects.filter(pk__gt=marks.order)
    twice = (
        placed.values("key").annotate(n=Count("pk")).filter(n__gt=1).count()
    )  # one order.placed per order, whatever the retries
    return {
        "outbox_messages": sum(by_status.values()),
        "outbox_delivered": by_status.get(OutboxMessage.Status.DELIVERED, 0),
        "outbox_redelivered": sum(1 for n in attempts.values() if n > 1),
        "emails_sent": len(sent),
        "emails_received": sum(seen[key] for key in sent),
        "emails_lost": len(lost),
        "emails_again_after_a_lost_worker": sum(n - 1 for key, n in again.items() if key not in unexplained),
        "emails_duplicated": len(unexplained),
        "orders": orders.count(),
        "order_placed_events": placed.count(),
        "orders_without_event": orders.exclude(
            pk__in=[int(k.split(":")[1]) for k in placed.values_list("key", flat=True)]
        ).count(),
        "orders_with_two_events": twice,
        "events": events.count(),
        "webhook_deliveries": fanned,
        "webhook_deliveries_missing": placed.count() - fanned,
        "lost_examples": lost[:5],
        "duplicated_examples": unexplained[:5],
    }


def ledgers() -> dict[str, int]:
    """Rows that disagree with their ledger: stock levels (on hand and reserved), gift cards, points, store credit
    (the checks of verify_stock_ledger, verify_gift_cards and verify_customer_ledgers)."""
    from customers.ledgers import points_drift, store_credit_drift
    from customers.services.giftcards import gift_card_drift
    from inventory.selectors import ledger_drift, reservation_drift

    return {
        "stock on hand": len(ledger_drift()),
        "stock reserved": len(reservation_drift()),
        "gift cards": len(gift_card_drift()),
        "loyalty points": len(points_drift()),
        "store credit": len(store_credit_drift()),
    }


def failures(summary: dict) -> list[str]:
    """What the rehearsal promises, as sentences for each broken promise."""
    out = []
    http = summary["http"]
    if http["unanswered"]:
        out.append(f"{http['unanswered']} request(s) ended in a 5xx after the client's retries")
    if http["unexplained_5xx"]:
        out.append(f"{http['unexplained_5xx']} 5xx answer(s) outside the moments a host was killed")
    if http["errors"]:
        out.append(f"{http['errors']} request(s) answered otherwise than expected: {http['error_bodies']}")
    d = summary["deliveries"]
    for key, what in (
        ("emails_lost", "e-mail(s) recorded as sent never reached the relay"),
        ("emails_duplicated", "e-mail(s) reached the relay twice without a lost worker to explain it"),
        ("orders_with_two_events", "order(s) have two order.placed events"),
        ("orders_without_event", "order(s) have no order.placed event"),
        ("webhook_deliveries_missing", "order.placed event(s) were not fanned out to the subscription"),
    ):
        if d[key]:
            out.append(f"{d[key]} {what}")
    left = summary["drain"]["left"]
    if any(left.values()):
        out.append(f"the workers did not catch up within {summary['drain']['seconds']} s: {left}")
    for name, n in summary["ledgers"].items():
        if n:
            out.append(f"{n} {name} row(s) disagree with their ledger")
    if summary["feeds"].get("errors"):
        out.append(f"the event feeds failed {summary['feeds']['errors']} time(s): {summary['feeds']}")
    if not summary["replica"]["caught_up"]:
        out.append("the restarted replica did not catch up with the primary")
    return out
