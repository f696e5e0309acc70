import pytest

from customers.services.linking import link_user_to_customer
from customers.services.profiles import set_consent
from inventory import services as inventory
from orders.notifications import RecordingAdapter
from orders.services import GroupRequest, TenderRequest, place_order
from retail.domain.channel import Channel
from retail.models import Market, Store
from tests.factories import MarketFactory, StoreFactory, UserFactory
from tests.inventory.factories import VariantFactory, enter_market_prices
from tests.retail.test_outbox_worker import broker, producer, queue, start_worker  # noqa: F401 — the shared worker harness


@pytest.fixture(autouse=True)
def _recording_adapters(settings):
    """Every channel goes to the recording adapter; eager Celery delivers outbox messages at commit."""
    settings.ORDERS_EMAIL_ADAPTER = settings.ORDERS_SMS_ADAPTER = settings.ORDERS_PUSH_ADAPTER = (
        "orders.notifications.RecordingAdapter"
    )
    RecordingAdapter.reset()
    yield
    RecordingAdapter.reset()


@pytest.fixture
def shopper_user(db):
    return UserFactory(email="jane@example.com", full_name="Jane Shopper")


@pytest.fixture
def shopper(shopper_user):
    customer = link_user_to_customer(user=shopper_user)
    set_consent(customer=customer, channel="email", granted=True, source="test")
    return customer


@pytest.fixture
def poland(db) -> Market:
    """Poland beside the test store's home market: złoty, Polish, prices with VAT, sold on the web and in the app."""
    return MarketFactory(online_channels=[Channel.WEB.value, Channel.APP.value])


@pytest.fixture
def warsaw(poland) -> Store:
    """Poland's store, in Warsaw (on the map too: routing measures from it), shipping online orders."""
    return StoreFactory(code="WAW-01", name="Warszawa Centrum", market=poland, country="PL", city="Warszawa",
                        latitude="52.2297", longitude="21.0122", ships_orders=True)  # fmt: skip


@pytest.fixture
def shirt_in_poland(store, warsaw, poland):
    """A shirt stocked at home and in Warsaw, 30 € at home and 129 zł on Poland's price list."""
    variant = VariantFactory(sku="SHIRT-M", product__base_price="30.00")
    for where in (store, warsaw):
        inventory.receive_stock(location=where, lines=[(variant, 10)], reference=f"PO-{where.code}")
    enter_market_prices(poland, variant, price="129.00")
    return variant


@pytest.fixture
def shirt(store):
    variant = VariantFactory(sku="SHIRT-M", barcode="5000000000017", product__base_price="30.00")
    inventory.receive_stock(location=store, lines=[(variant, 10)], reference="PO-1")
    return variant


@pytest.fixture
def jeans(store):
    variant = VariantFactory(sku="JEANS-32", barcode="5000000000024", product__base_price="59.99")
    inventory.receive_stock(location=store, lines=[(variant, 10)], reference="PO-2")
    return variant


@pytest.fixture
def place_pickup(store, shopper):
    """Place a pick-up order at `store` for the shopper, paid by test card."""

    def place(lines, *, customer=None, proxy_name="", kind="pickup", tenders=None, **kwargs):
        return place_order(
            channel=kwargs.pop("channel", "web"),
            groups=[GroupRequest(kind=kind, lines=lines, store=kwargs.pop("at", store), proxy_name=proxy_name)],
            customer=customer or shopper,
            tenders=tenders if tenders is not None else [TenderRequest(method="card", token="tok_visa_4242")],
            **kwargs,
        )

    return place
