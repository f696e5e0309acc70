"""GET me/loyalty says the currency of each amount (issue 19.2): the spend and the gap to the next tier in
the home market's currency (the tiers' thresholds are in it), the currencies it could not count, and the
store credit in its own currency. The OpenAPI schema says the same."""

from decimal import Decimal

import pytest
from django.utils import timezone

from customers.services.linking import link_user_to_customer
from customers.services.loyalty import issue_store_credit
from customers.services.timeline import record_purchase
from retail.exchange_rates import save_exchange_rate
from retail.models import ExchangeRate
from tests.customers.factories import TierFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def bought(customer, number: str, amount: str, currency: str):
    lines = [{"sku": "SHIRT-M", "qty": 1, "amount": amount, "category": "tops", "size": "M"}]
    record_purchase(customer=customer, channel="store", order_number=number, lines=lines, source="test",
                    currency=currency)  # fmt: skip


@pytest.fixture
def shopper_api(api_client):
    user = UserFactory(email="ola@example.com")
    customer = link_user_to_customer(user=user)
    api_client.force_authenticate(user)
    api_client.customer = customer
    return api_client


def test_the_spend_is_in_the_home_currency_and_the_store_credit_in_its_own(shopper_api):
    # given a 300 € tier, PLN at 0.2315, 100 € and 400 zł bought, and 50 zł of store credit
    TierFactory(code="gold", name="Gold", min_spend=Decimal("300.00"))
    day = timezone.localdate() - timezone.timedelta(days=3)
    save_exchange_rate(rate=ExchangeRate(currency="PLN", rate=Decimal("0.2315"), valid_from=day), actor=None)
    bought(shopper_api.customer, "EUR-1", "100.00", "EUR")
    bought(shopper_api.customer, "PLN-1", "400.00", "PLN")
    issue_store_credit(customer=shopper_api.customer, amount=Decimal("50.00"), reference="RET-1", currency="PLN")
    # when
    data = shopper_api.get("/api/v1/me/loyalty/").json()
    # then 192.60 € of spend, 107.40 € to Gold, everything counted; 50 zł of credit
    assert (data["spend_12m"], data["spend_currency"], data["spend_not_counted"]) == ("192.60", "EUR", [])
    assert (data["next_tier"], data["spend_to_next_tier"]) == ("Gold", "107.40")
    assert (data["store_credit"], data["store_credit_currency"]) == ("50.00", "PLN")


def test_currencies_without_a_rate_are_named_and_a_new_shopper_has_no_credit_currency(shopper_api):
    bought(shopper_api.customer, "PLN-1", "400.00", "PLN")
    data = shopper_api.get("/api/v1/me/loyalty/").json()
    assert (data["spend_12m"], data["spend_currency"], data["spend_not_counted"]) == ("0.00", "EUR", ["PLN"])
    assert (data["store_credit"], data["store_credit_currency"]) == ("0.00", None)


def test_the_schema_describes_every_field_the_answer_has(shopper_api):
    answer = shopper_api.get("/api/v1/me/loyalty/").json()
    schema = shopper_api.get("/api/schema/?format=json").json()["components"]["schemas"]["Loyalty"]
    assert set(answer) == set(schema["properties"]) == set(schema["required"])
    assert schema["properties"]["store_credit_currency"]["nullable"] is True
    assert "spend_currency" in schema["properties"]["spend_12m"]["description"]
