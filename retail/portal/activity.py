"""What the dashboard's "Recent activity" calls the store-floor actions of the audit trail, in the
reader's language. An action not listed reads as its code does ("pickup.handed_over" -> "Pickup
handed over"), untranslated."""

from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    "cart.sent_to_customer": _("Cart sent to a shopper"),
    "customer.created": _("Customer created"),
    "customer.updated": _("Customer updated"),
    "customer.viewed": _("Customer profile viewed"),
    "customer.note_added": _("Note added"),
    "customer.task_created": _("Task created"),
    "customer.task_done": _("Task done"),
    "customer.task_cancelled": _("Task cancelled"),
    "customer.consent_changed": _("Consent changed"),
    "customer.associate_assigned": _("Associate assigned"),
    "customer.merged": _("Customers merged"),
    "gift_card.sold_at_till": _("Gift card sold at the till"),
    "manager.approval_pin_set": _("Approval PIN set"),
    "order.assisted_placed": _("Assisted order placed"),
    "order.placed": _("Order placed"),
    "order.cancelled": _("Order cancelled"),
    "order.shipped": _("Order shipped"),
    "order.payment_received": _("Payment received"),
    "pickup.customer_arrived": _("Shopper arrived for a pick-up"),
    "pickup.picking_started": _("Picking started"),
    "pickup.ready": _("Pick-up ready"),
    "pickup.handed_over": _("Pick-up handed over"),
    "pickup.expired": _("Pick-up expired"),
    "pickup.reminder_sent": _("Pick-up reminder sent"),
    "pickup.short_pick_cancelled": _("Short pick: line cancelled"),
    "pickup.short_pick_rerouted": _("Short pick: order rerouted"),
    "pos.sale_recorded": _("Till sale recorded"),
    "return.requested": _("Return started"),
    "return.received": _("Return received"),
    "return.approved": _("Return approved"),
    "return.refunded": _("Return refunded"),
    "return.rejected": _("Return rejected"),
    "return.cancelled": _("Return cancelled"),
    "saved_cart.saved": _("Cart kept for later"),
    "saved_cart.sent": _("Saved cart sent"),
    "saved_cart.reopened": _("Saved cart reopened"),
    "stock.received": _("Stock received"),
    "stock.counted": _("Stock counted"),
    "stock.count_submitted": _("Stock count submitted"),
    "stock.count_posted": _("Stock count posted"),
    "stock.adjustment": _("Stock adjusted"),
    "stock.damage": _("Stock written off as damaged"),
    "store_credit.issued": _("Store credit issued"),
    "transfer.requested": _("Transfer requested"),
    "transfer.shipped": _("Transfer shipped"),
    "transfer.received_with_discrepancy": _("Transfer received with a discrepancy"),
    "transfer.cancelled": _("Transfer cancelled"),
}


def action_label(action: str) -> str:
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action.replace(".", " ").replace("_", " ").capitalize()


def actor_label(label: str) -> str:
    """Who did it, as the audit trail stored it in English ("system", "device TILL-1") or a person's name."""
    if label == "system":
        return str(_("system"))
    if label.startswith("device "):
        return str(_("device %(name)s")) % {"name": label.removeprefix("device ")}
    return label
