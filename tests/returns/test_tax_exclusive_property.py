"""Tax added on top (issue 19.3), end to end, for any basket: in a market whose prices exclude tax the
lines' taxes sum to the order's tax, the order's total is its net plus that tax, and returning every
unit in any partition of returns gives back exactly the order's tax and its total, to the cent."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orders.returns.models import ReturnLine
from orders.returns.services import LineRequest, complete_return
from retail.markets import save_tax_rate
from retail.models import Market, TaxClass, TaxRate
from retail.models.tax import STANDARD
from tests.factories import MarketFactory
from tests.inventory.factories import enter_market_prices
from tests.returns.factories import make_policy

pytestmark = pytest.mark.django_db

SKUS = ("SHIRT-M", "JEANS-32", "COAT-M")


@pytest.fixture
def b2b(store, shirt, jeans, coat) -> Market:
    """The returns store sells in a market whose prices exclude tax, at the catalog's amounts in złoty."""
    market = MarketFactory(code="b2b", name="Trade", prices_include_tax=False)
    store.market = market
    store.save(update_fields=["market"])
    enter_market_prices(market, shirt, jeans, coat)
    return market


@pytest.fixture
def policy(b2b):
    """No manager in this test: refunds of any size go through at the desk (the trade market's policy)."""
    return make_policy("Standard", market=b2b, approval_over=Decimal("100000.00"))


@st.composite
def baskets(draw):
    """Units of one to three SKUs, and for each the partition of its units into returns (in order)."""
    skus = draw(st.lists(st.sampled_from(SKUS), min_size=1, max_size=3, unique=True))
    basket = []
    for sku in skus:
        quantity = draw(st.integers(min_value=1, max_value=4))
        parts, left = [], quantity
        while left:
            part = draw(st.integers(min_value=1, max_value=left))
            parts.append(part)
            left -= part
        basket.append((sku, quantity, parts))
    return basket


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    basket=baskets(),
    rate=st.sampled_from([Decimal("5"), Decimal("8.875"), Decimal("19.6"), Decimal("23")]),
    order_of_returns=st.randoms(use_true_random=False),
)
def test_every_unit_returned_in_any_partition_gives_back_the_orders_tax_and_total(
    b2b, policy, deliver, shirt, jeans, coat, store, associate, basket, rate, order_of_returns
):
    with transaction.atomic():
        # given a market rate and an order of the basket, tax added on top
        save_tax_rate(
            rate=TaxRate(market=b2b, tax_class=TaxClass.objects.get(code=STANDARD), rate=rate,
                         valid_from=date(2011, 1, 1)),
            actor=None,
        )  # fmt: skip
        order = deliver([(sku, quantity) for sku, quantity, _ in basket])
        lines = list(order.lines.all())

        # then the lines' taxes sum to the order's, which the total carries on top of the net
        assert not order.prices_include_tax
        assert sum(line.tax_amount for line in lines) == order.tax_added
        assert sum(line.net for line in lines) + order.tax_added == order.total == sum(line.total for line in lines)

        # when every unit comes back, in the partition drawn, the returns of the lines interleaved
        returns = [(sku, part) for sku, _, parts in basket for part in parts]
        order_of_returns.shuffle(returns)
        for sku, part in returns:
            complete_return(
                store=store,
                actor=associate,
                refund_method="original",
                order=order,
                lines=[LineRequest(sku=sku, quantity=part, reason="wrong_size")],
            )

        # then all of the tax and all of the total came back, and no more
        given_back = list(ReturnLine.objects.filter(request__order=order))
        assert sum(line.tax_amount for line in given_back) == order.tax_added
        assert sum(line.amount for line in given_back) == order.total
        (payment,) = order.payments.all()
        assert payment.refunded_amount == order.total
        transaction.set_rollback(True)  # the next example starts from the fixtures' stock and no order
