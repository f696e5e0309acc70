from datetime import timedelta

import pytest
from django.utils import timezone

from inventory import services
from inventory.errors import InventoryError
from inventory.models import StockLevel
from inventory.selectors import (
    availability_at_location,
    availability_everywhere,
    low_stock_at,
    nearest_availability,
    route_lines,
    stock_lookup,
)
from tests.inventory.factories import VariantFactory

pytestmark = pytest.mark.django_db

LONDON = (51.5072, -0.1276)


@pytest.fixture
def chain(make_store):
    """Three stores north of London at growing distance, and a warehouse that ships."""
    return {
        "near": make_store("NEAR", "51.600000", "-0.120000"),  # ~10 km
        "mid": make_store("MID", "52.480000", "-1.890000"),  # Birmingham ~160 km
        "far": make_store("FAR", "55.950000", "-3.190000"),  # Edinburgh ~530 km
        "wh": make_store("WH", "52.280000", "-1.160000", kind="warehouse", pickup_enabled=False, ships_orders=True),
    }


def test_availability_at_a_location_covers_unstocked_skus_and_count_age(store, stocked):
    # given a second SKU never stocked here, and the first counted 3 days ago
    other = VariantFactory()
    StockLevel.objects.filter(variant=stocked).update(last_counted_at=timezone.now() - timedelta(days=3), reserved=2)
    # when
    rows = availability_at_location(skus=[stocked.sku, other.sku], location=store)
    # then
    by_sku = {r["sku"]: r for r in rows}
    assert (by_sku[stocked.sku]["available"], by_sku[stocked.sku]["count_age_days"]) == (8, 3)
    assert (by_sku[other.sku]["available"], by_sku[other.sku]["last_counted_at"]) == (0, None)


def test_unknown_sku_is_named(store):
    with pytest.raises(InventoryError) as exc:
        availability_at_location(skus=["NOPE-1", "NOPE-2"], location=store)
    assert exc.value.code == "unknown_sku"
    assert exc.value.extra["skus"] == ["NOPE-1", "NOPE-2"]


def test_nearest_availability_orders_by_distance_and_skips_empty_stores(chain):
    # given stock everywhere but NEAR, whose units are all reserved
    v = VariantFactory()
    for key in ("near", "mid", "far", "wh"):
        services.receive_stock(location=chain[key], lines=[(v, 2)], reference="PO")
    services.reserve_stock(lines=[(v, 2)], location=chain["near"], reference="order:1")
    # when
    rows = nearest_availability(skus=[v.sku], lat=LONDON[0], lng=LONDON[1], limit=2)
    # then the two nearest with stock, nearest first, with distances from SQL
    assert [r["location"] for r in rows] == ["WH", "MID"]
    assert 100 < rows[0]["distance_km"] < rows[1]["distance_km"] < 200


def test_nearest_availability_limits_per_sku(chain):
    a, b = VariantFactory(), VariantFactory()
    for key in ("near", "mid", "far"):
        services.receive_stock(location=chain[key], lines=[(a, 1), (b, 1)], reference="PO")
    rows = nearest_availability(skus=[a.sku, b.sku], lat=LONDON[0], lng=LONDON[1], limit=1)
    assert [(r["sku"], r["location"]) for r in rows] == sorted([(a.sku, "NEAR"), (b.sku, "NEAR")])


def test_availability_everywhere_lists_every_location(chain):
    v = VariantFactory()
    services.receive_stock(location=chain["far"], lines=[(v, 1)], reference="PO")
    services.receive_stock(location=chain["mid"], lines=[(v, 4)], reference="PO")
    assert [(r["location"], r["available"]) for r in availability_everywhere(skus=[v.sku])] == [("FAR", 1), ("MID", 4)]


def test_route_pickup_at_the_chosen_store_when_it_can_fill(chain):
    a, b = VariantFactory(), VariantFactory()
    services.receive_stock(location=chain["mid"], lines=[(a, 2), (b, 1)], reference="PO")
    plan = route_lines([(a.sku, 1), (a.sku, 1), (b.sku, 1)], pickup_store=chain["mid"])
    assert plan.complete and not plan.split
    assert plan.allocations[0].location == chain["mid"]
    assert plan.allocations[0].lines == {a.sku: 2, b.sku: 1}


def test_route_pickup_offers_nearest_stores_that_can(chain):
    # given the chosen store (NEAR) lacks b; MID and FAR have everything
    a, b = VariantFactory(), VariantFactory()
    services.receive_stock(location=chain["near"], lines=[(a, 5)], reference="PO")
    for key in ("mid", "far"):
        services.receive_stock(location=chain[key], lines=[(a, 5), (b, 5)], reference="PO")
    # when
    plan = route_lines([(a, 1), (b, 1)], pickup_store=chain["near"])
    # then no allocation at NEAR; alternatives nearest first (the warehouse does no pick-ups)
    assert not plan.complete
    assert [alt.location.code for alt in plan.alternatives] == ["MID", "FAR"]


def test_route_ship_prefers_the_nearest_shipper_that_fills_everything(chain):
    a = VariantFactory()
    chain["mid"].ships_orders = True
    chain["mid"].save()
    services.receive_stock(location=chain["mid"], lines=[(a, 1)], reference="PO")
    services.receive_stock(location=chain["wh"], lines=[(a, 9)], reference="PO")
    # MID is nearer to Birmingham but holds only 1; the warehouse fills all 3
    plan = route_lines([(a, 3)], near=(52.48, -1.89))
    assert plan.complete and [x.location.code for x in plan.allocations] == ["WH"]


def test_route_ship_splits_when_nobody_fills_everything_and_reports_shortfall(chain):
    a, b = VariantFactory(), VariantFactory()
    chain["far"].ships_orders = True
    chain["far"].save()
    services.receive_stock(location=chain["wh"], lines=[(a, 2)], reference="PO")
    services.receive_stock(location=chain["far"], lines=[(b, 1)], reference="PO")
    plan = route_lines([(a, 2), (b, 2)], near=LONDON)
    assert plan.split
    assert [(x.location.code, x.lines) for x in plan.allocations] == [("WH", {a.sku: 2}), ("FAR", {b.sku: 1})]
    assert plan.shortfall == {b.sku: 1}
    assert not plan.complete


def test_stock_lookup_by_barcode_shows_siblings_here_and_nearby(store, make_store):
    # given a style in two sizes; M here and at a nearby store
    m = VariantFactory(size="M")
    s = VariantFactory(product=m.product, size="S")
    nearby = make_store("NBY", "51.520000", "-0.100000")
    services.receive_stock(location=store, lines=[(m, 2)], reference="PO")
    services.receive_stock(location=nearby, lines=[(m, 3), (s, 1)], reference="PO")
    # when
    result = stock_lookup(query=m.barcode, store=store)
    # then the scanned variant comes first, its sibling after
    assert [v.pk for v in result.variants] == [m.pk, s.pk]
    assert result.variants[0].here["available"] == 2
    assert result.variants[1].here is None
    assert [(n["location"], n["available"]) for n in result.variants[1].nearby] == [("NBY", 1)]


def test_low_stock_lists_the_emptiest_first(store):
    a, b, c = VariantFactory(), VariantFactory(), VariantFactory()
    services.receive_stock(location=store, lines=[(a, 2), (b, 20), (c, 1)], reference="PO")
    services.record_sale(location=store, lines=[(c, 1)], reference="pos:1")
    total, rows = low_stock_at(store=store)
    assert total == 2
    assert [lv.variant_id for lv in rows] == [c.pk, a.pk]


def test_availability_with_variants_in_hand_is_one_query(store, stocked, django_assert_num_queries):
    with django_assert_num_queries(1):
        (row,) = availability_at_location(skus={stocked.sku: stocked}, location=store)
    assert row["available"] == 10
