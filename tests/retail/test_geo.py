import pytest

from retail.geo import parse_point
from retail.selectors import stores_by_distance
from tests.factories import StoreFactory

pytestmark = pytest.mark.django_db


def test_distance_is_computed_in_sql_and_orders_nearest_first():
    # given stores in London, Manchester and Edinburgh
    StoreFactory(code="EDI", latitude="55.952300", longitude="-3.196300")
    StoreFactory(code="MAN", latitude="53.483900", longitude="-2.238600")
    StoreFactory(code="LON", latitude="51.511800", longitude="-0.123300")
    # when ordered by distance from Trafalgar Square
    stores = list(stores_by_distance(lat=51.5080, lng=-0.1281))
    # then London comes first, and London-Manchester is the known ~262 km great-circle distance
    assert [s.code for s in stores] == ["LON", "MAN", "EDI"]
    assert stores[0].distance_km < 1
    assert 255 < stores[1].distance_km < 270
    assert 525 < stores[2].distance_km < 540


@pytest.mark.parametrize(
    "raw, message",
    [
        ("", "latitude,longitude"),
        ("51.5", "latitude,longitude"),
        ("abc,def", "must be numbers"),
        ("91,0", "within -90..90"),
        ("0,181", "within -90..90"),
        ("nan,0", "within -90..90"),
    ],
)
def test_bad_points_are_refused_with_a_human_message(raw, message):
    with pytest.raises(ValueError, match=message):
        parse_point(raw)


def test_good_point_parses():
    assert parse_point(" 51.5072, -0.1276 ") == (51.5072, -0.1276)
