"""A small chain with numbers worked out by hand (see `chain` below), written straight to the tables.

Rows are created directly (not through the services) because the figures depend on exact
timestamps in the past, which the services stamp with `timezone.now()`.
"""

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from customers.models import Customer
from insights.filters import Period
from inventory.models import StockLevel, StockMovement, Transfer
from orders.models import Fulfillment, Order, OrderLine
from orders.returns.models import ReturnLine, ReturnRequest
from retail.models import StoreMembership
from tests.customers.factories import CustomerFactory
from tests.factories import MarketFactory, MembershipFactory, StoreFactory, UserFactory, WarehouseFactory
from tests.helpers import enrol_totp
from tests.inventory.factories import VariantFactory

LONDON = ZoneInfo("Europe/London")
OCTOBER = (date(2026, 10, 1), date(2026, 10, 31))


def at(month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=LONDON)


def october(store_ids=None) -> Period:
    return Period(start=OCTOBER[0], end=OCTOBER[1], store_ids=store_ids)


def make_order(
    *,
    store,
    channel: str,
    placed_at: datetime,
    total: str,
    customer: Customer | None = None,
    status: str = Order.Status.COMPLETED,
    kind: str = Fulfillment.Kind.CARRY_OUT,
    quantity: int = 1,
    cancelled_quantity: int = 0,
    variant=None,
    fulfillment_status: str | None = None,
    ready_at: datetime | None = None,
    location=None,
    currency: str = "EUR",
) -> Order:
    amount = Decimal(total)
    order = Order.objects.create(
        number=f"OM-T{secrets.token_hex(6).upper()}",
        customer=customer,
        channel=channel,
        store=store,
        status=status,
        currency=currency,
        subtotal=amount,
        total=amount,
        placed_at=placed_at,
        updated_at=placed_at,
    )
    if fulfillment_status is None:
        fulfillment_status = Fulfillment.Status.COLLECTED if status == Order.Status.COMPLETED else "cancelled"
    fulfillment = Fulfillment.objects.create(
        order=order,
        kind=kind,
        location=location or store,
        status=fulfillment_status,
        created_at=placed_at,
        ready_at=ready_at,
        hold_until=ready_at,
    )
    variant = variant or VariantFactory()
    OrderLine.objects.create(
        order=order,
        fulfillment=fulfillment,
        line_number=1,
        variant=variant,
        sku=variant.sku,
        name="Linen shirt",
        quantity=quantity,
        unit_price=amount / quantity,
        total=amount,
        cancelled_quantity=cancelled_quantity,
    )
    return order


def make_return(
    *,
    store,
    received_at: datetime,
    lines: list[tuple[str, int, str]],
    order: Order | None = None,
    channel: str = "store",
    method: str = ReturnRequest.Method.IN_STORE,
    status: str = ReturnRequest.Status.REFUNDED,
    refund_method: str = "",
    refund_total: str = "0.00",
) -> ReturnRequest:
    token = secrets.token_hex(16)
    refund = Decimal(refund_total)
    request = ReturnRequest.objects.create(
        rma_number=f"RMA-{token[:12].upper()}",
        qr_token=token,
        order=order,
        customer=order.customer if order else None,
        receiptless=order is None,
        currency=order.currency if order else store.market.currency,
        status=status,
        method=method,
        channel=channel,
        store=store,
        goods_total=refund,
        refund_total=refund,
        refund_method=refund_method,
        created_at=received_at,
        received_at=received_at,
        updated_at=received_at,
    )
    for reason, quantity, amount in lines:
        line = order.lines.first() if order else None
        variant = line.variant if line else VariantFactory()
        ReturnLine.objects.create(
            request=request,
            order_line=line,
            variant=variant,
            sku=variant.sku,
            name="Linen shirt",
            quantity=quantity,
            reason=reason,
            amount=Decimal(amount),
            explanation="test",
        )
    return request


def movement(variant, location, kind: str, quantity: int, when: datetime):
    StockMovement.objects.create(
        variant=variant, location=location, kind=kind, quantity=quantity, balance_after=100, created_at=when
    )


@dataclass
class Chain:
    lon: object
    man: object
    warehouse: object
    a: Customer
    b: Customer
    c: Customer
    orders: dict


@pytest.fixture
def chain(db) -> Chain:
    """October 2026 at Covent Garden (LON-01) and Manchester (MAN-01).

    Orders (gross 380.00 in 7 orders, all stores):
      1 A app   LON 5 Oct  100.00 pick-up, ready after 2 h, collected
      2 A store LON 12 Oct  50.00 till sale
      3 B web   LON 6 Oct   80.00 pick-up of 2 units, 1 short-picked (40.00 not charged), ready after 4 h
      4 B web   MAN 20 Oct  40.00 pick-up, ready after 6 h, expired
      5 B store MAN 21 Oct  60.00 till sale
      6 C store LON 7 Oct   30.00 till sale
      7 C app   LON 8 Oct  999.00 CANCELLED (a cancelled pick-up)
      8 guest kiosk LON 9 Oct 20.00
      plus A web LON 15 Sep 70.00 and A app LON 2 Nov 500.00 (outside the period).
    Returns received in October: R1 order 3 wrong size 1 unit, refunded 30.00 to the card at LON;
    R2 order 5 (bought MAN) faulty, 60.00 store credit at LON; R3 order 1 by mail (app), wrong
    size, received LON not yet refunded; R4 receipt-less, changed mind 2 units, 15.00 credit at
    MAN; R5 rejected (ignored).
    """
    lon = StoreFactory(code="LON-01", name="Covent Garden")
    man = StoreFactory(code="MAN-01", name="Manchester", city="Manchester")
    warehouse = WarehouseFactory(code="WH-01", name="Warehouse")
    a, b, c = (CustomerFactory(first_name=name) for name in ("Ada", "Ben", "Cleo"))
    P, C = Fulfillment.Kind.PICKUP, Fulfillment.Status
    orders = {
        1: make_order(
            store=lon,
            channel="app",
            placed_at=at(10, 5, 10),
            total="100.00",
            customer=a,
            kind=P,
            ready_at=at(10, 5, 12),
        ),
        2: make_order(store=lon, channel="store", placed_at=at(10, 12), total="50.00", customer=a),
        3: make_order(
            store=lon,
            channel="web",
            placed_at=at(10, 6, 9),
            total="80.00",
            customer=b,
            kind=P,
            quantity=2,
            cancelled_quantity=1,
            ready_at=at(10, 6, 13),
        ),
        4: make_order(
            store=man,
            channel="web",
            placed_at=at(10, 20, 15),
            total="40.00",
            customer=b,
            kind=P,
            fulfillment_status=C.EXPIRED,
            ready_at=at(10, 20, 21),
        ),
        5: make_order(store=man, channel="store", placed_at=at(10, 21, 15), total="60.00", customer=b),
        6: make_order(store=lon, channel="store", placed_at=at(10, 7, 11), total="30.00", customer=c),
        7: make_order(
            store=lon,
            channel="app",
            placed_at=at(10, 8, 11),
            total="999.00",
            customer=c,
            kind=P,
            status=Order.Status.CANCELLED,
        ),
        8: make_order(store=lon, channel="kiosk", placed_at=at(10, 9), total="20.00"),
        "september": make_order(store=lon, channel="web", placed_at=at(9, 15), total="70.00", customer=a),
        "november": make_order(store=lon, channel="app", placed_at=at(11, 2), total="500.00", customer=a),
    }
    make_return(
        store=lon,
        received_at=at(10, 10),
        order=orders[3],
        lines=[("wrong_size", 1, "30.00")],
        refund_method="original",
        refund_total="30.00",
    )
    make_return(
        store=lon,
        received_at=at(10, 25),
        order=orders[5],
        lines=[("defective", 1, "60.00")],
        refund_method="store_credit",
        refund_total="60.00",
    )
    make_return(
        store=lon,
        received_at=at(10, 15),
        order=orders[1],
        lines=[("wrong_size", 1, "100.00")],
        channel="app",
        method=ReturnRequest.Method.MAIL,
        status=ReturnRequest.Status.RECEIVED,
    )
    make_return(
        store=man,
        received_at=at(10, 22),
        lines=[("changed_mind", 2, "15.00")],
        refund_method="store_credit",
        refund_total="15.00",
    )
    make_return(
        store=lon,
        received_at=at(10, 11),
        order=orders[6],
        lines=[("other", 1, "30.00")],
        status=ReturnRequest.Status.REJECTED,
    )
    # Stock: LON has 2 active SKUs (one out), MAN 2 (one out); an inactive SKU is ignored.
    v1, v2 = VariantFactory(), VariantFactory()
    v3 = VariantFactory(is_active=False)
    StockLevel.objects.create(variant=v1, location=lon, on_hand=5)
    StockLevel.objects.create(variant=v2, location=lon, on_hand=2, reserved=2)
    StockLevel.objects.create(variant=v3, location=lon, on_hand=0)
    StockLevel.objects.create(variant=v1, location=man, on_hand=0)
    StockLevel.objects.create(variant=v2, location=man, on_hand=10)
    movement(v1, lon, "sale", -3, at(10, 5))
    movement(v2, lon, "pickup", -1, at(10, 6))
    movement(v1, lon, "receipt", 10, at(10, 2))
    movement(v1, lon, "sale", -4, at(9, 20))
    movement(v2, man, "sale", -5, at(10, 20))
    # Transfers into LON: 48 h (24 h to ship) and 24 h (12 h to ship); one in September ignored.
    for source, requested, shipped, received in (
        (man, at(10, 1, 8), at(10, 2, 8), at(10, 3, 8)),
        (warehouse, at(10, 10, 0), at(10, 10, 12), at(10, 11, 0)),
        (warehouse, at(9, 1), at(9, 2), at(9, 3)),
    ):
        Transfer.objects.create(
            from_location=source,
            to_location=lon,
            status=Transfer.Status.RECEIVED,
            requested_at=requested,
            shipped_at=shipped,
            received_at=received,
        )
    return Chain(lon=lon, man=man, warehouse=warehouse, a=a, b=b, c=c, orders=orders)


def staff(store, role: str, *, mfa: bool = True):
    user = MembershipFactory(store=store, role=role).user
    if mfa:
        enrol_totp(user)
    return user


@pytest.fixture
def manager_client(client, chain):
    client.force_login(staff(chain.lon, StoreMembership.Role.MANAGER))
    return client


@pytest.fixture
def superuser_client(client, chain):
    user = UserFactory(email="boss@example.com", is_superuser=True, is_staff=True)
    enrol_totp(user)
    client.force_login(user)
    return client


@pytest.fixture
def warsaw(chain):
    """A Warsaw store in a Polish market selling in złoty beside the chain's euro stores: a web order of
    400.00 PLN (100.00 of it returned, refunded to the card) and a till sale of 200.00 PLN, in October."""
    poland = MarketFactory()
    store = StoreFactory(code="WAW-01", name="Warszawa", city="Warszawa", market=poland, time_zone="Europe/Warsaw")
    web = make_order(store=store, channel="web", placed_at=at(10, 14), total="400.00", currency="PLN")
    make_order(store=store, channel="store", placed_at=at(10, 15), total="200.00", currency="PLN")
    make_return(store=store, received_at=at(10, 20), order=web, lines=[("wrong_size", 1, "100.00")],
                refund_method="original", refund_total="100.00")  # fmt: skip
    return store
