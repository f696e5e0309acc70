"""Amounts in the portal and in the shopper's messages carry their own currency (found by QA on the demo).

A Warsaw associate saw a złoty till sale, its return and the shopper's złoty store credit as euros
on the clienteling screen and the returns desk, the page footer said EUR in every store, and the
refund SMS of a złoty return said €: `|money` without a currency is the deployment's (EUR).
"""

import pytest

from customers.services.loyalty import issue_store_credit
from customers.services.profiles import update_customer_profile
from inventory import services as inventory
from orders.returns.handlers import render_return_message, return_context
from orders.returns.models import ReturnRequest
from retail.models import StoreMembership
from retail.services import issue_pos_device
from tests.factories import MarketFactory, MembershipFactory, StoreFactory
from tests.inventory.factories import VariantFactory, enter_market_prices
from tests.returns.factories import make_policy

pytestmark = pytest.mark.django_db


@pytest.fixture
def warsaw(db):
    store = StoreFactory(code="WAW-01", name="Warszawa Centrum", market=MarketFactory(), country="PL")
    make_policy("Polska", market=store.market)
    return store


@pytest.fixture
def till(warsaw, api_client):
    variant = VariantFactory(sku="PL-SHIRT-M", product__base_price="30.00")
    inventory.receive_stock(location=warsaw, lines=[(variant, 10)], reference="PO-1")
    enter_market_prices(warsaw.market, variant, price="129.00")
    _, token = issue_pos_device(store=warsaw, name="Till 1")
    api_client.credentials(HTTP_AUTHORIZATION=f"Device {token}")
    return api_client


@pytest.fixture
def sold_and_returned(till, shopper):
    """A złoty till sale to the shopper, one unit returned at the till, and złoty store credit."""
    update_customer_profile(customer=shopper, values={"card_number": "OMNI-000123"})
    sale = {
        "receipt_number": "R-1",
        "lines": [{"sku": "PL-SHIRT-M", "quantity": 2}],
        "tenders": [{"method": "card", "amount": "258.00", "brand": "visa", "last4": "4242"}],
        "customer": {"card": "OMNI-000123"},
    }
    assert till.post("/api/v1/pos/sales/", sale, format="json").status_code == 201
    back = {
        "receipt_number": "R-2",
        "original_receipt": "R-1",
        "lines": [{"sku": "PL-SHIRT-M", "quantity": 1, "reason": "changed_mind"}],
    }
    assert till.post("/api/v1/pos/returns/", back, format="json").status_code == 201
    issue_store_credit(customer=shopper, amount="40.00", reference="goodwill-1", currency="PLN")
    return shopper


@pytest.fixture
def warsaw_client(client, warsaw):
    client.force_login(MembershipFactory(store=warsaw, role=StoreMembership.Role.ASSOCIATE).user)
    return client


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def test_the_clienteling_screen_shows_zloty_amounts_in_zloty(warsaw_client, sold_and_returned):
    shopper = sold_and_returned
    # when the Warsaw associate opens the shopper's header, orders and returns
    header = page(warsaw_client, f"/portal/customers/{shopper.pk}/")
    orders = page(warsaw_client, f"/portal/orders/customer/{shopper.pk}/orders/")
    returns = page(warsaw_client, f"/portal/customers/{shopper.pk}/returns/")
    # then the store credit, the order and the refund are in złoty, never in euros
    assert "40,00\xa0zł" in header
    assert "258,00\xa0zł" in orders and "€" not in orders
    assert "129,00\xa0zł" in returns and "€" not in returns


def test_the_returns_desk_and_the_footer_show_the_stores_currency(warsaw_client, sold_and_returned):
    desk = page(warsaw_client, "/portal/returns/")
    assert "129,00\xa0zł" in desk and "€" not in desk
    assert "Omnistore · PLN" in desk and "Omnistore · EUR" not in page(warsaw_client, "/portal/")


def test_the_refund_messages_of_a_zloty_return_say_zloty(sold_and_returned):
    request = ReturnRequest.objects.get(currency="PLN")
    context = return_context(request=request, kind="refunded")
    for channel, recipient in (("sms", "+48501000000"), ("push", "user:1"), ("email", "a@example.com")):
        message = render_return_message(channel, context, key="k", recipient=recipient)
        assert "zł" in message.body and "€" not in message.body, (channel, message.body)
