import pytest
from django.db import connection

from retail.geo import POINT_SQL, distance_sql, parse_point
from retail.models import Store
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


def test_the_sql_text_of_the_distance_agrees_with_the_expression():
    # given stores far apart, and a point on the other side of the antimeridian for one of them
    for code, lat, lng in [("LON", "51.511800", "-0.123300"), ("SYD", "-33.868800", "151.209300")]:
        StoreFactory(code=code, latitude=lat, longitude=lng)
    point = (-36.8485, 174.7633)  # Auckland
    # when both forms measure from the same point
    expected = {s.code: s.distance_km for s in stores_by_distance(lat=point[0], lng=point[1])}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT code, {distance_sql('latitude', 'longitude')} FROM {Store._meta.db_table} CROSS JOIN {POINT_SQL}",  # noqa: S608
            [*point],
        )
        measured = dict(cursor.fetchall())
    # then they agree to the metre (Auckland-Sydney is ~2,155 km)
    assert measured == pytest.approx(expected, abs=0.001)
    assert 2100 < measured["SYD"] < 2200


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
