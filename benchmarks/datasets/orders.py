"""Orders over two years on every channel, with lines, fulfilments, payments, and open pick-ups.

`orders` orders, placed over the 730 days before the build (more of them recently, as a chain
grows), channel mix store 40% / app 25% / web 22% / phone 7% / kiosk 6%. Each known shopper buys
only on the channels of their profile (the customers builder's `Customer.channels`), so
multichannel shoppers have orders on two or more channels and single-channel ones on one. App and
web orders are picked up (50%), collected at the curb (5%) or shipped from a warehouse or a
ship-from-store location; store sales are carried out, kiosk and phone orders mostly shipped.
History: 88% of pick-ups collected, 8% expired, 4% cancelled; 3% of other orders cancelled; 5%
carry an offer discount allocated to the lines to the cent. Each order has one payment (card,
cash at the till, some gift cards), captured when completed and voided when cancelled.

Open pick-ups: `open_pickups_per_store` in every pick-up store and up to 500 in the first one
(by code, the store the pick-up queue benchmark opens) in every state: to pick, picking, ready
(some overdue), curbside with some arrived. Their stock is reserved at the store (active
`Reservation` rows and `StockLevel.reserved`), so `verify_stock_ledger` still passes.

Each order of a known shopper is also a purchase on their timeline (source "orders", the way
checkout writes it) with its lines as `PurchasedItem` rows.
"""

import random
from datetime import timedelta
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from benchmarks.bulk import analyze, copy_rows
from benchmarks.context import DatasetContext
from benchmarks.datasets._loading import indexes_after_load, key_interactions, next_id, reset_sequences
from benchmarks.registry import dataset
from customers.models import Customer, Interaction, InteractionKey, PurchasedItem
from customers.partitions import ensure_partitions
from inventory.models import Reservation, StockLevel, Variant
from orders.models import Fulfillment, Order, OrderLine, Payment, StatusChange
from orders.numbers import ALPHABET
from retail.domain.money import money
from retail.models import Store, StoreMembership

DAYS = 730
CHUNK = 100_000  # orders planned and written per round (bounded memory at 2M)
CHANNELS = ["store", "app", "web", "phone", "kiosk"]
CHANNEL_WEIGHTS = [40, 25, 22, 7, 6]
KNOWN_SHARE = {"store": 0.7, "app": 1.0, "web": 0.9, "phone": 1.0, "kiosk": 0.8}
KIND_LABEL = {"pickup": "Pick-up in store", "curbside": "Curbside pick-up", "ship": "Ship to address"}
KIND_LABEL["carry_out"] = "Carried out of the store"
BRANDS = [("visa", 55), ("mastercard", 35), ("amex", 10)]
ADDRESS = '{"name": "Account holder", "line1": "12 Harbour Road", "city": "Bristol", "postcode": "BS1 5TY"}'
OPEN_STATES = ["placed"] * 40 + ["picking"] * 20 + ["ready"] * 40
ORDER_FIELDS = [
    *("id", "number", "customer", "channel", "store", "status", "contact_name", "email", "phone", "currency"),
    *("subtotal", "discount_total", "total", "offer_code", "offer_discount", "points_redeemed", "points_discount"),
    *("points_earned", "receipt_number", "device", "placed_by", "placed_at", "updated_at", "closed_at"),
]
FULFILLMENT_FIELDS = [
    *("id", "order", "kind", "location", "status", "reservation_reference", "pickup_code", "qr_token", "proxy_name"),
    *("hold_until", "reminder_sent_at", "arrived_at", "arrival_note", "shipping_address", "tracking_number"),
    *("picked_by", "handed_over_by", "collected_by_name", "verification", "created_at", "picking_started_at"),
    *("ready_at", "closed_at"),
]
LINE_FIELDS = [
    *("order", "fulfillment", "line_number", "variant", "sku", "name", "size", "colour", "category", "quantity"),
    *("unit_price", "discount", "total", "picked_quantity", "cancelled_quantity"),
]
PAYMENT_FIELDS = [
    *("order", "method", "provider", "reference", "brand", "last4", "amount", "captured_amount", "refunded_amount"),
    *("status", "created_at", "updated_at"),
]


def order_number(order_id: int) -> str:
    """OM-XXXX-XXXX from the id through a bijection of 40 bits: unique, and as random-looking as checkout's."""
    n = (order_id * 0x9E3779B1 + 0x5DEECE66D) % (1 << 40)
    raw = "".join(ALPHABET[(n >> (5 * k)) & 31] for k in range(8))
    return f"OM-{raw[:4]}-{raw[4:]}"


def _catalog() -> list[tuple]:
    """(id, sku, name, size, colour, category, price) of every active variant, in id order."""
    rows = Variant.objects.filter(is_active=True).order_by("pk")
    return [
        (pk, sku, name[:200], size, colour, category or "", override if override is not None else base)
        for pk, sku, name, size, colour, category, override, base in rows.values_list(
            "pk",
            "sku",
            "product__name",
            "size",
            "colour",
            "product__category__name",
            "price_override",
            "product__base_price",
        )
    ]


def _shoppers() -> tuple[dict[str, list[int]], dict[int, tuple]]:
    """Live shoppers per channel they use, and (name, email, phone, home store) per shopper."""
    by_channel = {c: [] for c in CHANNELS}
    contact = {}
    rows = (
        Customer.objects.live()
        .order_by("pk")
        .values_list("pk", "channels", "first_name", "last_name", "email", "phone", "home_store")
    )
    for pk, channels, first, last, email, phone, home in rows.iterator(chunk_size=20_000):
        for channel in channels or ():
            if channel in by_channel:
                by_channel[channel].append(pk)
        contact[pk] = (f"{first} {last}".strip(), email, phone, home)
    return by_channel, contact


class _Plan:
    """What one order is: enough to write its rows in every table."""

    __slots__ = (
        *("id", "channel", "customer", "store", "kind", "location", "status", "f_status", "placed", "lines"),
        *("offer", "method", "placed_by", "open_index"),
    )


@dataset(order=40, version=3)  # v3: ids in placing order; v2: shoppers' channels, payments, open pick-ups
def build(ctx: DatasetContext) -> None:
    """Orders with lines, fulfilments and payments over two years; open pick-ups with their reservations."""
    rng, now = ctx.rng, timezone.now().replace(microsecond=0)
    n = ctx.count("orders")
    active = Store.objects.active()
    stores = list(active.filter(kind=Store.Kind.STORE).order_by("code").values_list("pk", "code", "pickup_enabled"))
    if not stores:
        raise LookupError("The orders builder needs the retail builder's stores.")
    pickup_stores = [pk for pk, _, enabled in stores if enabled] or [stores[0][0]]
    shippers = list(active.filter(ships_orders=True).order_by("pk").values_list("pk", flat=True)) or [stores[0][0]]
    store_ids = [pk for pk, _, _ in stores]
    staff = dict(StoreMembership.objects.filter(store_id__in=store_ids).values_list("store_id", "user_id"))
    catalog = _catalog()
    if not catalog:
        raise LookupError("The orders builder needs the inventory builder's variants.")
    by_id = {row[0]: row for row in catalog}
    by_channel, contact = _shoppers()
    first_order, first_fulfillment = next_id(Order), next_id(Fulfillment)
    first_interaction = next_id(Interaction)

    # The history in placing order, then the open pick-ups (the last ids); all drawn from `rng`.
    per_store = ctx.count("open_pickups_per_store")
    open_counts = dict.fromkeys(pickup_stores, per_store)
    open_counts[pickup_stores[0]] = max(per_store, min(500, n // 8))
    open_total = min(sum(open_counts.values()), n // 2)
    stock = _pickable_stock(open_counts) if open_total else {}
    history = n - open_total

    def plan(i: int) -> _Plan:
        p = _Plan()
        p.id, p.open_index, p.offer = first_order + i, None, False
        if i >= history:
            return _open_pickup(p, i - history, rng, open_counts, by_channel, by_id, stock, now)
        channel = rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0]
        pool = by_channel[channel]
        p.channel = channel
        p.customer = rng.choice(pool) if pool and rng.random() < KNOWN_SHARE[channel] else None
        home = contact[p.customer][3] if p.customer else None
        # ids follow time as they do in production (the heap is in placing order); busier lately
        p.placed = now - timedelta(seconds=int(DAYS * 86400 * ((history - i) / history) ** 1.25))
        roll = rng.random()
        if channel in ("app", "web"):
            p.kind = "pickup" if roll < 0.5 else ("curbside" if roll < 0.55 else "ship")
        elif channel == "phone":
            p.kind = "pickup" if roll < 0.3 else "ship"
        elif channel == "kiosk":
            p.kind = "ship" if roll < 0.6 else "carry_out"
        else:
            p.kind = "carry_out"
        if p.kind in ("pickup", "curbside"):
            p.location = home if home in open_counts else rng.choice(pickup_stores)
        elif p.kind == "ship":
            p.location = rng.choice(shippers)
        else:
            p.location = home if home and rng.random() < 0.7 else rng.choice(store_ids)
        p.store = p.location
        if channel == "phone":
            p.store = home if home in staff else rng.choice(store_ids)
        p.placed_by = staff.get(p.store) if channel == "phone" else None
        outcome = rng.random()
        if p.kind in ("pickup", "curbside"):
            p.f_status = "collected" if outcome < 0.88 else ("expired" if outcome < 0.96 else "cancelled")
        else:
            p.f_status = "cancelled" if outcome < 0.03 else ("shipped" if p.kind == "ship" else "collected")
        p.status = "completed" if p.f_status in ("collected", "shipped") else "cancelled"
        p.method = "cash" if p.kind == "carry_out" and rng.random() < 0.2 else "card"
        if rng.random() < 0.02:
            p.method = "gift_card"
        p.offer = rng.random() < 0.05
        p.lines = _lines(rng, catalog, rng.choice((1, 1, 1, 2, 2, 3, 4)))
        return p

    ensure_partitions(since=now - timedelta(days=DAYS))  # a month each, not `before`
    with indexes_after_load(Order, Fulfillment, OrderLine, Payment, PurchasedItem, StatusChange, InteractionKey):
        written = lines = purchases = 0
        next_interaction = first_interaction
        for start in range(0, n, CHUNK):
            plans = [plan(i) for i in range(start, min(n, start + CHUNK))]
            fulfillment_of = {p.id: first_fulfillment + (p.id - first_order) for p in plans}
            copy_rows(Order, ORDER_FIELDS, _order_rows(plans, contact, now))
            copy_rows(Fulfillment, FULFILLMENT_FIELDS, _fulfillment_rows(plans, fulfillment_of, staff, rng, now))
            lines += copy_rows(OrderLine, LINE_FIELDS, _line_rows(plans, fulfillment_of))
            copy_rows(Payment, PAYMENT_FIELDS, _payment_rows(plans, rng, now))
            known = [p for p in plans if p.customer]
            interaction_of = {p.id: next_interaction + k for k, p in enumerate(known)}
            next_interaction += len(known)
            copy_rows(
                Interaction,
                [
                    *("id", "customer", "channel", "kind", "occurred_at", "store", "associate", "subject", "data"),
                    *("source", "external_id", "recorded_at"),
                ],
                _purchase_rows(known, interaction_of),
            )
            purchases += copy_rows(
                PurchasedItem,
                ["customer", "interaction", "sku", "category", "size", "quantity", "amount", "channel", "occurred_at"],
                (
                    (p.customer, interaction_of[p.id], sku, category, size, qty, total, p.channel, p.placed)
                    for p in known
                    for _, sku, _, size, _, category, _, qty, _, total in p.lines
                ),
            )
            open_plans = [p for p in plans if p.open_index is not None]
            if open_plans:
                copy_rows(
                    StatusChange,
                    ["order", "fulfillment", "from_status", "to_status", "actor_label", "note", "occurred_at"],
                    _history_rows(open_plans, fulfillment_of),
                )
                copy_rows(
                    Reservation,
                    ["variant", "location", "quantity", "reference", "status", "expires_at", "created_at", "closed_at"],
                    _reservation_rows(open_plans),
                )
            written += len(plans)
            ctx.log(f"  {written}/{n} orders")
        key_interactions(first_interaction)
    _hold_reserved_stock()
    reset_sequences(Order, Fulfillment, Interaction)
    analyze(
        Order,
        Fulfillment,
        OrderLine,
        Payment,
        StatusChange,
        Reservation,
        StockLevel,
        Interaction,
        InteractionKey,
        PurchasedItem,
    )
    ctx.log(f"  {n} orders ({open_total} open pick-ups), {lines} lines, {purchases} purchased items")


def _pickable_stock(open_counts: dict[int, int]) -> dict[int, list[list[int]]]:
    """Per pick-up store, [variant, units still promisable] of SKUs with some depth (to reserve from)."""
    stock = {}
    with connection.cursor() as cursor:
        for store, count in open_counts.items():
            cursor.execute(
                "SELECT l.variant_id, l.available FROM inventory_stocklevel l"
                " JOIN inventory_variant v ON v.id = l.variant_id"
                " WHERE l.location_id = %s AND v.is_active AND l.available >= 6"
                " ORDER BY l.variant_id LIMIT %s",
                [store, max(50, count * 2)],
            )
            stock[store] = [list(row) for row in cursor.fetchall()]
    return stock


def _open_pickup(p, i, rng, open_counts, by_channel, by_id, stock, now) -> _Plan:
    """The i-th open pick-up: stores in turn until each has its share; state, age and lines by rng."""
    store = None
    for candidate, count in open_counts.items():
        if i < count:
            store = candidate
            break
        i -= count
    p.open_index, p.location = i, store
    p.channel = "app" if rng.random() < 0.55 else "web"
    pool = by_channel[p.channel]
    p.customer = rng.choice(pool) if pool else None
    p.store = store
    p.kind = "curbside" if rng.random() < 0.1 else "pickup"
    p.f_status = rng.choice(OPEN_STATES)
    p.status, p.method, p.placed_by = "open", "card", None
    p.placed = now - timedelta(minutes=rng.randint(5, 60 * 24 * (9 if p.f_status == "ready" else 2)))
    levels = [level for level in stock.get(store, []) if level[1] > 0]
    picked = rng.sample(levels, min(len(levels), rng.choice((1, 1, 2, 2, 3))))
    if not picked:
        raise LookupError(f"Store {store} has no stock left to reserve for its open pick-ups.")
    lines = []
    for level in picked:
        level[1] -= 1
        pk, sku, name, size, colour, category, price = by_id[level[0]]
        lines.append((pk, sku, name, size, colour, category, price, 1, Decimal("0.00"), price))
    p.lines = lines
    return p


def _lines(rng: random.Random, catalog: list[tuple], count: int) -> list[tuple]:
    """(variant, sku, name, size, colour, category, unit price, quantity, discount, total); popular SKUs more often."""
    lines = []
    for _ in range(count):
        pk, sku, name, size, colour, category, price = catalog[int(len(catalog) * rng.random() ** 2)]
        quantity = 1 if rng.random() < 0.85 else 2
        gross = price * quantity
        lines.append((pk, sku, name, size, colour, category, price, quantity, Decimal("0.00"), gross))
    return lines


def _amounts(p: _Plan) -> tuple[Decimal, Decimal]:
    """(subtotal, offer discount) — 10% off every line, to the cent, for orders with an offer."""
    subtotal = sum((line[6] * line[7] for line in p.lines), Decimal("0.00"))
    if not p.offer:
        return subtotal, Decimal("0.00")
    discounted = []
    for line in p.lines:
        gross = line[6] * line[7]
        share = money(gross / 10)
        discounted.append((*line[:8], share, gross - share))
    p.lines = discounted
    return subtotal, sum((line[8] for line in discounted), Decimal("0.00"))


def _order_rows(plans, contact, now):
    for p in plans:
        subtotal, discount = _amounts(p)
        name, email, phone, _ = contact[p.customer] if p.customer else ("", "", "", None)
        closed = (
            None if p.status == "open" else min(now, p.placed + timedelta(hours=2 if p.kind == "carry_out" else 30))
        )
        yield (
            *(p.id, order_number(p.id), p.customer, p.channel, p.store, p.status, name, email, phone, "EUR"),
            *(subtotal, discount, subtotal - discount, "bench-welcome10" if discount else "", discount, 0),
            *(Decimal("0.00"), 0, f"R{p.id:010d}" if p.channel == "store" else "", None, p.placed_by, p.placed),
            *(closed or p.placed, closed),
        )


def _fulfillment_rows(plans, fulfillment_of, staff, rng, now):
    for p in plans:
        collect = p.kind in ("pickup", "curbside")
        code = qr = ""
        picking = ready = hold = closed = arrived = None
        if collect and p.f_status in ("picking", "ready", "collected", "expired"):
            picking = p.placed + timedelta(minutes=20 + p.id % 90)
        if collect and p.f_status in ("ready", "collected", "expired"):
            ready = picking + timedelta(minutes=15 + p.id % 300)
            hold = ready + timedelta(days=7)
        if p.open_index is not None:
            # a code unique among this store's open pick-ups; the QR token from the builder's rng
            code = f"{1000 + p.open_index * 7919 % 999_000:06d}"
            qr = f"{rng.getrandbits(128):032x}"
            if p.kind == "curbside" and p.f_status == "ready" and p.id % 3 == 0:
                arrived = now - timedelta(minutes=p.id % 20)
        elif p.f_status != "placed":
            closed = min(now, (hold - timedelta(days=rng.randint(0, 6))) if hold else p.placed + timedelta(hours=30))
            if p.f_status == "expired":
                closed = min(now, hold)
            if p.kind == "carry_out":
                closed = p.placed
        collected = p.f_status == "collected" and collect
        yield (
            *(fulfillment_of[p.id], p.id, p.kind, p.location, p.f_status, f"order:{order_number(p.id)}:1", code, qr),
            *(
                "",
                hold,
                None,
                arrived,
                "Blue estate, bay 3" if arrived else "",
                ADDRESS if p.kind == "ship" else "{}",
                "",
            ),
            *(staff.get(p.location) if picking else None, staff.get(p.location) if collected else None),
            *("" if not collected else "Account holder", "code" if collected else "", p.placed, picking, ready, closed),
        )


def _line_rows(plans, fulfillment_of):
    for p in plans:
        for number, (pk, sku, name, size, colour, category, price, qty, discount, total) in enumerate(p.lines, 1):
            picked = qty if p.f_status in ("ready", "collected", "shipped") else 0
            if p.f_status == "picking":
                picked = qty // 2
            yield (
                *(p.id, fulfillment_of[p.id], number, pk, sku, name, size, colour, category, qty, price, discount),
                *(total, picked, 0),
            )


def _payment_rows(plans, rng, now):
    brands, weights = zip(*BRANDS, strict=True)
    for p in plans:
        total = sum((line[9] for line in p.lines), Decimal("0.00"))
        captured = total if p.status == "completed" else Decimal("0.00")
        status = {"completed": "captured", "cancelled": "voided", "open": "authorized"}[p.status]
        card = p.method == "card"
        yield (
            *(p.id, p.method, "test" if p.method != "cash" else "cash", f"bench_{p.id}"),
            *(rng.choices(brands, weights)[0] if card else "", f"{p.id % 10_000:04d}" if card else ""),
            *(total, captured, Decimal("0.00"), status, p.placed, min(now, p.placed + timedelta(hours=30))),
        )


def _purchase_rows(known, interaction_of):
    for p in known:
        number = order_number(p.id)
        total = sum((line[9] for line in p.lines), Decimal("0.00"))
        data = {
            "order_number": number,
            "total": str(total),
            "currency": "EUR",
            "fulfilment": [f"{p.kind}@{p.location}"],
            "lines": [
                {"sku": line[1], "qty": line[7], "amount": str(line[9]), "category": line[5], "size": line[3]}
                for line in p.lines
            ],
        }
        yield (
            *(interaction_of[p.id], p.customer, p.channel, "purchase", p.placed, p.store, p.placed_by),
            *(f"Order {number} · {KIND_LABEL[p.kind]}", data, "orders", f"{number}:placed", p.placed),
        )


def _reservation_rows(open_plans):
    """The stock an open pick-up holds at its store, under its fulfilment's reference (as checkout reserves)."""
    for p in open_plans:
        for line in p.lines:
            reference = f"order:{order_number(p.id)}:1"
            yield line[0], p.location, line[7], reference, "active", p.placed + timedelta(days=21), p.placed, None


def _history_rows(open_plans, fulfillment_of):
    """The status history of open pick-ups, as the pick-up screens read it."""
    steps = {"placed": ["placed"], "picking": ["placed", "picking"], "ready": ["placed", "picking", "ready"]}
    for p in open_plans:
        previous = ""
        for k, status in enumerate(steps[p.f_status]):
            yield p.id, fulfillment_of[p.id], previous, status, "system", "", p.placed + timedelta(minutes=20 * k)
            previous = status


def _hold_reserved_stock() -> None:
    """StockLevel.reserved = the units of its active reservations (what reserve_stock keeps)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE inventory_stocklevel l SET reserved = r.units"
            " FROM (SELECT variant_id, location_id, SUM(quantity) AS units FROM inventory_reservation"
            " WHERE status = 'active' GROUP BY variant_id, location_id) r"
            " WHERE l.variant_id = r.variant_id AND l.location_id = r.location_id"
        )
