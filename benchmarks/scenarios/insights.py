"""Insights (issue 8): each section of the managers' page, and head office over every store.

Target from the issue: the insights page over 1,000,000 orders p95 <= 500 ms. A manager's page
covers their store over the default period (the last 28 days); head office's covers all stores.
Each section is its own page (tabs), so one request computes one section's figures. They run on
the orders the bench database holds (the orders builder); with no orders they measure an empty page.
"""

import uuid

from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.db.models import Count

from benchmarks.context import ScenarioContext
from benchmarks.registry import scenario
from insights.figures import SECTIONS
from orders.models import Order
from retail.models import Store, StoreMembership, User

MARK = "@bench-insights.test"
TARGET_MS = 500


def _busiest_store() -> Store:
    row = (
        Order.objects.values("store_id").annotate(n=Count("pk")).order_by("-n", "store_id").first()
        if Order.objects.exists()
        else None
    )
    store = Store.objects.filter(pk=row["store_id"]).first() if row else Store.objects.filter(kind="store").first()
    if store is None:
        raise LookupError("The insights scenarios need the retail dataset's stores.")
    return store


def _user(*, manager_of: Store | None) -> User:
    """A manager of the store (or a superuser) with TOTP, as the portal and admin require."""
    user = User.objects.create_user(email=f"{uuid.uuid4().hex[:10]}{MARK}", full_name="Bench Manager")
    if manager_of is None:
        user.is_superuser = user.is_staff = True
        user.save(update_fields=["is_superuser", "is_staff"])
    else:
        StoreMembership.objects.create(user=user, store=manager_of, role=StoreMembership.Role.MANAGER)
    TOTP.activate(user, generate_totp_secret())
    return user


def _cleanup() -> None:
    User.objects.filter(email__endswith=MARK).delete()  # memberships and authenticators cascade


def _section_scenario(section: str, label: str):
    def setup(ctx: ScenarioContext):
        client = ctx.client_for(_user(manager_of=_busiest_store()))

        def call():
            return client.get(f"/portal/insights/?section={section}")

        yield call
        _cleanup()

    setup.__doc__ = f"GET /portal/insights/?section={section}: {label}, a manager's store, last 28 days."
    return scenario(name=f"insights.{section}", calls=40, warmup=3, target_p95_ms=TARGET_MS, max_queries=16)(setup)


for _key, _label in SECTIONS:
    _section_scenario(_key, _label)


@scenario(name="insights.head_office", calls=30, warmup=3, target_p95_ms=TARGET_MS, max_queries=16)
def head_office(ctx: ScenarioContext):
    """GET /portal/insights/ as head office: sales of every store over the last 28 days."""
    client = ctx.client_for(_user(manager_of=None))

    def call():
        return client.get("/portal/insights/?section=sales")

    yield call
    _cleanup()


@scenario(name="insights.head_office_customers", calls=20, warmup=2, target_p95_ms=TARGET_MS, max_queries=16)
def head_office_customers(ctx: ScenarioContext):
    """GET /portal/insights/?section=customers as head office: multichannel spend, every store, 28 days."""
    client = ctx.client_for(_user(manager_of=None))

    def call():
        return client.get("/portal/insights/?section=customers")

    yield call
    _cleanup()


@scenario(name="insights.csv", calls=30, warmup=3, target_p95_ms=TARGET_MS, max_queries=16)
def csv_download(ctx: ScenarioContext):
    """GET the sales-by-store CSV as head office (every store, 28 days), streamed to the end."""
    client = ctx.client_for(_user(manager_of=None))

    def call():
        response = client.get("/portal/insights/csv/sales-by-store/")
        b"".join(response.streaming_content)
        return response

    yield call
    _cleanup()


@scenario(name="insights.head_office_inventory", calls=30, warmup=3, target_p95_ms=TARGET_MS, max_queries=16)
def head_office_inventory(ctx: ScenarioContext):
    """GET /portal/insights/?section=inventory as head office: stock now and sell-through, every location."""
    client = ctx.client_for(_user(manager_of=None))

    def call():
        return client.get("/portal/insights/?section=inventory")

    yield call
    _cleanup()
