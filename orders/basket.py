"""Reads for the assisted-order screen (endless aisle): the associate's basket priced, with stock
in this store and the nearest others; the stores to collect from; the shopper's last address;
and the pay-by-link page's request. Each is a fixed number of queries, whatever the basket holds.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from customers.models import Customer
from inventory.ledger import variants_for_codes
from inventory.models import Variant
from inventory.selectors import stock_here_and_nearby
from orders.models import Fulfillment, PaymentRequest
from retail.domain.money import money
from retail.geo import distance_km
from retail.models import Store

NEARBY_SHOWN = 3


@dataclass
class BasketLine:
    variant: Variant
    quantity: int
    here: int  # units for sale in this store
    nearby: list[dict] = field(default_factory=list)  # the closest other locations with units

    @property
    def total(self) -> Decimal:
        return money(self.variant.price * self.quantity)

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
    variants = {v.sku: v for v in Variant.objects.filter(sku__in=[s for s, _ in lines]).select_related("product")}
    stock_here_and_nearby(list(variants.values()), store=store, nearby=NEARBY_SHOWN)
    return [
        BasketLine(variant=v, quantity=q, here=v.here["available"] if v.here else 0, nearby=v.nearby)
        for sku, q in lines
        if (v := variants.get(sku)) is not None
    ]


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
        PaymentRequest.objects.select_related("order__store")
        .filter(token=token, method=PaymentRequest.Method.LINK)
        .first()
    )
