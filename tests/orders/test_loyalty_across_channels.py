"""Issue 18, done when: a shopper redeems 500 points and an offer at the till (POS API), then the
same offer is refused online (checkout API), and the points spent at the till are gone online too."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from customers.models import LoyaltyAccount, OfferAssignment
from customers.services.loyalty import assign_offer, earn_points
from customers.services.profiles import update_customer_profile
from orders.models import Order
from retail.services import issue_pos_device
from tests.customers.factories import OfferFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(shopper):
    update_customer_profile(customer=shopper, values={"card_number": "OMNI-000123"})
    earn_points(customer=shopper, reference="seed", points=800)
    assign_offer(offer=OfferFactory(code="ten", discount_percent=Decimal("10.00")), customer=shopper)
    return shopper


def checkout(app, store, key, **extra):
    body = {"channel": "app", "lines": [{"sku": "SHIRT-M", "quantity": 1}],
            "fulfillment": {"kind": "pickup", "store": store.code},
            "payments": [{"method": "card", "token": "tok_visa_4242"}], **extra}  # fmt: skip
    return app.post("/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_500_points_and_an_offer_redeemed_at_the_till_are_refused_online(
    api_client, member, shopper_user, shirt, store
):
    # given Jane's card scanned at the till: 2 shirts (60.00), the 10% offer and 500 points
    _, token = issue_pos_device(store=store, name="Till 1")
    api_client.credentials(HTTP_AUTHORIZATION=f"Device {token}")
    sale = {"receipt_number": "R-500", "customer": {"card": "OMNI-000123"}, "offer_code": "ten", "points": 500,
            "lines": [{"sku": "SHIRT-M", "quantity": 2}],
            "tenders": [{"method": "card", "amount": "49.00", "brand": "visa", "last4": "4242"}]}  # fmt: skip
    at_till = api_client.post("/api/v1/pos/sales/", sale, format="json")
    # then the till's sale took 6.00 (10%) and 5.00 (500 points) off: 49.00 paid
    assert at_till.status_code == 201, at_till.json()
    assert (at_till.json()["offer_discount"], at_till.json()["points_redeemed"]) == ("6.00", 500)
    earned = Order.objects.get(receipt_number="R-500").points_earned  # on the 49.00 paid
    left = LoyaltyAccount.objects.get(customer=member).balance
    assert left == 800 - 500 + earned < 500
    assert OfferAssignment.objects.get(customer=member).redeemed_at is not None
    # when Jane tries the same offer in the app
    app = APIClient()
    app.force_authenticate(shopper_user)
    offer_again = checkout(app, store, "k-offer", offer_code="ten")
    # then it is refused with checkout's own code, and nothing is placed
    assert offer_again.status_code == 409, offer_again.json()
    assert offer_again.json()["code"] == "offer_already_redeemed"
    # and the 500 points spent at the till are not there to spend again
    points_again = checkout(app, store, "k-points", points=500)
    assert (points_again.status_code, points_again.json()["code"]) == (409, "insufficient_points")
    assert Order.objects.filter(channel="app").count() == 0
    # what is left still works online
    rest = checkout(app, store, "k-rest", points=left)
    assert rest.status_code == 201, rest.json()
    assert rest.json()["points_redeemed"] == left
    assert LoyaltyAccount.objects.get(customer=member).balance == 0
