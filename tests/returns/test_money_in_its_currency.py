"""What a shopper or an associate reads about a złoty sale is in złoty (issue 19.2): the return receipt, the
order e-mail, the saved cart sent from a Warsaw store (message and link page) and the associate's search
at a Warsaw till. Amounts written with the deployment's currency (€) by default read "€" on a złoty sale."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from orders.notifications import RecordingAdapter
from orders.returns.services import LineRequest, complete_return
from orders.services.saved_carts import save_cart_for_customer
from retail.domain.money import format_money
from retail.models import OutboxMessage, StoreMembership
from retail.outbox import deliver_outbox_message
from tests.factories import MarketFactory, MembershipFactory, StoreFactory
from tests.inventory.factories import enter_market_prices
from tests.returns.factories import make_policy
from tests.returns.test_policy_per_market import bought_at

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _recording(settings):
    settings.ORDERS_EMAIL_ADAPTER = settings.ORDERS_SMS_ADAPTER = settings.ORDERS_PUSH_ADAPTER = (
        "orders.notifications.RecordingAdapter"
    )
    RecordingAdapter.reset()
    yield
    RecordingAdapter.reset()


@pytest.fixture
def warsaw(shirt):
    from inventory import services as inventory

    store = StoreFactory(code="WAW-01", name="Warszawa", market=MarketFactory(), country="PL", accepts_returns=True)
    make_policy("Polska", market=store.market, windows={"store": 14}, approval_over=Decimal("1000.00"))
    inventory.receive_stock(location=store, lines=[(shirt, 10)], reference="PO-PL")
    enter_market_prices(store.market, shirt, price="129.99")
    return store


@pytest.fixture
def warsaw_associate(warsaw):
    user = MembershipFactory(store=warsaw, role=StoreMembership.Role.ASSOCIATE).user
    user.language = "en"  # in English, where € and zł are both written before the amount
    user.save(update_fields=["language"])
    return user


def deliver_all() -> None:
    for pk in OutboxMessage.objects.filter(status="pending").order_by("pk").values_list("pk", flat=True):
        deliver_outbox_message(message_id=pk, attempt=0)


def assert_in_zloty(text: str, *amounts: str) -> None:
    """Each amount written in złoty, as an English (zł129.99) or a Polish reader (129,99 zł) writes it; no €."""
    assert "€" not in text and "EUR" not in text, text
    for amount in amounts:
        written = {format_money(Decimal(amount), "PLN", locale=locale) for locale in ("en", "pl")}
        assert any(w in text for w in written), (amount, text)


def test_a_zloty_return_receipt_is_in_zloty(client, warsaw, warsaw_associate, shopper):
    # given a 129.99 zł shirt bought in Warsaw, brought back there to the card
    order = bought_at(warsaw, warsaw_associate, shopper, [("SHIRT-M", 1)])
    back = complete_return(
        store=warsaw, actor=warsaw_associate, refund_method="original", order=order,
        lines=[LineRequest(sku="SHIRT-M", quantity=1, reason="changed_mind")],
    )  # fmt: skip
    assert (back.currency, back.refund_total) == ("PLN", Decimal("129.99"))
    # when the associate prints its receipt
    client.force_login(warsaw_associate)
    page = client.get(reverse("returns_portal:receipt", args=[back.rma_number]))
    # then every amount on it is in złoty
    assert page.status_code == 200
    assert_in_zloty(page.content.decode(), "129.99")


def test_a_zloty_orders_emails_are_in_zloty(warsaw, warsaw_associate, shopper):
    # given a złoty order placed and collected in Warsaw
    bought_at(warsaw, warsaw_associate, shopper, [("SHIRT-M", 2)])
    # when its messages go out
    deliver_all()
    emails = [m for m in RecordingAdapter.sent if m.channel == "email"]
    # then the e-mails that name amounts name them in złoty
    collected = [m for m in emails if "259,98" in m.body or "259.98" in m.body]
    assert collected, [m.subject for m in emails]
    for message in collected:
        assert_in_zloty(message.body, "259.98")


def test_a_cart_sent_from_warsaw_shows_the_zloty_prices(client, warsaw, warsaw_associate, shopper):
    # when the Warsaw associate sends the shopper a basket
    saved = save_cart_for_customer(
        customer=shopper, store=warsaw, actor=warsaw_associate, lines=[("SHIRT-M", 2)], send=True
    )
    deliver_all()
    (email,) = [m for m in RecordingAdapter.sent if m.channel == "email"]
    # then the message prices the shirt as Warsaw sells it (129.99 zł, not the catalog's 30 €)
    assert_in_zloty(email.body, "129.99")
    # and so does the link's page
    link = re.search(r"https?://\S+", email.body).group(0)
    page = client.get(link[link.index("/", 8) :])
    assert page.status_code == 200, saved.pk
    assert_in_zloty(page.content.decode(), "129.99")


def test_the_associates_search_prices_items_as_the_store_sells_them(client, warsaw, warsaw_associate, shopper):
    client.force_login(warsaw_associate)
    url = reverse("orders_portal:assisted-add", args=[shopper.pk])
    page = client.post(url, {"code": "shirt"}, HTTP_HX_REQUEST="true").content.decode()
    assert "SHIRT-M" in page
    assert_in_zloty(page, "129.99")
