"""Carts: one open cart per shopper, anonymous carts merged at sign-in, remote carts from the store."""

from collections.abc import Iterable
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer, Interaction
from customers.services.timeline import record_interaction
from inventory.errors import InventoryCode, InventoryError
from inventory.market_prices import market_prices
from inventory.models import Variant
from orders.errors import OrderCode, OrderError
from orders.models import Cart, CartLine
from orders.services._common import actor_or_none, sale_market, timeline
from orders.services.shipping import normalise_country
from retail.domain.channel import Channel
from retail.errors import RetailCode
from retail.messages import say
from retail.models import Market, Store, User
from retail.services import record_audit_event

MAX_LINE_QUANTITY = 99
MAX_CART_LINES = 100


def _check_quantity(quantity, *, allow_zero: bool, label: str = "quantity") -> int:
    low = 0 if allow_zero else 1
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not low <= quantity <= MAX_LINE_QUANTITY:
        raise OrderError(
            _("%(label)s must be a whole number from %(low)s to %(max_line_quantity)s.")
            % {"label": label, "low": low, "max_line_quantity": MAX_LINE_QUANTITY},
            code=InventoryCode.INVALID_QUANTITY,
            fields={
                label: [_("%(low)s..%(max_line_quantity)s") % {"low": low, "max_line_quantity": MAX_LINE_QUANTITY}]
            },
        )
    return quantity


def _variants(skus: Iterable[str]) -> dict[str, Variant]:
    skus = {str(s).strip() for s in skus}
    found = {v.sku: v for v in Variant.objects.filter(sku__in=skus).select_related("product")}
    unknown = sorted(skus - found.keys())
    if unknown:
        raise OrderError(
            _("Unknown SKU: %(value)s.") % {"value": ", ".join(unknown)},
            code=InventoryCode.UNKNOWN_SKU,
            fields={"sku": unknown},
        )
    inactive = sorted(s for s, v in found.items() if not (v.is_active and v.product.is_active))
    if inactive:
        raise OrderError(
            _("No longer sold: %(value)s.") % {"value": ", ".join(inactive)},
            code=InventoryCode.INACTIVE_SKU,
            fields={"sku": inactive},
        )
    return found


def validate_cart_lines(lines: list[tuple[str, int]]) -> dict[str, int]:
    """{sku: quantity} for lines a cart may hold (same SKU summed; known, sold, 1..99 each, at most 100 SKUs)."""
    return _wanted_lines(lines)[0]


def _wanted_lines(lines: list[tuple[str, int]]) -> tuple[dict[str, int], dict[str, Variant]]:
    """validate_cart_lines' {sku: quantity}, with the variants it found by SKU."""
    wanted: dict[str, int] = {}
    for index, (sku, quantity) in enumerate(lines):
        _check_quantity(quantity, allow_zero=False, label=f"lines.{index}.quantity")
        wanted[str(sku).strip()] = wanted.get(str(sku).strip(), 0) + quantity
    if len(wanted) > MAX_CART_LINES:
        raise OrderError(
            _("A cart holds at most %(max_cart_lines)s SKUs.") % {"max_cart_lines": MAX_CART_LINES},
            code=InventoryCode.INVALID_QUANTITY,
        )
    for sku, quantity in wanted.items():
        _check_quantity(quantity, allow_zero=False, label=sku)
    return wanted, (_variants(wanted) if wanted else {})


def _refuse_another_currency(cart: Cart, market: Market | None, *, holds_lines: bool) -> None:
    if market is not None and holds_lines and cart.currency and market.currency != cart.currency:
        raise OrderError(
            _("Your cart is priced in %(cart)s; it cannot take lines in %(market)s. Check it out or empty it first.")
            % {"cart": cart.currency, "market": market.currency},
            code=OrderCode.CURRENCY_MISMATCH,
            extra={"currencies": sorted({cart.currency, market.currency})},
        )


def _pricing(cart: Cart, variants: list[Variant], *, market: Market | None) -> dict[int, Decimal]:
    """The prices of `variants` in the cart's market: the one it holds lines in, else `market`, else the
    shopper's (which the cart then takes). Lines of two currencies never share a cart
    (`currency_mismatch`); a variant the market does not sell is `not_sold_in_market`."""
    holds_lines = cart.lines.exists()
    _refuse_another_currency(cart, market, holds_lines=holds_lines)
    if holds_lines and cart.market_id:
        chosen = cart.market
    else:
        chosen = market or (cart.market if cart.market_id else None)
        chosen = chosen or sale_market(channel=cart.channel, customer=cart.customer)
    _refuse_another_currency(cart, chosen, holds_lines=holds_lines)
    if (cart.market_id, cart.currency) != (chosen.pk, chosen.currency):
        cart.market, cart.currency = chosen, chosen.currency
        cart.save(update_fields=["market", "currency"])
    try:
        prices = market_prices(variants=variants, market=chosen).require(variants)
    except InventoryError as exc:
        raise OrderError(exc.message, code=exc.code, fields=exc.fields) from None
    return {pk: price.amount for pk, price in prices.items()}


def _touch(cart: Cart, channel: str) -> None:
    cart.channel, cart.updated_at = channel, timezone.now()
    cart.save(update_fields=["channel", "updated_at"])


@transaction.atomic
def open_cart_for(*, customer: Customer, channel: str = Channel.WEB) -> Cart:
    """The shopper's one open cart, made if they have none (safe under concurrent first calls)."""
    cart = Cart.objects.filter(customer=customer, status=Cart.Status.OPEN).first()
    if cart is not None:
        return cart
    now = timezone.now()
    try:
        with transaction.atomic():
            return Cart.objects.create(customer=customer, channel=channel, created_at=now, updated_at=now)
    except IntegrityError:  # another device made it a moment ago
        return Cart.objects.get(customer=customer, status=Cart.Status.OPEN)


@transaction.atomic
def create_anonymous_cart(*, channel: str = Channel.WEB) -> Cart:
    now = timezone.now()
    return Cart.objects.create(channel=channel, created_at=now, updated_at=now)


def _lock(cart: Cart) -> Cart:
    cart = Cart.objects.select_for_update().get(pk=cart.pk)
    if cart.status != Cart.Status.OPEN:
        raise OrderError(_("This cart was already checked out or merged."), code=OrderCode.CART_CLOSED)
    return cart


@transaction.atomic
def replace_cart_lines(
    *,
    cart: Cart,
    lines: list[tuple[str, int]],
    channel: str = Channel.WEB,
    market: Market | None = None,
    country: str = "",
) -> Cart:
    """PUT semantics: the cart holds exactly these lines afterwards (same SKU twice is summed), priced
    in the cart's market (`market` when given: the cart then moves to it, its old lines replaced).
    `country` (ISO 3166-1: where it ships) names the market instead: the one selling there on `channel`."""
    cart = _lock(cart)
    wanted, variants = _wanted_lines(lines)
    if country:
        market = _ship_to(cart, country, channel)
    if market is not None and (market.currency != cart.currency or market.pk != cart.market_id):
        CartLine.objects.filter(cart=cart).delete()  # every line is replaced: the cart may change market
        cart.market, cart.currency = market, market.currency
        cart.save(update_fields=["market", "currency"])
    prices = _pricing(cart, list(variants.values()), market=market) if variants else {}
    existing = {line.variant_id: line for line in cart.lines.all()}
    now = timezone.now()
    keep = set()
    for sku, quantity in wanted.items():
        variant = variants[sku]
        keep.add(variant.pk)
        line = existing.get(variant.pk)
        if line is None:
            CartLine.objects.create(
                cart=cart, variant=variant, quantity=quantity, price_when_added=prices[variant.pk], added_at=now
            )
        elif line.quantity != quantity:
            line.quantity = quantity
            line.save(update_fields=["quantity"])
    CartLine.objects.filter(cart=cart).exclude(variant_id__in=keep).delete()
    _touch(cart, channel)
    return cart


def _ship_to(cart: Cart, country: str, channel: str) -> Market:
    """The market selling on `channel` where the cart ships to; the country is kept on the cart."""
    cart.country = normalise_country(country)
    cart.save(update_fields=["country"])
    return sale_market(channel=channel, country=cart.country)


@transaction.atomic
def set_cart_country(*, cart: Cart, country: str, channel: str = Channel.WEB) -> Cart:
    """The cart ships to `country` (ISO 3166-1; `invalid_country` else): it moves to the market selling
    there on `channel`, and every line is priced again in that market's list and currency (the price
    when added becomes the new market's price now, so `price_changed` compares like with like). A line
    that market does not sell refuses the move (`not_sold_in_market`, `extra["skus"]` names them):
    nothing changes, the shopper removes those lines or keeps their country. Locks the cart. Four
    queries and the lines' update whatever the number of lines."""
    cart = _lock(cart)
    market = _ship_to(cart, country, channel)
    if (market.pk, market.currency) != (cart.market_id, cart.currency):
        lines = list(cart.lines.select_related("variant__product").order_by("pk"))
        variants = [line.variant for line in lines]
        pricing = market_prices(variants=variants, market=market)
        missing = sorted(v.sku for v in variants if pricing.get(v.pk) is None)
        if missing:
            raise OrderError(
                _(
                    "%(skus)s cannot be sold in %(market)s (%(currency)s), where this cart would ship: remove them, "
                    "or keep the cart's country."
                )
                % {"skus": ", ".join(missing), "market": market.name, "currency": market.currency},
                code=InventoryCode.NOT_SOLD_IN_MARKET,
                fields={"country": [_("Not every line is sold there.")]},
                extra={"skus": missing, "market": market.code, "currency": market.currency},
            )
        for line in lines:
            line.price_when_added = pricing.get(line.variant_id).amount
        CartLine.objects.bulk_update(lines, ["price_when_added"])
        cart.market, cart.currency = market, market.currency
        cart.save(update_fields=["market", "currency"])
    _touch(cart, channel)
    return cart


@transaction.atomic
def set_cart_line(
    *, cart: Cart, sku: str, quantity: int, channel: str = Channel.WEB, add: bool = False, market: Market | None = None
) -> Cart:
    """Set one SKU's quantity (0 removes it); with `add`, add to what is there. A new line is priced in
    the cart's market (`market`, else the shopper's, when it is empty); never in a second currency."""
    cart = _lock(cart)
    _check_quantity(quantity, allow_zero=not add)
    variant = _variants([sku])[str(sku).strip()]
    if market is not None:
        _refuse_another_currency(cart, market, holds_lines=cart.lines.exists())
    line = CartLine.objects.filter(cart=cart, variant=variant).first()
    new_quantity = (line.quantity if line and add else 0) + quantity
    if add and line is not None and new_quantity > MAX_LINE_QUANTITY:  # the sent quantity alone was fine
        room = MAX_LINE_QUANTITY - line.quantity
        raise OrderError(
            f"The cart already holds {line.quantity} of {variant.sku} and a line holds at most "
            f"{MAX_LINE_QUANTITY}: add {room} at most." if room else
            f"The cart already holds {MAX_LINE_QUANTITY} of {variant.sku}, the most a line holds.",
            code=InventoryCode.INVALID_QUANTITY,
            fields={"quantity": [_("At most %(room)s more.") % {"room": room}]},
        )  # fmt: skip
    if new_quantity == 0:
        if line is not None:
            line.delete()
    else:
        _check_quantity(new_quantity, allow_zero=False)
        if line is None:
            if cart.lines.count() >= MAX_CART_LINES:
                raise OrderError(
                    _("A cart holds at most %(max_cart_lines)s SKUs.") % {"max_cart_lines": MAX_CART_LINES},
                    code=InventoryCode.INVALID_QUANTITY,
                )
            price = _pricing(cart, [variant], market=market)[variant.pk]
            CartLine.objects.create(
                cart=cart,
                variant=variant,
                quantity=new_quantity,
                price_when_added=price,
                added_at=timezone.now(),
            )
        else:
            line.quantity = new_quantity
            line.save(update_fields=["quantity"])
    _touch(cart, channel)
    return cart


def absorb_cart(*, source: Cart, target: Cart) -> None:
    """Move source's lines into target (quantities summed, capped) and close source as merged. An empty
    target takes the source's market; two carts holding lines in two currencies are `currency_mismatch`."""
    mine = {line.variant_id: line for line in target.lines.all()}
    if source.currency and source.currency != target.currency and source.lines.exists():
        if mine:
            raise OrderError(
                _(
                    "One cart is priced in %(one)s and the other in %(other)s: they cannot be joined. Check one out "
                    "or empty it first."
                )
                % {"one": source.currency, "other": target.currency},
                code=OrderCode.CURRENCY_MISMATCH,
                extra={"currencies": sorted({source.currency, target.currency})},
            )
        target.market_id, target.currency = source.market_id, source.currency
        target.country = source.country  # where the device's cart was to ship, so its market
        target.save(update_fields=["market", "currency", "country"])
    for line in source.lines.all():
        existing = mine.get(line.variant_id)
        if existing is None:
            line.cart = target
            line.save(update_fields=["cart"])
        else:
            existing.quantity = min(MAX_LINE_QUANTITY, existing.quantity + line.quantity)
            existing.save(update_fields=["quantity"])
            line.delete()
    source.status, source.merged_into, source.updated_at = Cart.Status.MERGED, target, timezone.now()
    source.save(update_fields=["status", "merged_into", "updated_at"])


@transaction.atomic
def merge_anonymous_cart(*, token: str, customer: Customer, channel: str = Channel.WEB) -> Cart:
    """At sign-in: the device's anonymous cart joins the shopper's open cart (idempotent)."""
    anonymous = Cart.objects.select_for_update().filter(token=token, customer__isnull=True).first()
    target = open_cart_for(customer=customer, channel=channel)
    if anonymous is None:
        raise OrderError(_("There is no anonymous cart with this token."), code=RetailCode.NOT_FOUND)
    if anonymous.status == Cart.Status.MERGED and anonymous.merged_into_id == target.pk:
        return target
    if anonymous.status != Cart.Status.OPEN:
        raise OrderError(_("This cart was already checked out or merged."), code=OrderCode.CART_CLOSED)
    target = _lock(target)
    absorb_cart(source=anonymous, target=target)
    _touch(target, channel)
    return target


@transaction.atomic
def send_cart_to_customer(*, customer: Customer, lines: list[tuple[str, int]], associate: User, store: Store) -> Cart:
    """Remote cart: an associate builds a basket in store and puts it in the shopper's account.

    The lines join the shopper's open cart (what they had stays), so app and web show them at once.
    """
    if not lines:
        raise OrderError(_("Add at least one item before sending the cart."), code=OrderCode.EMPTY_CART)
    cart = _lock(open_cart_for(customer=customer, channel=Channel.STORE))
    for sku, quantity in lines:
        set_cart_line(cart=cart, sku=sku, quantity=quantity, channel=Channel.STORE, add=True)
    now = timezone.now()
    cart.built_by, cart.built_in_store, cart.sent_at, cart.updated_at = associate, store, now, now
    cart.save(update_fields=["built_by", "built_in_store", "sent_at", "updated_at"])
    record_audit_event(
        actor=actor_or_none(associate),
        action="cart.sent_to_customer",
        obj=cart,
        store=store,
        details={"customer": customer.pk, "lines": [[s, q] for s, q in lines]},
    )

    record_interaction(
        customer=customer,
        channel=Channel.STORE,
        kind=Interaction.Kind.ADD_TO_CART,
        source="orders",
        external_id=f"remote-cart:{cart.pk}:{int(now.timestamp() * 1000)}",
        store=store,
        associate=associate,
        message=say("orders.cart_sent_online", associate=associate.get_short_name(), count=sum(q for _, q in lines)),
        data={"lines": [{"sku": s, "qty": q} for s, q in lines], "cart": cart.pk},
    )
    return cart


def close_cart(*, cart: Cart) -> None:
    """After checkout (called inside place_order's transaction)."""
    Cart.objects.filter(pk=cart.pk, status=Cart.Status.OPEN).update(
        status=Cart.Status.CONVERTED, updated_at=timezone.now()
    )


__all__ = [
    "close_cart",
    "create_anonymous_cart",
    "merge_anonymous_cart",
    "open_cart_for",
    "replace_cart_lines",
    "send_cart_to_customer",
    "set_cart_line",
    "timeline",
    "validate_cart_lines",
]
