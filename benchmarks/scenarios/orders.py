"""Orders (issue 6): checkout of 3 lines for pick-up, the store's pick-up queue, POS ingestion.

Targets from the issue: checkout p95 <= 150 ms and at most 40 queries; the pick-up queue with
500 open orders p95 <= 80 ms; POS ingestion >= 200 receipts/s, shown by a till's batch upload
(`orders.pos_batch`: 50 receipts p95 <= 250 ms); a single receipt's latency is `orders.pos_sale`.
Until an orders dataset builder exists, each setup makes what it needs (SKUs with deep stock at
one pick-up store, a shopper, 500 open pick-ups, a till) and removes it afterwards.
"""

import uuid
from datetime import timedelta
from decimal import Decimal
from itertools import count

from django.db.models import Q
from django.utils import timezone

from benchmarks.context import ScenarioContext
from benchmarks.registry import scenario
from customers.models import Customer, CustomerIdentity, Interaction, LoyaltyAccount, PointsEntry, PurchasedItem
from inventory.models import Category, Product, Reservation, StockLevel, StockMovement, Variant
from orders.models import Fulfillment, Order, OrderLine, Payment, StatusChange
from retail.models import IdempotencyKey, PosDevice, Store, User

MARK = "BENCHORD"
POS_BATCH_SIZE = 50
POS_SALE_P95_MS = 100  # one receipt's measured cost on a shared 2-core machine, see pos_sale
SHOPPER = "bench.shopper@bench-orders.test"


def _store() -> Store:
    store = Store.objects.active().filter(kind=Store.Kind.STORE, pickup_enabled=True).order_by("code").first()
    if store is None:
        raise LookupError("The orders scenarios need the retail dataset's stores.")
    return store


def make_stock(
    stores: list[Store], *, mark: str, skus: int, name: str, price: Decimal, barcode_prefix: str
) -> list[Variant]:
    """A product of `skus` SKUs (`<mark>-00000`...) with 1,000,000 units received at each store (the
    level and its ledger entry), for scenarios that sell without running out; removed by the mark."""
    category, _ = Category.objects.get_or_create(slug=f"{mark.lower()}-cat", defaults={"name": f"Bench {mark}"})
    product = Product.objects.create(style_code=f"{mark}-P", name=name, category=category, base_price=price)
    width = 13 - len(barcode_prefix)  # EAN-13
    variants = Variant.objects.bulk_create(
        [Variant(product=product, sku=f"{mark}-{i:05d}", barcode=f"{barcode_prefix}{i:0{width}d}", size="M")
         for i in range(skus)],
        batch_size=2000,
    )  # fmt: skip
    now = timezone.now()
    StockLevel.objects.bulk_create(
        [StockLevel(variant=v, location=s, on_hand=1_000_000) for v in variants for s in stores], batch_size=4000
    )
    StockMovement.objects.bulk_create(
        [
            StockMovement(
                variant=v,
                location=s,
                kind="receipt",
                quantity=1_000_000,
                balance_after=1_000_000,
                reference=f"{mark}:stock",
                created_at=now,
            )
            for v in variants
            for s in stores
        ],
        batch_size=4000,
    )
    return variants


def _make_stock(store: Store, n: int = 6) -> list[Variant]:
    return make_stock(
        [store], mark=MARK, skus=n, name="Bench oxford shirt", price=Decimal("39.90"), barcode_prefix="97700000"
    )


def _shopper() -> User:
    from customers.services.linking import link_user_to_customer

    user = User.objects.create_user(email=SHOPPER, full_name="Bench Shopper")
    link_user_to_customer(user=user)
    return user


def _cleanup() -> None:
    """Remove everything the scenarios made (bench data only: queryset deletes are fine here)."""
    orders = Order.objects.filter(Q(lines__sku__startswith=MARK) | Q(receipt_number__startswith=MARK)).distinct()
    ids = list(orders.values_list("pk", flat=True))
    for model in (StatusChange, Payment, OrderLine):
        model.objects.filter(order_id__in=ids).delete()
    Fulfillment.objects.filter(order_id__in=ids).delete()
    numbers = list(Order.objects.filter(pk__in=ids).values_list("number", flat=True))
    Order.objects.filter(pk__in=ids).delete()
    customers = list(Customer.objects.filter(Q(email=SHOPPER) | Q(email__endswith="@bench-orders.test")))
    PurchasedItem.objects.filter(Q(customer__in=customers) | Q(sku__startswith=MARK)).delete()
    Interaction.objects.filter(Q(customer__in=customers) | Q(subject__in=numbers)).delete()
    PointsEntry.objects.filter(account__customer__in=customers).delete()
    LoyaltyAccount.objects.filter(customer__in=customers).delete()
    CustomerIdentity.objects.filter(customer__in=customers).delete()
    Customer.objects.filter(pk__in=[c.pk for c in customers]).delete()
    IdempotencyKey.objects.filter(
        scope__in=[f"user:{u}" for u in User.objects.filter(email=SHOPPER).values_list("pk", flat=True)]
    ).delete()
    User.objects.filter(email=SHOPPER).delete()
    PosDevice.objects.filter(name=f"{MARK} till").delete()
    Reservation.objects.filter(variant__sku__startswith=MARK).delete()
    StockMovement.objects.filter(variant__sku__startswith=MARK).delete()
    StockLevel.objects.filter(variant__sku__startswith=MARK).delete()
    Variant.objects.filter(sku__startswith=MARK).delete()
    Product.objects.filter(style_code__startswith=MARK).delete()
    Category.objects.filter(slug__startswith=MARK.lower()).delete()


@scenario(name="orders.checkout_pickup", calls=200, target_p95_ms=150, max_queries=40, expect_status=201)
def checkout_pickup(ctx: ScenarioContext):
    """POST /api/v1/orders/: 3 lines for pick-up, card authorised, stock reserved (Idempotency-Key)."""
    _cleanup()
    yield pickup_checkout(ctx)
    _cleanup()


def pickup_checkout(ctx: ScenarioContext):
    """A shopper's app checkout of 3 random stocked lines for pick-up with a card, as one call
    (this scenario's and the webhooks scenarios' request)."""
    store = _store()
    variants = _make_stock(store)
    client = ctx.client_for(_shopper())
    skus = [v.sku for v in variants]

    def call():
        picked = ctx.rng.sample(skus, 3)
        return client.post(
            "/api/v1/orders/",
            {
                "channel": "app",
                "lines": [{"sku": sku, "quantity": 1 + i % 2} for i, sku in enumerate(picked)],
                "fulfillment": {"kind": "pickup", "store": store.code},
                "payments": [{"method": "card", "token": "tok_visa_4242"}],
            },
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
        )

    return call


@scenario(name="orders.assisted_checkout", calls=200, max_queries=60, expect_status=302)
def assisted_checkout(ctx: ScenarioContext):
    """POST /portal/orders/sell/<shopper>/place/: an associate places 3 lines reserved in their
    store, paid at the till (compare its p95 with orders.checkout_pickup's: target <= 1.5x).

    The basket is in the associate's session; each call first writes it there (one session save,
    counted in the call: the price of a basket built by scanning, not of the placement), then
    posts the form with a fresh placement key.
    """
    from orders.portal.assisted import SESSION

    _cleanup()
    store = _store()
    variants = _make_stock(store)
    customer = Customer.objects.get(pk=_shopper().customer.pk)
    associate = User.objects.filter(memberships__store=store).order_by("pk").first()
    if associate is None:
        raise LookupError("The assisted checkout needs the retail dataset's associate of the store.")
    client = ctx.client_for(associate)
    client.get(f"/portal/orders/sell/{customer.pk}/")  # the store choice and the view audit settled
    skus = [v.sku for v in variants]
    url = f"/portal/orders/sell/{customer.pk}/place/"

    def call():
        key = uuid.uuid4().hex
        session = client.session
        picked = ctx.rng.sample(skus, 3)
        session[SESSION] = {str(customer.pk): {"lines": [[sku, 1 + i % 2] for i, sku in enumerate(picked)], "key": key}}
        session.save()
        return client.post(url, {"deliver": "reserve", "channel": "store", "payment": "till", "key": key})

    yield call
    _cleanup()


@scenario(name="orders.pickup_queue", calls=200, target_p95_ms=80)
def pickup_queue(ctx: ScenarioContext):
    """GET /portal/orders/pickups/: a store's queue (tabs with counts) with 500 open pick-ups."""
    _cleanup()
    store = _store()
    variants = _make_stock(store)
    associate = User.objects.filter(memberships__store=store).order_by("pk").first()
    if associate is None:
        raise LookupError("The pick-up queue needs the retail dataset's associate of the store.")
    now = timezone.now()
    statuses = ["placed"] * 250 + ["picking"] * 100 + ["ready"] * 150
    orders = Order.objects.bulk_create(
        [
            Order(
                number=f"OM-B{i:03d}-{MARK[:4]}",
                channel="app",
                store=store,
                contact_name=f"Bench Shopper {i}",
                email=f"s{i}@bench-orders.test",
                currency="EUR",
                subtotal=Decimal("79.80"),
                total=Decimal("79.80"),
                placed_at=now - timedelta(minutes=i),
                updated_at=now,
            )
            for i in range(len(statuses))
        ]
    )
    fulfillments = Fulfillment.objects.bulk_create(
        [
            Fulfillment(
                order=o,
                kind="curbside" if i % 10 == 0 else "pickup",
                location=store,
                status=s,
                pickup_code=f"{i:06d}",
                qr_token=uuid.uuid4().hex,
                created_at=o.placed_at,
                hold_until=now + timedelta(days=3) if s == "ready" else None,
                arrived_at=now if i % 40 == 0 else None,
            )
            for i, (o, s) in enumerate(zip(orders, statuses, strict=True))
        ]
    )
    OrderLine.objects.bulk_create(
        [
            OrderLine(
                order=f.order,
                fulfillment=f,
                line_number=n + 1,
                variant=variants[n],
                sku=variants[n].sku,
                name="Bench oxford shirt",
                quantity=1,
                unit_price=Decimal("39.90"),
                total=Decimal("39.90"),
                picked_quantity=1 if f.status == "ready" else 0,
            )
            for f in fulfillments
            for n in range(2)
        ]
    )
    client = ctx.client_for(associate)
    tabs = ["to_pick", "ready", "picking", "overdue"]
    turn = count()

    def call():
        return client.get(f"/portal/orders/pickups/?tab={tabs[next(turn) % len(tabs)]}")

    yield call
    _cleanup()


def _receipt(ctx: ScenarioContext, variants: list[Variant], n: int) -> dict:
    """A receipt of 2 lines (one by SKU, one by barcode); every other one names a loyalty shopper."""
    a, b = ctx.rng.sample(variants, 2)
    sale = {
        "receipt_number": f"{MARK}-{n:06d}",
        "lines": [{"sku": a.sku, "quantity": 1}, {"barcode": b.barcode, "quantity": 2}],
        "tenders": [{"method": "card", "amount": "119.70", "brand": "visa", "last4": "4242"}],
    }
    if n % 2:
        sale["customer"] = {"email": f"shopper{n % 50}@bench-orders.test"}
    return sale


@scenario(name="orders.pos_sale", calls=300, target_p95_ms=POS_SALE_P95_MS, expect_status=201)
def pos_sale(ctx: ScenarioContext):
    """POST /api/v1/pos/sales/: a till's receipt of 2 lines, half with a loyalty identity.

    A till posts one receipt at a time and waits for the answer, so this is one receipt's latency:
    21 statements for a member (device, replay check, SKUs, shopper, account lock, order in its
    savepoint, fulfilment, lines, payment, status, audit, stock lock/update/movements, timeline
    interaction/items/profile, points, account), 14 for an anonymous one, constant in the lines
    (45 and 17 before; 16-48 in the issue). Measured on medium with the 2 cores shared (load 7,
    floor p95 10-19 ms): p50 24-37 ms, p95 58-93 ms, 6-8x the floor (was p50 120, p95 240 ms, 34x
    the floor, at load 4.8); each
    statement is a round trip to a PostgreSQL that waits for a core. The target is that cost, not
    1/200 s: a till is never faster than one receipt per answer, throughput across tills comes from
    gunicorn's workers side by side, and the issue's ">= 200 receipts/s" is shown by
    `orders.pos_batch` (a till's offline upload, one worker) and by the HTTP load run.
    """
    from retail.services import issue_pos_device

    _cleanup()
    store = _store()
    variants = _make_stock(store)
    _, token = issue_pos_device(store=store, name=f"{MARK} till")
    client = ctx.client
    receipts = count(1)

    def call():
        sale = _receipt(ctx, variants, next(receipts))
        return client.post("/api/v1/pos/sales/", sale, content_type="application/json",
                           HTTP_AUTHORIZATION=f"Device {token}")  # fmt: skip

    yield call
    _cleanup()


@scenario(
    name="orders.pos_batch",
    calls=40,
    warmup=3,
    target_p95_ms=POS_BATCH_SIZE * 1000 / 200,
    expect_status=200,
    items_per_call=POS_BATCH_SIZE,
    item="receipts",
)
def pos_batch(ctx: ScenarioContext):
    """POST /api/v1/pos/sales/batch/: a till back online uploads 50 receipts of 2 lines, half for members.

    Target p95 <= 250 ms per batch of 50, i.e. >= 200 receipts/s single-threaded (the issue's POS
    ingestion target; the report prints receipts/s at the mean and the p95). The work is shared by
    the batch (one query each for replays, SKUs, shoppers and accounts, one insert per table): 21
    statements in production whatever the number of receipts, more only while new shoppers are
    created (the first batches). Measured on medium at load 3 (floor p95 9.8 ms): p95 156 ms, 497
    receipts/s at the mean and 320 at the p95; at load 7.5 (floor p95 15-19 ms) p95 275-433 ms.
    A call fails if any receipt is refused.
    """
    from retail.services import issue_pos_device

    _cleanup()
    store = _store()
    variants = _make_stock(store)
    _, token = issue_pos_device(store=store, name=f"{MARK} till")
    client = ctx.client
    receipts = count(1)

    def call():
        batch = {"receipts": [_receipt(ctx, variants, next(receipts)) for _ in range(POS_BATCH_SIZE)]}
        response = client.post("/api/v1/pos/sales/batch/", batch, content_type="application/json",
                               HTTP_AUTHORIZATION=f"Device {token}")  # fmt: skip
        if b'"rejected"' in response.content:
            raise AssertionError(f"a receipt was refused: {response.content[:500]!r}")
        return response

    yield call
    _cleanup()
