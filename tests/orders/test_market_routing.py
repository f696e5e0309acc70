"""Ship-from-store routing stays within the order's market (issue 19.2/19.4): a parcel sold in złoty
leaves a Polish location, never the nearer British one that happens to hold the stock; a market with
no stock answers `insufficient_stock` and keeps nothing; pick-up alternatives are the store's market's."""

import pytest
from django.db import transaction

from inventory import services as inventory
from inventory.selectors import route_lines
from orders.errors import OrderError
from orders.models import Order
from orders.services import GroupRequest, TenderRequest, place_order
from tests.factories import StoreFactory, WarehouseFactory
from tests.inventory.factories import VariantFactory, enter_market_prices

pytestmark = pytest.mark.django_db

# Near London, so the home market's locations are the nearest to the parcel's search point.
WARSAW_ADDRESS = {"line1": "ul. Marszałkowska 1", "city": "Warszawa", "postcode": "00-001", "country": "PL",
                  "latitude": 51.51, "longitude": -0.12}  # fmt: skip


@pytest.fixture
def london_warehouse(store):
    """The home market's warehouse, next to the shopper's search point, full of shirts."""
    return WarehouseFactory(code="LON-WH", market=store.market, latitude="51.51", longitude="-0.12")


@pytest.fixture
def shirt(poland, london_warehouse, store):
    variant = VariantFactory(sku="SHIRT-M", product__base_price="30.00")
    for where in (london_warehouse, store):
        inventory.receive_stock(location=where, lines=[(variant, 10)], reference=f"PO-{where.code}")
    enter_market_prices(poland, variant, price="129.00")
    return variant


def ship_to_poland(shopper, quantity=1):
    return place_order(
        channel="web",
        groups=[GroupRequest(kind="ship", lines=[("SHIRT-M", quantity)], shipping_address=dict(WARSAW_ADDRESS))],
        customer=shopper,
        tenders=[TenderRequest(method="card", token="tok_visa_4242")],
    )


def test_a_polish_order_with_no_stock_in_poland_is_out_of_stock_not_shipped_from_london(
    shopper, shirt, warsaw, london_warehouse
):
    # given shirts only in the home market's warehouse, nearest to the search point, and none in Poland

    # when the shopper orders one shipped to Poland (sold in złoty)
    with pytest.raises(OrderError) as refused, transaction.atomic():
        ship_to_poland(shopper)

    # then the existing out-of-stock answer, naming the SKU; nothing placed, nothing reserved in London
    assert refused.value.code == "insufficient_stock"
    assert refused.value.extra["lines"] == [{"sku": "SHIRT-M", "short": 1}]
    assert "SHIRT-M" in refused.value.message
    assert not Order.objects.exists()
    assert london_warehouse.stock_levels.get().reserved == 0


def test_a_polish_order_ships_from_poland_even_when_london_is_nearer(shopper, shirt, warsaw, london_warehouse):
    # given two shirts in Warsaw as well
    inventory.receive_stock(location=warsaw, lines=[(shirt, 2)], reference="PO-WAW")

    # when the shopper orders two shipped to Poland
    order = ship_to_poland(shopper, quantity=2)

    # then Warsaw fulfils it, in złoty, and London keeps its stock free
    assert order.currency == "PLN"
    assert [f.location.code for f in order.fulfillments.all()] == ["WAW-01"]
    assert warsaw.stock_levels.get().reserved == 2
    assert london_warehouse.stock_levels.get().reserved == 0


def test_a_split_ship_order_takes_only_from_its_market(shopper, shirt, warsaw, poland):
    # given one shirt in Warsaw and one in a second Polish warehouse
    krakow = WarehouseFactory(code="KRK-WH", market=poland, country="PL", latitude="50.06", longitude="19.94")
    inventory.receive_stock(location=warsaw, lines=[(shirt, 1)], reference="PO-WAW")
    inventory.receive_stock(location=krakow, lines=[(shirt, 1)], reference="PO-KRK")

    # when two are ordered to Poland
    order = ship_to_poland(shopper, quantity=2)

    # then the order is split between the two Polish locations, none abroad
    assert sorted(f.location.code for f in order.fulfillments.all()) == ["KRK-WH", "WAW-01"]


def test_routing_without_a_market_still_sees_every_market(shirt, warsaw, poland, london_warehouse):
    # a read-only caller that names no market (no order yet) sees the chain
    assert route_lines([(shirt, 1)], near=(51.51, -0.12)).allocations[0].location == london_warehouse
    # the order's market narrows it: Poland has none
    assert route_lines([(shirt, 1)], near=(51.51, -0.12), market=poland).shortfall == {"SHIRT-M": 1}


def test_pickup_alternatives_are_stores_of_the_chosen_stores_market(shirt, warsaw, store, poland):
    # given a second Polish store with shirts, farther from Warsaw than nothing but in the market
    gdansk = StoreFactory(code="GDN-01", market=poland, country="PL", latitude="54.35", longitude="18.65")
    inventory.receive_stock(location=gdansk, lines=[(shirt, 3)], reference="PO-GDN")

    # when Warsaw cannot fill a pick-up
    plan = route_lines([(shirt, 1)], pickup_store=warsaw)

    # then only Gdańsk is offered, not the London store (another currency) that also has them
    assert [a.location.code for a in plan.alternatives] == ["GDN-01"]
