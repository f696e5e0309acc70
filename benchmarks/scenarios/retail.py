"""Foundation scenarios: the floor, the store list, stores near a point, readiness."""

from itertools import cycle

from benchmarks.context import ScenarioContext
from benchmarks.registry import FLOOR, scenario
from retail.models import Store


@scenario(name=FLOOR, calls=400, warmup=20, target_p95_ms=10, max_queries=1, expect_status=200)
def store_detail(ctx: ScenarioContext):
    """GET /api/v1/stores/<code>/: one indexed single-row read through the whole stack."""
    codes = list(Store.objects.active().order_by("code").values_list("code", flat=True)[:50])
    if not codes:
        raise LookupError("The floor needs stores: the retail dataset was not built.")
    next_code = cycle(codes).__next__
    client = ctx.client

    def call():
        return client.get(f"/api/v1/stores/{next_code()}/")

    return call


@scenario(name="stores.list", calls=200, target_p95_ms=60, max_queries=1, expect_status=200)
def store_list(ctx: ScenarioContext):
    """GET /api/v1/stores/: the first page of active locations (50, by code; unpaginated until 2026-12-04)."""
    client = ctx.client

    def call():
        return client.get("/api/v1/stores/")

    return call


@scenario(name="stores.near", calls=300, target_p95_ms=60, max_queries=1, expect_status=200)
def stores_near(ctx: ScenarioContext):
    """GET /api/v1/stores/?near=lat,lng&pickup=true: the 10 pick-up stores nearest a shopper in Europe."""
    points = cycle([f"{ctx.rng.uniform(40.0, 57.0):.4f},{ctx.rng.uniform(-6.0, 16.0):.4f}" for _ in range(100)])
    client = ctx.client

    def call():
        return client.get("/api/v1/stores/", {"near": next(points), "pickup": "true"})

    return call


@scenario(name="readyz", calls=200, target_p95_ms=15, max_queries=1, expect_status=200)
def readyz(ctx: ScenarioContext):
    """GET /readyz: the load balancer's probe (database and Redis round trips)."""
    client = ctx.client

    def call():
        return client.get("/readyz")

    return call
