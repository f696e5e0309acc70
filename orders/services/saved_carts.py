"""Saved carts and send-to-shopper (issue 18.2): the associate's basket kept on the shopper's profile.

    save_cart_for_customer  the basket on the profile (and, with `send`, sent at once)
    reopen_saved_cart       any associate, in a store they act for, takes it up again
    send_saved_cart         email/SMS/push through the outbox with a signed link (newest link only)
    open_sent_cart          the shopper it was sent to loads it into their own cart, once

Lock order: the saved cart, then the shopper's cart (carts.set_cart_line locks it).
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer, Interaction
from customers.selectors import customer_for_user
from customers.services.timeline import record_interaction
from inventory.models import Variant
from orders.errors import OrderCode, OrderError
from orders.models import Cart, SavedCart
from orders.services._common import actor_or_none, notifications_are_muted
from orders.services.carts import MAX_CART_LINES, MAX_LINE_QUANTITY, open_cart_for, set_cart_line, validate_cart_lines
from retail.domain.channel import Channel
from retail.messages import say
from retail.models import Store, User
from retail.selectors import role_in_store
from retail.services import enqueue_outbox_message, record_audit_event

SAVED_CART_TOPIC = "orders.saved_cart"
_SALT = "orders.saved-cart-link"


def saved_cart_link_ttl() -> timedelta:
    return timedelta(hours=float(getattr(settings, "ORDERS_SAVED_CART_LINK_HOURS", 72)))


def saved_cart_token(saved_cart: SavedCart) -> str:
    """The signed part of the link: which saved cart, and which sending of it (the newest only counts)."""
    return signing.dumps([saved_cart.pk, saved_cart.link_nonce], salt=_SALT)


def saved_cart_url(saved_cart: SavedCart) -> str:
    return settings.PUBLIC_URL.rstrip("/") + reverse("saved-cart-link", args=[saved_cart_token(saved_cart)])


def read_saved_cart_token(token: str) -> tuple[int, str]:
    """(saved cart id, nonce) from a link's token; cart_link_invalid when it was not signed here."""
    try:
        pk, nonce = signing.loads((token or "").strip()[:200], salt=_SALT)
        return int(pk), str(nonce)
    except (signing.BadSignature, ValueError, TypeError):
        raise OrderError(
            _("This link does not open a saved cart. Check it was copied whole, or ask the store to send it again."),
            code=OrderCode.CART_LINK_INVALID,
        ) from None


def _check_associate(actor: User, store: Store) -> None:
    if actor_or_none(actor) is None or role_in_store(actor, store) is None:
        raise OrderError(
            _("Only a member of %(name)s keeps carts for its shoppers.") % {"name": store.name},
            code=OrderCode.INVALID_CHANNEL,
            extra={"store": store.code},
        )


@transaction.atomic
def save_cart_for_customer(
    *,
    customer: Customer,
    store: Store,
    actor: User,
    lines: list[tuple[str, int]],
    note: str = "",
    send: bool = False,
    reopened: SavedCart | None = None,
) -> SavedCart:
    """The associate's basket kept on the profile, for any associate to reopen; with `send`, also sent.

    A basket taken up from a saved cart (`reopened`, not yet opened by the shopper) is saved over it,
    so the profile keeps one cart, not a copy per associate who touched it; an opened one stays as it was.
    """
    _check_associate(actor, store)
    if customer.erased_at or customer.merged_into_id:
        raise OrderError(_("This customer profile cannot keep a cart."), code=OrderCode.INVALID_CUSTOMER)
    if not lines:
        raise OrderError(_("The basket is empty: add an item before saving it."), code=OrderCode.EMPTY_CART)
    wanted = [[s, q] for s, q in validate_cart_lines(lines).items()]
    note, now = (note or "").strip()[:200], timezone.now()
    saved = _lock(reopened) if reopened is not None and reopened.customer_id == customer.pk else None
    if saved is not None and saved.status != SavedCart.Status.OPENED:
        saved.lines, saved.store, saved.saved_by, saved.updated_at = wanted, store, actor, now
        saved.note = note or saved.note
        saved.save(update_fields=["lines", "store", "saved_by", "note", "updated_at"])
    else:
        saved = SavedCart(customer=customer, store=store, saved_by=actor, lines=wanted, note=note, created_at=now,
                          updated_at=now)  # fmt: skip
        saved.full_clean()
        saved.save()
    record_audit_event(
        actor=actor,
        action="saved_cart.saved",
        obj=saved,
        store=store,
        details={"customer": customer.pk, "lines": saved.lines, "over": reopened.pk if reopened else None},
    )
    if send:
        saved = send_saved_cart(saved_cart=saved, actor=actor, store=store)
    return saved


def _lock(saved_cart: SavedCart | int) -> SavedCart:
    pk = saved_cart.pk if isinstance(saved_cart, SavedCart) else saved_cart
    locked = SavedCart.objects.select_for_update(of=("self",)).select_related("customer", "store").filter(pk=pk).first()
    if locked is None:
        raise OrderError(_("There is no such saved cart."), code=OrderCode.CART_LINK_INVALID)
    return locked


@transaction.atomic
def reopen_saved_cart(*, saved_cart: SavedCart, actor: User, store: Store) -> list[tuple[str, int]]:
    """The lines to take up again in the associate's basket (read for them through
    orders.selectors.saved_cart_for_staff, which checks the store in the query). Audited."""
    _check_associate(actor, store)
    record_audit_event(
        actor=actor,
        action="saved_cart.reopened",
        obj=saved_cart,
        store=store,
        details={"customer": saved_cart.customer_id, "saved_in": saved_cart.store_id},
    )
    return [(sku, quantity) for sku, quantity in saved_cart.lines]


def _contacts(customer: Customer) -> list[tuple[str, str]]:
    push = f"user:{customer.user_id}" if customer.user_id else ""
    return [("email", customer.email), ("sms", customer.phone), ("push", push)]


@transaction.atomic
def send_saved_cart(*, saved_cart: SavedCart, actor: User, store: Store) -> SavedCart:
    """Tell the shopper (every contact they gave, through the outbox) with a link that loads the cart
    into their app/web cart. Sending again makes a new link; the older one then says so."""
    _check_associate(actor, store)
    saved = _lock(saved_cart)
    customer = saved.customer
    if saved.status == SavedCart.Status.OPENED:
        raise OrderError(
            _("%(value)s already opened this cart; save the basket again to send it anew.")
            % {"value": customer.first_name or "The shopper"},
            code=OrderCode.CART_LINK_USED,
        )
    if customer.erased_at or customer.merged_into_id:
        raise OrderError(_("This customer profile cannot be sent a cart."), code=OrderCode.INVALID_CUSTOMER)
    if customer.user_id is None:
        raise OrderError(
            _(
                "The shopper has no app or web account to open the cart in: ask them to sign up first, "
                "or place the order for them here."
            ),
            code=OrderCode.INVALID_CUSTOMER,
        )
    now = timezone.now()
    saved.status, saved.link_nonce, saved.sent_by = SavedCart.Status.SENT, secrets.token_urlsafe(12), actor
    saved.sent_at, saved.link_expires_at, saved.updated_at = now, now + saved_cart_link_ttl(), now
    saved.save(update_fields=["status", "link_nonce", "sent_by", "sent_at", "link_expires_at", "updated_at"])
    channels = [channel for channel, recipient in _contacts(customer) if recipient]
    if not notifications_are_muted():
        enqueue_outbox_message(topic=SAVED_CART_TOPIC, payload={"saved_cart_id": saved.pk, "nonce": saved.link_nonce})
    record_audit_event(
        actor=actor,
        action="saved_cart.sent",
        obj=saved,
        store=store,
        details={"customer": customer.pk, "channels": channels, "expires_at": saved.link_expires_at.isoformat()},
    )
    record_interaction(
        customer=customer,
        channel=Channel.STORE,
        kind=Interaction.Kind.MESSAGE_SENT,
        source="orders",
        external_id=f"saved-cart:{saved.pk}:sent:{saved.link_nonce}",
        store=store,
        associate=actor,
        message=say("orders.saved_cart_sent", count=saved.units, associate=actor.get_short_name(), channels=channels),
        data={"saved_cart": saved.pk, "lines": [{"sku": s, "qty": q} for s, q in saved.lines]},
    )
    return saved


@transaction.atomic
def open_sent_cart(*, token: str, user, channel: str = Channel.APP) -> tuple[Cart, SavedCart, list[str]]:
    """(cart, saved cart, SKUs no longer sold): the shopper the cart was sent to loads it into their
    own cart (what was there stays), once. Another shopper, an old or used link are refused with a code."""
    pk, nonce = read_saved_cart_token(token)
    customer = customer_for_user(user)
    saved = _lock(pk)
    if customer is None or saved.customer_id != customer.pk:
        raise OrderError(
            _("This cart was sent to someone else. Sign in as the shopper it was sent to."),
            code=OrderCode.CART_LINK_NOT_YOURS,
        )
    if saved.status == SavedCart.Status.OPENED:
        raise OrderError(_("You already opened this cart: its items are in your cart."), code=OrderCode.CART_LINK_USED)
    now = timezone.now()
    if saved.status != SavedCart.Status.SENT or saved.link_nonce != nonce:
        raise OrderError(
            _("A newer link to this cart was sent: open the newest message."), code=OrderCode.CART_LINK_EXPIRED
        )
    if saved.link_expires_at <= now:
        raise OrderError(
            _("This link has expired. Ask the store to send the cart again."), code=OrderCode.CART_LINK_EXPIRED
        )
    sold = set(
        Variant.objects.filter(
            sku__in=[s for s, _ in saved.lines], is_active=True, product__is_active=True
        ).values_list("sku", flat=True)
    )
    cart = open_cart_for(customer=customer, channel=channel)
    there = dict(cart.lines.values_list("variant__sku", "quantity"))
    gone = [sku for sku, _ in saved.lines if sku not in sold]
    for sku, quantity in saved.lines:
        if sku not in sold:
            continue
        if sku not in there and len(there) >= MAX_CART_LINES:
            gone.append(sku)  # the shopper's cart is full: the rest is named, not dropped silently
            continue
        add = min(quantity, MAX_LINE_QUANTITY - there.get(sku, 0))
        if add > 0:
            set_cart_line(cart=cart, sku=sku, quantity=add, channel=channel, add=True)
        there[sku] = there.get(sku, 0) + add
    saved.status, saved.opened_at, saved.opened_into, saved.updated_at = SavedCart.Status.OPENED, now, cart, now
    saved.save(update_fields=["status", "opened_at", "opened_into", "updated_at"])
    record_audit_event(
        actor=user, action="saved_cart.opened", obj=saved, details={"customer": customer.pk, "cart": cart.pk,
                                                                      "channel": channel, "unavailable": gone}
    )  # fmt: skip
    record_interaction(
        customer=customer,
        channel=channel,
        kind=Interaction.Kind.ADD_TO_CART,
        source="orders",
        external_id=f"saved-cart:{saved.pk}:opened",
        message=say("orders.saved_cart_opened", where=channel, count=saved.units, store=saved.store.name),
        data={"saved_cart": saved.pk, "cart": cart.pk, "unavailable": gone},
    )
    cart.refresh_from_db()
    return cart, saved, gone
