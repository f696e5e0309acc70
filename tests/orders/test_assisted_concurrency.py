"""Assisted orders on real connections: two associates racing for the last unit, a double submit."""

import uuid

import pytest

from customers.services.profiles import create_customer
from inventory import services as inventory
from inventory.models import StockLevel
from orders.errors import OrderError
from orders.models import Order, PaymentRequest
from orders.services.assisted import AssistedBasket, place_assisted_order
from retail.models import StoreMembership
from tests.factories import MembershipFactory, StoreFactory
from tests.helpers import race
from tests.inventory.factories import VariantFactory

pytestmark = [pytest.mark.django_db(transaction=True)]


def _setup(units=1):
    here = StoreFactory(code="LON-01", name="Covent Garden")
    there = StoreFactory(code="MAN-01", name="Manchester", latitude="53.4839", longitude="-2.2386")
    variant = VariantFactory(sku="LAST-DRESS", product__base_price="80.00")
    inventory.receive_stock(location=there, lines=[(variant, units)], reference="PO-1")
    return here, there, variant


def test_two_associates_selling_the_last_unit_elsewhere_promise_it_once():
    # given the last dress is in Manchester, and two associates with a shopper each
    here, there, variant = _setup(units=1)
    associates = [MembershipFactory(store=here, role=StoreMembership.Role.ASSOCIATE).user for _ in range(2)]
    shoppers = [create_customer(first_name="S", last_name=str(i), email=f"s{i}@example.com") for i in range(2)]

    def sell(index):
        order, _ = place_assisted_order(
            customer=shoppers[index], store=here, actor=associates[index],
            basket=AssistedBasket(lines=[("LAST-DRESS", 1)], deliver="pickup", pickup_store=there),
            payment="till", placement_key=uuid.uuid4().hex,
        )  # fmt: skip
        return order.number

    # when both place it at the same moment
    results, errors = race(sell, 2, expected=OrderError)
    # then one order, one clean insufficient_stock, the unit reserved once
    assert errors == []
    assert sorted(r == "insufficient_stock" for r in results) == [False, True]
    assert Order.objects.count() == 1 == PaymentRequest.objects.count()
    assert StockLevel.objects.get(variant=variant, location=there).reserved == 1


def test_a_double_submit_on_two_connections_places_one_order():
    # given one form, stock for two
    here, there, variant = _setup(units=2)
    associate = MembershipFactory(store=here, role=StoreMembership.Role.ASSOCIATE).user
    shopper = create_customer(first_name="Jane", last_name="Shopper", email="jane@example.com")
    key = uuid.uuid4().hex

    def submit(_):
        order, created = place_assisted_order(
            customer=shopper, store=here, actor=associate,
            basket=AssistedBasket(lines=[("LAST-DRESS", 1)], deliver="pickup", pickup_store=there),
            payment="till", placement_key=key,
        )  # fmt: skip
        return (order.number, created)

    # when the form is submitted twice at once
    results, errors = race(submit, 2, expected=OrderError)
    # then one order; the second submit waited and got the first back
    assert errors == []
    assert sorted(created for _, created in results) == [False, True]
    assert len({number for number, _ in results}) == 1
    assert StockLevel.objects.get(variant=variant, location=there).reserved == 1
