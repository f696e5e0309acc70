"""Inventory (issue 4): availability near a point and at a store, reserve-and-release, stock lookup.

Targets from the issue (at 200 locations and 100,000 variants): availability of one SKU near a
point p95 <= 20 ms; reserve-and-release of 3 lines p95 <= 30 ms. They run on the variants the
bench database holds; until an inventory dataset builder fills it, setup makes a fallback set
(200 variants stocked at every bench location, written through the ledger's shape) and removes
it afterwards, so the scenarios still measure the code paths.
"""

import itertools
from datetime import timedelta
from decimal import Decimal

from django.db.models import Count
from django.utils import timezone

from benchmarks.context import ScenarioContext
from benchmarks.registry import scenario
from inventory import services
from inventory.models import Category, Product, Reservation, StockLevel, StockMovement, Variant
from retail.models import Store, User

MARK = "BENCHINV"
HTMX = {"HTTP_HX_REQUEST": "true"}


def _make_fallback(count: int = 200) -> None:
    stores = list(Store.objects.active())
    if not stores:
        raise LookupError("The inventory scenarios need the retail dataset's stores.")
    category, _ = Category.objects.get_or_create(slug=f"{MARK.lower()}-category", defaults={"name": "Bench"})
    products = Product.objects.bulk_create(
        [
            Product(
                style_code=f"{MARK}-{i:04d}", name=f"Bench linen shirt {i}", category=category, base_price=Decimal("20")
            )
            for i in range(count // 4)
        ]
    )
    variants = Variant.objects.bulk_create(
        [
            Variant(product=products[i // 4], sku=f"{MARK}-{i:05d}", barcode=f"{990000000000 + i}", size="M")
            for i in range(count)
        ]
    )
    now = timezone.now()
    levels, movements = [], []
    for v in variants:
        for s in stores:
            levels.append(StockLevel(variant=v, location=s, on_hand=1000))
            movements.append(
                StockMovement(variant=v, location=s, kind="receipt", quantity=1000, balance_after=1000, created_at=now)
            )
    StockLevel.objects.bulk_create(levels, batch_size=5000)
    StockMovement.objects.bulk_create(movements, batch_size=5000)


def _drop_fallback() -> None:
    Reservation.objects.filter(variant__sku__startswith=MARK).delete()
    StockMovement.objects.filter(variant__sku__startswith=MARK).delete()  # queryset delete: bench data only
    StockLevel.objects.filter(variant__sku__startswith=MARK).delete()
    Variant.objects.filter(sku__startswith=MARK).delete()
    Product.objects.filter(style_code__startswith=MARK).delete()
    Category.objects.filter(slug__startswith=MARK.lower()).delete()


def _with_stock(ctx: ScenarioContext, sample: int = 200):
    """Up to `sample` SKUs stocked somewhere (the dataset's, or a fallback made here)."""
    made = not StockLevel.objects.filter(on_hand__gt=10).exists()
    if made:
        _make_fallback()
    skus = list(
        Variant.objects.filter(is_active=True, stock_levels__on_hand__gt=10)
        .annotate(locations=Count("stock_levels"))
        .filter(locations__gte=3)
        .order_by("pk")
        .values_list("sku", flat=True)[: sample * 5]
    )
    ctx.rng.shuffle(skus)
    return made, skus[:sample]


def _points(ctx: ScenarioContext):
    stores = list(Store.objects.active().values_list("latitude", "longitude"))
    return itertools.cycle([(float(lat) + ctx.rng.uniform(-0.2, 0.2), float(lng)) for lat, lng in stores[:50]])


@scenario(name="inventory.availability.near", calls=300, target_p95_ms=20, max_queries=2, expect_status=200)
def availability_near(ctx: ScenarioContext):
    """GET /api/v1/availability/?sku=...&near=lat,lng: one SKU in the 5 nearest locations with stock."""
    made, skus = _with_stock(ctx)
    sku_cycle, points = itertools.cycle(skus), _points(ctx)
    client = ctx.client

    def call():
        lat, lng = next(points)
        return client.get("/api/v1/availability/", {"sku": next(sku_cycle), "near": f"{lat:.4f},{lng:.4f}"})

    yield call
    if made:
        _drop_fallback()


@scenario(name="inventory.availability.store", calls=300, target_p95_ms=20, max_queries=3, expect_status=200)
def availability_store(ctx: ScenarioContext):
    """GET /api/v1/availability/?sku=A,B,C&store=CODE: three SKUs at one store."""
    made, skus = _with_stock(ctx)
    codes = itertools.cycle(Store.objects.active().values_list("code", flat=True)[:50])
    client = ctx.client

    def call():
        return client.get("/api/v1/availability/", {"sku": ",".join(ctx.rng.sample(skus, 3)), "store": next(codes)})

    yield call
    if made:
        _drop_fallback()


@scenario(name="inventory.reserve_release.3_lines", calls=200, target_p95_ms=30)
def reserve_release(ctx: ScenarioContext):
    """reserve_stock of 3 lines at one location, then release_reservations (two transactions)."""
    made, skus = _with_stock(ctx)
    by_location: dict[int, list[str]] = {}
    for sku, location_id in StockLevel.objects.filter(variant__sku__in=skus, on_hand__gt=10).values_list(
        "variant__sku", "location_id"
    ):
        by_location.setdefault(location_id, []).append(sku)
    choices = [(loc, s) for loc, s in by_location.items() if len(s) >= 3]
    if not choices:
        raise LookupError("No location holds 3 of the sampled SKUs.")
    stores = {s.pk: s for s in Store.objects.filter(pk__in=[c[0] for c in choices])}
    counter = itertools.count()

    def call():
        location_id, location_skus = choices[next(counter) % len(choices)]
        reference = f"bench:{ctx.name}:{next(counter)}"
        lines = [(sku, 1) for sku in ctx.rng.sample(location_skus, 3)]
        services.reserve_stock(lines=lines, location=stores[location_id], reference=reference, ttl=timedelta(minutes=5))
        services.release_reservations(reference=reference)

    yield call
    Reservation.objects.filter(reference__startswith=f"bench:{ctx.name}:").delete()
    if made:
        _drop_fallback()


@scenario(name="inventory.portal.lookup", calls=200, target_p95_ms=60, max_queries=9, expect_status=200)
def portal_lookup(ctx: ScenarioContext):
    """GET /portal/stock/?q=<barcode or SKU> (htmx): this store, then the nearest stores with stock."""
    made, skus = _with_stock(ctx)
    associate = User.objects.filter(email__startswith="bench.associate.").order_by("email").first()
    if associate is None:
        raise LookupError("The inventory lookup scenario needs the retail dataset's bench associates.")
    client = ctx.client_for(associate)
    sku_cycle = itertools.cycle(skus)

    def call():
        return client.get("/portal/stock/", {"q": next(sku_cycle)}, **HTMX)

    yield call
    if made:
        _drop_fallback()
