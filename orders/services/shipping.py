"""Shipping (issue 19.4): head office's carriers and methods (audited), the methods a cart can ship
with to a country at their price, and the charge checkout puts on a ship-to-home order.

The price of a method for a parcel is orders.shipping's (no database); here are the rows around it.
Checkout's rules:
- A ship-to-home order placed by the shopper's own client (app, web, kiosk), or an associate's assisted
  order (the portal's "sell" screen), names a method when its destination has any in the order's
  currency (`shipping_method_required`); other staff orders without one ship free (an exchange).
- The method is active, of an active market that covers the address's country, priced in the
  order's currency, and prices this parcel (`shipping_method_unknown` / `_unavailable` with `reason`).
- The free-from threshold counts the shipped goods after their share of the order's discounts.
- The charge is taxed with the lines, per rate, in the class the method names (orders.services.checkout).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils.translation import gettext as _

from inventory.market_prices import price_expression
from inventory.models import Variant
from orders.errors import OrderCode, OrderError
from orders.models import Carrier, Cart, Order, ShippingBand, ShippingMethod
from orders.services._common import country_not_served
from orders.shipping import (
    NO_BANDS,
    TOO_HEAVY,
    TOO_VALUABLE,
    WEIGHT_UNKNOWN,
    Band,
    Parcel,
    Quote,
    Rate,
    parcel_weight,
    quote,
)
from retail.domain.channel import Channel
from retail.domain.money import Money
from retail.markets import market_currency, serves_country
from retail.models import User
from retail.models.markets import COUNTRY_CODES
from retail.services import record_audit_event
from retail.tax_providers import TaxItem, TaxQuote

ZERO = Decimal("0.00")
SHIPPING_SKU = "shipping"  # how a tax service sees the charge (a line of one unit)

# reasons beyond the rate's own (orders.shipping)
OTHER_COUNTRY = "other_country"
OTHER_CURRENCY = "other_currency"
NOTHING_TO_SHIP = "nothing_to_ship"


# --- head office ---------------------------------------------------------------------------------


@transaction.atomic
def save_carrier(*, carrier: Carrier, actor: User | None, changed: list[str] | None = None) -> Carrier:
    carrier.full_clean()
    carrier.save()
    record_audit_event(
        actor=actor,
        action="carrier.saved",
        obj=carrier,
        details={"code": carrier.code, "tracking_url": carrier.tracking_url, "changed": changed or []},
    )
    return carrier


@transaction.atomic
def save_shipping_method(
    *, method: ShippingMethod, actor: User | None, changed: list[str] | None = None
) -> ShippingMethod:
    method.full_clean()
    method.save()
    record_audit_event(
        actor=actor,
        action="shipping_method.saved",
        obj=method,
        details={
            "market": method.market.code,
            "code": method.code,
            "basis": method.basis,
            "price": str(method.price),
            "free_over": str(method.free_over) if method.free_over is not None else None,
            "active": method.is_active,
            "changed": changed or [],
        },
    )
    return method


@transaction.atomic
def save_shipping_bands(
    *,
    method: ShippingMethod,
    bands: Iterable[ShippingBand],
    deleted: Iterable[ShippingBand] = (),
    actor: User | None,
) -> list[ShippingBand]:
    """Replace some of a method's bands (the admin's inline): deleted ones go, the others are saved, and
    the method's bands afterwards are audited as one table ("up to: price")."""
    ShippingMethod.objects.select_for_update().filter(pk=method.pk).first()  # one editor of a table at a time
    for band in deleted:
        if band.pk:
            band.delete()
    saved = []
    for band in bands:
        band.method = method
        band.full_clean()
        band.save()
        saved.append(band)
    table = [
        f"{up_to if up_to is not None else '∞'}: {price}"
        for up_to, price in ShippingBand.objects.filter(method=method).values_list("up_to", "price")
    ]
    record_audit_event(
        actor=actor, action="shipping_method.bands_saved", obj=method, details={"code": method.code, "bands": table}
    )
    return saved


# --- reading the methods -------------------------------------------------------------------------


def normalise_country(country: str | None, *, field: str = "country") -> str:
    code = (country or "").strip().upper()
    if code not in COUNTRY_CODES:
        raise OrderError(
            _("Say the country as its ISO code, e.g. IT, PL or GB."),
            code=OrderCode.INVALID_COUNTRY,
            fields={field: [_("Unknown country.")]},
        )
    return code


def _methods():
    return (
        ShippingMethod.objects.filter(is_active=True, market__is_active=True)
        .select_related("market", "carrier")
        .prefetch_related(Prefetch("bands", queryset=ShippingBand.objects.order_by("pk")))
        .order_by("position", "code", "pk")
    )


def _to_country(country: str) -> Q:
    return Q(market__countries__contains=[country]) & (Q(countries=[]) | Q(countries__contains=[country]))


def methods_to(country: str) -> list[ShippingMethod]:
    """The active methods that ship to `country`, in checkout order (two queries: methods, their bands)."""
    return list(_methods().filter(_to_country(country)))


def rate_of(method: ShippingMethod) -> Rate:
    bands = tuple(Band(b.up_to, b.price) for b in method.bands.all())
    return Rate(basis=method.basis, price=method.price, bands=bands, free_over=method.free_over)


@dataclass(frozen=True)
class ShippedLine:
    """A unit count of one variant going to the address, and what is paid for it after discounts."""

    variant: Variant
    quantity: int
    paid: Decimal


def parcel_of(lines: Iterable[ShippedLine]) -> Parcel:
    lines = list(lines)
    return Parcel(
        goods=sum((line.paid for line in lines), ZERO),
        grams=parcel_weight((line.variant.weight, line.quantity) for line in lines),
    )


@dataclass(frozen=True)
class ShippingOption:
    method: ShippingMethod
    quote: Quote

    @property
    def price(self) -> Decimal | None:
        return self.quote.price


def shipping_options(*, country: str, lines: Iterable[ShippedLine], currency: str) -> list[ShippingOption]:
    """The methods that ship these lines to `country` in `currency`, each with its price (those that
    cannot are left out: too heavy, unknown weight, another currency)."""
    parcel = parcel_of(lines)
    options = []
    for method in methods_to(normalise_country(country)):
        if method.market.currency != currency:
            continue
        found = quote(rate_of(method), parcel)
        if found.available:
            options.append(ShippingOption(method, found))
    return options


@dataclass(frozen=True)
class CartShipping:
    country: str
    currency: str
    goods: Decimal
    grams: int | None
    options: list[ShippingOption]


def cart_shipping(*, cart: Cart | None, country: str, currency: str = "") -> CartShipping:
    """The methods that ship the cart's lines to `country`, priced at today's prices (offers are not
    known before checkout: a threshold is checked again there on the goods after discounts). An empty
    or missing cart lists nothing. `currency`: the orders' (default), the one checkout charges in.
    Three queries whatever the cart: its lines, the methods, their bands; when nothing ships, one more
    asks whether any market covers the country (`country_not_served` if none: not an empty list)."""
    country = normalise_country(country)
    currency = market_currency(currency=currency or (cart.currency if cart is not None else ""))
    rows = cart.lines.select_related("variant__product").order_by("pk") if cart is not None else []
    if cart is not None and cart.market_id:  # the price now in the cart's market, in the same read
        rows = rows.annotate(now=price_expression(market_id=cart.market_id, currency=cart.currency, variant="variant"))
    lines = [ShippedLine(row.variant, row.quantity, getattr(row, "now", row.variant.price) * row.quantity)
             for row in rows if getattr(row, "now", row.variant.price) is not None]  # fmt: skip
    parcel = parcel_of(lines)
    options = shipping_options(country=country, lines=lines, currency=currency) if lines else []
    if not options and not serves_country(country):
        raise country_not_served(country)
    return CartShipping(country=country, currency=currency, goods=parcel.goods, grams=parcel.grams, options=options)


def why_unavailable(reason: str, *, method: ShippingMethod, country: str = "") -> str:
    """The sentence a shopper reads when `method` cannot ship their order."""
    sentences = {
        OTHER_COUNTRY: _("%(method)s does not ship to %(country)s.") % {"method": method.name, "country": country},
        OTHER_CURRENCY: _("%(method)s is priced in %(currency)s, not in this order's currency.")
        % {"method": method.name, "currency": method.market.currency},
        NOTHING_TO_SHIP: _("Nothing in this order is shipped: a shipping method is only for ship-to-home lines."),
        WEIGHT_UNKNOWN: _("%(method)s is priced by weight and an item has none; choose another method.")
        % {"method": method.name},
        TOO_HEAVY: _("The parcel is too heavy for %(method)s; choose another method.") % {"method": method.name},
        TOO_VALUABLE: _("The order is worth too much for %(method)s; choose another method.") % {"method": method.name},
        NO_BANDS: _("%(method)s has no rates yet; choose another method.") % {"method": method.name},
    }
    return sentences[reason]


# --- checkout ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShippingCharge:
    method: ShippingMethod
    amount: Decimal
    free: bool = False


def _unavailable(reason: str, method: ShippingMethod, country: str = "") -> OrderError:
    return OrderError(
        why_unavailable(reason, method=method, country=country),
        code=OrderCode.SHIPPING_METHOD_UNAVAILABLE,
        fields={"shipping_method": [why_unavailable(reason, method=method, country=country)]},
        extra={"reason": reason, "shipping_method": method.pk},
    )


def choose_shipping(
    *,
    method_id: int | None,
    country: str,
    lines: list[ShippedLine],
    currency: str,
    channel: str,
    required: bool = False,
) -> ShippingCharge | None:
    """The charge for the chosen method, or None (nothing shipped; a staff order without a method,
    unless `required`: an assisted order). Refusals: see the module's text. One query for the method,
    one for its bands."""
    if method_id is None:
        if not lines or not (required or Channel(channel).online):
            return None
        # methods in another currency than the order's cannot be chosen (shipping_options leaves them out)
        offered = ShippingMethod.objects.filter(is_active=True, market__is_active=True, market__currency=currency)
        if offered.filter(_to_country(country)).exists():
            raise OrderError(
                _("Choose how the order is shipped: list the shipping methods for your cart and country."),
                code=OrderCode.SHIPPING_METHOD_REQUIRED,
                fields={"shipping_method": [_("Required for ship-to-home lines.")]},
            )
        return None  # no method set up for the destination in this currency: shipping is not charged
    if isinstance(method_id, bool) or not isinstance(method_id, int) or not 0 < method_id < 2**31:
        raise OrderError(
            _("The shipping method is the id of one listed for your cart."),
            code=OrderCode.SHIPPING_METHOD_UNKNOWN,
            fields={"shipping_method": [_("Unknown.")]},
        )
    method = _methods().filter(pk=method_id).first()
    if method is None:
        raise OrderError(
            _("There is no such shipping method (any more); list the methods for your cart and country again."),
            code=OrderCode.SHIPPING_METHOD_UNKNOWN,
            fields={"shipping_method": [_("Unknown.")]},
            extra={"shipping_method": method_id},
        )
    if not lines:
        raise _unavailable(NOTHING_TO_SHIP, method)
    if country not in method.market.countries or (method.countries and country not in method.countries):
        raise _unavailable(OTHER_COUNTRY, method, country)
    if method.market.currency != currency:
        raise _unavailable(OTHER_CURRENCY, method)
    found = quote(rate_of(method), parcel_of(lines))
    if not found.available:
        raise _unavailable(found.reason, method)
    return ShippingCharge(method=method, amount=found.price, free=found.free)


def apply_shipping(order: Order, charge: ShippingCharge | None) -> None:
    """The charge on the order's row (not saved): its method, name and amount, in its total."""
    if charge is None:
        return
    order.shipping_method = charge.method
    order.shipping_name = charge.method.name[:80]
    order.shipping_total = charge.amount
    order.total = order.subtotal - order.discount_total + charge.amount  # record_order adds any tax on top


def shipping_items(charge: ShippingCharge | None, currency: str) -> tuple[TaxItem, ...]:
    """The charge as a line for the tax provider (quoted with the goods, last), or nothing."""
    if charge is None:
        return ()
    return (TaxItem(Money(charge.amount, currency), charge.method.tax_class_id, sku=SHIPPING_SKU),)


def apply_shipping_tax(order: Order, quote: TaxQuote, charge: ShippingCharge | None) -> TaxQuote:
    """The charge's net, rate and tax (the quote's last line) on the order's row, not saved; the lines'
    quote without it. Where prices include tax it is inside the charge, else on top (tax_added)."""
    if charge is None or quote.lines is None:
        return quote
    *lines, tax = quote.lines
    order.shipping_net, order.shipping_tax_rate, order.shipping_tax = tax.net.amount, tax.rate, tax.tax.amount
    return TaxQuote(prices_include_tax=quote.prices_include_tax, lines=tuple(lines))
