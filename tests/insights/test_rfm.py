"""RFM scores and segments on five customers, one per recency and spend quintile."""

from decimal import Decimal

import pytest

from insights import selectors
from tests.customers.factories import CustomerFactory
from tests.factories import StoreFactory
from tests.insights.conftest import at, make_order, october

pytestmark = pytest.mark.django_db


@pytest.fixture
def five():
    """(last order day, order totals): recency order c1<c2<c3<c4<c5, spend c1<c5<c3<c2<c4.

    Hand-scored: R = 1..5 in that order; M: c1 1, c5 2, c3 3, c2 4, c4 5; F by thresholds.
      c1: R1 F1 M1 -> hibernating   c2: R2 F3 M4 -> at risk    c3: R3 F2 M3 -> needs attention
      c4: R4 F5 M5 -> champions     c5: R5 F1 M2 -> recent, few orders
    c1 also bought 90.00 in September (lifetime 100.00).
    """
    store = StoreFactory(code="LON-01")
    plan = {
        "c1": [(2, "10.00")],
        "c2": [(1, "100.00"), (3, "100.00"), (5, "100.00")],
        "c3": [(8, "25.00"), (10, "25.00")],
        "c4": [(11, "50.00"), (12, "50.00"), (13, "100.00"), (14, "100.00"), (15, "100.00"), (20, "100.00")],
        "c5": [(28, "20.00")],
    }
    customers = {}
    for name, orders in plan.items():
        customer = CustomerFactory(first_name=name)
        customers[name] = customer
        for day, total in orders:
            make_order(store=store, channel="web", placed_at=at(10, day), total=total, customer=customer)
    make_order(store=store, channel="store", placed_at=at(9, 3), total="90.00", customer=customers["c1"])
    return customers


def test_each_customer_gets_the_hand_computed_scores_and_segment(five):
    # when
    rows = {r["customer_id"]: r for r in selectors.rfm_customers(october())}
    # then
    scored = {
        name: (rows[c.pk]["r"], rows[c.pk]["f"], rows[c.pk]["m"], rows[c.pk]["segment"]) for name, c in five.items()
    }
    assert scored == {
        "c1": (1, 1, 1, "hibernating"),
        "c2": (2, 3, 4, "at_risk"),
        "c3": (3, 2, 3, "needs_attention"),
        "c4": (4, 5, 5, "champions"),
        "c5": (5, 1, 2, "new"),
    }
    assert Decimal(rows[five["c1"].pk]["lifetime"]) == Decimal("100.00")


def test_segments_carry_recency_frequency_spend_and_lifetime_value(five):
    # when
    segments = {s["segment"]: s for s in selectors.rfm_segments(october())}
    # then
    assert set(segments) == {"hibernating", "at_risk", "needs_attention", "champions", "new"}
    champions = segments["champions"]
    assert (champions["customers"], champions["share"], champions["avg_orders"]) == (1, 20.0, 6.0)
    assert (champions["avg_spend"], champions["lifetime_value"]) == (Decimal("500.00"), Decimal("500.00"))
    assert champions["avg_recency_days"] == pytest.approx(11.5, abs=0.05)  # 20 Oct noon -> 1 Nov midnight
    assert segments["hibernating"]["lifetime_value"] == Decimal("100.00")  # September counts for lifetime
    assert segments["hibernating"]["avg_spend"] == Decimal("10.00")  # but not for the period's spend


def test_a_segment_table_is_empty_without_customers(db):
    assert selectors.rfm_segments(october()) == []
