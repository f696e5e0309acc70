"""A till sale that redeemed an offer and points comes back exactly as an online order that did (issue 18)."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from customers.models import LoyaltyAccount, PointsEntry
from customers.services.loyalty import assign_offer, earn_points
from customers.services.profiles import update_customer_profile
from orders.models import Order
from orders.returns.services import LineRequest, complete_return
from retail.services import issue_pos_device
from tests.customers.factories import OfferFactory

pytestmark = pytest.mark.django_db


def test_a_till_sale_with_an_offer_and_points_is_returned_like_the_same_order_online(
    policy, deliver, shirt, shopper, store, associate
):
    # given a shopper with 1000 points and two 10% offers, one used online and one at the till
    update_customer_profile(customer=shopper, values={"card_number": "OMNI-000123"})
    earn_points(customer=shopper, reference="seed", points=1000)
    for code in ("web10", "till10"):
        assign_offer(offer=OfferFactory(code=code, discount_percent=Decimal("10.00")), customer=shopper)
    # the same basket, 2 shirts (60.00) - 6.00 offer - 5.00 (500 points) = 49.00, online and at the till
    online = deliver([("SHIRT-M", 2)], offer_code="web10", points=500)
    _, token = issue_pos_device(store=store, name="Till 1")
    till = APIClient()
    till.credentials(HTTP_AUTHORIZATION=f"Device {token}")
    sold = till.post(
        "/api/v1/pos/sales/",
        {
            "receipt_number": "S-1",
            "lines": [{"sku": "SHIRT-M", "quantity": 2}],
            "tenders": [{"method": "card", "amount": "49.00", "last4": "4242"}],
            "customer": {"card": "OMNI-000123"},
            "offer_code": "till10",
            "points": 500,
        },
        format="json",
    )
    assert sold.status_code == 201, sold.json()
    at_till = Order.objects.get(number=sold.json()["number"])
    fields = ("subtotal", "offer_discount", "points_redeemed", "points_discount", "total", "points_earned")
    assert [getattr(at_till, f) for f in fields] == [getattr(online, f) for f in fields]
    assert at_till.points_earned == 49

    # when one shirt of each comes back: the online one at the counter, the till's one at the till
    by_counter = complete_return(
        store=store,
        actor=associate,
        refund_method="original",
        order=online,
        lines=[LineRequest(sku="SHIRT-M", quantity=1, reason="wrong_size")],
    )
    by_till = till.post(
        "/api/v1/pos/returns/",
        {"receipt_number": "R-1", "original_receipt": "S-1",
         "lines": [{"sku": "SHIRT-M", "quantity": 1, "reason": "wrong_size"}]},
        format="json",
    )  # fmt: skip
    # then both refund what that shirt was paid and take back the same share of the points it earned
    assert by_till.status_code == 201, by_till.json()
    assert Decimal(by_till.json()["refund_total"]) == by_counter.refund_total == Decimal("24.50")
    reversed_at_till = PointsEntry.objects.get(reference=at_till.number, kind="reverse").points
    assert reversed_at_till == -by_counter.points_reversed == -24
    # and the ledger and the balance agree: 1000 - 2 x 500 spent + 2 x 49 earned - 2 x 24 taken back
    account = LoyaltyAccount.objects.get(customer=shopper)
    assert account.balance == 50 == sum(PointsEntry.objects.filter(account=account).values_list("points", flat=True))
