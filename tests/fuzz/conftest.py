"""Fixtures for fuzzing the API in-process: who is calling, and real rows for lookups to hit.

The seed is written defensively: it asks the app registry which models exist and seeds them
through the apps' own services, so the fuzz run keeps working (and reaches further) as the
inventory, customers and orders apps grow.
"""

from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from customers.services import linking
from retail.models import Store
from retail.services import issue_pos_device
from tests.factories import TEST_PASSWORD, StoreFactory, UserFactory, WarehouseFactory

LOGIN_URL = "/_allauth/app/v1/auth/login"
CUSTOMER_EMAIL = "fuzz.shopper@example.com"
PRINCIPALS = ("anonymous", "customer", "device")


@dataclass
class Seed:
    """Real values by parameter name; the fuzz test swaps them in for some generated ones."""

    values: dict[str, list] = field(default_factory=dict)
    device_token: str = ""

    def add(self, names: tuple[str, ...], value) -> None:
        for name in names:
            self.values.setdefault(name, []).append(value)


@dataclass(frozen=True)
class Principal:
    name: str
    headers: dict[str, str]


def has_model(label: str) -> bool:
    try:
        apps.get_model(label)
    except LookupError:
        return False
    return True


@pytest.fixture(autouse=True)
def _no_throttling(settings, monkeypatch):
    """Hundreds of requests a minute from one client are the point here, not an abuse."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "100000/min", "user": "100000/min", "device": "100000/min"},
    }
    settings.GIFT_CARD_LOOKUP_LIMIT = 100_000  # the balance check's guessing limit (tested in tests/customers)
    monkeypatch.setattr(linking, "PHONE_CODES_PER_HOUR", 100_000)  # codes texted an hour (tests/security)


@contextmanager
def keep_test_connection():
    """Send a request straight into the WSGI handler without closing the test's DB connection.

    The handler fires request_started/finished, whose close_old_connections would close the
    connection the test's transaction lives on; Django's test client unhooks it the same way.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def seed(db) -> Seed:
    """Stores, a till, a signed-up shopper and, where the apps exist, catalog, stock, a cart, an order."""
    seed = Seed()
    stores = [
        StoreFactory(code="LON-01", name="Covent Garden"),
        StoreFactory(code="MAN-01", city="Manchester", latitude=Decimal("53.4839"), longitude=Decimal("-2.2386")),
        WarehouseFactory(code="WH-01", name="Midlands DC", city="Leicester"),
    ]
    StoreFactory(code="OLD-01", name="Closed shop", is_active=False)
    for store in stores:
        seed.add(("code", "store", "store_code", "pickup_store", "location", "home_store"), store.code)
        seed.add(("store_id",), store.pk)
    seed.add(("near",), "51.5072,-0.1276")
    seed.add(("quantity",), 1)
    _, seed.device_token = issue_pos_device(store=stores[0], name="Till 1")

    user = UserFactory(email=CUSTOMER_EMAIL, full_name="Fuzz Shopper", email_verified=True)
    customer = _seed_customer(seed, user=user)
    variants = _seed_catalog(seed, store=stores[0])
    _seed_orders(seed, customer=customer, variants=variants, store=stores[0])
    return seed


def _seed_customer(seed: Seed, *, user):
    if not has_model("customers.Customer"):
        return None
    from customers.services import link_user_to_customer

    customer = link_user_to_customer(user=user)
    seed.add(("customer", "customer_id"), customer.pk)
    seed.add(("email",), CUSTOMER_EMAIL)
    return customer


def _seed_catalog(seed: Seed, *, store: Store) -> list:
    if not has_model("inventory.Variant"):
        return []
    from inventory import services as inventory_services
    from tests.inventory.factories import ProductFactory, VariantFactory

    variants = []
    for index, (name, sizes) in enumerate([("Linen shirt", ("S", "M", "L")), ("Chino", ("30", "32"))]):
        product = ProductFactory(name=name, style_code=f"FZ-{index:03d}")
        seed.add(("pk", "id", "product", "product_id"), product.pk)
        seed.add(("category",), product.category.slug)
        seed.add(("q",), name.split()[0])
        for size in sizes:
            variant = VariantFactory(product=product, size=size, sku=f"FZ-{index}-{size}")
            seed.add(("sku", "skus", "subject"), variant.sku)
            seed.add(("variant", "variant_id"), variant.pk)
            seed.add(("barcode",), variant.barcode)
            variants.append(variant)
    inventory_services.receive_stock(location=store, lines=[(v, 20) for v in variants], reference="FUZZ-PO")
    return variants


def _seed_orders(seed: Seed, *, customer, variants: list, store: Store) -> None:
    if customer is None or not variants or not has_model("orders.Order"):
        return
    from orders import services as order_services

    cart = order_services.create_anonymous_cart(channel="app")
    seed.add(("token",), cart.token)
    order = order_services.place_order(
        channel="app",
        groups=[order_services.GroupRequest(kind="pickup", lines=[(variants[0].sku, 1)], store=store)],
        customer=customer,
        tenders=[order_services.TenderRequest(method="card", token="tok_visa_4242")],
    )
    seed.add(("number", "order", "order_number"), order.number)


@pytest.fixture
def principal(request, seed, client) -> Principal:
    """Who calls: nobody, a shopper signed in through allauth headless (app client), or a store's till."""
    name = request.param
    if name == "anonymous":
        return Principal(name, {})
    if name == "device":
        return Principal(name, {"Authorization": f"Device {seed.device_token}"})
    response = client.post(
        LOGIN_URL, {"email": CUSTOMER_EMAIL, "password": TEST_PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    return Principal(name, {"X-Session-Token": response.json()["meta"]["session_token"]})
