"""Receivers of customers' merge signals: orders and carts follow the profile they belong to."""

from django.dispatch import receiver

from customers.models import Customer
from customers.services.linking import attach_guest_profile
from customers.signals import customer_erased, customer_merge_undone, customer_merged, identity_verified
from orders.models import Cart, Fulfillment, Order, SavedCart
from orders.services.carts import absorb_cart, open_cart_for
from retail.domain.channel import Channel
from retail.models import AuditEvent
from retail.services import record_audit_event

ORDERS, CARTS, SAVED = "orders.Order", "orders.Cart", "orders.SavedCart"


@receiver(customer_merged, dispatch_uid="orders.repoint_on_merge")
def repoint_on_merge(sender, merge, source, target, **kwargs):
    """Inside the merge transaction: the source's orders and carts move to the target.

    An open cart of the source joins the target's open cart (one open cart per shopper).
    """

    order_ids = list(Order.objects.filter(customer=source).values_list("pk", flat=True))
    Order.objects.filter(pk__in=order_ids).update(customer=target)
    source_open = Cart.objects.select_for_update().filter(customer=source, status=Cart.Status.OPEN).first()
    if source_open is not None and source_open.lines.exists():
        absorb_cart(source=source_open, target=open_cart_for(customer=target))
    cart_ids = list(Cart.objects.filter(customer=source).exclude(status=Cart.Status.OPEN).values_list("pk", flat=True))
    Cart.objects.filter(pk__in=cart_ids).update(customer=target)
    Cart.objects.filter(customer=source, status=Cart.Status.OPEN).update(status=Cart.Status.ABANDONED)
    saved_ids = list(SavedCart.objects.filter(customer=source).values_list("pk", flat=True))
    SavedCart.objects.filter(pk__in=saved_ids).update(customer=target)  # a sent link opens for the kept profile
    merge.moved[ORDERS], merge.moved[CARTS], merge.moved[SAVED] = order_ids, cart_ids, saved_ids
    # Kept in the audit trail too, so the undo finds them whatever happens to `merge.moved`.
    record_audit_event(
        actor=merge.actor,
        action="orders.moved_on_merge",
        obj=merge,
        details={"orders": order_ids, "carts": cart_ids, "saved_carts": saved_ids},
    )


@receiver(customer_merge_undone, dispatch_uid="orders.repoint_on_undo")
def repoint_on_undo(sender, merge, source, target, **kwargs):

    moved = merge.moved or {}
    if ORDERS not in moved:
        event = (
            AuditEvent.objects.filter(
                action="orders.moved_on_merge", object_type="customers.customermerge", object_id=str(merge.pk)
            )
            .order_by("-id")
            .first()
        )
        moved = (
            {ORDERS: event.details.get("orders", []), CARTS: event.details.get("carts", []),
             SAVED: event.details.get("saved_carts", [])}
            if event
            else {}
        )  # fmt: skip
    Order.objects.filter(pk__in=moved.get(ORDERS, []), customer=target).update(customer=source)
    Cart.objects.filter(pk__in=moved.get(CARTS, []), customer=target).update(customer=source)
    SavedCart.objects.filter(pk__in=moved.get(SAVED, []), customer=target).update(customer=source)


@receiver(customer_erased, dispatch_uid="orders.anonymise_on_erase")
def anonymise_on_erase(sender, customer, **kwargs):
    """Orders are kept for accounting; the names and contacts on them go."""
    Order.objects.filter(customer=customer).update(contact_name="", email="", phone="")
    SavedCart.objects.filter(customer=customer).update(note="")  # an associate's words about the shopper

    Fulfillment.objects.filter(order__customer=customer).update(
        proxy_name="", collected_by_name="", shipping_address={}, arrival_note=""
    )


@receiver(identity_verified, dispatch_uid="orders.attach_guest_orders")
def attach_guest_orders(sender, customer, kind, value, **kwargs):
    """A signed-in shopper proved `value`: the guest orders placed with it join their profile.

    Only profiles made by a guest checkout move (no login, no identity, ordered online without
    staff); the shopper gains those orders and nothing of anyone else's.
    """

    contact = {"email": "email", "phone": "phone"}[kind]
    guests = (
        Customer.objects.filter(
            user__isnull=True,
            is_anonymous=False,
            merged_into__isnull=True,
            erased_at__isnull=True,
            identities__isnull=True,
            orders__placed_by__isnull=True,
            orders__channel__in=Channel.online_values(),
            **{f"orders__{contact}": value},
        )
        .exclude(pk=customer.pk)
        .distinct()
        .order_by("pk")
    )
    for guest in guests:
        attach_guest_profile(guest=guest, owner=customer, kind=kind)
