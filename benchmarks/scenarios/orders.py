"""Orders (issue 6): checkout of 3 lines for pick-up, the store's pick-up queue, POS ingestion.

Targets from the issue: checkout p95 <= 150 ms and at most 40 queries; the pick-up queue with
500 open orders p95 <= 80 ms; POS ingestion >= 200 receipts/s (single-threaded: p95 <= 5 ms).
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
SHOPPER = "bench.shopper@bench-orders.test"


def _store() -> Store:
    store = Store.objects.active().filter(kind=Store.Kind.STORE, pickup_enabled=True).order_by("code").first()
    if store is None:
        raise LookupError("The orders scenarios need the retail dataset's stores.")
    return store


def _make_stock(store: Store, n: int = 6) -> list[Variant]:
    category, _ = Category.objects.get_or_create(slug=f"{MARK.lower()}-cat", defaults={"name": "Bench orders"})
    product = Product.objects.create(style_code=f"{MARK}-P", name="Bench oxford shirt", category=category,
                                     base_price=Decimal("39.90"))  # fmt: skip
    variants = Variant.objects.bulk_create(
        [Variant(product=product, sku=f"{MARK}-{i}", barcode=f"97700000{i:05d}", size="M") for i in range(n)]
    )
    now = timezone.now()
    StockLevel.objects.bulk_create([StockLevel(variant=v, location=store, on_hand=1_000_000) for v in variants])
    StockMovement.objects.bulk_create(
        [
            StockMovement(
                variant=v,
                location=store,
                kind="receipt",
                quantity=1_000_000,
                balance_after=1_000_000,
                reference=f"{MARK}:stock",
                created_at=now,
            )
            for v in variants
        ]
    )
    return variants


def _shopper() -> User:
    from customers.services.profiles import link_user_to_customer

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


@scenario(name="orders.pos_sale", calls=300, target_p95_ms=5, expect_status=201)
def pos_sale(ctx: ScenarioContext):
    """POST /api/v1/pos/sales/: a till's receipt of 2 lines, half with a loyalty identity (>= 200/s)."""
    from retail.services import issue_pos_device

    _cleanup()
    store = _store()
    variants = _make_stock(store)
    _, token = issue_pos_device(store=store, name=f"{MARK} till")
    client = ctx.client
    receipts = count(1)

    def call():
        n = next(receipts)
        a, b = ctx.rng.sample(variants, 2)
        sale = {
            "receipt_number": f"{MARK}-{n:06d}",
            "lines": [{"sku": a.sku, "quantity": 1}, {"barcode": b.barcode, "quantity": 2}],
            "tenders": [{"method": "card", "amount": "119.70", "brand": "visa", "last4": "4242"}],
        }
        if n % 2:
            sale["customer"] = {"email": f"shopper{n % 50}@bench-orders.test"}
        return client.post("/api/v1/pos/sales/", sale, content_type="application/json",
                           HTTP_AUTHORIZATION=f"Device {token}")  # fmt: skip

    yield call
    _cleanup()
