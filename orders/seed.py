"""Demo orders: two years of history on every channel, and open pick-ups in every state per store.

History mirrors the purchases the customers step put on the timelines (same numbers, lines, dates,
channels), plus anonymous till sales, written with COPY (retail/bulk.py). Those orders have no stock movements of their
own: inventory's opening stock already accounts for past sales, so the ledger still sums.
Open pick-ups go through the real services (reservations, audit, timeline, notifications), so
stock, reservations and ledgers stay consistent; numbers and codes come from ctx.rng.
"""

import hashlib
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from customers.models import Customer, Interaction, PointsEntry
from inventory.models import ProductTranslation, StockLevel, Variant
from inventory.seed import local_price
from orders import services
from orders.basket import basket_lines, shipping_choices
from orders.models import (
    Carrier,
    Cart,
    CartLine,
    Fulfillment,
    Order,
    OrderLine,
    Payment,
    ShippingBand,
    ShippingMethod,
    StatusChange,
)
from orders.numbers import seeded_numbers
from orders.services import notifications_muted
from orders.services.assisted import AssistedBasket, pay_by_link, place_assisted_order
from orders.services.saved_carts import save_cart_for_customer
from orders.services.shipping import save_carrier, save_shipping_bands, save_shipping_method
from retail.bulk import copy_models
from retail.domain.channel import Channel
from retail.domain.money import minor_unit, money
from retail.markets import home_currency
from retail.models import Market, Store, StoreMembership
from retail.promise import collect_promise
from retail.seeding import SeedContext, seed_step

BRANDS = ["visa", "mastercard", "amex", "maestro"]
OPEN_PLAN = [
    "placed", "placed", "placed_overdue", "picking", "picking_overdue", "ready", "ready_proxy",
    "ready_reminder_due", "ready_past_hold", "expired", "curbside_arrived", "curbside_ready", "cancelled",
]  # fmt: skip
PROXIES = ["Sam Taylor", "Alex Morgan", "Chris Patel", "Jo Evans"]
# what the associate typed when a curbside shopper arrived, in the store's language (issue 19.6)
ARRIVALS = {
    "it": ["Golf blu, posto 2", "Fiesta rossa, posto 5"],
    "pl": ["Niebieski Golf, miejsce 2", "Czerwona Fiesta, miejsce 5"],
}
# What people type, in the store's language: a shopper's reason to cancel, an associate's note on a basket
# (shown as typed on the timeline and the saved baskets, so an Italian shop reads Italian).
TYPED = {
    "en": {"cancel": "changed my mind", "basket": "The ones we talked about"},
    "it": {"cancel": "ho cambiato idea", "basket": "Quelli di cui abbiamo parlato"},
    "pl": {"cancel": "zmiana planów", "basket": "Te, o których rozmawialiśmy"},
}


def _typed(store: Store, what: str) -> str:
    language = (store.market.default_language if store.market_id else "") or "en"
    return TYPED.get(language.split("-")[0], TYPED["en"])[what]


# Each market's ways to ship home (issue 19.4), named in its language and priced in its currency.
CARRIERS = [
    ("poste", "Poste Italiane", "https://www.poste.it/cerca/index.html#/risultati-spedizioni/{number}"),
    ("brt", "BRT", "https://vas.brt.it/vas/sped_det_show.hsm?Nspediz={number}"),
    ("inpost", "InPost", "https://inpost.pl/sledzenie-przesylek?number={number}"),
    ("dpd-pl", "DPD Polska", "https://tracktrace.dpd.com.pl/parcelDetails?p1={number}"),
    ("royal-mail", "Royal Mail", "https://www.royalmail.com/track-your-item#/tracking-results/{number}"),
    ("dpd-uk", "DPD UK", "https://track.dpd.co.uk/parcels/{number}"),
]
# market: (code, name, carrier, flat price or bands [(up to, price), (None, price)], free from, days)
SHIPPING = {
    "it": [
        ("standard", "Consegna standard", "poste", "4.90", "49.00", (2, 4)),
        ("express", "Consegna espressa", "brt", "9.90", None, (1, 2)),
    ],
    "pl": [
        ("paczkomat", "Paczkomat InPost", "inpost", "12.99", "199.00", (1, 2)),
        ("kurier", "Kurier DPD", "dpd-pl", [("100.00", "19.99"), (None, "14.99")], "299.00", (1, 3)),
    ],
    "uk": [
        ("standard", "Standard delivery", "royal-mail", "3.99", "40.00", (2, 4)),
        ("next-day", "Next-day delivery", "dpd-uk", "6.99", None, (1, 1)),
    ],
}


@seed_step(order=15, name="shipping")
def seed_shipping(ctx: SeedContext) -> None:
    """Carriers and each market's shipping methods, through head office's services."""
    if ShippingMethod.objects.exists():
        ctx.log("  shipping methods already present; left as they are")
        return
    carriers = {}
    for code, name, tracking_url in CARRIERS:
        carriers[code] = save_carrier(carrier=Carrier(code=code, name=name, tracking_url=tracking_url), actor=None)
    markets = {m.code: m for m in Market.objects.filter(code__in=SHIPPING)}
    made = 0
    for market_code, methods in SHIPPING.items():
        market = markets.get(market_code)
        if market is None:
            continue
        for position, (code, name, carrier, price, free_over, (low, high)) in enumerate(methods):
            banded = isinstance(price, list)
            method = save_shipping_method(
                method=ShippingMethod(
                    market=market, code=code, name=name, carrier=carriers[carrier], position=position,
                    basis=ShippingMethod.Basis.ORDER_VALUE if banded else ShippingMethod.Basis.FLAT,
                    price=Decimal("0.00") if banded else Decimal(price),
                    free_over=Decimal(free_over) if free_over else None, min_days=low, max_days=high,
                ),
                actor=None,
            )  # fmt: skip
            if banded:
                bands = [ShippingBand(up_to=Decimal(up) if up else None, price=Decimal(p)) for up, p in price]
                save_shipping_bands(method=method, bands=bands, actor=None)
            made += 1
    ctx.log(f"  {len(carriers)} carriers, {made} shipping methods in {len(markets)} markets")


@seed_step(order=40, name="orders")
def seed_orders(ctx: SeedContext) -> None:
    if Order.objects.exists():
        ctx.log("  orders already present; left as they are")
        return
    stores = list(ctx.made.get("stores") or Store.objects.active())
    history = _seed_history(ctx, stores)
    carts = _seed_carts(ctx)
    with seeded_numbers(ctx.rng), notifications_muted():
        open_pickups = _seed_open_pickups(ctx, stores)
        assisted = _seed_assisted(ctx, stores)
    ctx.log(
        f"  {history} orders over two years, {open_pickups} open or recent pick-ups, {carts} open carts, "
        f"{assisted} assisted orders"
    )


def _seed_history(ctx: SeedContext, stores: list[Store]) -> int:
    rng, now = ctx.rng, timezone.now()
    # Each market's orders are placed in its stores, in its currency (a shopper's purchases say which).
    selling_in, shippers_in = defaultdict(list), defaultdict(list)
    for store in stores:
        if store.kind == Store.Kind.STORE:
            selling_in[store.market.currency].append(store)
        if store.ships_orders:
            shippers_in[store.market.currency].append(store)
    purchases = list(
        Interaction.objects.filter(kind="purchase", source="seed")
        .select_related("customer__home_store__market", "store__market")
        .order_by("occurred_at", "pk")
    )
    skus = {line["sku"] for p in purchases for line in p.data.get("lines", [])}
    variants = {v.sku: v for v in Variant.objects.filter(sku__in=skus).select_related("product__category")}
    points = dict(
        PointsEntry.objects.filter(kind="earn", reference__in=[p.data.get("order_number") for p in purchases])
        .values_list("reference", "points")
    )  # fmt: skip
    # (order, fulfillment kind, location, when, [(variant, qty, amount)], tender, closed)
    plans = []
    for p in purchases:
        lines = [(variants[line["sku"]], int(line["qty"]), Decimal(line["amount"]))
                 for line in p.data.get("lines", []) if line["sku"] in variants]  # fmt: skip
        if not lines:
            continue
        customer = p.customer
        channel = p.channel
        currency = p.data.get("currency") or settings.CURRENCY
        selling = selling_in[currency] or [s for group in selling_in.values() for s in group]
        shippers = shippers_in[currency] or selling
        if channel in (Channel.STORE, Channel.KIOSK):
            kind, location = Fulfillment.Kind.CARRY_OUT, p.store or rng.choice(selling)
        elif channel == Channel.PHONE or rng.random() < 0.4:
            kind, location = Fulfillment.Kind.SHIP, rng.choice(shippers)
        else:
            kind = Fulfillment.Kind.CURBSIDE if rng.random() < 0.1 else Fulfillment.Kind.PICKUP
            location = customer.home_store if customer.home_store_id else rng.choice(selling)
            if location.kind != Store.Kind.STORE:
                location = rng.choice(selling)
        plans.append((p.data["order_number"], customer, channel, kind, location, p.occurred_at, lines, currency))
    # Till sales of shoppers who gave no loyalty card, in every store.
    catalogue = list(variants.values()) or list(
        Variant.objects.filter(is_active=True).select_related("product__category")[:500]
    )
    home = home_currency()
    for store in [s for s in stores if s.kind == Store.Kind.STORE]:
        currency = store.market.currency
        for n in range(ctx.count(120)):
            when = now - timedelta(days=rng.randint(1, 730), minutes=rng.randint(0, 600))
            picked = rng.sample(catalogue, k=min(len(catalogue), rng.randint(1, 3)))
            lines = [(v, 1, money(local_price(v, currency, home=home))) for v in picked]
            number = f"{store.code}-R{n + 1:06d}"
            plans.append((number, None, "store", Fulfillment.Kind.CARRY_OUT, store, when, lines, currency))

    orders = []
    for number, customer, channel, _kind, location, when, lines, currency in plans:
        total = sum((amount for _, _, amount in lines), Decimal("0.00"))
        receipt = number if customer is None else (number if channel == Channel.STORE else "")
        orders.append(Order(
            number=number if customer is not None else f"OM-{number}",
            customer=customer, channel=channel, store=location, status=Order.Status.COMPLETED,
            contact_name=customer.full_name if customer else "", email=customer.email if customer else "",
            phone=customer.phone if customer else "", currency=currency, subtotal=total, total=total,
            points_earned=points.get(number, 0), receipt_number=receipt, placed_at=when, updated_at=when,
            closed_at=when + timedelta(hours=0 if channel == Channel.STORE else rng.randint(4, 72)),
        ))  # fmt: skip
    copy_models(orders)
    fulfillments = []
    for order, (_, _, _, kind, location, when, _, _) in zip(orders, plans, strict=True):
        done = Fulfillment.Status.SHIPPED if kind == Fulfillment.Kind.SHIP else Fulfillment.Status.COLLECTED
        collected = kind in Fulfillment.COLLECT_KINDS
        fulfillments.append(Fulfillment(
            order=order, kind=kind, location=location, status=done, created_at=when, closed_at=order.closed_at,
            reservation_reference=f"order:{order.number}:seed", ready_at=order.closed_at if collected else None,
            collected_by_name=order.contact_name if collected else "", verification="code" if collected else "",
            tracking_number=f"JD{rng.randrange(10**11):011d}GB" if kind == Fulfillment.Kind.SHIP else "",
        ))  # fmt: skip
    copy_models(fulfillments)
    # Lines keep the name they were sold under: in the store's market's language.
    texts, colours = defaultdict(dict), defaultdict(dict)
    translations = ProductTranslation.objects.values_list("product_id", "language", "name", "colours")
    for product_id, language, name, named in translations:
        texts[language][product_id], colours[language][product_id] = name, named
    lines_out, payments, history = [], [], []
    for order, f, plan in zip(orders, fulfillments, plans, strict=True):
        sold_in = texts.get(order.store.market.default_language, {})
        coloured = colours.get(order.store.market.default_language, {})
        for index, (variant, qty, amount) in enumerate(plan[6]):
            lines_out.append(OrderLine(
                order=order, fulfillment=f, line_number=index + 1, variant=variant, sku=variant.sku,
                name=sold_in.get(variant.product_id, variant.product.name)[:200], size=variant.size,
                colour=coloured.get(variant.product_id, {}).get(variant.colour, variant.colour),
                category=variant.product.category.name[:80], quantity=qty, unit_price=_unit(amount, qty),
                discount=_unit(amount, qty) * qty - amount, total=amount, picked_quantity=qty,
            ))  # fmt: skip
        cash = order.channel == Channel.STORE and rng.random() < 0.3
        till = order.channel == Channel.STORE
        payments.append(Payment(
            order=order, method=Payment.Method.CASH if cash else Payment.Method.CARD,
            provider="pos" if till else "test",
            # what the till and the test provider write, so that refunds to the original payment work
            reference=_till_reference(order) if till else _test_reference(order.number),
            brand="" if cash else rng.choice(BRANDS),
            last4="" if cash else f"{rng.randrange(10000):04d}", amount=order.total, captured_amount=order.total,
            status=Payment.Status.CAPTURED, created_at=order.placed_at, updated_at=order.closed_at,
        ))  # fmt: skip
        history.append(StatusChange(order=order, fulfillment=f, to_status="placed", actor_label="system",
                                    occurred_at=order.placed_at))  # fmt: skip
        if f.status != "collected" or f.kind != Fulfillment.Kind.CARRY_OUT:
            history.append(StatusChange(order=order, fulfillment=f, from_status="placed", to_status=f.status,
                                        actor_label="system", occurred_at=order.closed_at))  # fmt: skip
    copy_models(lines_out)
    copy_models([p for p in payments if p.amount > 0])
    copy_models(history)
    return len(orders)


def _till_reference(order: Order) -> str:
    """What a till's sale posts as its tender reference (see orders.services.pos)."""
    return f"{order.store.code}:{order.receipt_number or order.number}"


def _test_reference(number: str) -> str:
    """A reference of the built-in test provider (`test_` + 24 hex), as its authorisations give."""
    return "test_" + hashlib.sha256(f"seed:{number}".encode()).hexdigest()[:24]


def _unit(amount: Decimal, qty: int) -> Decimal:
    """A unit price that, less the line's discount, gives exactly what was paid (never a negative discount)."""
    unit = money(amount / qty)
    return unit if unit * qty >= amount else unit + minor_unit()


def _seed_carts(ctx: SeedContext) -> int:
    rng, now = ctx.rng, timezone.now()
    customers = ctx.made.get("customers") or list(Customer.objects.live().order_by("pk"))
    customers = [c for c in customers if c.user_id or c.email]
    variants = ctx.made.get("variants") or list(Variant.objects.select_related("product").order_by("pk")[:1000])
    variants = [v for v in variants if v.is_active][:800]
    if not customers or not variants:
        return 0
    staff = list(StoreMembership.objects.select_related("user", "store").filter(store__kind=Store.Kind.STORE))
    chosen = rng.sample(customers, k=max(1, len(customers) // 12))
    carts = []
    for customer in chosen:
        remote = staff and rng.random() < 0.2
        member = rng.choice(staff) if remote else None
        updated = now - timedelta(hours=rng.randint(1, 240))
        carts.append(Cart(
            customer=customer, channel=Channel.STORE if remote else rng.choice([Channel.APP, Channel.WEB]),
            built_by=member.user if member else None, built_in_store=member.store if member else None,
            sent_at=updated if member else None, created_at=updated - timedelta(days=1), updated_at=updated,
        ))  # fmt: skip
    Cart.objects.bulk_create(carts)
    lines = []
    for cart in carts:
        for variant in rng.sample(variants, k=rng.randint(1, 3)):
            lines.append(CartLine(cart=cart, variant=variant, quantity=rng.randint(1, 2),
                                  price_when_added=money(variant.price), added_at=cart.updated_at))  # fmt: skip
    CartLine.objects.bulk_create(lines)
    return len(carts)


def _seed_open_pickups(ctx: SeedContext, stores: list[Store]) -> int:

    rng, now = ctx.rng, timezone.now()
    customers = list(Customer.objects.live().filter(email__gt="").select_related("home_store").order_by("pk")[:400])
    if not customers:
        return 0
    made = 0
    for store in [s for s in stores if s.kind == Store.Kind.STORE and s.pickup_enabled]:
        # the store's own market's shoppers collect there (a Warsaw queue of Polish names)
        local = [c for c in customers if c.home_store_id and c.home_store.market_id == store.market_id] or customers
        member = StoreMembership.objects.select_related("user").filter(store=store).order_by("role", "pk").first()
        if member is None:
            continue
        associate = member.user
        skus = list(
            StockLevel.objects.filter(location=store, variant__is_active=True, variant__product__is_active=True)
            .filter(available__gte=4)
            .order_by("pk")
            .values_list("variant__sku", flat=True)[:200]
        )
        if len(skus) < 3:
            continue
        for state in OPEN_PLAN:
            customer = rng.choice(local)
            lines = [(sku, 1) for sku in rng.sample(skus, k=rng.randint(1, 3))]
            kind = "curbside" if state.startswith("curbside") else "pickup"
            token = f"tok_{rng.choice(BRANDS)}_{rng.randrange(10000):04d}"
            order = services.place_order(
                channel=rng.choice([Channel.APP, Channel.WEB, Channel.WEB]),
                groups=[services.GroupRequest(kind=kind, lines=lines, store=store,
                                              proxy_name=rng.choice(PROXIES) if state == "ready_proxy" else "")],
                customer=customer,
                tenders=[services.TenderRequest(method="card", token=token)],
            )  # fmt: skip
            made += 1
            f = order.fulfillments.get()
            placed_at = now - timedelta(minutes=rng.randint(5, 90))
            if state.endswith("overdue"):
                placed_at = now - timedelta(hours=rng.randint(3, 9))
            if state == "cancelled":
                services.cancel_order(order=order, reason=_typed(store, "cancel"), by_customer=True)
            if state.startswith(("picking", "ready", "expired", "curbside")):
                for sku, _ in lines if not state.startswith("picking") else lines[:-1]:
                    services.scan_pick(fulfillment=f, code=sku, actor=associate, store=store)
                if state.startswith("picking") and len(lines) == 1:
                    services.start_picking(fulfillment=f, actor=associate, store=store)
            if state.startswith(("ready", "expired")) or state == "curbside_ready":
                f = services.mark_ready(fulfillment=f, actor=associate, store=store)
                placed_at = now - timedelta(hours=rng.randint(4, 48))
            if state == "ready_reminder_due":
                Fulfillment.objects.filter(pk=f.pk).update(hold_until=now + timedelta(hours=rng.randint(2, 20)))
            if state in ("ready_past_hold", "expired"):
                placed_at = now - timedelta(days=store.pickup_hold_days + rng.randint(1, 3))
                Fulfillment.objects.filter(pk=f.pk).update(hold_until=now - timedelta(hours=rng.randint(1, 20)))
            if state == "expired":
                services.expire_pickup(fulfillment=f)
            if state == "curbside_arrived":
                services.record_arrival(
                    fulfillment=f,
                    note=rng.choice(
                        ARRIVALS.get(store.market.default_language, ["Blue Golf, bay 2", "Red Fiesta, bay 5"])
                    ),
                )
            Order.objects.filter(pk=order.pk).update(placed_at=placed_at)
            # the promise is the one made when the order was placed, not at seeding time (an order placed
            # at 12:18 and overdue read "promised for 18:20")
            Fulfillment.objects.filter(pk=f.pk).update(
                created_at=placed_at, promised_at=collect_promise(store, placed_at)
            )
            StatusChange.objects.filter(order=order, to_status="placed").update(occurred_at=placed_at)
    return made


def _available_at(location: Store, *, units: int = 2) -> list[str]:
    return list(
        StockLevel.objects.filter(location=location, variant__is_active=True, variant__product__is_active=True)
        .filter(available__gte=units)
        .order_by("pk")
        .values_list("variant__sku", flat=True)[:50]
    )


def _seed_assisted(ctx: SeedContext, stores: list[Store]) -> int:
    """Two endless-aisle orders at the first store: one for pick-up at another store, waiting for
    the till; one shipped home, paid by the link the shopper was sent. And one saved cart, sent."""
    rng = ctx.rng
    selling = [s for s in stores if s.kind == Store.Kind.STORE and s.pickup_enabled]
    market = selling[0].market_id if selling else None  # a ship order leaves a location of its own market
    shipper = next((s for s in stores if s.ships_orders and s.market_id == market and _available_at(s)), None)
    customers = list(Customer.objects.live().filter(email__gt="", user__isnull=False).order_by("pk")[:50])
    if len(selling) < 2 or shipper is None or not customers:
        return 0
    store, elsewhere = selling[0], next((s for s in selling[1:] if _available_at(s)), None)
    member = StoreMembership.objects.select_related("user").filter(store=store).order_by("role", "pk").first()
    if member is None or elsewhere is None:
        return 0
    place_assisted_order(
        customer=rng.choice(customers), store=store, actor=member.user, payment="till",
        basket=AssistedBasket(lines=[(rng.choice(_available_at(elsewhere)), 1)], deliver="pickup",
                              pickup_store=elsewhere),
        placement_key=f"seed-assisted-till-{rng.randrange(10**12):012d}",
    )  # fmt: skip
    home = {"line1": "12 Rosebery Avenue", "city": "London", "postcode": "EC1R 4TD"}
    shopper, lines = rng.choice(customers), [(rng.choice(_available_at(shipper)), 1)]
    methods = shipping_choices(basket_lines(lines, store=store), store=store)  # the first, as the screen ticks it
    link_order, _ = place_assisted_order(
        customer=shopper, store=store, actor=member.user, payment="link", channel=Channel.PHONE,
        basket=AssistedBasket(lines=lines, deliver="ship", shipping_address=home),
        placement_key=f"seed-assisted-link-{rng.randrange(10**12):012d}",
        shipping_method=methods[0].method.pk if methods else None,
    )  # fmt: skip
    pay_by_link(token=link_order.payment_request.token, card_token=f"tok_{rng.choice(BRANDS)}_4242")
    # and a basket kept on a shopper's profile, sent to them (the link not opened yet)
    skus = _available_at(shipper)[:2]
    save_cart_for_customer(customer=customers[-1], store=store, actor=member.user,  # no draw: later seeds keep theirs
                           lines=[(sku, 1) for sku in skus], note=_typed(store, "basket"), send=True)  # fmt: skip
    return 2
