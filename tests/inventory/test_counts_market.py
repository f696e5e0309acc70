"""A count in a store of another market is valued at that market's selling price, in its currency, against
the store's limit in that currency (found by QA on the demo: a Warsaw count showed euros at the catalog's
price, so a 258 zł difference read as €60 and passed a 150 zł limit without a manager)."""

from decimal import Decimal

import pytest

from inventory import counts, services
from inventory.models import StockCount
from retail.models import StoreMembership
from tests.factories import MarketFactory, MembershipFactory, StoreFactory
from tests.inventory.factories import VariantFactory, enter_market_prices

pytestmark = pytest.mark.django_db


@pytest.fixture
def warsaw(db):
    return StoreFactory(code="WAW-01", name="Warszawa", market=MarketFactory(), country="PL")


@pytest.fixture
def shirt(warsaw):
    """10 units of a shirt at 30.00 in the catalog's euros and 129.00 zł in Poland."""
    variant = VariantFactory(sku="SHIRT-M", product__base_price="30.00")
    services.receive_stock(location=warsaw, lines=[(variant, 10)], reference="PO-1")
    enter_market_prices(warsaw.market, variant, price="129.00")
    return variant


@pytest.fixture
def associate(warsaw):
    return MembershipFactory(store=warsaw, role=StoreMembership.Role.ASSOCIATE).user


def short_by_two(warsaw, associate, shirt) -> StockCount:
    count = services.start_stock_count(location=warsaw, actor=associate, note="shirts")
    services.set_count_quantity(count=count, variant=shirt, quantity=8)
    return count


def test_a_warsaw_count_is_valued_in_zloty_at_polands_price(warsaw, associate, shirt):
    review = counts.review_stock_count(count=short_by_two(warsaw, associate, shirt))
    [line] = review.lines
    assert (review.currency, line.price, line.value) == ("PLN", Decimal("129.00"), Decimal("-258.00"))
    # the store's default limit (150.00, in its own currency) is passed: a manager approves
    assert review.needs_approval
    [reason] = review.reasons
    assert "add up to zł258.00 at selling price" in reason and "limit of zł150.00" in reason  # English: the service's


def test_the_review_page_shows_zloty(client, warsaw, associate, shirt):
    count = short_by_two(warsaw, associate, shirt)
    client.force_login(associate)
    html = client.get(f"/portal/stock/counts/{count.pk}/review/").content.decode()
    assert "258,00\xa0zł" in html and "150,00\xa0zł" in html and "€" not in html


def test_submitting_it_waits_for_a_manager(warsaw, associate, shirt):
    count = short_by_two(warsaw, associate, shirt)
    review = counts.review_stock_count(count=count)
    outcome = counts.submit_stock_count(count=count, actor=associate, reviewed=review.fingerprint, approval=None)
    assert outcome.count.status == StockCount.Status.AWAITING_APPROVAL
