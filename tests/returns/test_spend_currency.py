"""A return or a cancellation takes its spend off the loyalty tier in the order's currency (found by QA
driving the demo): a złoty web order returned in Kraków left the shopper's spend as {"PLN": 735.92,
"EUR": -128.99}, since the return's timeline entry named no currency and was read as the home market's."""

from decimal import Decimal

import pytest

from customers.models import LoyaltyAccount
from orders.services import GroupRequest, TenderRequest, cancel_order, place_order
from tests.returns.test_tax import give_back, poland  # noqa: F401 — the złoty store fixture

pytestmark = pytest.mark.django_db


def spend(shopper) -> dict:
    return LoyaltyAccount.objects.get(customer=shopper).spend_detail["by_currency"]


def test_a_zloty_return_takes_zloty_off_the_spend(poland, policy, deliver, shirt, store, associate, shopper):  # noqa: F811
    # given two shirts bought in złoty (30.00 each)
    order = deliver([("SHIRT-M", 2)])
    assert order.currency == "PLN" and spend(shopper) == {"PLN": "60.00"}

    # when one comes back at the desk
    give_back(order, store, associate, "SHIRT-M", 1)

    # then the złoty spend is 30.00, and no euros were taken off
    assert spend(shopper) == {"PLN": "30.00"}
    assert LoyaltyAccount.objects.get(customer=shopper).spend_12m < Decimal("60.00")


def test_a_cancelled_zloty_order_takes_zloty_off_the_spend(poland, policy, shirt, store, shopper):  # noqa: F811
    # given a złoty pick-up order
    order = place_order(
        channel="web",
        groups=[GroupRequest(kind="pickup", lines=[("SHIRT-M", 2)], store=store)],
        customer=shopper,
        tenders=[TenderRequest(method="card", token="tok_visa_4242")],
    )
    assert spend(shopper) == {"PLN": "60.00"}

    # when the shopper cancels it
    cancel_order(order=order, reason="changed my mind", by_customer=True)

    # then nothing is left of it, in złoty
    assert spend(shopper) == {"PLN": "0.00"}
