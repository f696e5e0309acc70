"""Reads for the assisted-order screen (endless aisle): the associate's basket priced, with stock
in this store and the nearest others; the stores to collect from; the shopper's last address;
and the pay-by-link page's request. Each is a fixed number of queries, whatever the basket holds.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Exists

from customers.models import Customer
from customers.selectors import shopper_language
from inventory.catalog_texts import reading_order, with_texts
from inventory.ledger import variants_for_codes
from inventory.market_prices import market_prices, price_expression
from inventory.models import Variant
from inventory.selectors import stock_here_and_nearby
from orders.errors import OrderError
from orders.models import Fulfillment, PaymentRequest, SavedCart
from orders.services.saved_carts import read_saved_cart_token
from orders.services.shipping import ShippedLine, ShippingOption, shipping_options
from retail.domain.money import money
from retail.geo import distance_km
from retail.models import Store, User
from retail.selectors import stores_for_user

NEARBY_SHOWN = 3


@dataclass
class BasketLine:
    variant: Variant
    quantity: int
    here: int  # units for sale in this store
    nearby: list[dict] = field(default_factory=list)  # the closest other locations with units

    @property
    def unit_price(self) -> Decimal | None:
        """The price in the store's market now (None: not sold there): what checkout will charge."""
        return getattr(self.variant, "market_price", self.variant.price)

    @property
    def total(self) -> Decimal:
        return money((self.unit_price or 0) * self.quantity)

    @property
    def nowhere(self) -> bool:
        return not self.here and not self.nearby


def find_variant(code: str) -> Variant | None:
    """The variant a scanned barcode or typed SKU names (any case), or None: one query."""
    code = (code or "").strip()[:60]
    return variants_for_codes([code]).get(code) if code else None


def basket_lines(lines: list[tuple[str, int]], *, store: Store) -> list[BasketLine]:
    """The basket's lines in the order they were added (unknown SKUs dropped): three queries."""
    if not lines:
        return []
    priced = Variant.objects.annotate(market_price=price_expression(market=store.market))
    variants = {v.sku: v for v in priced.filter(sku__in=[s for s, _ in lines]).select_related("product")}
    stock_here_and_nearby(list(variants.values()), store=store, nearby=NEARBY_SHOWN)
    return [
        BasketLine(variant=v, quantity=q, here=v.here["available"] if v.here else 0, nearby=v.nearby)
        for sku, q in lines
        if (v := variants.get(sku)) is not None
    ]


def shipping_choices(lines: list[BasketLine], *, store: Store) -> list[ShippingOption]:
    """The methods that ship the basket home from this store: its market's to an address in its country
    (the assisted form types no country: checkout takes the store's), priced for these lines as checkout
    will charge them (orders.services.shipping; a free-over threshold is checked again there on the goods
    after offers and points). Two queries, none for an empty basket."""
    shipped = [ShippedLine(line.variant, line.quantity, line.total) for line in lines if line.unit_price is not None]
    if not shipped:
        return []
    return shipping_options(country=store.country, lines=shipped, currency=store.market.currency)


def pickup_stores(*, near: Store) -> list[Store]:
    """Stores a shopper can collect from, nearest to this one first (this one included): one query."""
    return list(
        Store.objects.active()
        .filter(kind=Store.Kind.STORE, pickup_enabled=True)
        .annotate(distance_km=distance_km(float(near.latitude), float(near.longitude)))
        .order_by("distance_km", "code")
    )


def last_shipping_address(customer: Customer) -> dict:
    """Where the shopper's last shipped order went ({} if none): the address to offer again."""
    address = (
        Fulfillment.objects.filter(order__customer=customer, kind=Fulfillment.Kind.SHIP)
        .exclude(shipping_address={})
        .order_by("-created_at", "-pk")
        .values_list("shipping_address", flat=True)
        .first()
    )
    return address or {}


def payment_request_for_link(token: str) -> PaymentRequest | None:
    """The pay-by-link request behind a link's token, with its order and store (None if no such link)."""
    token = (token or "").strip()
    if not token or len(token) > 48:
        return None
    return (
        PaymentRequest.objects.select_related("order__store__market", "order__customer")
        .filter(token=token, method=PaymentRequest.Method.LINK)
        .first()
    )


SAVED_SHOWN = 5


def saved_carts_of(customer: Customer) -> list[SavedCart]:
    """The shopper's latest saved carts with who saved and sent them: one query."""
    return list(
        SavedCart.objects.filter(customer=customer)
        .select_related("store", "saved_by", "sent_by")
        .only("customer_id", "lines", "note", "status", "sent_at", "link_expires_at", "opened_at", "created_at",
              "store__name", "saved_by__full_name", "saved_by__email", "sent_by__full_name", "sent_by__email")
        .order_by("-created_at", "-pk")[:SAVED_SHOWN]
    )  # fmt: skip


def saved_cart_for_staff(user: User, *, store: Store, customer_id: int, saved_cart_id: int) -> SavedCart | None:
    """A shopper's saved cart, for an associate acting in `store`: None unless they may act there
    (any store of theirs; head office any). Checked in the same query, so no view can forget it."""
    return (
        SavedCart.objects.filter(pk=saved_cart_id, customer_id=customer_id)
        .filter(Exists(stores_for_user(user).filter(pk=store.pk)))
        .first()
    )


def saved_cart_for_link(token: str) -> tuple[SavedCart | None, list[tuple[Variant, int]]]:
    """The saved cart a link names (signature checked first, no query for a forged one), with its store,
    market and shopper, and its items (`saved_cart_items`): two queries, three when the shopper's language
    is not the catalog's own. (None, []) for a link that is not ours."""
    try:
        pk, _ = read_saved_cart_token(token)
    except OrderError:
        return None, []
    saved = SavedCart.objects.select_related("store__market", "customer").filter(pk=pk).first()
    if saved is None:
        return None, []
    return saved, saved_cart_items(saved)


def saved_cart_items(saved: SavedCart) -> list[tuple[Variant, int]]:
    """A saved cart's items as its page and its message show them: named in the shopper's language (the
    message's), each with `market_price` in the saved store's market (None: no longer sold there), in
    the order saved. One query, two with the names; give `saved` with its store's market and shopper."""
    market = saved.store.market
    languages = reading_order(shopper_language(saved.customer, saved.store), market.default_language)
    items = (
        Variant.objects.filter(sku__in=[s for s, _ in saved.lines])
        .select_related("product")
        .annotate(market_price=price_expression(market=market))
    )
    variants = {v.sku: v for v in with_texts(items, languages, path="product__")}
    return [(variants[s], q) for s, q in saved.lines if s in variants]


def price_in_market(variants: list[Variant], *, market) -> list[Variant]:
    """Each variant with `market_price`: what the market sells it for now, in its currency (None: not sold
    there), as the basket and checkout will charge it. One query; none for no variants."""
    if variants:
        prices = market_prices(variants=variants, market=market).prices
        for variant in variants:
            found = prices.get(variant.pk)
            variant.market_price = found.amount if found is not None else None
    return variants
