"""Every amount the admin lists or shows says its currency, written as the reader writes it (the money
kernel's format_money): 20 zł of store credit never reads "20.00", which head office could take for €20."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.services import issue_store_credit
from customers.services.giftcards import issue_gift_card, redeem_gift_card
from orders.models import ShippingMethod
from tests.admin.conftest import staff_user
from tests.customers.factories import CustomerFactory, TierFactory
from tests.factories import MarketFactory, StoreFactory
from tests.insights.conftest import make_order, make_return

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"


@pytest.fixture
def warsaw(db):
    return StoreFactory(code="WAW-01", name="Warszawa Centrum", market=MarketFactory(), country="PL")


@pytest.fixture
def polish_head_office(client):
    user = staff_user(superuser=True)
    user.language = "pl"
    user.save(update_fields=["language"])
    client.force_login(user)
    return client


def _text(response) -> str:
    assert response.status_code == 200
    return re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())).replace("&nbsp;", NBSP)


def test_store_credit_in_zloty_reads_in_zloty_in_the_ledger_and_on_the_profile(polish_head_office, warsaw):
    # given a shopper credited 1234.50 zł in Warsaw
    shopper = CustomerFactory()
    entry = issue_store_credit(customer=shopper, amount=Decimal("1234.50"), reference="RMA-1", store=warsaw,
                               currency="PLN")  # fmt: skip
    # when head office (reading Polish) opens the ledger, the entry and the profile
    ledger = _text(polish_head_office.get(reverse("admin:customers_storecreditentry_changelist")))
    detail = _text(polish_head_office.get(reverse("admin:customers_storecreditentry_change", args=[entry.pk])))
    profile = _text(polish_head_office.get(reverse("admin:customers_customer_change", args=[shopper.pk])))
    # then each says złoty, as a Pole writes it, and never the bare number
    for page in (ledger, detail, profile):
        assert f"1234,50{NBSP}zł" in page
        assert "1234.50" not in page


def test_the_ledger_in_english_still_says_the_currency(client, warsaw):
    client.force_login(staff_user(superuser=True))
    issue_store_credit(customer=CustomerFactory(), amount=Decimal("20"), reference="RMA-2", currency="PLN")
    issue_store_credit(customer=CustomerFactory(), amount=Decimal("20"), reference="RMA-3", currency="EUR")
    ledger = _text(client.get(reverse("admin:customers_storecreditentry_changelist")))
    # two entries of the same number, told apart by their currency
    assert "zł20.00" in ledger and "€20.00" in ledger


def test_gift_cards_and_their_ledger_show_the_card_currency(polish_head_office, warsaw):
    # given a 150 zł card, 40 zł of it spent
    issued = issue_gift_card(amount=Decimal("150"), currency="PLN", source="sold", reference="GC-1", store=warsaw,
                             channel="store")  # fmt: skip
    redeem_gift_card(
        code=issued.code, amount=Decimal("40"), reference="ORD-1", store=warsaw, caller="test", currency="PLN"
    )
    # when head office opens the cards, the card and the ledger
    cards = _text(polish_head_office.get(reverse("admin:customers_giftcard_changelist")))
    card = _text(polish_head_office.get(reverse("admin:customers_giftcard_change", args=[issued.card.pk])))
    ledger = _text(polish_head_office.get(reverse("admin:customers_giftcardentry_changelist")))
    # then the balance and every movement say złoty
    assert f"110,00{NBSP}zł" in cards and f"110,00{NBSP}zł" in card
    for page in (card, ledger):
        assert f"150,00{NBSP}zł" in page and f"-40,00{NBSP}zł" in page
        assert "150.00" not in page


def test_orders_and_returns_in_zloty_show_zloty_on_lists_details_and_lines(polish_head_office, warsaw):
    # given a 129 zł order in Warsaw and its return refunding 129 zł
    order = make_order(store=warsaw, channel="store", placed_at=timezone.now(), total="129.00", currency="PLN")
    returned = make_return(store=warsaw, received_at=timezone.now(), lines=[("changed_mind", 1, "129.00")],
                           order=order, refund_total="129.00", refund_method="original")  # fmt: skip
    # when head office opens them
    pages = [
        polish_head_office.get(reverse("admin:orders_order_changelist")),
        polish_head_office.get(reverse("admin:orders_order_change", args=[order.pk])),
        polish_head_office.get(reverse("admin:returns_returnrequest_changelist")),
        polish_head_office.get(reverse("admin:returns_returnrequest_change", args=[returned.pk])),
    ]
    # then every amount is in złoty (the order's lines and the return's lines too), none a bare number
    for page in map(_text, pages):
        assert f"129,00{NBSP}zł" in page
        assert "129.00" not in page


def test_shipping_prices_and_tier_thresholds_say_their_currency(polish_head_office, warsaw):
    ShippingMethod.objects.create(market=warsaw.market, code="kurier", name="Kurier", price=Decimal("14.99"),
                                  free_over=Decimal("299"))  # fmt: skip
    TierFactory(code="gold", name="Gold", min_spend=Decimal("1000"))
    methods = _text(polish_head_office.get(reverse("admin:orders_shippingmethod_changelist")))
    tiers = _text(polish_head_office.get(reverse("admin:customers_loyaltytier_changelist")))
    assert f"14,99{NBSP}zł" in methods and f"299,00{NBSP}zł" in methods
    assert f"1000,00{NBSP}€" in tiers  # the home market's currency (the test deployment's: EUR)
