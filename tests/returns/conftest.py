"""Fixtures for returns: delivered orders on every channel, stores that do and do not take returns."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from customers.services.linking import link_user_to_customer
from customers.services.profiles import set_consent
from inventory import services as inventory
from orders.models import Fulfillment, Order
from orders.notifications import RecordingAdapter
from orders.services import (
    GroupRequest,
    TenderRequest,
    hand_over_pickup,
    mark_ready,
    place_order,
    scan_pick,
    ship_fulfillment,
)
from retail.models import StoreMembership
from tests.factories import MembershipFactory, StoreFactory, UserFactory, WarehouseFactory
from tests.helpers import pickup_proof
from tests.inventory.factories import CategoryFactory, VariantFactory
from tests.returns.factories import make_policy


@pytest.fixture(autouse=True)
def _recording_adapters(settings):
    settings.ORDERS_EMAIL_ADAPTER = settings.ORDERS_SMS_ADAPTER = settings.ORDERS_PUSH_ADAPTER = (
        "orders.notifications.RecordingAdapter"
    )
    RecordingAdapter.reset()
    yield
    RecordingAdapter.reset()


@pytest.fixture
def policy(db):
    return make_policy("Standard")


@pytest.fixture
def warehouse(db):
    return WarehouseFactory(code="WH-01", name="Daventry DC", accepts_returns=True)


@pytest.fixture
def outlet(db):
    """A store without a returns desk."""
    return StoreFactory(code="OUT-01", name="Outlet kiosk", accepts_returns=False)


@pytest.fixture
def manager(manager, store):
    """The store's manager approves at the counter: TOTP enrolled and an approval PIN (issue 13)."""
    from retail.approvals import set_approval_pin
    from tests.factories import TEST_PASSWORD
    from tests.helpers import MANAGER_PIN, enrol_totp

    manager.totp_secret = enrol_totp(manager)
    set_approval_pin(user=manager, store=store, pin=MANAGER_PIN, password=TEST_PASSWORD)
    return manager


@pytest.fixture
def other_manager(other_store):
    return MembershipFactory(store=other_store, role=StoreMembership.Role.MANAGER).user


@pytest.fixture
def other_associate(other_store):
    return MembershipFactory(store=other_store, role=StoreMembership.Role.ASSOCIATE).user


@pytest.fixture
def shopper_user(db):
    return UserFactory(email="jane@example.com", full_name="Jane Shopper")


@pytest.fixture
def shopper(shopper_user):
    customer = link_user_to_customer(user=shopper_user)
    set_consent(customer=customer, channel="email", granted=True, source="test")
    return customer


@pytest.fixture
def tops(db):
    return CategoryFactory(name="Tops", slug="tops")


@pytest.fixture
def shirt(store, tops):
    variant = VariantFactory(
        sku="SHIRT-M", barcode="5000000000017", product__base_price=Decimal("30.00"), product__category=tops
    )
    inventory.receive_stock(location=store, lines=[(variant, 20)], reference="PO-1")
    return variant


@pytest.fixture
def shirt_l(store, shirt):
    variant = VariantFactory(sku="SHIRT-L", barcode="5000000000018", product=shirt.product, size="L")
    inventory.receive_stock(location=store, lines=[(variant, 5)], reference="PO-1L")
    return variant


@pytest.fixture
def jeans(store):
    variant = VariantFactory(sku="JEANS-32", barcode="5000000000024", product__base_price=Decimal("59.99"))
    inventory.receive_stock(location=store, lines=[(variant, 20)], reference="PO-2")
    return variant


@pytest.fixture
def coat(store):
    variant = VariantFactory(sku="COAT-M", barcode="5000000000031", product__base_price=Decimal("320.00"))
    inventory.receive_stock(location=store, lines=[(variant, 5)], reference="PO-3")
    return variant


@pytest.fixture
def deliver(store, associate, shopper):
    """Place an order on a channel and hand it over (pick-up at `store`), optionally placed days ago."""

    def place(lines, *, channel="web", days_ago=0, customer=None, offer_code="", points=0, tenders=None):
        customer = customer or shopper
        order = place_order(
            channel=channel,
            groups=[GroupRequest(kind="pickup", lines=lines, store=store)],
            customer=customer,
            tenders=tenders if tenders is not None else [TenderRequest(method="card", token="tok_visa_4242")],
            offer_code=offer_code,
            points=points,
            actor=associate if channel in ("store", "phone") else None,
        )
        for fulfillment in order.fulfillments.all():
            for line in fulfillment.lines.all():
                for _ in range(line.quantity):
                    scan_pick(fulfillment=fulfillment, code=line.sku, actor=associate, store=store)
            fulfillment = Fulfillment.objects.get(pk=fulfillment.pk)
            mark_ready(fulfillment=fulfillment, actor=associate, store=store)
            hand_over_pickup(
                fulfillment=Fulfillment.objects.get(pk=fulfillment.pk),
                actor=associate,
                store=store,
                verification="code",
                collected_by_name=order.contact_name,
                proof=pickup_proof(Fulfillment.objects.get(pk=fulfillment.pk), "code"),
            )
        if days_ago:
            # Test set-up only: move the purchase back in time to exercise the return windows.
            Order.objects.filter(pk=order.pk).update(placed_at=timezone.now() - timedelta(days=days_ago))
        return Order.objects.get(pk=order.pk)

    return place


@pytest.fixture
def shipped(warehouse, associate, shopper):
    """A web order shipped from the warehouse."""

    def place(lines, *, customer=None):
        for sku, quantity in lines:
            inventory.receive_stock(location=warehouse, lines=[(sku, quantity)], reference=f"PO-WH-{sku}")
        order = place_order(
            channel="web",
            groups=[GroupRequest(kind="ship", lines=lines, shipping_address={"postcode": "NN11 8RT"})],
            customer=customer or shopper,
            tenders=[TenderRequest(method="card", token="tok_visa_4242")],
        )
        fulfillment = order.fulfillments.get()
        for line in fulfillment.lines.all():
            for _ in range(line.quantity):
                scan_pick(fulfillment=fulfillment, code=line.sku, actor=associate)
        ship_fulfillment(fulfillment=Fulfillment.objects.get(pk=fulfillment.pk), actor=associate)
        return Order.objects.get(pk=order.pk)

    return place
