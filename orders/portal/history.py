"""An order's history in the reader's language: statuses by their labels, and the notes the services
write (in English, once, like a log) read back through the catalog. A note a person typed (the reason
given for a cancellation, a shopper's arrival note) stays as typed."""

import re
from collections.abc import Callable

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from orders.models import Fulfillment, Order

# "pickup at LON-01" as checkout writes it; "Pick-up in store at LON-01" in rows written before
KINDS = {
    **{kind.value: kind for kind in Fulfillment.Kind},
    "Pick-up in store": Fulfillment.Kind.PICKUP,
    "Curbside pick-up": Fulfillment.Kind.CURBSIDE,
    "Ship to address": Fulfillment.Kind.SHIP,
    "Carried out of the store": Fulfillment.Kind.CARRY_OUT,
}
FIXED = {
    "started by the first scan": gettext_lazy("started by the first scan"),
    "nothing left to pick": gettext_lazy("nothing left to pick"),
    "not collected in time": gettext_lazy("not collected in time"),
    "reminder sent": gettext_lazy("reminder sent"),
    "shopper arrived": gettext_lazy("shopper arrived"),
    "cancelled by the shopper": gettext_lazy("cancelled by the shopper"),
    "cancelled by the store": gettext_lazy("cancelled by the store"),
    # the system's reasons for cancelling (orders.services.assisted.UNPAID_REASONS)
    "not paid by the payment link in time": gettext_lazy("not paid by the payment link in time"),
    "not paid at the till in time": gettext_lazy("not paid at the till in time"),
}


def _kind_at(m) -> str:
    kind = Fulfillment.Kind(KINDS[m["kind"]]).label
    return _("%(kind)s at %(store)s") % {"kind": kind, "store": m["store"]}


def _handed_to(m) -> str:
    how = dict(Fulfillment.Verification.choices).get(m["how"], m["how"])
    if not m["name"]:
        return _("handed over (%(how)s)") % {"how": how}
    return _("handed to %(name)s (%(how)s)") % {"name": m["name"], "how": how}


def _cancelled(m) -> str:
    who = FIXED[f"cancelled by the {m['who']}"]
    reason = m["reason"]
    return f"{who}: {FIXED.get(reason, reason)}"  # the system's reason worded, a person's as typed


PATTERNS: list[tuple[re.Pattern, Callable]] = [
    (re.compile(rf"(?P<kind>{'|'.join(map(re.escape, KINDS))}) at (?P<store>\S+)"), _kind_at),
    (re.compile(r"to (?P<name>.*) \((?P<how>qr|code|order_id)\)"), _handed_to),
    (
        re.compile(r"shopper arrived: (?P<note>.*)", re.S),
        lambda m: _("shopper arrived: %(note)s") % {"note": m["note"]},
    ),
    (re.compile(r"cancelled by the (?P<who>shopper|store): (?P<reason>.*)", re.S), _cancelled),
    (re.compile(r"re-routed from (?P<store>\S+)"), lambda m: _("re-routed from %(store)s") % {"store": m["store"]}),
    (
        re.compile(r"(?P<units>\d+) x (?P<sku>\S+) re-routed"),
        lambda m: _("%(units)s x %(sku)s re-routed") % {"units": m["units"], "sku": m["sku"]},
    ),
    (
        re.compile(r"(?P<units>\d+) x (?P<sku>\S+) not found: cancelled, (?P<amount>.+) not charged"),
        lambda m: _("%(units)s x %(sku)s not found: cancelled, %(amount)s not charged") % m.groupdict(),
    ),
    (re.compile(r"till (?P<name>.+)"), lambda m: _("till %(name)s") % {"name": m["name"]}),
]


def history_note(note: str) -> str:
    """The note in the reader's language when a service wrote it; else as it was typed."""
    if note in FIXED:
        return str(FIXED[note])
    for pattern, words in PATTERNS:
        m = pattern.fullmatch(note)
        if m:
            return words(m)
    return note


def history_rows(order: Order) -> list[dict]:
    """The order's status changes, oldest first, with the statuses' labels and the notes translated."""
    labels = {**dict(Order.Status.choices), **dict(Fulfillment.Status.choices)}
    system = pgettext("who changed an order", "system")
    return [
        {
            "occurred_at": h.occurred_at,
            "from_status": h.from_status,
            "to_status": h.to_status,
            "from_label": labels.get(h.from_status, h.from_status),
            "to_label": labels.get(h.to_status, h.to_status),
            "note": history_note(h.note) if h.note else "",
            "actor": system if h.actor_label == "system" else h.actor_label,
        }
        for h in order.history.all()
    ]
