"""The stock lookup's "nearby" stays in the store's market (issue 19.2): a Polish store nearer than the
London store's neighbours is not offered by default (another currency, a border to cross); the explicit
toggle shows it, named by its market and currency. Same queries either way, whatever the stores."""

import pytest
from django.urls import reverse

from inventory import services
from inventory.selectors import stock_lookup
from retail.domain.channel import Channel
from retail.markets import save_market
from retail.models import Market
from tests.factories import StoreFactory
from tests.inventory.factories import VariantFactory

pytestmark = pytest.mark.django_db
LOOKUP = reverse("inventory_portal:lookup")


@pytest.fixture
def poland(db) -> Market:
    return save_market(
        market=Market(code="pl", name="Poland", countries=["PL"], currency="PLN", default_language="pl",
                      online_channels=[Channel.WEB.value]),
        actor=None,
    )  # fmt: skip


@pytest.fixture
def neighbours(store, stocked, poland):
    """A Polish store right next door (a test geography) and a home-market store farther away, both stocked."""
    abroad = StoreFactory(code="WAW-01", name="Warszawa", market=poland, country="PL",
                          latitude="51.5073", longitude="-0.1277")  # fmt: skip
    home = StoreFactory(code="MAN-01", name="Manchester", market=store.market, latitude="53.48", longitude="-2.24")
    for where in (abroad, home):
        services.receive_stock(location=where, lines=[(stocked, 3)], reference=f"PO-{where.code}")
    return abroad, home


def test_nearby_is_the_stores_market_unless_asked(store, stocked, neighbours):
    # when the London store looks the variant up
    default = stock_lookup(query=stocked.sku, store=store)
    everywhere = stock_lookup(query=stocked.sku, store=store, other_markets=True)

    # then only Manchester by default; with the toggle Warsaw first (nearest), named as another market
    assert [n["location"] for n in default.variants[0].nearby] == ["MAN-01"]
    assert [(n["location"], n["abroad"], n["market"], n["currency"]) for n in everywhere.variants[0].nearby] == [
        ("WAW-01", True, "pl", "PLN"),
        ("MAN-01", False, store.market.code, store.market.currency),
    ]


def test_the_portal_lookup_toggles_other_markets(associate_client, store, stocked, neighbours):
    html = associate_client.get(LOOKUP, {"q": stocked.sku}).content.decode()
    assert "<li>MAN-01 ·" in html and "WAW-01" not in html
    assert 'name="markets" value="all">' in html  # the toggle, unticked

    html = associate_client.get(LOOKUP, {"q": stocked.sku, "markets": "all"}, HTTP_HX_REQUEST="true").content.decode()
    assert '<li>WAW-01 · Warszawa <span class="badge badge-warn"' in html and "PL · PLN" in html


def test_a_store_with_stock_only_abroad_says_so(associate_client, store, poland):
    variant = VariantFactory(product__name="Wool scarf")
    abroad = StoreFactory(code="KRK-01", market=poland, country="PL", latitude="51.6", longitude="-0.1")
    services.receive_stock(location=abroad, lines=[(variant, 2)], reference="PO")

    html = associate_client.get(LOOKUP, {"q": variant.sku}).content.decode()

    assert "No other store of this market has it." in html and "KRK-01" not in html


@pytest.mark.parametrize("markets", ["", "all"])
def test_lookup_queries_are_constant_with_or_without_other_markets(
    associate_client, store, poland, markets, django_assert_num_queries
):
    # given one variant in this store
    variants = [VariantFactory(product__name="Denim jacket")]
    services.receive_stock(location=store, lines=[(variants[0], 2)], reference="PO")

    def look():
        response = associate_client.get(LOOKUP, {"q": "denim", "markets": markets}, HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        return response.content.decode()

    look()  # session warm-up
    with django_assert_num_queries(7):
        look()
    # when 12 variants are stocked in 10 stores at home and 10 in Poland
    variants += [VariantFactory(product=variants[0].product) for _ in range(11)]
    for n in range(20):
        market = poland if n % 2 else store.market
        other = StoreFactory(code=f"N-{n:02d}", market=market, latitude=f"51.{n + 10}", longitude="-0.12")
        services.receive_stock(location=other, lines=[(v, 1) for v in variants], reference="PO")
    # then the same seven queries
    with django_assert_num_queries(7):
        html = look()
    assert ("PL · PLN" in html) == (markets == "all")
