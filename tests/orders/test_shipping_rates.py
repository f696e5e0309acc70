"""What a shipping method costs for a parcel (orders.shipping, no database): flat, bands by weight
and by order value (up to and including each limit, an open band for the rest), free from a
threshold; and carriers' tracking pages."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from orders.models import Carrier
from orders.shipping import (
    NO_BANDS,
    TOO_HEAVY,
    TOO_VALUABLE,
    WEIGHT_UNKNOWN,
    Band,
    Parcel,
    Quote,
    Rate,
    parcel_weight,
    quote,
)

D = Decimal
BY_WEIGHT = Rate(
    basis="weight",
    bands=(Band(D(2000), D("7.90")), Band(D(500), D("4.90")), Band(None, D("14.90"))),  # given out of order
    free_over=D("80.00"),
)
BY_VALUE = Rate(basis="order_value", bands=(Band(D("29.99"), D("5.00")), Band(D("59.99"), D("3.00"))))


@pytest.mark.parametrize(
    ("grams", "goods", "expected"),
    [
        (1, "10.00", Quote(D("4.90"))),
        (500, "10.00", Quote(D("4.90"))),  # up to and including the limit
        (501, "10.00", Quote(D("7.90"))),
        (2000, "79.99", Quote(D("7.90"))),
        (2001, "10.00", Quote(D("14.90"))),  # the open band takes what passes every limit
        (90_000, "10.00", Quote(D("14.90"))),
        (None, "10.00", Quote(None, WEIGHT_UNKNOWN)),  # an item without a weight: no price
        (90_000, "80.00", Quote(D("0.00"), free=True)),  # free from the threshold, whatever it weighs
        (None, "80.00", Quote(D("0.00"), free=True)),
        (0, "0.00", Quote(D("4.90"))),
    ],
)
def test_bands_by_weight(grams, goods, expected):
    assert quote(BY_WEIGHT, Parcel(goods=D(goods), grams=grams)) == expected


@pytest.mark.parametrize(
    ("goods", "expected"),
    [
        ("0.01", Quote(D("5.00"))),
        ("29.99", Quote(D("5.00"))),
        ("30.00", Quote(D("3.00"))),
        ("59.99", Quote(D("3.00"))),
        ("60.00", Quote(None, TOO_VALUABLE)),  # no open band: past the last limit, no price
    ],
)
def test_bands_by_order_value(goods, expected):
    assert quote(BY_VALUE, Parcel(goods=D(goods), grams=None)) == expected


def test_without_an_open_band_a_heavy_parcel_has_no_price_and_without_bands_nothing_has():
    rate = Rate(basis="weight", bands=(Band(D(1000), D("3.00")),))
    assert quote(rate, Parcel(goods=D(1), grams=1001)) == Quote(None, TOO_HEAVY)
    assert quote(Rate(basis="weight"), Parcel(goods=D(1), grams=1)) == Quote(None, NO_BANDS)


def test_flat_rate_and_its_threshold():
    rate = Rate(basis="flat", price=D("4.99"), free_over=D("50.00"))
    assert quote(rate, Parcel(goods=D("49.99"), grams=None)) == Quote(D("4.99"))
    assert quote(rate, Parcel(goods=D("50.00"), grams=None)) == Quote(D("0.00"), free=True)
    assert quote(Rate(basis="flat", price=D("0.00")), Parcel(goods=D(1), grams=1)).price == D("0.00")


def test_a_parcel_weighs_its_units_and_is_unknown_when_one_is():
    assert parcel_weight([(250, 2), (1000, 1)]) == 1500
    assert parcel_weight([(250, 2), (None, 1)]) is None
    assert parcel_weight([]) == 0


def test_a_tracking_page_takes_the_number_escaped():
    carrier = Carrier(code="poste", name="Poste", tracking_url="https://track.example/it?code={number}")
    assert carrier.tracking_link("RR 123/45") == "https://track.example/it?code=RR%20123%2F45"
    assert carrier.tracking_link("") == ""
    assert Carrier(code="x", name="X").tracking_link("RR1") == ""


@pytest.mark.parametrize(
    "url",
    [
        "http://track.example/{number}",  # not https
        "https://track.example/",  # no place for the number
        "https://track.example/{number}/{number}",
        "https://track.example/{id}?n={number}",
        "javascript:alert(1)//{number}",
    ],
)
def test_a_tracking_page_is_https_with_the_number_once(url):
    with pytest.raises(ValidationError) as refused:
        Carrier(code="x", name="X", tracking_url=url).clean()
    assert "tracking_url" in refused.value.message_dict
