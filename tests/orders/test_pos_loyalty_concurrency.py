"""Real concurrency on PostgreSQL: tills and online checkout spend one offer and one points balance at once."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from customers.models import LoyaltyAccount, OfferAssignment, PointsEntry
from customers.services.loyalty import assign_offer, earn_points
from customers.services.profiles import create_customer, update_customer_profile
from inventory import services as inventory
from orders.errors import OrderError
from orders.models import Order
from orders.services import GroupRequest, TenderRequest, place_order
from retail.services import issue_pos_device
from tests.customers.factories import OfferFactory
from tests.factories import StoreFactory
from tests.helpers import race
from tests.inventory.factories import VariantFactory

pytestmark = [pytest.mark.django_db(transaction=True)]


def _world(tills: int):
    store = StoreFactory(code="LON-01")
    shirt = VariantFactory(sku="SHIRT-M", product__base_price="30.00")
    inventory.receive_stock(location=store, lines=[(shirt, 50)], reference="PO-1")
    shopper = create_customer(first_name="Jane", last_name="Shopper", email="jane@example.com")
    update_customer_profile(customer=shopper, values={"card_number": "OMNI-000777"})
    tokens = [issue_pos_device(store=store, name=f"Till {i + 1}")[1] for i in range(tills)]
    return store, shopper, tokens


def _till_sale(token: str, receipt: str, *, paid: str, **redeem) -> str:
    till = APIClient()
    till.credentials(HTTP_AUTHORIZATION=f"Device {token}")
    body = {
        "receipt_number": receipt,
        "lines": [{"sku": "SHIRT-M", "quantity": 1}],
        "tenders": [{"method": "card", "amount": paid}],
        "customer": {"card": "OMNI-000777"},
        **redeem,
    }
    response = till.post("/api/v1/pos/sales/", body, format="json")
    return "created" if response.status_code == 201 else response.json()["code"]


def test_one_offer_redeemed_at_two_tills_and_online_at_the_same_moment_is_used_once():
    # given one 10% offer, and 3 tills and 3 app checkouts that all want it with 100 points (offer, then
    # points: the locks both channels take in the same order, so they queue and never deadlock)
    store, shopper, tokens = _world(tills=3)
    assign_offer(offer=OfferFactory(code="ten", discount_percent=Decimal("10.00")), customer=shopper)
    earn_points(customer=shopper, reference="seed", points=1000)

    def spend(index):
        if index % 2:
            return _till_sale(tokens[index // 2], f"R-{index}", paid="26.00", offer_code="ten", points=100)
        place_order(
            channel="app",
            groups=[GroupRequest(kind="pickup", lines=[("SHIRT-M", 1)], store=store)],
            customer=shopper,
            offer_code="ten",
            points=100,
            tenders=[TenderRequest(method="card", token="tok_visa_4242")],
        )
        return "created"

    # when all six go at once, each on its own connection
    results, errors = race(spend, 6, expected=OrderError)
    # then exactly one used it and the other five got the documented refusal
    assert errors == [], errors
    assert sorted(results) == ["created"] + ["offer_already_redeemed"] * 5, results
    assert Order.objects.filter(offer_code="ten").count() == 1 == Order.objects.count()
    used = OfferAssignment.objects.get(customer=shopper)
    assert used.redeemed_reference == Order.objects.get().number
    assert PointsEntry.objects.filter(kind="redeem").count() == 1


def test_two_tills_spending_one_points_balance_never_overdraw_it():
    # given 1000 points and two tills, each ringing up three sales that spend 300 points (3.00 off 30.00)
    _, shopper, tokens = _world(tills=2)
    earn_points(customer=shopper, reference="seed", points=1000)

    def spend(index):
        return _till_sale(tokens[index % 2], f"R-{index}", paid="27.00", points=300)

    # when the six sales reach the server at the same moment
    results, errors = race(spend, 6, expected=OrderError)
    # then three were paid with points and three were refused; the balance never went below zero
    assert errors == [], errors
    assert sorted(results) == ["created"] * 3 + ["insufficient_points"] * 3, results
    assert PointsEntry.objects.filter(kind="redeem").count() == 3
    account = LoyaltyAccount.objects.get(customer=shopper)
    # 1000 - 900 spent + 3 x 27 earned, and the ledger says the same
    assert account.balance == 181 == sum(PointsEntry.objects.filter(account=account).values_list("points", flat=True))
