"""Checkout: one transaction reserves the stock, applies offers and points, authorises payment.

place_order checks the request and finds the shopper, then runs these steps, each a value in, a value out:
    order_market (its currency) -> plan_fulfilments (Placement per fulfilment, within the market) -> price_lines
    (PricedLine, at the market's prices) -> expected_discounts (read, no lock) -> apply_discounts ->
    share_discount (per line) -> charge_shipping (orders.services.shipping) -> compute_tax (TaxQuote: LineTax
    per line and the shipping's, retail.tax_providers; before any lock) -> redeem_discounts (Discounts, locks;
    orders.services.discounts) -> record_order -> reserve (Fulfillment rows, stock held) -> record_lines
    (OrderLine rows) -> authorize_payments -> publish -> record_consents
Assisted orders (orders.services.assisted) and exchanges (returns) place through place_order; POS sales,
which price their own lines at the till, share redeem_discounts.
"""

import functools
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.errors import CustomerError
from customers.models import Customer, Interaction
from customers.services.linking import create_guest_profile
from customers.services.profiles import resolve_customer, set_consent
from inventory.catalog_texts import attach_texts, reading_order
from inventory.errors import InventoryCode, InventoryError
from inventory.market_prices import market_prices
from inventory.models import Variant
from inventory.selectors import route_lines
from inventory.services import reserve_stock
from orders.errors import OrderCode, OrderError
from orders.events import record_order_event
from orders.models import Cart, Fulfillment, Order, OrderLine
from orders.numbers import new_order_number
from orders.services._common import actor_or_none, audit, record_statuses, sale_market, timeline
from orders.services.carts import close_cart
from orders.services.discounts import Discounts, expected_discounts, redeem_discounts
from orders.services.payments import TenderRequest, authorize_payments
from orders.services.shipping import (
    ShippedLine,
    ShippingCharge,
    apply_shipping,
    apply_shipping_tax,
    choose_shipping,
    normalise_country,
    shipping_items,
)
from orders.services.taxes import quote_tax_for
from retail.domain.channel import Channel
from retail.domain.money import Money, allocate, money
from retail.errors import RetailCode
from retail.markets import market_for_sale
from retail.messages import say
from retail.models import Market, Store, User
from retail.promise import collect_promise
from retail.tax_providers import TaxItem, TaxQuote, TaxRequest

# Reservations outlive the pick-up hold (picking + hold window); expiry of the pick-up releases them.
PICKUP_RESERVATION_SLACK = timedelta(days=14)
SHIP_RESERVATION_TTL = timedelta(days=14)
ZERO = Decimal("0.00")


@dataclass
class GroupRequest:
    """One fulfilment: these lines, picked up at `store`, curbside there, or shipped."""

    kind: str
    lines: list[tuple[str, int]]
    store: Store | None = None
    shipping_address: dict = field(default_factory=dict)
    proxy_name: str = ""


def _check_request(*, channel: str, actor, points, tenders, payment_due_later: bool) -> None:
    """Who may place on this channel, how it is paid later, and the points asked for."""
    if channel not in Order.Channel.values:
        raise OrderError(
            _("Channel is one of %(value)s.") % {"value": ", ".join(Order.Channel.values)},
            code=OrderCode.INVALID_CHANNEL,
            fields={"channel": [_("Unknown.")]},
        )
    if channel in Channel.assisted_values() and actor_or_none(actor) is None:  # staff, signed in
        raise OrderError(_("Store and phone orders are placed by a member of staff."), code=OrderCode.INVALID_CHANNEL)
    if payment_due_later and (channel not in Channel.assisted_values() or tenders):
        raise OrderError(
            _("Only an associate's order, without tenders, is paid later."), code=OrderCode.INVALID_PAYMENT
        )
    if isinstance(points, bool) or not isinstance(points, int) or points < 0:
        raise OrderError(
            _("Points are a whole number, 0 or more."), code=OrderCode.INVALID_POINTS, fields={"points": [">= 0"]}
        )


def _check_groups(groups: list[GroupRequest]) -> None:
    if not groups or not any(g.lines for g in groups):
        raise OrderError(_("The order has no lines. Add something to the cart first."), code=OrderCode.EMPTY_CART)
    for index, group in enumerate(groups):
        _check_group(index, group)


def _check_group(index: int, group: GroupRequest) -> None:
    if group.kind not in (Fulfillment.Kind.PICKUP, Fulfillment.Kind.CURBSIDE, Fulfillment.Kind.SHIP):
        raise OrderError(
            _("Fulfilment is pickup, curbside or ship."),
            code=OrderCode.INVALID_FULFILLMENT,
            fields={f"groups.{index}.kind": [_("Unknown.")]},
        )
    if not group.lines:
        raise OrderError(
            _("A fulfilment group needs lines."),
            code=OrderCode.INVALID_FULFILLMENT,
            fields={f"groups.{index}.lines": [_("Empty.")]},
        )
    for line_index, (_sku, quantity) in enumerate(group.lines):
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= 99:
            raise OrderError(
                _("Quantities are whole numbers from 1 to 99."),
                code=InventoryCode.INVALID_QUANTITY,
                fields={f"groups.{index}.lines.{line_index}.quantity": ["1..99"]},
            )
    if group.kind not in Fulfillment.COLLECT_KINDS:
        if not (group.shipping_address or {}).get("postcode"):
            raise OrderError(
                _("A ship order needs an address with at least a postcode."),
                code=OrderCode.INVALID_FULFILLMENT,
                fields={f"groups.{index}.shipping_address": [_("postcode is required.")]},
            )
        return
    store = group.store
    if store is None:
        raise OrderError(
            _("Choose the store to collect from."),
            code=OrderCode.INVALID_FULFILLMENT,
            fields={f"groups.{index}.store": [_("Required.")]},
        )
    if not (store.is_active and store.pickup_enabled and store.kind == Store.Kind.STORE):
        raise OrderError(
            _("%(name)s does not offer pick-up.") % {"name": store.name},
            code=OrderCode.PICKUP_NOT_OFFERED,
            fields={f"groups.{index}.store": [_("No pick-up.")]},
        )


def cart_to_check_out(customer: Customer | None) -> tuple[Cart, list[tuple[str, int]]]:
    """The signed-in shopper's open cart and its lines as (sku, quantity): what `from_cart` checks
    out (place_order closes the cart). Signed out is `not_authenticated`; no cart or no lines, `empty_cart`."""
    if customer is None:
        raise OrderError(_("Sign in to check out your cart."), code=RetailCode.NOT_AUTHENTICATED)
    cart = Cart.objects.filter(customer=customer, status=Cart.Status.OPEN).first()
    lines = [(line.variant.sku, line.quantity) for line in cart.lines.select_related("variant")] if cart else []
    if not lines:
        raise OrderError(_("Your cart is empty."), code=OrderCode.EMPTY_CART)
    return cart, lines


def _load_variants(groups: list[GroupRequest]) -> dict[str, Variant]:
    skus = {str(sku).strip() for g in groups for sku, _ in g.lines}
    found = {v.sku: v for v in Variant.objects.filter(sku__in=skus).select_related("product__category")}
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


def _resolve_customer(*, customer: Customer | None, contact: dict, actor) -> Customer:
    if customer is not None:
        return customer
    identities = {k: contact[k] for k in ("email", "phone") if contact.get(k)}
    if not identities:
        raise OrderError(
            _("Give an email or phone number so we can tell you when the order is ready."),
            code=OrderCode.INVALID_CUSTOMER,
            fields={"email": [_("Email or phone required.")]},
        )
    try:
        if actor_or_none(actor) is None:
            # A guest proves nothing: the order gets a profile of its own, never an existing one
            # (whose balances, offers and consents a typed email or phone would otherwise reach).
            return create_guest_profile(name=contact.get("name", ""), **identities)

        # Staff taking a phone or store order have the shopper in front of them (or on the line).
        return resolve_customer(identities=identities, create=True, actor=actor_or_none(actor))
    except CustomerError as exc:
        raise OrderError(exc.message, code=OrderCode.INVALID_CUSTOMER, fields=exc.fields) from None


def _refuse_guest_spending(*, offer_code: str, points: int, tenders) -> None:
    """Offers, points and store credit belong to a profile: a guest has none to spend."""
    if (offer_code or "").strip() or points or any(t.method == "store_credit" for t in tenders or []):
        raise OrderError(
            _("Sign in to use offers, points or store credit."),
            code=RetailCode.NOT_AUTHENTICATED,
            fields={"payments": ["Sign in first."]} if not (offer_code or points) else {},
        )


@dataclass(frozen=True)
class Shopper:
    """Who the order is for, and the contact it keeps (a guest's as their new profile stored it)."""

    customer: Customer
    contact: dict


def find_shopper(*, customer: Customer | None, contact: dict | None, actor) -> Shopper:
    """The signed-in shopper, the one staff serve (found or made), or a guest's own new profile."""
    contact = {k: (v or "").strip() for k, v in (contact or {}).items()}
    guest = customer is None and actor_or_none(actor) is None
    customer = _resolve_customer(customer=customer, contact=contact, actor=actor)
    if guest:  # the guest's contact as its profile stored it (normalised)
        contact = {**contact, "email": customer.email, "phone": customer.phone}
    if customer.erased_at or customer.merged_into_id:
        raise OrderError(_("This customer profile cannot place orders."), code=OrderCode.INVALID_CUSTOMER)
    return Shopper(customer=customer, contact=contact)


@dataclass(frozen=True)
class Placement:
    """One fulfilment as planned: a group's lines at the location that fills them."""

    group: GroupRequest
    location: Store
    lines: tuple[tuple[str, int], ...]

    @property
    def is_collect(self) -> bool:
        return self.group.kind in Fulfillment.COLLECT_KINDS

    @property
    def reservation_ttl(self) -> timedelta:
        if self.is_collect:
            return timedelta(days=self.location.pickup_hold_days) + PICKUP_RESERVATION_SLACK
        return SHIP_RESERVATION_TTL


def _near(groups: list[GroupRequest], customer: Customer) -> tuple[float, float] | None:
    """Where a ship order starts its search: the address's coordinates, else the shopper's home store."""
    address = next((g.shipping_address for g in groups if g.kind == Fulfillment.Kind.SHIP), None) or {}
    if "latitude" in address and "longitude" in address:
        return float(address["latitude"]), float(address["longitude"])
    if customer.home_store_id:
        home = customer.home_store
        return float(home.latitude), float(home.longitude)
    return None


def plan_fulfilments(
    groups: list[GroupRequest], *, variants: dict[str, Variant], customer: Customer, market: Market | None = None
) -> list[Placement]:
    """Where each group is fulfilled: collect groups at their store, ship groups routed (maybe split)
    among the locations of the order's `market` (none other: see _ship_plan)."""
    near = None
    if any(g.kind == Fulfillment.Kind.SHIP for g in groups):
        near = _near(groups, customer)
    plan: list[Placement] = []
    for group in groups:
        lines = [(str(s).strip(), q) for s, q in group.lines]
        if group.kind == Fulfillment.Kind.SHIP:
            plan += [
                Placement(group, location, tuple(part))
                for location, part in _ship_plan(GroupRequest(group.kind, lines), variants, near, market=market)
            ]
        else:
            plan.append(Placement(group, group.store, tuple(lines)))
    return plan


def _ship_plan(
    group: GroupRequest, variants: dict[str, Variant], near, *, market: Market | None
) -> list[tuple[Store, list[tuple[str, int]]]]:
    """Ship-from-store: the nearest ships_orders location of the order's market that fills every line,
    else a split. Stock in another market does not ship: its location sells in another currency, charges
    another market's tax and ships across a border nobody priced; a market without the stock answers
    `insufficient_stock`, never a silent cross-border parcel. (No cross-border rule exists on Market.)"""

    plan = route_lines([(variants[s], q) for s, q in group.lines], near=near, market=market)
    if plan.shortfall or not plan.allocations:
        short = ", ".join(
            _("%(sku)s (%(count)s short)") % {"sku": s, "count": q} for s, q in sorted(plan.shortfall.items())
        )
        raise OrderError(
            _("We cannot ship all of this: %(lines)s.") % {"lines": short},
            code=InventoryCode.INSUFFICIENT_STOCK,
            extra={"lines": [{"sku": s, "short": q} for s, q in sorted(plan.shortfall.items())], "alternatives": []},
        )
    return [(a.location, sorted(a.lines.items())) for a in plan.allocations]


def order_market(groups: list[GroupRequest], *, channel: str, customer: Customer, store: Store | None = None) -> Market:
    """The market the order is sold in, so its currency and prices: the associate's store's; else the
    pick-up store's; else the online channel's market for the country shipped to. Every store and
    address of the order must sell in that currency (`currency_mismatch`): one order, one currency."""
    markets = [market_for_sale(store=store)] if store is not None else []
    markets += [market_for_sale(store=g.store) for g in groups if g.kind in Fulfillment.COLLECT_KINDS and g.store]
    # an address typed at a store's counter, with no country or the store's own, sells in the store's market
    # (a market's online channels need not list the counter's: phone, store)
    addresses = [g.shipping_address or {} for g in groups if g.kind == Fulfillment.Kind.SHIP]
    here = store.country if store is not None else None
    countries = {address.get("country", "") for address in addresses} - {"", here}
    markets += [sale_market(channel=channel, country=country, customer=customer) for country in sorted(countries)]
    if store is None and any(not address.get("country") for address in addresses):
        markets.append(sale_market(channel=channel, country="", customer=customer))
    currencies = sorted({m.currency for m in markets})
    if len(currencies) > 1:
        raise OrderError(
            _("One order is paid in one currency, and this one would mix %(currencies)s: place one order per country.")
            % {"currencies": " / ".join(currencies)},
            code=OrderCode.CURRENCY_MISMATCH,
            extra={"currencies": currencies, "markets": sorted({m.code for m in markets})},
        )
    return markets[0] if markets else sale_market(channel=channel, customer=customer)


@dataclass(frozen=True)
class PricedLine:
    """A line of the plan at the market's price now: `placement` is its fulfilment's index in the plan."""

    placement: int
    variant: Variant
    quantity: int
    unit_price: Decimal
    gross: Decimal


def price_lines(plan: list[Placement], variants: dict[str, Variant], *, market: Market) -> list[PricedLine]:
    """Every line of the plan, in plan order, at the variant's price in the market times the quantity
    (to the cent); `not_sold_in_market` (409) names the SKUs without a price in its currency."""
    try:
        prices = market_prices(variants=variants.values(), market=market).require(variants.values())
    except InventoryError as exc:
        raise OrderError(exc.message, code=exc.code, fields=exc.fields) from None
    return [
        PricedLine(index, variants[sku], quantity, prices[variants[sku].pk].amount,
                   money(prices[variants[sku].pk].amount * quantity, market.currency))
        for index, placement in enumerate(plan)
        for sku, quantity in placement.lines
    ]  # fmt: skip


def _new_order(
    *, channel: str, shopper: Shopper, store: Store, currency: str, subtotal: Decimal, actor, seller
) -> Order:
    """The order's row before its discounts: the number is drawn here (unique by constraint; see record_order)."""
    customer, contact = shopper.customer, shopper.contact
    now = timezone.now()
    return Order(
        number=new_order_number(),
        customer=customer,
        channel=channel,
        store=store,
        contact_name=contact.get("name") or customer.full_name,
        email=contact.get("email") or customer.email,
        phone=contact.get("phone") or customer.phone,
        currency=currency,
        subtotal=subtotal,
        placed_by=actor_or_none(actor),
        seller=actor_or_none(seller),
        placed_at=now,
        updated_at=now,
    )


def apply_discounts(order: Order, discounts: Discounts) -> None:
    """The order's discounts and its total before tax (record_order adds any tax on top)."""
    order.offer_discount, order.points_discount = discounts.offer, discounts.points
    order.discount_total, order.total = discounts.total, order.subtotal - discounts.total
    order.offer_code, order.points_redeemed = discounts.offer_code, discounts.points_redeemed


def charge_shipping(
    *,
    order: Order,
    plan: list[Placement],
    lines: list[PricedLine],
    shares: list[Decimal],
    method_id,
    required: bool = False,
) -> ShippingCharge | None:
    """The chosen shipping method's charge for the lines shipped to the address, on the order's row."""
    shipped = [
        ShippedLine(line.variant, line.quantity, line.gross - share)
        for line, share in zip(lines, shares, strict=True)
        if plan[line.placement].group.kind == Fulfillment.Kind.SHIP
    ]
    if not shipped and method_id is None:
        return None
    address = next((p.group.shipping_address for p in plan if p.group.kind == Fulfillment.Kind.SHIP), None) or {}
    country = normalise_country(address.get("country") or order.store.country, field="shipping_address.country")
    charge = choose_shipping(
        method_id=method_id,
        country=country,
        lines=shipped,
        currency=order.currency,
        channel=order.channel,
        required=required,
    )
    apply_shipping(order, charge)
    return charge


def _charges(
    order: Order, discounts: Discounts, *, lines: list[PricedLine], plan: list[Placement], method_id, required: bool
) -> tuple[list[Decimal], ShippingCharge | None, TaxQuote]:
    """The discounts on the order's row, shared over its lines, its shipping charge and the tax of both
    (the provider's quote): each step's value, for place_order to record."""
    apply_discounts(order, discounts)
    shares = share_discount(order, lines)
    shipping = charge_shipping(
        order=order, plan=plan, lines=lines, shares=shares, method_id=method_id, required=required
    )
    return shares, shipping, compute_tax(order=order, lines=lines, shares=shares, plan=plan, shipping=shipping)


def record_order(order: Order, tax: TaxQuote) -> None:
    """Write the order once, with its final totals: the tax added on top where the market's prices
    exclude it. A clash of its random number (40 bits: about 1 in 10^12 per order) is
    `order_number_clash`: nothing is kept, the checkout may run again."""
    order.prices_include_tax, order.tax_added = tax.prices_include_tax, tax.tax_added  # with the shipping's
    order.total += order.tax_added
    # Inputs were checked before; the database CHECKs (totals, amounts) are the last line of defence.
    try:
        order.save(force_insert=True)
    except IntegrityError as exc:
        if "orders_order_number" not in str(exc):
            raise
        raise OrderError(_("Please send the order again."), code=OrderCode.ORDER_NUMBER_CLASH) from None


def reserve(*, order: Order, plan: list[Placement], variants: dict[str, Variant], actor) -> list[Fulfillment]:
    """One fulfilment per placement, and its stock reserved at its location (all or nothing)."""
    fulfillments = Fulfillment.objects.bulk_create(
        Fulfillment(
            order=order,
            kind=placement.group.kind,
            location=placement.location,
            status=Fulfillment.Status.PLACED,
            proxy_name=(placement.group.proxy_name or "").strip()[:120],
            shipping_address=placement.group.shipping_address or {},
            reservation_reference=f"order:{order.number}:{index + 1}",
            carrier=order.shipping_method.carrier if _ships(placement, order) else None,
            promised_at=collect_promise(placement.location, order.placed_at) if placement.is_collect else None,
            created_at=order.placed_at,
        )
        for index, placement in enumerate(plan)
    )
    for placement, fulfillment in zip(plan, fulfillments, strict=True):
        lines = [(variants[sku], quantity) for sku, quantity in placement.lines]
        try:
            reserve_stock(
                lines=lines,
                location=placement.location,
                reference=fulfillment.reservation_reference,
                ttl=placement.reservation_ttl,
                actor=actor_or_none(actor),
            )
        except InventoryError as exc:
            if exc.code == InventoryCode.INSUFFICIENT_STOCK and placement.is_collect:
                raise _insufficient_at(placement.location, exc, lines) from None
            raise OrderError(exc.message, code=exc.code, fields=exc.fields, extra=exc.extra) from None
    return fulfillments


def _ships(placement: Placement, order: Order) -> bool:
    return placement.group.kind == Fulfillment.Kind.SHIP and order.shipping_method is not None


def _insufficient_at(store: Store, exc: InventoryError, lines) -> OrderError:
    """The reservation failed: say what is short and which nearby stores could fill the order."""

    plan = route_lines(lines, pickup_store=store, alternatives=3)
    alternatives = [
        {"store": a.location.code, "name": a.location.name, "distance_km": round(a.distance_km or 0.0, 1)}
        for a in plan.alternatives
    ]
    hint = f" In stock at: {', '.join(a['name'] for a in alternatives)}." if alternatives else ""
    return OrderError(
        _("%(message)s%(hint)s") % {"message": exc.message, "hint": hint},
        code=InventoryCode.INSUFFICIENT_STOCK,
        extra={"lines": exc.extra.get("lines", []), "location": store.code, "alternatives": alternatives},
    )


def share_discount(order: Order, lines: list[PricedLine]) -> list[Decimal]:
    """The order's discount shared over its lines in proportion to their prices, to the cent."""
    gross = [line.gross for line in lines]
    return allocate(order.discount_total, gross) if order.discount_total else [ZERO] * len(gross)


def compute_tax(
    *,
    order: Order,
    lines: list[PricedLine],
    shares: list[Decimal],
    plan: list[Placement],
    shipping: ShippingCharge | None = None,
) -> TaxQuote:
    """Each line's net, rate and tax in the market of the order's store on its day there, from the tax
    provider (retail.tax_providers: the rates table unless a tax service is set; per rate, allocated, so
    the lines' taxes sum to the order's). Where the market's prices exclude tax it is added on top
    (`TaxQuote.tax_added`). No lines in the quote when the market has no tax set up. The shipping
    charge is quoted with the lines, last, in its method's tax class (orders.services.shipping takes it
    out: the order's tax is its lines' plus its shipping's).

    `tax_unavailable` (409) when the market has no rate for an item's class; `tax_service_unavailable`
    (503) when the provider does not answer. Called before the order is written: nothing is kept."""
    ship_to = next((p.group.shipping_address for p in plan if p.group.kind == Fulfillment.Kind.SHIP), None)
    request = TaxRequest(
        store=order.store,
        day=order.store.local(order.placed_at).date(),
        currency=order.currency,
        items=tuple(
            TaxItem(Money(line.gross - share, order.currency), line.variant.product.tax_class_id,
                    sku=line.variant.sku, quantity=line.quantity)
            for line, share in zip(lines, shares, strict=True)
        ) + shipping_items(shipping, order.currency),
        ship_to=ship_to or {},
        reference=order.number,
    )  # fmt: skip
    return quote_tax_for(request)


def sale_languages(*, customer: Customer | None, market: Market) -> tuple[str, ...]:
    """The languages a sale's lines are named in, best first: the shopper's, else the market's (the
    language of the shopper's messages, customers.selectors.shopper_language), then the market's."""
    chosen = customer.language if customer is not None and customer.language else market.default_language
    return reading_order(chosen, market.default_language)


def name_in_language(variants, *, languages: tuple[str, ...]) -> None:
    """Sets their products' texts in `languages` (`Product.display_name`): one query for any number of
    lines, none for a reader of the catalog's own language.

    An order line keeps the name it was sold under (OrderLine.name), so it is written in the order's
    language when the catalog has that text: the API's order, receipts, returns and messages then read
    the line as the shopper bought it, and a later rename or translation never rewrites a sale."""
    # each variant may hold its own copy of a product (two sizes of one shirt): every copy gets the texts
    attach_texts(list({id(v.product): v.product for v in variants}.values()), languages)


def record_lines(
    *,
    order: Order,
    fulfillments: list[Fulfillment],
    lines: list[PricedLine],
    shares: list[Decimal],
    taxes: TaxQuote,
) -> list[OrderLine]:
    """The order's lines, numbered in plan order, with their share of the discount and their tax (the
    line's total is what it paid: with its tax where the market's prices exclude it)."""
    rows = [
        OrderLine(
            order=order,
            fulfillment=fulfillments[line.placement],
            line_number=number,
            variant=line.variant,
            sku=line.variant.sku,
            name=line.variant.product.display_name[:200],  # in the order's language (name_in_language)
            size=line.variant.size,
            colour=line.variant.display_colour[:40],  # in the order's language, as the name
            category=line.variant.product.category.name[:80] if line.variant.product.category_id else "",
            quantity=line.quantity,
            unit_price=line.unit_price,
            discount=share,
            total=tax.gross.amount if tax else line.gross - share,
            net=tax.net.amount if tax else None,
            tax_rate=tax.rate if tax else None,
            tax_amount=tax.tax.amount if tax else None,
        )
        for number, (line, share, tax) in enumerate(zip(lines, shares, taxes.lines or [None] * len(lines),
                                                        strict=True), start=1)
    ]  # fmt: skip
    return OrderLine.objects.bulk_create(rows)


def publish(*, order: Order, fulfillments: list[Fulfillment], lines: list[OrderLine], actor) -> None:
    """The order's history, audit, the shopper's timeline and the order.placed event, in this transaction."""
    record_statuses(
        order=order,
        to_status=Fulfillment.Status.PLACED,
        actor=actor,
        # a log's words, whatever the caller's language: the portal reads them in the reader's (orders.portal.history)
        fulfillments=[(f, f"{f.kind} at {f.location.code}") for f in fulfillments],
    )
    where = [f"{f.kind}@{f.location.code}" for f in fulfillments]
    audit(
        action="order.placed",
        order=order,
        actor=actor,
        details={"channel": order.channel, "total": str(order.total), "fulfillments": where},
    )
    timeline(
        order=order,
        kind=Interaction.Kind.PURCHASE,
        key="placed",
        in_store=order.channel in Channel.assisted_values(),  # staff took it at their store; online ones no store
        message=say("orders.placed", order=order.number, kinds=sorted({f.kind for f in fulfillments})),
        actor=actor,
        data={
            "total": str(order.total),
            "currency": order.currency,
            "fulfilment": where,
            "lines": [
                {"sku": line.sku, "qty": line.quantity, "amount": str(line.total), "category": line.category,
                 "size": line.size}
                for line in lines
            ],
        },
    )  # fmt: skip
    record_order_event("order.placed", order, lines=lines, fulfillments=fulfillments)


def record_consents(*, customer: Customer, consents: dict[str, bool] | None, channel: str) -> None:
    """The marketing consents ticked at checkout (email, sms, push), on the order's profile."""
    for consent_channel, granted in (consents or {}).items():
        try:
            set_consent(customer=customer, channel=consent_channel, granted=granted, source=f"checkout:{channel}")
        except CustomerError as exc:
            raise OrderError(
                exc.message, code=exc.code, fields={f"consents.{consent_channel}": [_("Unknown.")]}
            ) from None


def _attach(order: Order, **related) -> None:
    """Hand the caller the rows just written as if prefetched (saves re-reading them to answer)."""
    for name, rows in related.items():
        queryset = getattr(order, name).all()
        queryset._result_cache, queryset._prefetch_done = list(rows), True
        order._prefetched_objects_cache = {**getattr(order, "_prefetched_objects_cache", {}), name: queryset}


def _drawing_a_new_number_on_clash(place):
    """A checkout that is its own transaction runs once more when its order number clashed (all of it
    was rolled back). Inside a caller's transaction (the API's idempotency, an assisted order, an
    exchange) it cannot: `order_number_clash` (503) tells the caller to send it again."""

    @functools.wraps(place)
    def placing(**kwargs) -> Order:
        attempts = 1 if transaction.get_connection().in_atomic_block else 2
        for attempt in range(1, attempts + 1):
            try:
                return place(**kwargs)
            except OrderError as exc:
                if exc.code != OrderCode.ORDER_NUMBER_CLASH or attempt == attempts:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    return placing


@_drawing_a_new_number_on_clash
@transaction.atomic(savepoint=False)  # any error aborts the whole checkout: no savepoint needed
def place_order(
    *,
    channel: str,
    groups: list[GroupRequest],
    customer: Customer | None = None,
    contact: dict | None = None,
    cart: Cart | None = None,
    offer_code: str = "",
    points: int = 0,
    tenders: list[TenderRequest] | None = None,
    actor: User | None = None,
    store: Store | None = None,
    idempotency_key: str = "",
    seller: User | None = None,
    payment_due_later: bool = False,
    consents: dict[str, bool] | None = None,
    shipping_method: int | None = None,
    require_shipping_method: bool = False,
) -> Order:
    """Place an order: lines grouped by fulfilment, stock reserved, discounts applied, payment authorised.

    All or nothing: `insufficient_stock` (409, with `alternatives`: nearest stores that have it),
    `payment_declined` (402), offer or points refusals (their own codes) leave nothing behind.
    `payment_due_later` (assisted channels only, no tenders): the total is paid afterwards, at the
    till or by link (orders.services.assisted keeps the PaymentRequest); `seller` is credited.
    `consents` ({"email": True, ...}) are recorded on the order's profile, sourced `checkout:<channel>`.
    `shipping_method` (an id) is charged on ship-to-home lines (orders.services.shipping says when one
    is needed and which apply); `require_shipping_method`: a staff order must name one too (assisted).
    Lock order: the offer, the loyalty account, stock rows (reserve_stock), then store credit and gift
    cards (authorize_payments). The tax provider is asked before the first of them (a slow or failing
    tax service holds no shopper's offer or points; `tax_service_unavailable` keeps nothing).
    """
    _check_request(channel=channel, actor=actor, points=points, tenders=tenders, payment_due_later=payment_due_later)
    _check_groups(groups)
    if customer is None and actor_or_none(actor) is None:  # a guest
        _refuse_guest_spending(offer_code=offer_code, points=points, tenders=tenders)
    variants = _load_variants(groups)
    shopper = find_shopper(customer=customer, contact=contact, actor=actor)

    market = order_market(groups, channel=channel, customer=shopper.customer, store=store)
    plan = plan_fulfilments(groups, variants=variants, customer=shopper.customer, market=market)
    if cart is not None and cart.currency and cart.currency != market.currency:
        raise OrderError(
            _(
                "Your cart is priced in %(cart)s and this order would be paid in %(market)s: choose a store or address "
                "in the cart's market, or start a new cart."
            )
            % {"cart": cart.currency, "market": market.currency},
            code=OrderCode.CURRENCY_MISMATCH,
            extra={"currencies": sorted({cart.currency, market.currency})},
        )
    lines = price_lines(plan, variants, market=market)
    name_in_language(variants.values(), languages=sale_languages(customer=shopper.customer, market=market))
    subtotal = sum((line.gross for line in lines), ZERO)
    order = _new_order(
        channel=channel, shopper=shopper, store=store or plan[0].location, currency=market.currency,
        subtotal=subtotal, actor=actor, seller=seller,
    )  # fmt: skip
    # The tax provider (maybe a service over the network) is asked before any row is locked, with the
    # discounts as they read now; offers and points are then redeemed (locking the offer and the loyalty
    # account) against the order number before the row exists, so the order is written once, final.
    expected = expected_discounts(
        customer=shopper.customer, offer_code=offer_code, points=points, due=subtotal, market=market
    )
    shares, shipping, taxes = _charges(order, expected, lines=lines, plan=plan, method_id=shipping_method,
                                       required=require_shipping_method)  # fmt: skip
    discounts = redeem_discounts(
        order=order,
        market=market,
        customer=shopper.customer,
        offer_code=offer_code,
        points=points,
        due=subtotal,
        actor=actor,
    )
    if discounts != expected:  # the offer changed between the read and the lock (rare): quote what is taken
        shares, shipping, taxes = _charges(order, discounts, lines=lines, plan=plan, method_id=shipping_method,
                                           required=require_shipping_method)  # fmt: skip
    line_taxes = apply_shipping_tax(order, taxes, shipping)  # the shipping's share on the order, the lines'
    record_order(order, taxes)
    fulfillments = reserve(order=order, plan=plan, variants=variants, actor=actor)
    rows = record_lines(order=order, fulfillments=fulfillments, lines=lines, shares=shares, taxes=line_taxes)
    payments = []
    if not payment_due_later:
        key = idempotency_key or order.number
        payments = authorize_payments(order=order, tenders=tenders or [], idempotency_key=key, actor=actor)
    publish(order=order, fulfillments=fulfillments, lines=rows, actor=actor)
    if cart is not None:
        close_cart(cart=cart)
    record_consents(customer=shopper.customer, consents=consents, channel=channel)
    _attach(order, lines=rows, fulfillments=fulfillments, payments=payments)
    return order
