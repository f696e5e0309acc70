"""Every figure against numbers worked out by hand from the `chain` fixture (see its docstring)."""

from datetime import date
from decimal import Decimal

import pytest

from insights import selectors
from insights.filters import Period
from tests.insights.conftest import october

pytestmark = pytest.mark.django_db

D = Decimal


def by(rows, key):
    return {row[key]: row for row in rows}


def test_sales_by_channel_are_net_of_cancellations_short_picks_and_refunds(chain):
    # when
    totals = by(selectors.sales_totals(selectors.sales_series(october(), by="channel")), "channel")
    # then: gross 380 in 7 orders; web loses 40 short-picked + 30 refunded; store loses a 60 refund
    assert {k: (t["orders"], t["gross"], t["net"]) for k, t in totals.items()} == {
        "app": (1, D("100.00"), D("100.00")),
        "store": (3, D("140.00"), D("80.00")),
        "web": (2, D("120.00"), D("50.00")),
        "kiosk": (1, D("20.00"), D("20.00")),
    }
    assert totals["web"]["short_picked"] == D("40.00") and totals["web"]["refunds"] == D("30.00")
    assert totals["app"]["share"] == 40.0  # 100 of 250 net


def test_sales_series_per_day_and_per_store(chain):
    # when
    days = selectors.sales_series(october(), by="channel", grain="day")
    stores = by(selectors.sales_totals(selectors.sales_series(october(), by="store"), by="store"), "store")
    # then
    web_6th = next(r for r in days if r["period"] == date(2026, 10, 6) and r["channel"] == "web")
    assert (web_6th["gross"], web_6th["short_picked"], web_6th["refunds"], web_6th["net"]) == (
        D("80.00"),
        D("40.00"),
        D("30.00"),
        D("10.00"),
    )
    assert {k: (t["orders"], t["net"]) for k, t in stores.items()} == {
        "LON-01": (5, D("210.00")),
        "MAN-01": (2, D("40.00")),
    }


def test_store_and_date_filters_narrow_every_sales_figure(chain):
    # given: London only, and 1-7 October
    london = october(store_ids=(chain.lon.pk,))
    first_week = Period(start=date(2026, 10, 1), end=date(2026, 10, 7))
    # when
    lon = selectors.sales_totals(selectors.sales_series(london, by="store"), by="store")
    week = by(selectors.sales_totals(selectors.sales_series(first_week)), "channel")
    # then
    assert [(t["store"], t["net"]) for t in lon] == [("LON-01", D("210.00"))]
    assert {k: t["gross"] for k, t in week.items()} == {"app": D("100.00"), "web": D("80.00"), "store": D("30.00")}


def test_multichannel_customers_share_spend_and_frequency(chain):
    # given: A used app+store (2 orders, 150), B web+store (3 orders, 180), C only store (30; her
    # cancelled app order does not count); the guest kiosk order has no customer
    # when
    data = selectors.channel_customers(october())
    single, multi = data["groups"]
    # then
    assert (single["customers"], single["share"], single["average_spend"], single["orders_per_customer"]) == (
        1,
        33.3,
        D("30.00"),
        1.0,
    )
    assert (multi["customers"], multi["share"], multi["average_spend"], multi["orders_per_customer"]) == (
        2,
        66.7,
        D("165.00"),
        2.5,
    )
    assert multi["average_order"] == D("66.00")  # 330 / 5 orders
    assert data["spend_lift"] == 450.0  # (165 - 30) / 30
    assert [(g["group"], g["customers"]) for g in data["by_channel_count"]] == [("1 channel", 1), ("2 channels", 2)]


def test_multichannel_is_measured_within_the_chosen_stores(chain):
    # when: in London, B bought only on the web (80) and C only in store (30)
    single, multi = selectors.channel_customers(october(store_ids=(chain.lon.pk,)))["groups"]
    # then
    assert (single["customers"], single["average_spend"]) == (2, D("55.00"))
    assert (multi["customers"], multi["average_spend"], multi["share"]) == (1, D("150.00"), 33.3)


def test_click_and_collect_per_store(chain):
    # when
    rows = by(selectors.bopis_by_store(october()), "store")
    # then: LON pick-ups are orders 1, 3 and the cancelled 7; MAN has order 4, expired
    lon, man = rows["LON-01"], rows["MAN-01"]
    assert (lon["pickups"], lon["collected"], lon["expired"], lon["cancelled"]) == (3, 2, 0, 1)
    assert (lon["avg_hours_to_ready"], lon["median_hours_to_ready"]) == (3.0, 3.0)
    assert (lon["pickup_rate"], lon["expiry_rate"]) == (100.0, 0.0)
    assert (lon["short_pickups"], lon["short_units"]) == (1, 1)
    assert (man["pickups"], man["expired"], man["avg_hours_to_ready"], man["pickup_rate"], man["expiry_rate"]) == (
        1,
        1,
        6.0,
        0.0,
        100.0,
    )


def test_returns_by_reason_against_units_sold(chain):
    # given: 7 units sold (order 3's short-picked unit and the cancelled order are not); 5 units
    # came back: wrong size 2, changed mind 2, faulty 1; the rejected return is left out
    # when
    rows = selectors.returns_by_reason(october())
    # then
    assert [(r["reason"], r["units"], r["share"], r["return_rate"]) for r in rows] == [
        ("changed_mind", 2, 40.0, 28.57),
        ("wrong_size", 2, 40.0, 28.57),
        ("defective", 1, 20.0, 14.29),
    ]
    assert rows[0]["units_sold"] == 7


def test_channel_bought_versus_channel_returned(chain):
    # when
    matrix = selectors.returns_channel_matrix(october())
    # then
    cells = {(r["bought"], r["returned"]): r["returns"] for r in matrix["rows"]}
    assert cells == {("web", "store"): 1, ("store", "store"): 1, ("app", "mail"): 1, ("none", "store"): 1}
    assert (matrix["cross_channel"], matrix["total"]) == (3, 4)
    assert matrix["bought"] == ["app", "web", "store", "none"] and matrix["returned"] == ["store", "mail"]
    assert ["app", [0, 1], 1] in matrix["grid"]


def test_refund_method_split_and_store_filter(chain):
    # when
    everywhere = selectors.refund_methods(october())
    manchester = selectors.refund_methods(october(store_ids=(chain.man.pk,)))
    # then
    assert [(m["method"], m["returns"], m["share"], m["amount"]) for m in everywhere] == [
        ("store_credit", 2, 66.7, D("75.00")),
        ("original", 1, 33.3, D("30.00")),
    ]
    assert [(m["method"], m["amount"]) for m in manchester] == [("store_credit", D("15.00"))]


def test_stockouts_and_sell_through(chain):
    # when
    rows = by(selectors.stock_by_store(october()), "store")
    # then: LON sold 3 + 1 in October with 7 on hand; MAN sold 5 with 10 on hand
    assert (rows["LON-01"]["skus"], rows["LON-01"]["stockouts"], rows["LON-01"]["on_hand"]) == (2, 1, 7)
    assert (rows["LON-01"]["units_sold"], rows["LON-01"]["sell_through"]) == (4, 36.4)
    assert (rows["MAN-01"]["stockouts"], rows["MAN-01"]["units_sold"], rows["MAN-01"]["sell_through"]) == (1, 5, 33.3)


def test_transfer_lead_time(chain):
    # when
    rows = selectors.transfer_lead_times(october())
    # then
    assert [
        (r["store"], r["transfers"], r["avg_hours_lead"], r["median_hours_lead"], r["avg_hours_to_ship"]) for r in rows
    ] == [("LON-01", 2, 36.0, 36.0, 18.0)]


def test_counts_are_whole_numbers(chain):
    # when
    sold = selectors.units_sold(october())
    pickups = by(selectors.bopis_by_store(october()), "store")
    # then
    assert sold == 7 and isinstance(sold, int)
    assert isinstance(pickups["LON-01"]["short_units"], int)


def test_money_sums_are_shown_to_the_cent_by_the_kernels_rule_half_up():
    assert [selectors.today.money(v or 0) for v in (Decimal("12.5"), None, Decimal("1.005"), Decimal("2.675"))] == [
        Decimal("12.50"),
        Decimal("0.00"),
        Decimal("1.01"),  # half up, as orders and returns round (it was half even here before)
        Decimal("2.68"),
    ]
