"""Money rounds one way (retail.domain.money): half up to the currency's minor unit, in the kernel
and in every caller that rounds an amount; splits add up to the cent; currencies never mix; and
no module of the apps rounds money by itself."""

import ast
import re
from datetime import date
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise
from math import floor
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from customers.models import LoyaltyAccount
from customers.services import giftcards, loyalty
from customers.services.timeline import _purchase_lines
from insights import charts
from inventory.pricing import with_ending
from orders.returns.models import Condition, Reason, ReturnPolicy
from orders.returns.policy import LineFacts, Rules, judge_line, receiptless_price
from retail.domain.money import (
    CurrencyMismatch,
    Money,
    allocate,
    format_money,
    is_whole_minor_units,
    money,
    unit_share,
)

ROOT = Path(__file__).resolve().parents[2]
APPS = ("retail", "webhooks", "inventory", "customers", "orders", "insights")
KERNEL = ROOT / "retail" / "domain" / "money.py"


def half_up(value: Decimal, places: int = 2) -> Decimal:
    """The rule, computed without Decimal's rounding: half a unit goes away from zero."""
    exact = Fraction(value) * 10**places
    units = floor(abs(exact) + Fraction(1, 2))
    return Decimal(units if exact >= 0 else -units).scaleb(-places).quantize(Decimal(1).scaleb(-places))


amounts = st.decimals(min_value=-(10**7), max_value=10**7, places=4, allow_nan=False, allow_infinity=False)
positive = st.decimals(min_value=0, max_value=10**6, places=4, allow_nan=False, allow_infinity=False)
# A half cent exactly (12.345, 0.125): where half up and half even disagree.
half_cents = st.integers(min_value=0, max_value=10**8).map(lambda n: Decimal(n * 10 + 5).scaleb(-3))
weights = st.lists(
    st.decimals(min_value=0, max_value=10**5, places=2, allow_nan=False, allow_infinity=False), min_size=1, max_size=12
).filter(lambda ws: sum(ws) > 0)


# --- the kernel ------------------------------------------------------------------------------


@given(amounts)
def test_money_rounds_half_up_to_the_cent(value):
    assert money(value) == half_up(value)
    assert Money(value, "EUR").amount == half_up(value)


@given(half_cents)
def test_half_a_cent_goes_up_never_to_the_even_cent(value):
    assert money(value) == half_up(value) > value
    assert money(-value) == -money(value)


@given(amounts)
def test_a_currency_without_minor_unit_rounds_to_the_whole_unit(value):
    assert money(value, "JPY") == half_up(value, places=0)


@given(amounts)
def test_only_amounts_already_in_cents_need_no_rounding(value):
    assert is_whole_minor_units(value) == (value == half_up(value))


@given(positive, weights)
def test_allocation_sums_exactly_and_gives_no_negative_part(total, ws):
    parts = allocate(total, ws)
    assert sum(parts, Decimal(0)) == money(total)
    assert all(part >= 0 for part in parts)
    assert all(part == money(part) for part in parts)  # whole cents
    # each part is its exact share, less than a cent away
    exact = [Fraction(money(total)) * Fraction(w) / Fraction(sum(ws)) for w in ws]
    assert all(abs(Fraction(p) - e) < Fraction(1, 100) for p, e in zip(parts, exact, strict=True))
    assert allocate(total, ws) == parts  # deterministic
    assert all(part == 0 for part, w in zip(parts, ws, strict=True) if w == 0)


@given(amounts, weights)
def test_allocation_of_a_negative_total_mirrors_the_positive_one(total, ws):
    assert allocate(-total, ws) == [-part for part in allocate(total, ws)]


def test_left_over_cents_go_to_the_largest_remainders_then_the_earlier_part():
    assert allocate(Decimal("10.00"), [1, 1, 1]) == [Decimal("3.34"), Decimal("3.33"), Decimal("3.33")]
    assert allocate(Decimal("1.00"), [1, 2]) == [Decimal("0.33"), Decimal("0.67")]
    assert Money("10.00", "EUR").allocate([1, 1, 1]) == [
        Money("3.34", "EUR"),
        Money("3.33", "EUR"),
        Money("3.33", "EUR"),
    ]


@pytest.mark.parametrize("ws", [[], [0, 0], [1, -1]])
def test_allocation_refuses_weights_that_cannot_split(ws):
    if not ws:
        assert allocate(Decimal("5"), ws) == []
        return
    with pytest.raises(ValueError, match="weights"):
        allocate(Decimal("5"), ws)


@given(positive, st.integers(min_value=1, max_value=50), st.data())
def test_unit_shares_of_a_line_add_up_to_its_total_however_it_is_returned(total, quantity, data):
    cuts = sorted(data.draw(st.lists(st.integers(min_value=0, max_value=quantity), max_size=6)))
    bounds = [0, *cuts, quantity]
    shares = [unit_share(total, quantity, a, b - a) for a, b in pairwise(bounds)]
    assert sum(shares, Decimal(0)) == money(total)
    assert all(share >= 0 for share in shares)


@given(amounts, amounts)
def test_money_of_one_currency_adds_subtracts_and_orders(a, b):
    x, y = Money(a, "EUR"), Money(b, "EUR")
    assert (x + y).amount == money(a) + money(b)
    assert (x - y).amount == money(a) - money(b)
    assert (x < y) == (money(a) < money(b))
    assert sum([x, y]) == x + y
    assert -x + x == Money.zero("EUR")


@given(amounts, st.sampled_from(["GBP", "USD", "JPY"]))
def test_mixed_currencies_are_refused(a, other):
    eur, foreign = Money(a, "EUR"), Money(a, other)
    for combine in (lambda: eur + foreign, lambda: eur - foreign, lambda: eur < foreign, lambda: foreign >= eur):
        with pytest.raises(CurrencyMismatch):
            combine()
    assert eur != foreign


@given(amounts, st.decimals(min_value=-100, max_value=100, places=3, allow_nan=False, allow_infinity=False))
def test_a_product_is_rounded_by_the_rule(a, factor):
    assert (Money(a, "EUR") * factor).amount == half_up(money(a) * factor)


def test_money_does_not_mix_with_plain_numbers_or_floats():
    with pytest.raises(TypeError):
        Money("1.00", "EUR") + Decimal("1.00")
    with pytest.raises(TypeError):
        Money("1.00", "EUR") * 1.5
    with pytest.raises(AttributeError):
        Money("1.00", "EUR").amount = Decimal(2)


# --- every caller that rounds an amount --------------------------------------------------------

RESTOCKING = Rules.from_policy(ReturnPolicy(name="rules", market=None))
TODAY = date(2026, 12, 3)


def _restocking_fee(paid: Decimal) -> Decimal:
    facts = LineFacts(quantity=1, reason=Reason.CHANGED_MIND, condition=Condition.USED, paid=paid, today=TODAY,
                      receiptless=True)  # fmt: skip
    return judge_line(RESTOCKING, facts).fee


# (caller, what it returns for an amount, what the rule says it must be); amounts are >= 0.
def _at_home(account: LoyaltyAccount) -> LoyaltyAccount:
    account.home_currency = "EUR"
    return account


CALLERS = {
    "kernel money": (money, half_up),
    "format_money": (
        lambda x: format_money(x, "EUR", locale="en"),
        lambda x: format_money(half_up(x), "EUR", locale="en"),
    ),
    "returns: receipt-less price": (
        lambda x: receiptless_price(current=x, lowest_recent=None, days=30)[0],
        half_up,
    ),
    "returns: restocking fee": (
        _restocking_fee,
        lambda x: min(half_up(x * RESTOCKING.restocking_fee_percent / 100), x),
    ),
    "inventory: price without ending": (lambda x: with_ending(x, ""), half_up),
    "loyalty: amounts": (loyalty._amount, half_up),
    "loyalty: points of a purchase": (
        # an account read with its home currency (as lock_accounts_for_purchases gives it): a purchase in
        # that currency is the rounding alone, no query for the home market
        lambda x: loyalty.purchase_points(_at_home(LoyaltyAccount()), x),
        lambda x: int(half_up(x)),
    ),
    "gift cards: amounts": (lambda x: giftcards._amount(x + Decimal("0.01")), lambda x: half_up(x + Decimal("0.01"))),
    "timeline: purchase lines": (
        lambda x: _purchase_lines({"lines": [{"sku": "SKU-1", "qty": 1, "amount": str(x)}]})[0]["amount"],
        half_up,
    ),
    "insights: chart labels": (lambda x: charts.money_label(x % 99_999), lambda x: f"{half_up(x % 99_999):,}"),
}


@pytest.mark.parametrize("caller", sorted(CALLERS))
@given(value=st.one_of(positive, half_cents.filter(lambda v: v < 10**6)))
def test_every_caller_rounds_half_up(caller, value):
    compute, rule = CALLERS[caller]
    assert compute(value) == rule(value)


# --- nothing else rounds money -----------------------------------------------------------------

ROUNDING_MODES = re.compile(r"\bROUND_(HALF_UP|HALF_EVEN|HALF_DOWN|UP|CEILING|05UP)\b")
TWO_PLACES = re.compile(r"\{[^{}]*:,?\.2f\}")  # f"{amount:.2f}": Decimal's format rounds half even


def money_rounding(source: str, *, formats: bool = True) -> list[int]:
    """Line numbers where `source` rounds an amount by itself: `.quantize(`, a rounding mode other
    than the floors that count whole points, or (`formats`) a two-decimal format of a number."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr == "quantize":
            found.add(node.lineno)
        if isinstance(node, ast.Name | ast.Attribute) and ROUNDING_MODES.fullmatch(
            getattr(node, "id", None) or node.attr
        ):
            found.add(node.lineno)
        if isinstance(node, ast.alias) and ROUNDING_MODES.fullmatch(node.name):
            found.add(node.lineno)
        if formats and isinstance(node, ast.FormattedValue) and node.format_spec is not None:
            spec = "".join(v.value for v in node.format_spec.values if isinstance(v, ast.Constant))
            if TWO_PLACES.fullmatch("{:" + spec + "}"):
                found.add(node.lineno)
    return sorted(found)


def test_no_module_rounds_money_outside_the_kernel():
    # given every module of the apps but the kernel and the migrations (history, frozen)
    found = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if path == KERNEL or "migrations" in path.parts:
                continue
            found += [f"{path.relative_to(ROOT)}:{line}" for line in money_rounding(path.read_text())]

    # and the benchmarks' dataset builders and scenarios, whose amounts must be what the apps would
    # write (their two-decimal formats print ratios and milliseconds, not money)
    for path in sorted((ROOT / "benchmarks").rglob("*.py")):
        found += [f"{path.relative_to(ROOT)}:{line}" for line in money_rounding(path.read_text(), formats=False)]

    # then
    assert found == [], "round with retail.domain.money (money, allocate, unit_share, Money): " + ", ".join(found)


@pytest.mark.parametrize(
    "source",
    [
        'x = amount.quantize(Decimal("0.01"))',
        "from decimal import ROUND_HALF_EVEN",
        "x = value.quantize(CENT, rounding=decimal.ROUND_HALF_UP)",
        "x = Decimal(v).to_integral_value(rounding=ROUND_CEILING)",
        'x = f"{amount:.2f}"',
        'x = f"{amount:,.2f}"',
    ],
)
def test_the_scan_finds_money_rounded_by_hand(source):
    assert money_rounding(source) == [1]


@pytest.mark.parametrize(
    "source",
    [
        "x = money(amount)",
        "points = int((amount * rate).to_integral_value(rounding=ROUND_DOWN))",  # whole points, floored
        'x = f"{value / 1000:.1f}k"',
        "x = round(hours, 1)",
    ],
)
def test_the_scan_leaves_other_code_alone(source):
    assert money_rounding(source) == []
