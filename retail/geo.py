"""Great-circle distance as a database expression, so ordering by distance happens in SQL."""

from math import asin, cos, radians, sin, sqrt

from django.db.models import F, FloatField, Value
from django.db.models.functions import ASin, Cast, Cos, Least, Power, Radians, Sin, Sqrt
from django.utils.translation import gettext as _

EARTH_RADIUS_KM = 6371.0088


def distance_km(lat: float, lng: float, *, lat_field: str = "latitude", lng_field: str = "longitude"):
    """Haversine distance in km from (lat, lng) to each row's coordinates."""
    lat1, lng1 = (
        Radians(Value(lat, output_field=FloatField())),
        Radians(Value(lng, output_field=FloatField())),
    )
    # Coordinates are stored as decimals; the trigonometry runs in double precision.
    lat2 = Radians(Cast(F(lat_field), FloatField()))
    lng2 = Radians(Cast(F(lng_field), FloatField()))
    a = Power(Sin((lat2 - lat1) / 2), 2) + Cos(lat1) * Cos(lat2) * Power(Sin((lng2 - lng1) / 2), 2)
    return 2 * EARTH_RADIUS_KM * ASin(Sqrt(Least(a, Value(1.0, output_field=FloatField()))))


# A one-row relation holding the point; raw queries CROSS JOIN it and use `distance_sql`.
POINT_SQL = "(SELECT %s::float8 AS lat, %s::float8 AS lng) AS point"


def distance_sql(lat_column: str, lng_column: str) -> str:
    """The haversine of `distance_km` as SQL text, for hot raw queries: Django takes ~5 ms to
    compile `distance_km`'s expression tree, far more than the query itself. It reads the point
    from `POINT_SQL` (CROSS JOIN it, with params [lat, lng]); the columns are the caller's own
    names, never user input."""
    return (
        f"(2 * {EARTH_RADIUS_KM} * asin(sqrt(least("
        f"power(sin((radians({lat_column}::float8) - radians(point.lat)) / 2), 2)"
        f" + cos(radians(point.lat)) * cos(radians({lat_column}::float8))"
        f" * power(sin((radians({lng_column}::float8) - radians(point.lng)) / 2), 2), 1.0))))"
    )


def parse_point(raw: str) -> tuple[float, float]:
    """`"51.5,-0.12"` -> (51.5, -0.12); ValueError with a human message when it is not a point."""
    parts = [p.strip() for p in (raw or "").split(",")]
    if len(parts) != 2:
        raise ValueError(_("Give coordinates as 'latitude,longitude', e.g. 51.5072,-0.1276."))
    try:
        lat, lng = float(parts[0]), float(parts[1])
    except ValueError:
        raise ValueError(_("Latitude and longitude must be numbers, e.g. 51.5072,-0.1276.")) from None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180) or lat != lat or lng != lng:
        raise ValueError(_("Latitude must be within -90..90 and longitude within -180..180."))
    return lat, lng


def distance_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in km between two (latitude, longitude) points, rounded to 10 m."""

    lat1, lng1, lat2, lng2 = map(radians, (*a, *b))
    h = sin((lat2 - lat1) / 2) ** 2 + cos(lat1) * cos(lat2) * sin((lng2 - lng1) / 2) ** 2
    return round(2 * EARTH_RADIUS_KM * asin(sqrt(min(h, 1.0))), 2)
