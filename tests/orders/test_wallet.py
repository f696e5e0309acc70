"""The wallet (issue 18.5): store credit topped up in the app by card, spent in the app's checkout,
and at the till by the app's short-lived, single-use pay code (its QR)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from customers.models import PayCode, StoreCreditAccount, StoreCreditEntry
from orders.models import Order
from retail.models import AuditEvent
from retail.services import issue_pos_device
from tests.customers.factories import CustomerFactory

pytestmark = pytest.mark.django_db

TOP_UP = "/api/v1/me/wallet/topups/"
PAY_CODE = "/api/v1/me/wallet/paycode/"


@pytest.fixture
def app(shopper, shopper_user):
    client = APIClient()
    client.force_authenticate(shopper_user)
    return client


@pytest.fixture
def till(store):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Device {issue_pos_device(store=store, name='Till 1')[1]}")
    return client


def credit(customer) -> Decimal:
    return StoreCreditAccount.objects.get(customer=customer).balance


def top_up(client, amount="50.00", key="top-1", card="tok_visa_4242"):
    return client.post(TOP_UP, {"amount": amount, "payment_token": card}, format="json", HTTP_IDEMPOTENCY_KEY=key)


def till_sale(till, receipt, code, amount="30.00", **extra):
    body = {"receipt_number": receipt, "lines": [{"sku": "SHIRT-M", "quantity": 1}],
            "tenders": [{"method": "store_credit", "amount": amount, "code": code}], **extra}  # fmt: skip
    return till.post("/api/v1/pos/sales/", body, format="json")


def test_a_shopper_tops_up_once_per_key_and_a_declined_card_adds_nothing(app, shopper):
    first, again = top_up(app), top_up(app)
    assert first.status_code == 201, first.json()
    assert first.json() == again.json() == {"amount": "50.00", "balance": "50.00"}
    assert StoreCreditEntry.objects.filter(account__customer=shopper).count() == 1
    assert AuditEvent.objects.get(action="wallet.topped_up").details["last4"] == "4242"
    declined = top_up(app, key="top-2", card="tok_decline_0001")
    assert declined.json()["code"] == "payment_declined" and credit(shopper) == Decimal("50.00")
    too_much = top_up(app, key="top-3", amount="500.01")
    assert too_much.status_code == 400 and credit(shopper) == Decimal("50.00")
    # out of range is a rule of the amount with its own documented code (`invalid` is for a wrong shape;
    # "0" is money the schema takes)
    nothing = top_up(app, key="top-4", amount="0")
    assert too_much.json()["code"] == nothing.json()["code"] == "top_up_amount" and nothing.status_code == 400
    documented = SchemaGenerator().get_schema(request=None, public=True)["paths"][TOP_UP]["post"]
    assert "top_up_amount" in documented["responses"]["400"]["x-error-codes"]
    assert app.get("/api/v1/me/loyalty/").json()["store_credit"] == "50.00"


def test_the_wallet_pays_in_the_app_checkout(app, shopper, shirt, store):
    top_up(app)
    body = {"channel": "app", "lines": [{"sku": "SHIRT-M", "quantity": 1}],
            "fulfillment": {"kind": "pickup", "store": "LON-01"},
            "payments": [{"method": "store_credit", "amount": "30.00"}]}  # fmt: skip
    placed = app.post("/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY="order-1")
    assert placed.status_code == 201, placed.json()
    assert credit(shopper) == Decimal("20.00")


def test_the_till_takes_the_wallet_by_the_apps_pay_code_once(app, till, shopper, shirt):
    # given 50.00 in the wallet and the app showing its QR
    top_up(app)
    shown = app.post(PAY_CODE, {}, format="json")
    assert shown.status_code == 201 and shown["Cache-Control"] == "no-store"
    code = shown.json()["code"]
    assert PayCode.objects.get().code_hash != code and code not in str(PayCode.objects.values().get())
    # when the till scans it to pay a 30.00 shirt (naming no customer)
    sold = till_sale(till, "W-1", code)
    # then the sale is the shopper's and paid from the wallet
    assert sold.status_code == 201, sold.json()
    order = Order.objects.get(number=sold.json()["number"])
    assert order.customer == shopper and credit(shopper) == Decimal("20.00")
    assert PayCode.objects.get().used_for == order.number
    # and the same QR scanned again is refused, nothing spent
    again = till_sale(till, "W-2", code)
    assert (again.status_code, again.json()["code"]) == (409, "pay_code_invalid")
    assert credit(shopper) == Decimal("20.00") and Order.objects.count() == 1


def test_a_pay_code_expires_and_pays_only_for_its_own_shopper(app, till, shopper, shirt, settings):
    top_up(app)
    old = app.post(PAY_CODE, {}, format="json").json()["code"]
    PayCode.objects.update(created_at=timezone.now() - timedelta(minutes=10),
                           expires_at=timezone.now() - timedelta(minutes=8))  # fmt: skip
    expired = till_sale(till, "W-3", old)
    assert (expired.status_code, expired.json()["code"]) == (409, "pay_code_invalid")
    other = CustomerFactory(email="ben@example.com")
    code = app.post(PAY_CODE, {}, format="json").json()["code"]
    theirs = till_sale(till, "W-4", code, customer={"email": other.email})
    assert (theirs.status_code, theirs.json()["code"]) == (409, "pay_code_invalid")
    assert credit(shopper) == Decimal("50.00") and not Order.objects.exists()
    # the code was not used up by the refused sale: the shopper pays with it next
    from customers.services.profiles import update_customer_profile

    update_customer_profile(customer=shopper, values={"card_number": "OMNI-000777"})
    paid = till_sale(till, "W-5", code, customer={"card": "OMNI-000777"})
    assert paid.status_code == 201, paid.json()


def test_not_enough_in_the_wallet_is_refused_and_the_code_stays_usable(app, till, shopper, shirt):
    top_up(app, amount="10.00")
    code = app.post(PAY_CODE, {}, format="json").json()["code"]
    short = till_sale(till, "W-6", code)
    assert short.status_code == 400 and "store credit" in short.json()["message"]
    assert PayCode.objects.get().used_at is None


@pytest.mark.django_db(transaction=True)
def test_two_tills_scanning_one_wallet_code_at_once_take_it_once(store, shirt):
    from customers.services.linking import link_user_to_customer
    from customers.services.loyalty import issue_store_credit
    from customers.services.wallet import issue_pay_code
    from orders.errors import OrderError
    from tests.factories import UserFactory
    from tests.helpers import race

    shopper = link_user_to_customer(user=UserFactory(email="ada@example.com"))
    issue_store_credit(customer=shopper, amount=Decimal("100.00"), reference="seed")
    code = issue_pay_code(customer=shopper).code
    tokens = [issue_pos_device(store=store, name=f"Till {i}")[1] for i in range(4)]

    def scan(index):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Device {tokens[index]}")
        response = till_sale(client, f"Q-{index}", code)
        return "paid" if response.status_code == 201 else response.json()["code"]

    results, errors = race(scan, 4, expected=OrderError)
    assert errors == [], errors
    assert sorted(results) == ["paid"] + ["pay_code_invalid"] * 3, results
    assert credit(shopper) == Decimal("70.00") and Order.objects.count() == 1
