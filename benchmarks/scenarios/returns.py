"""Returns (issue 7): find a purchase and see the verdict; complete a return at the desk.

Targets from the issue: find-purchase-and-verdict for a shopper with 200 orders p95 <= 80 ms;
a complete return (received, restocked, refunded to the card) p95 <= 150 ms. Until a returns
dataset builder exists, each setup makes what it needs (a shopper with 200 delivered web orders
of three lines each, paid by the test card provider, at one store) and removes it afterwards.
"""

import itertools
from datetime import timedelta
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from benchmarks.context import ScenarioContext
from benchmarks.registry import scenario
from customers.models import (
    Customer,
    CustomerIdentity,
    Interaction,
    LoyaltyAccount,
    PointsEntry,
    PurchasedItem,
    StoreCreditAccount,
    StoreCreditEntry,
    Task,
)
from inventory.models import Category, Product, StockLevel, StockMovement, Variant
from orders.models import Fulfillment, Order, OrderLine, Payment
from orders.numbers import ALPHABET
from orders.returns.models import ReturnLine, ReturnPolicy, ReturnRequest, standard_windows
from orders.returns.services.policy_admin import save_return_policy
from retail.models import OutboxMessage, Store, User

MARK = "BENCHRET"
EMAIL = "bench.returns@bench-returns.test"
ORDERS = 200


def _store() -> Store:
    store = Store.objects.active().filter(kind=Store.Kind.STORE, accepts_returns=True).order_by("code").first()
    if store is None:
        raise LookupError("The returns scenarios need the retail dataset's stores.")
    return store


def _associate(store: Store) -> User:
    user = User.objects.filter(memberships__store=store, is_active=True).order_by("pk").first()
    if user is None:
        raise LookupError(f"No staff at {store.code}: the retail dataset makes one associate per store.")
    return user


def _build(ctx: ScenarioContext, store: Store) -> tuple[Customer, list[Order]]:
    """A shopper with 200 delivered web orders (3 lines, 120.00, card) at `store`: bench data only."""
    from customers.services.profiles import create_customer

    if not ReturnPolicy.objects.filter(is_active=True).exists():
        save_return_policy(policy=ReturnPolicy(name=f"{MARK} policy"), actor=None, windows=standard_windows())
    category, _ = Category.objects.get_or_create(slug=f"{MARK.lower()}-cat", defaults={"name": "Bench returns"})
    product = Product.objects.create(
        style_code=f"{MARK}-P", name="Bench linen shirt", category=category, base_price=Decimal("40.00")
    )
    variants = Variant.objects.bulk_create(
        [Variant(product=product, sku=f"{MARK}-{i}", barcode=f"97800000{i:05d}", size=s) for i, s in enumerate("SML")]
    )
    StockLevel.objects.bulk_create([StockLevel(variant=v, location=store, on_hand=0) for v in variants])
    customer = create_customer(first_name="Bench", last_name="Returner", email=EMAIL)
    now = timezone.now()
    orders = Order.objects.bulk_create(
        [
            Order(
                number="OM-" + "".join(ctx.rng.choice(ALPHABET) for _ in range(4)) + "-"
                + "".join(ctx.rng.choice(ALPHABET) for _ in range(4)),
                customer=customer, channel="web", store=store, status=Order.Status.COMPLETED,
                contact_name="Bench Returner", email=EMAIL, currency="EUR", subtotal=Decimal("120.00"),
                total=Decimal("120.00"), placed_at=now - timedelta(hours=i + 1), updated_at=now, closed_at=now,
            )
            for i in range(ORDERS)
        ]
    )  # fmt: skip
    fulfillments = Fulfillment.objects.bulk_create(
        [
            Fulfillment(order=o, kind="pickup", location=store, status="collected", created_at=o.placed_at,
                        closed_at=now, reservation_reference=f"{MARK}:{o.number}")
            for o in orders
        ]
    )  # fmt: skip
    OrderLine.objects.bulk_create(
        [
            OrderLine(order=o, fulfillment=f, line_number=n + 1, variant=v, sku=v.sku, name=product.name, size=v.size,
                      category=category.name, quantity=1, unit_price=Decimal("40.00"), total=Decimal("40.00"),
                      picked_quantity=1)
            for o, f in zip(orders, fulfillments, strict=True)
            for n, v in enumerate(variants)
        ]
    )  # fmt: skip
    Payment.objects.bulk_create(
        [
            Payment(order=o, method="card", provider="test", reference=f"test_{MARK}_{o.number}", brand="visa",
                    last4="4242", amount=o.total, captured_amount=o.total, status="captured", created_at=o.placed_at,
                    updated_at=now)
            for o in orders
        ]
    )  # fmt: skip
    return customer, orders


def _cleanup() -> None:
    """Remove everything the scenarios made (bench data only: queryset deletes are fine here)."""
    customers = list(Customer.objects.filter(email=EMAIL))
    requests = ReturnRequest.objects.filter(Q(customer__in=customers) | Q(lines__sku__startswith=MARK)).distinct()
    ids = list(requests.values_list("pk", flat=True))
    OutboxMessage.objects.filter(topic="returns.notify", payload__return_id__in=ids).delete()
    ReturnLine.objects.filter(request_id__in=ids).delete()
    ReturnRequest.objects.filter(pk__in=ids).delete()  # with their notifications (a generic relation)
    orders = Order.objects.filter(customer__in=customers)
    for model in (Payment, OrderLine):
        model.objects.filter(order__in=orders).delete()
    Fulfillment.objects.filter(order__in=orders).delete()
    orders.delete()
    Task.objects.filter(customer__in=customers).delete()
    PurchasedItem.objects.filter(customer__in=customers).delete()
    Interaction.objects.filter(customer__in=customers).delete()
    StoreCreditEntry.objects.filter(account__customer__in=customers).delete()
    StoreCreditAccount.objects.filter(customer__in=customers).delete()
    PointsEntry.objects.filter(account__customer__in=customers).delete()
    LoyaltyAccount.objects.filter(customer__in=customers).delete()
    CustomerIdentity.objects.filter(customer__in=customers).delete()
    Customer.objects.filter(pk__in=[c.pk for c in customers]).delete()
    StockMovement.objects.filter(variant__sku__startswith=MARK).delete()
    StockLevel.objects.filter(variant__sku__startswith=MARK).delete()
    Variant.objects.filter(sku__startswith=MARK).delete()
    Product.objects.filter(style_code__startswith=MARK).delete()
    Category.objects.filter(slug__startswith=MARK.lower()).delete()
    ReturnPolicy.objects.filter(name=f"{MARK} policy").delete()


@scenario(name="returns.find_and_verdict", calls=200, target_p95_ms=80, max_queries=40)
def find_and_verdict(ctx: ScenarioContext):
    """Desk: the shopper's purchases (200 orders), then the verdict for one line of one of them."""
    _cleanup()
    store = _store()
    customer, orders = _build(ctx, store)
    client = ctx.client_for(_associate(store))
    lines = {o.pk: list(o.lines.order_by("line_number").values_list("pk", flat=True)) for o in orders}
    picks = itertools.cycle([(o.number, lines[o.pk][i % 3]) for i, o in enumerate(orders)])
    purchases = f"/portal/returns/customer/{customer.pk}/"

    def call():
        number, line_id = next(picks)
        found = client.get(purchases)
        if found.status_code != 200:
            return found
        return client.post(
            f"/portal/returns/order/{number}/preview/",
            {f"qty_{line_id}": "1", f"reason_{line_id}": "wrong_size", f"condition_{line_id}": "new"},
            HTTP_HX_REQUEST="true",
        )

    yield call
    _cleanup()


@scenario(name="returns.complete", calls=150, target_p95_ms=150, max_queries=120, expect_status=302)
def complete(ctx: ScenarioContext):
    """Desk: one line of a web order received, restocked and refunded to the card, in one POST."""
    _cleanup()
    store = _store()
    _, orders = _build(ctx, store)
    client = ctx.client_for(_associate(store))
    units = [
        (o.number, line_id)
        for o in orders
        for line_id in OrderLine.objects.filter(order=o).order_by("line_number").values_list("pk", flat=True)
    ]
    ctx.rng.shuffle(units)
    todo = iter(units)

    def call():
        number, line_id = next(todo)
        return client.post(
            f"/portal/returns/order/{number}/",
            {
                f"qty_{line_id}": "1",
                f"reason_{line_id}": "wrong_size",
                f"condition_{line_id}": "new",
                "refund_method": "original",
            },
        )

    yield call
    _cleanup()
