"""Typing a name finds it by its words in any order (found by QA on the demo: a Milan associate typed
"camicia lino" at the sell page and got "no product name matches" for the Camicia di lino Nordic)."""

import pytest
from django.utils import translation

from inventory import services
from inventory.models import ProductTranslation
from inventory.selectors import stock_lookup
from tests.factories import MarketFactory, MembershipFactory, StoreFactory
from tests.inventory.factories import VariantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def milano(db):
    italy = MarketFactory(code="it", name="Italia", countries=["IT"], currency="EUR", default_language="it",
                          languages=["it", "en-gb"])  # fmt: skip
    return StoreFactory(code="MIL-01", name="Milano Duomo", market=italy)


@pytest.fixture
def linen_shirt(milano):
    variant = VariantFactory(sku="MSH-0222-BER-L", product__name="Nordic linen shirt")
    ProductTranslation.objects.create(product=variant.product, language="it", name="Camicia di lino Nordic")
    services.receive_stock(location=milano, lines=[(variant, 4)], reference="PO-1")
    return variant


@pytest.mark.parametrize("typed", ["camicia lino", "lino  Nordic", "nordic camicia", "linen NORDIC", "shirt linen"])
def test_every_word_in_any_order_finds_the_name(milano, linen_shirt, typed):
    with translation.override("it"):  # an Italian associate: the Italian names and the catalog's own
        assert [v.sku for v in stock_lookup(query=typed, store=milano).variants] == ["MSH-0222-BER-L"]


@pytest.mark.parametrize("typed", ["camicia lana", "linen wool"])
def test_a_word_the_name_lacks_finds_nothing(milano, linen_shirt, typed):
    with translation.override("it"):
        assert stock_lookup(query=typed, store=milano).variants == []


def test_the_sell_page_offers_it_for_the_words_typed(client, milano, linen_shirt, shopper_in_milan):
    client.force_login(MembershipFactory(store=milano).user)
    response = client.post(
        f"/portal/orders/sell/{shopper_in_milan.pk}/add/", {"code": "camicia lino"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "Camicia di lino Nordic" in response.text and "MSH-0222-BER-L" in response.text


@pytest.fixture
def shopper_in_milan(milano):
    from customers.services import create_customer

    return create_customer(first_name="Luca", last_name="Rossi", email="luca@example.com", home_store=milano)
