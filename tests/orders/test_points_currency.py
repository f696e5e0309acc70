"""Loyalty points in several currencies (issue 19.2): a tier's points per unit are per unit of the home
market's currency (euros here), like its min_spend. A złoty purchase earns on its amount converted at head
office's rate of the day, and a point spent on a złoty order is worth its euro value in złoty; without a
rate, a złoty purchase earns none and points cannot be spent in złoty (each said, nothing half-written)."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from customers.errors import CustomerError
from customers.models import LoyaltyAccount, PointsEntry
from customers.services.loyalty import earn_points
from customers.services.profiles import update_customer_profile
from inventory import services as inventory
from orders.models import Order
from orders.services import GroupRequest, TenderRequest, place_order
from retail.exchange_rates import save_exchange_rate
from retail.models import AuditEvent, ExchangeRate, StoreMembership
from retail.services import issue_pos_device
from tests.factories import MembershipFactory
from tests.inventory.factories import VariantFactory, enter_market_prices
from tests.orders.test_store_clock import collected

pytestmark = pytest.mark.django_db


@pytest.fixture
def shirt(store, warsaw, poland):
    variant = VariantFactory(sku="SHIRT-M", product__base_price="100.00")
    for where in (store, warsaw):
        inventory.receive_stock(location=where, lines=[(variant, 10)], reference=f"PO-{where.code}")
    enter_market_prices(poland, variant, price="100.00")  # 100 zł, on purpose the same number as 100 €
    return variant


@pytest.fixture
def rate(db):
    return save_exchange_rate(
        rate=ExchangeRate(currency="PLN", rate=Decimal("0.2315"), valid_from=timezone.localdate() - timedelta(days=3)),
        actor=None,
    )


def points(customer) -> int:
    account = LoyaltyAccount.objects.filter(customer=customer).first()
    return account.balance if account else 0


def test_100_euros_and_100_zloty_do_not_earn_the_same(shopper, rate):
    # when the shopper earns for 100 € and for 100 zł (1 point per euro, no tier)
    euros = earn_points(customer=shopper, reference="EUR-1", amount=Decimal("100.00"), currency="EUR")
    zloty = earn_points(customer=shopper, reference="PLN-1", amount=Decimal("100.00"), currency="PLN")
    # then 100 and 23 (100 zł = 23.15 €, whole points rounded down)
    assert (euros.points, zloty.points) == (100, 23)


def test_without_a_rate_a_zloty_purchase_earns_nothing_and_says_why(shopper):
    with pytest.raises(CustomerError) as caught:
        earn_points(customer=shopper, reference="PLN-1", amount=Decimal("100.00"), currency="PLN")
    assert (caught.value.code, caught.value.extra) == ("exchange_rate_missing", {"currency": "PLN"})
    assert not PointsEntry.objects.exists()


def pickup(shopper, where, **kwargs):
    return place_order(
        channel="app",
        groups=[GroupRequest(kind="pickup", lines=[("SHIRT-M", 1)], store=where)],
        customer=shopper,
        tenders=[TenderRequest(method="card", token="tok_visa_4242")],
        idempotency_key=uuid.uuid4().hex,
        **kwargs,
    )


def test_an_online_order_earns_per_euro_when_collected_in_euros_and_in_zloty(shopper, shirt, store, warsaw, rate):
    # given a 100 € pick-up at home and a 100 zł pick-up in Warsaw, both collected
    euro_order, zloty_order = pickup(shopper, store), pickup(shopper, warsaw)
    collected(
        euro_order, store=store, associate=MembershipFactory(store=store, role=StoreMembership.Role.ASSOCIATE).user
    )
    collected(
        zloty_order, store=warsaw, associate=MembershipFactory(store=warsaw, role=StoreMembership.Role.ASSOCIATE).user
    )
    # then each earned on its euro value
    earned = dict(Order.objects.values_list("currency", "points_earned"))
    assert earned == {"EUR": 100, "PLN": 23}
    assert points(shopper) == 123


def test_a_zloty_order_collected_without_a_rate_earns_none_and_head_office_sees_why(shopper, shirt, warsaw):
    order = pickup(shopper, warsaw)
    collected(order, store=warsaw, associate=MembershipFactory(store=warsaw, role=StoreMembership.Role.ASSOCIATE).user)
    order.refresh_from_db()
    assert (order.status, order.points_earned, points(shopper)) == ("completed", 0, 0)
    event = AuditEvent.objects.get(action="loyalty.points_not_earned")
    assert (event.details["number"], event.details["currency"]) == (order.number, "PLN")


@pytest.fixture
def warsaw_till(api_client, warsaw, shopper):
    update_customer_profile(customer=shopper, values={"card_number": "OMNI-000777"})
    _, token = issue_pos_device(store=warsaw, name="Kasa 1")
    api_client.credentials(HTTP_AUTHORIZATION=f"Device {token}")
    return api_client


def till_sale(client, number, paid, **extra):
    return client.post("/api/v1/pos/sales/", {
        "receipt_number": number, "lines": [{"sku": "SHIRT-M", "quantity": 1}], "customer": {"card": "OMNI-000777"},
        "tenders": [{"method": "card", "amount": paid, "brand": "visa", "last4": "4242"}], **extra,
    }, format="json")  # fmt: skip


def test_the_till_earns_on_the_euro_value_and_a_point_is_worth_its_euro_value_in_zloty(
    warsaw_till, shopper, shirt, rate
):
    # when a 100 zł sale is rung up for the member
    first = till_sale(warsaw_till, "R-1", "100.00")
    # then 23 points (not 100)
    assert first.status_code == 201, first.json()
    assert (first.json()["currency"], first.json()["points_earned"]) == ("PLN", 23)

    # given 500 points (worth 5.00 €)
    earn_points(customer=shopper, reference="seed", points=477)
    # when they are spent on another 100 zł sale
    second = till_sale(warsaw_till, "R-2", "78.40", points=500)
    # then they took 5.00 € in złoty at 0.2315 (21.60 zł) off, and the 78.40 zł paid earned 18 points
    assert second.status_code == 201, second.json()
    data = second.json()
    assert (data["points_redeemed"], data["points_discount"], data["total"]) == (500, "21.60", "78.40")
    assert data["points_earned"] == 18  # 78.40 zł = 18.15 €
    assert points(shopper) == 18


def test_a_batch_of_receipts_in_zloty_converts_with_the_accounts_read(warsaw_till, shopper, shirt, rate):
    response = warsaw_till.post("/api/v1/pos/sales/batch/", {"receipts": [
        {"receipt_number": f"B-{i}", "lines": [{"sku": "SHIRT-M", "quantity": 1}], "customer": {"card": "OMNI-000777"},
         "tenders": [{"method": "card", "amount": "100.00"}]} for i in range(2)
    ]}, format="json")  # fmt: skip
    assert response.status_code == 200, response.json()
    assert list(Order.objects.order_by("receipt_number").values_list("points_earned", flat=True)) == [23, 23]
    assert points(shopper) == 46


def test_without_a_rate_points_cannot_be_spent_in_zloty_and_nothing_is_written(warsaw_till, shopper, shirt):
    earn_points(customer=shopper, reference="seed", points=500)
    refused = till_sale(warsaw_till, "R-1", "95.00", points=500)
    assert refused.status_code == 409, refused.json()
    assert (refused.json()["code"], refused.json()["currency"]) == ("points_unavailable", "PLN")
    assert "points" in refused.json()["fields"]
    assert not Order.objects.exists() and points(shopper) == 500


def test_online_checkout_values_points_in_the_orders_currency(api_client, shopper_user, shopper, shirt, rate):
    # given 1000 points (10.00 €)
    earn_points(customer=shopper, reference="seed", points=1000)
    api_client.force_authenticate(shopper_user)
    # when they are spent on a 100 zł pick-up in Warsaw
    response = api_client.post("/api/v1/orders/", {
        "channel": "app", "lines": [{"sku": "SHIRT-M", "quantity": 1}], "points": 1000,
        "fulfillment": {"kind": "pickup", "store": "WAW-01"},
        "payments": [{"method": "card", "token": "tok_visa_4242"}],
    }, format="json", HTTP_IDEMPOTENCY_KEY="k-1")  # fmt: skip
    # then 10.00 € = 43.20 zł off
    assert response.status_code == 201, response.json()
    assert (response.json()["points_discount"], response.json()["total"]) == ("43.20", "56.80")
    # and too many points for the order are refused in złoty
    earn_points(customer=shopper, reference="seed-2", points=5000)
    too_many = api_client.post("/api/v1/orders/", {
        "channel": "app", "lines": [{"sku": "SHIRT-M", "quantity": 1}], "points": 5000,
        "fulfillment": {"kind": "pickup", "store": "WAW-01"},
        "payments": [{"method": "card", "token": "tok_visa_4242"}],
    }, format="json", HTTP_IDEMPOTENCY_KEY="k-2")  # fmt: skip
    assert (too_many.status_code, too_many.json()["code"]) == (400, "invalid_points")
    assert too_many.json()["fields"]["points"] == ["At most 2315."]
