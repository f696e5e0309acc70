"""Two stores with live work in each: what store B's staff are doing must be out of store A's reach."""

from dataclasses import dataclass

import pytest

from customers.services.profiles import create_customer, set_consent
from inventory import services as inventory
from inventory.models import StockCount, Transfer
from inventory.operations import request_transfer, ship_transfer, start_stock_count
from orders.models import Fulfillment, Order
from orders.notifications import RecordingAdapter
from orders.returns.models import ReturnLine, ReturnRequest
from orders.returns.services.desk import complete_return
from orders.returns.services.receiving import receive_return
from orders.returns.services.requests import LineRequest, start_return
from orders.services import GroupRequest, TenderRequest, hand_over_pickup, mark_ready, place_order, scan_pick
from retail.models import Store, StoreMembership
from tests.factories import MembershipFactory, StoreFactory
from tests.helpers import pickup_proof
from tests.inventory.factories import VariantFactory


@pytest.fixture(autouse=True)
def _recording_adapters(settings):
    settings.ORDERS_EMAIL_ADAPTER = settings.ORDERS_SMS_ADAPTER = settings.ORDERS_PUSH_ADAPTER = (
        "orders.notifications.RecordingAdapter"
    )
    RecordingAdapter.reset()
    yield
    RecordingAdapter.reset()


@dataclass
class StoreBWork:
    store: Store
    associate: object
    pickup: Fulfillment  # ready at B, waiting for the shopper
    order: Order  # the pick-up's order, placed for collection at B
    transfer_out: Transfer  # requested by a third store from B, not yet shipped
    transfer_in: Transfer  # shipped from a third store to B, not yet received
    count: StockCount  # open at B
    rma: ReturnRequest  # refunded at B, its line held for inspection
    open_rma: ReturnRequest  # received at B, not yet refunded
    inspection_line: ReturnLine


def _pick_and_ready(order, store, associate) -> Fulfillment:
    fulfillment = order.fulfillments.get()
    for line in fulfillment.lines.all():
        for _ in range(line.quantity):
            scan_pick(fulfillment=fulfillment, code=line.sku, actor=associate, store=store)
    mark_ready(fulfillment=Fulfillment.objects.get(pk=fulfillment.pk), actor=associate, store=store)
    return Fulfillment.objects.get(pk=fulfillment.pk)


@pytest.fixture
def store_b_work(store, other_store) -> StoreBWork:
    """Store A is `store` (LON-01); store B is `other_store` (MAN-01); a third store supplies B."""
    b = other_store
    third = StoreFactory(code="LDS-01", name="Leeds", city="Leeds", latitude="53.7997", longitude="-1.5492")
    b_associate = MembershipFactory(store=b, role=StoreMembership.Role.ASSOCIATE).user
    third_associate = MembershipFactory(store=third, role=StoreMembership.Role.ASSOCIATE).user
    shirt = VariantFactory(sku="SHIRT-M", barcode="5000000000017", product__base_price="30.00")
    inventory.receive_stock(location=b, lines=[(shirt, 20)], reference="PO-B")
    inventory.receive_stock(location=third, lines=[(shirt, 20)], reference="PO-3")
    shopper = create_customer(first_name="Bea", last_name="Shopper", email="bea@example.com")
    set_consent(customer=shopper, channel="email", granted=True, source="test")

    def pickup_order(quantity=1):
        return place_order(
            channel="web",
            groups=[GroupRequest(kind="pickup", lines=[("SHIRT-M", quantity)], store=b)],
            customer=shopper,
            tenders=[TenderRequest(method="card", token="tok_visa_4242")],
        )

    waiting = pickup_order()
    pickup = _pick_and_ready(waiting, b, b_associate)
    collected = pickup_order(quantity=2)
    done = _pick_and_ready(collected, b, b_associate)
    hand_over_pickup(
        fulfillment=done,
        actor=b_associate,
        store=b,
        verification="code",
        collected_by_name=collected.contact_name,
        proof=pickup_proof(done, "code"),
    )
    rma = complete_return(
        store=b,
        actor=b_associate,
        refund_method="original",
        order=Order.objects.get(pk=collected.pk),
        lines=[
            LineRequest(quantity=1, reason="defective", condition="damaged", line_number=1, disposition="inspection")
        ],
    )
    open_rma = start_return(
        order=Order.objects.get(pk=collected.pk),
        lines=[LineRequest(quantity=1, reason="wrong_size", line_number=1)],
        channel="store",
        store=b,
        actor=b_associate,
    )
    open_rma = receive_return(return_request=open_rma, store=b, actor=b_associate)
    transfer_out = request_transfer(from_location=b, to_location=third, lines=[(shirt, 2)], actor=third_associate)
    transfer_in = request_transfer(from_location=third, to_location=b, lines=[(shirt, 3)], actor=b_associate)
    transfer_in = ship_transfer(transfer=transfer_in, actor=third_associate)
    count = start_stock_count(location=b, actor=b_associate)
    return StoreBWork(
        store=b,
        associate=b_associate,
        pickup=pickup,
        order=waiting,
        transfer_out=transfer_out,
        transfer_in=transfer_in,
        count=count,
        rma=rma,
        open_rma=open_rma,
        inspection_line=rma.lines.get(),
    )
