"""Checkout: one transaction reserves the stock, applies offers and points, authorises payment."""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from customers.errors import CustomerError
from customers.models import Customer, Interaction
from customers.services.loyalty import redeem_offer, redeem_points
from customers.services.profiles import resolve_customer
from inventory.errors import InventoryCode, InventoryError
from inventory.models import Variant
from inventory.selectors import route_lines
from inventory.services import reserve_stock
from orders.errors import OrderCode, OrderError
from orders.events import record_order_event
from orders.models import Cart, Fulfillment, Order, OrderLine
from orders.numbers import new_order_number
from orders.services._common import actor_or_none, audit, currency, record_statuses, timeline
from orders.services.carts import close_cart
from orders.services.payments import TenderRequest, authorize_payments
from retail.domain.channel import Channel
from retail.domain.money import allocate, money
from retail.errors import RetailCode
from retail.models import Store, User

# Reservations outlive the pick-up hold (picking + hold window); expiry of the pick-up releases them.
PICKUP_RESERVATION_SLACK = timedelta(days=14)
SHIP_RESERVATION_TTL = timedelta(days=14)


def point_value() -> Decimal:
    """What one loyalty point is worth at checkout (settings.ORDERS_POINT_VALUE, default 0.01)."""
    return Decimal(str(getattr(settings, "ORDERS_POINT_VALUE", "0.01")))


@dataclass
class GroupRequest:
    """One fulfilment: these lines, picked up at `store`, curbside there, or shipped."""

    kind: str
    lines: list[tuple[str, int]]
    store: Store | None = None
    shipping_address: dict = field(default_factory=dict)
    proxy_name: str = ""


def _check_groups(groups: list[GroupRequest]) -> None:
    if not groups or not any(g.lines for g in groups):
        raise OrderError("The order has no lines. Add something to the cart first.", code=OrderCode.EMPTY_CART)
    for index, group in enumerate(groups):
        if group.kind not in (Fulfillment.Kind.PICKUP, Fulfillment.Kind.CURBSIDE, Fulfillment.Kind.SHIP):
            raise OrderError(
                "Fulfilment is pickup, curbside or ship.",
                code=OrderCode.INVALID_FULFILLMENT,
                fields={f"groups.{index}.kind": ["Unknown."]},
            )
        if not group.lines:
            raise OrderError(
                "A fulfilment group needs lines.",
                code=OrderCode.INVALID_FULFILLMENT,
                fields={f"groups.{index}.lines": ["Empty."]},
            )
        for line_index, (_sku, quantity) in enumerate(group.lines):
            if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= 99:
                raise OrderError(
                    "Quantities are whole numbers from 1 to 99.",
                    code=InventoryCode.INVALID_QUANTITY,
                    fields={f"groups.{index}.lines.{line_index}.quantity": ["1..99"]},
                )
        if group.kind in Fulfillment.COLLECT_KINDS:
            store = group.store
            if store is None:
                raise OrderError(
                    "Choose the store to collect from.",
                    code=OrderCode.INVALID_FULFILLMENT,
                    fields={f"groups.{index}.store": ["Required."]},
                )
            if not (store.is_active and store.pickup_enabled and store.kind == Store.Kind.STORE):
                raise OrderError(
                    f"{store.name} does not offer pick-up.",
                    code=OrderCode.PICKUP_NOT_OFFERED,
                    fields={f"groups.{index}.store": ["No pick-up."]},
                )
        elif not (group.shipping_address or {}).get("postcode"):
            raise OrderError(
                "A ship order needs an address with at least a postcode.",
                code=OrderCode.INVALID_FULFILLMENT,
                fields={f"groups.{index}.shipping_address": ["postcode is required."]},
            )


def _load_variants(groups: list[GroupRequest]) -> dict[str, Variant]:
    skus = {str(sku).strip() for g in groups for sku, _ in g.lines}
    found = {v.sku: v for v in Variant.objects.filter(sku__in=skus).select_related("product__category")}
    unknown = sorted(skus - found.keys())
    if unknown:
        raise OrderError(f"Unknown SKU: {', '.join(unknown)}.", code=InventoryCode.UNKNOWN_SKU, fields={"sku": unknown})
    inactive = sorted(s for s, v in found.items() if not (v.is_active and v.product.is_active))
    if inactive:
        raise OrderError(
            f"No longer sold: {', '.join(inactive)}.", code=InventoryCode.INACTIVE_SKU, fields={"sku": inactive}
        )
    return found


def _resolve_customer(*, customer: Customer | None, contact: dict, actor) -> Customer:
    if customer is not None:
        return customer
    identities = {k: contact[k] for k in ("email", "phone") if contact.get(k)}
    if not identities:
        raise OrderError(
            "Give an email or phone number so we can tell you when the order is ready.",
            code=OrderCode.INVALID_CUSTOMER,
            fields={"email": ["Email or phone required."]},
        )
    try:
        if actor_or_none(actor) is None:
            # A guest proves nothing: the order gets a profile of its own, never an existing one
            # (whose balances, offers and consents a typed email or phone would otherwise reach).
            from customers.services.linking import create_guest_profile

            return create_guest_profile(name=contact.get("name", ""), **identities)

        # Staff taking a phone or store order have the shopper in front of them (or on the line).
        return resolve_customer(identities=identities, create=True, actor=actor_or_none(actor))
    except CustomerError as exc:
        raise OrderError(exc.message, code=OrderCode.INVALID_CUSTOMER, fields=exc.fields) from None


def _refuse_guest_spending(*, offer_code: str, points: int, tenders) -> None:
    """Offers, points and store credit belong to a profile: a guest has none to spend."""
    if (offer_code or "").strip() or points or any(t.method == "store_credit" for t in tenders or []):
        raise OrderError(
            "Sign in to use offers, points or store credit.",
            code=RetailCode.NOT_AUTHENTICATED,
            fields={"payments": ["Sign in first."]} if not (offer_code or points) else {},
        )


def _ship_plan(group: GroupRequest, variants: dict[str, Variant], near) -> list[tuple[Store, list[tuple[str, int]]]]:
    """Ship-from-store: the nearest ships_orders location that fills every line, else a split."""

    plan = route_lines([(variants[s], q) for s, q in group.lines], near=near)
    if plan.shortfall or not plan.allocations:
        raise OrderError(
            "We cannot ship all of this: "
            + ", ".join(f"{s} ({q} short)" for s, q in sorted(plan.shortfall.items()))
            + ".",
            code=InventoryCode.INSUFFICIENT_STOCK,
            extra={"lines": [{"sku": s, "short": q} for s, q in sorted(plan.shortfall.items())], "alternatives": []},
        )
    return [(a.location, sorted(a.lines.items())) for a in plan.allocations]


def _insufficient_at(store: Store, exc: InventoryError, lines) -> OrderError:
    """The reservation failed: say what is short and which nearby stores could fill the order."""

    plan = route_lines(lines, pickup_store=store, alternatives=3)
    alternatives = [
        {"store": a.location.code, "name": a.location.name, "distance_km": round(a.distance_km or 0.0, 1)}
        for a in plan.alternatives
    ]
    hint = f" In stock at: {', '.join(a['name'] for a in alternatives)}." if alternatives else ""
    return OrderError(
        f"{exc.message}{hint}",
        code=InventoryCode.INSUFFICIENT_STOCK,
        extra={"lines": exc.extra.get("lines", []), "location": store.code, "alternatives": alternatives},
    )


def _attach(order: Order, **related) -> None:
    """Hand the caller the rows just written as if prefetched (saves re-reading them to answer)."""
    for name, rows in related.items():
        queryset = getattr(order, name).all()
        queryset._result_cache, queryset._prefetch_done = list(rows), True
        order._prefetched_objects_cache = {**getattr(order, "_prefetched_objects_cache", {}), name: queryset}


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
) -> Order:
    """Place an order: lines grouped by fulfilment, stock reserved, discounts applied, payment authorised.

    All or nothing: `insufficient_stock` (409, with `alternatives`: nearest stores that have it),
    `payment_declined` (402), offer or points refusals (their own codes) leave nothing behind.
    `payment_due_later` (assisted channels only, no tenders): the total is paid afterwards, at the
    till or by link (orders.services.assisted keeps the PaymentRequest); `seller` is credited.
    """
    contact = {k: (v or "").strip() for k, v in (contact or {}).items()}
    if channel not in Order.Channel.values:
        raise OrderError(
            f"Channel is one of {', '.join(Order.Channel.values)}.",
            code=OrderCode.INVALID_CHANNEL,
            fields={"channel": ["Unknown."]},
        )
    if channel in Channel.assisted_values() and actor_or_none(actor) is None:  # staff, signed in
        raise OrderError("Store and phone orders are placed by a member of staff.", code=OrderCode.INVALID_CHANNEL)
    if payment_due_later and (channel not in Channel.assisted_values() or tenders):
        raise OrderError("Only an associate's order, without tenders, is paid later.", code=OrderCode.INVALID_PAYMENT)
    if isinstance(points, bool) or not isinstance(points, int) or points < 0:
        raise OrderError(
            "Points are a whole number, 0 or more.", code=OrderCode.INVALID_POINTS, fields={"points": [">= 0"]}
        )
    _check_groups(groups)
    if customer is None and actor_or_none(actor) is None:  # a guest
        _refuse_guest_spending(offer_code=offer_code, points=points, tenders=tenders)
    variants = _load_variants(groups)
    guest = customer is None and actor_or_none(actor) is None
    customer = _resolve_customer(customer=customer, contact=contact, actor=actor)
    if guest:  # the guest's contact as its profile stored it (normalised)
        contact = {**contact, "email": customer.email, "phone": customer.phone}
    if customer.erased_at or customer.merged_into_id:
        raise OrderError("This customer profile cannot place orders.", code=OrderCode.INVALID_CUSTOMER)

    near = None
    address = next((g.shipping_address for g in groups if g.kind == Fulfillment.Kind.SHIP), None) or {}
    if "latitude" in address and "longitude" in address:
        near = (float(address["latitude"]), float(address["longitude"]))
    elif customer.home_store_id:
        home = customer.home_store
        near = (float(home.latitude), float(home.longitude))

    # Where each group is fulfilled: [(group, location, lines)]
    placements: list[tuple[GroupRequest, Store, list[tuple[str, int]]]] = []
    for group in groups:
        lines = [(str(s).strip(), q) for s, q in group.lines]
        if group.kind == Fulfillment.Kind.SHIP:
            placements += [
                (group, loc, part) for loc, part in _ship_plan(GroupRequest(group.kind, lines), variants, near)
            ]
        else:
            placements.append((group, group.store, lines))

    # Prices and discounts, allocated to the cent over all lines.
    flat = [(index, sku, quantity) for index, (_, _, lines) in enumerate(placements) for sku, quantity in lines]
    gross = [money(variants[sku].price * quantity) for _, sku, quantity in flat]
    subtotal = sum(gross, Decimal("0.00"))
    primary = store or placements[0][1]
    now = timezone.now()
    order = Order(
        number=new_order_number(),  # unique by constraint; a clash (1 in 10^12 per order) is a retryable 503
        customer=customer,
        channel=channel,
        store=primary,
        contact_name=contact.get("name") or customer.full_name,
        email=contact.get("email") or customer.email,
        phone=contact.get("phone") or customer.phone,
        currency=currency(),
        subtotal=subtotal,
        placed_by=actor_or_none(actor),
        seller=actor_or_none(seller),
        placed_at=now,
        updated_at=now,
    )
    # Offers and points are redeemed against the order number before the row exists, so the
    # order is written once with its final totals.
    offer_discount = apply_offer(order=order, customer=customer, offer_code=offer_code, subtotal=subtotal, actor=actor)
    points_discount = apply_points(
        order=order, customer=customer, points=points, due=subtotal - offer_discount, actor=actor
    )
    discount_total = offer_discount + points_discount
    order.offer_discount, order.points_discount = offer_discount, points_discount
    order.discount_total, order.total = discount_total, subtotal - discount_total
    order.offer_code = offer_code.strip() if offer_discount else ""
    order.points_redeemed = points if points_discount else 0
    # Inputs were checked above; the database CHECKs (totals, amounts) are the last line of defence.
    order.save(force_insert=True)
    shares = allocate(discount_total, gross) if discount_total else [Decimal("0.00")] * len(gross)

    fulfillments = []
    line_rows, number = [], 0
    for index, (group, location, lines) in enumerate(placements):
        is_collect = group.kind in Fulfillment.COLLECT_KINDS
        fulfillment = Fulfillment.objects.create(
            order=order,
            kind=group.kind,
            location=location,
            status=Fulfillment.Status.PLACED,
            proxy_name=(group.proxy_name or "").strip()[:120],
            shipping_address=group.shipping_address or {},
            reservation_reference=f"order:{order.number}:{index + 1}",
            created_at=now,
        )
        ttl = (
            timedelta(days=location.pickup_hold_days) + PICKUP_RESERVATION_SLACK if is_collect else SHIP_RESERVATION_TTL
        )
        reserve_lines = [(variants[s], q) for s, q in lines]
        try:
            reserve_stock(
                lines=reserve_lines,
                location=location,
                reference=fulfillment.reservation_reference,
                ttl=ttl,
                actor=actor_or_none(actor),
            )
        except InventoryError as exc:
            if exc.code == "insufficient_stock" and is_collect:
                raise _insufficient_at(location, exc, reserve_lines) from None
            raise OrderError(exc.message, code=exc.code, fields=exc.fields, extra=exc.extra) from None
        fulfillments.append(fulfillment)
        for flat_index, (f_index, sku, quantity) in enumerate(flat):
            if f_index != index:
                continue
            number += 1
            variant = variants[sku]
            line_rows.append(
                OrderLine(
                    order=order,
                    fulfillment=fulfillment,
                    line_number=number,
                    variant=variant,
                    sku=sku,
                    name=variant.product.name[:200],
                    size=variant.size,
                    colour=variant.colour,
                    category=variant.product.category.name[:80] if variant.product.category_id else "",
                    quantity=quantity,
                    unit_price=money(variant.price),
                    discount=shares[flat_index],
                    total=gross[flat_index] - shares[flat_index],
                )
            )
    OrderLine.objects.bulk_create(line_rows)

    payments = (
        []
        if payment_due_later
        else authorize_payments(
            order=order, tenders=tenders or [], idempotency_key=idempotency_key or order.number, actor=actor
        )
    )
    record_statuses(
        order=order,
        to_status=Fulfillment.Status.PLACED,
        actor=actor,
        fulfillments=[(f, f"{f.get_kind_display()} at {f.location.code}") for f in fulfillments],
    )
    audit(
        action="order.placed",
        order=order,
        actor=actor,
        details={
            "channel": channel,
            "total": str(order.total),
            "fulfillments": [f"{f.kind}@{f.location.code}" for f in fulfillments],
        },
    )

    timeline(
        order=order,
        kind=Interaction.Kind.PURCHASE,
        key="placed",
        in_store=channel in Channel.assisted_values(),  # staff took it at their store; online ones record no store
        subject=f"Order {order.number} · {', '.join(sorted({f.get_kind_display() for f in fulfillments}))}",
        actor=actor,
        data={
            "total": str(order.total),
            "currency": order.currency,
            "fulfilment": [f"{f.kind}@{f.location.code}" for f in fulfillments],
            "lines": [
                {
                    "sku": line.sku,
                    "qty": line.quantity,
                    "amount": str(line.total),
                    "category": line.category,
                    "size": line.size,
                }
                for line in line_rows
            ],
        },
    )
    record_order_event("order.placed", order, lines=line_rows, fulfillments=fulfillments)
    if cart is not None:
        close_cart(cart=cart)
    _attach(order, lines=line_rows, fulfillments=fulfillments, payments=payments)
    return order


def apply_offer(*, order: Order, customer: Customer, offer_code: str, subtotal: Decimal, actor) -> Decimal:
    offer_code = (offer_code or "").strip()
    if not offer_code:
        return Decimal("0.00")

    try:
        assignment = redeem_offer(
            customer=customer,
            offer_code=offer_code,
            channel=order.channel,
            reference=order.number,
            store=order.store,
            actor=actor_or_none(actor),
        )
    except CustomerError as exc:
        raise OrderError(exc.message, code=exc.code, fields={"offer_code": [exc.message]}) from None
    offer = assignment.offer
    if offer.discount_percent is not None:
        discount = money(subtotal * offer.discount_percent / Decimal("100"))
    else:
        discount = money(offer.discount_amount)
    return min(discount, subtotal)


def apply_points(*, order: Order, customer: Customer, points: int, due: Decimal, actor) -> Decimal:
    if not points:
        return Decimal("0.00")
    value = money(points * point_value())
    if value > due:
        raise OrderError(
            f"{points} points are worth {value}, more than the {due} left to pay.",
            code=OrderCode.INVALID_POINTS,
            fields={"points": [f"At most {int(due / point_value())}."]},
        )

    try:
        redeem_points(customer=customer, points=points, reference=order.number, actor=actor_or_none(actor))
    except CustomerError as exc:
        raise OrderError(exc.message, code=exc.code, fields={"points": [exc.message]}, extra=exc.extra) from None
    return value
