"""Assisted orders on real connections: two associates racing for the last unit, a double submit, a sent
cart opened on several devices at once."""

import uuid

import pytest

from customers.services.linking import link_user_to_customer
from customers.services.profiles import create_customer
from inventory import services as inventory
from inventory.models import StockLevel
from orders.errors import OrderError
from orders.models import Cart, Order, PaymentRequest
from orders.services.assisted import AssistedBasket, place_assisted_order
from orders.services.saved_carts import open_sent_cart, save_cart_for_customer, saved_cart_token
from retail.models import StoreMembership
from tests.factories import MembershipFactory, StoreFactory, UserFactory
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


def test_a_sent_cart_opened_on_two_devices_at_once_is_added_once():
    # given a cart sent to Jane, who has the app and the web shop open
    here, _, _ = _setup(units=2)
    associate = MembershipFactory(store=here, role=StoreMembership.Role.ASSOCIATE).user
    login = UserFactory(email="jane@example.com")
    jane = link_user_to_customer(user=login)
    sent = save_cart_for_customer(customer=jane, store=here, actor=associate, lines=[("LAST-DRESS", 2)], send=True)
    token = saved_cart_token(sent)

    def open_on(index):
        cart, _, _ = open_sent_cart(token=token, user=login, channel=("app", "web")[index % 2])
        return cart.pk

    # when both open the link at the same moment (three taps each)
    results, errors = race(open_on, 6, expected=OrderError)
    # then one adds it, the others are told it was opened; one cart holds the two units once
    assert errors == []
    assert sorted(r for r in results if isinstance(r, str)) == ["cart_link_used"] * 5
    (cart,) = Cart.objects.filter(customer=jane)
    assert list(cart.lines.values_list("variant__sku", "quantity")) == [("LAST-DRESS", 2)]
