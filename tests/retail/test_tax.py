"""Tax to the cent (retail.domain.tax, issue 19): line taxes always sum to the order's tax, a full
refund reverses a line's tax exactly, partial refunds never give back more than is left."""

from decimal import Decimal
from fractions import Fraction
from itertools import pairwise

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retail.domain.money import CurrencyMismatch, Money, minor_unit
from retail.domain.tax import TaxableLine, compute_tax, reverse_tax, reverse_units, tax_of

RATES = [Decimal(r) for r in ("0", "5", "8", "22", "23", "5.5", "19.6", "100")]
cents = st.integers(min_value=0, max_value=10**9)
currencies = st.sampled_from(["PLN", "EUR", "JPY"])
# Pure arithmetic: a slow draw or example is a busy machine (CI shares its cores), not a slow strategy.
busy_machine = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def in_units(units: int, currency: str) -> Money:
    """`units` of the currency's minor unit (cents; yen)."""
    return Money(Decimal(units) * minor_unit(currency), currency)


def units_of(amount: Money) -> int:
    return int(amount.amount / minor_unit(amount.currency))


@st.composite
def orders(draw):
    currency = draw(currencies)
    lines = draw(
        st.lists(
            st.builds(
                lambda units, rate: TaxableLine(in_units(units, currency), rate),
                cents,
                st.sampled_from(RATES),
            ),
            min_size=1,
            max_size=12,
        )
    )
    return currency, lines, draw(st.booleans())


def exact_tax(amount: Money, rate: Decimal, included: bool) -> Fraction:
    value, r = Fraction(amount.amount), Fraction(rate)
    return value * r / (100 + r) if included else value * r / 100


@busy_machine
@given(orders())
def test_line_taxes_always_sum_to_the_orders_tax(order):
    # given
    currency, lines, included = order

    # when
    taxed = compute_tax(lines, prices_include_tax=included, currency=currency)

    # then line taxes, nets and grosses add up to the order's, and to each rate's summary line
    assert sum((line.tax for line in taxed.lines), Money.zero(currency)) == taxed.tax
    assert sum((rate.tax for rate in taxed.rates), Money.zero(currency)) == taxed.tax
    assert taxed.net + taxed.tax == taxed.gross
    for line, given_line in zip(taxed.lines, lines, strict=True):
        assert line.net + line.tax == line.gross
        assert (line.gross if included else line.net) == given_line.amount
        assert line.tax.amount >= 0 and line.net.amount >= 0
    # each rate's tax is that rate's exact tax on its total, half up; each line within 1.5 minor units
    unit = Fraction(minor_unit(currency))
    for rate in taxed.rates:
        total = rate.gross if included else rate.net
        assert rate.tax == tax_of(total, rate.rate, included=included)
        assert abs(Fraction(rate.tax.amount) - exact_tax(total, rate.rate, included)) <= unit / 2
    for line, given_line in zip(taxed.lines, lines, strict=True):
        assert abs(Fraction(line.tax.amount) - exact_tax(given_line.amount, given_line.rate, included)) < unit * 3 / 2


@busy_machine
@given(orders(), st.data())
def test_a_full_refund_in_any_pieces_reverses_each_lines_tax_exactly(order, data):
    currency, lines, included = order
    taxed = compute_tax(lines, prices_include_tax=included, currency=currency)
    for line in taxed.lines:
        # given the line's gross refunded in pieces (cut anywhere, to the minor unit)
        gross = units_of(line.gross)
        cuts = sorted(data.draw(st.lists(st.integers(min_value=0, max_value=gross), max_size=5)))
        bounds = [0, *cuts, gross]

        # when
        pieces = [
            reverse_tax(line, refunded_before=in_units(a, currency), refund=in_units(b - a, currency))
            for a, b in pairwise(bounds)
        ]

        # then all of it comes back, and no piece gives back a negative net or tax
        assert sum((p.tax for p in pieces), Money.zero(currency)) == line.tax
        assert sum((p.net for p in pieces), Money.zero(currency)) == line.net
        assert sum((p.gross for p in pieces), Money.zero(currency)) == line.gross
        assert all(p.tax.amount >= 0 and p.net.amount >= 0 and p.net + p.tax == p.gross for p in pieces)


@busy_machine
@given(orders(), st.integers(min_value=1, max_value=20), st.data())
def test_partial_refunds_of_units_never_over_reverse(order, quantity, data):
    currency, lines, included = order
    line = compute_tax(lines, prices_include_tax=included, currency=currency).lines[0]
    # given some units returned, in a few returns, maybe not all of them
    returned = data.draw(st.integers(min_value=0, max_value=quantity))
    cuts = sorted(data.draw(st.lists(st.integers(min_value=0, max_value=returned), max_size=4)))
    bounds = [0, *cuts, returned]

    # when
    pieces = [reverse_units(line, quantity=quantity, start=a, count=b - a) for a, b in pairwise(bounds)]

    # then what came back is never more than the line had, in tax or in net, and every piece is its units' share
    zero = Money.zero(currency)
    assert sum((p.tax for p in pieces), zero) <= line.tax
    assert sum((p.net for p in pieces), zero) <= line.net
    assert all(p.tax >= zero and p.net >= zero for p in pieces)
    assert [p.gross for p in pieces] == [line.gross.unit_share(quantity, a, b - a) for a, b in pairwise(bounds)]
    if returned == quantity:
        assert (sum((p.tax for p in pieces), zero), sum((p.net for p in pieces), zero)) == (line.tax, line.net)


def test_a_pln_order_at_23_and_8_percent_with_a_partial_refund():
    # given three lines of 9.99 zł at 23% and a book at 8%, prices tax-inclusive (Poland)
    pln = lambda amount: Money(amount, "PLN")  # noqa: E731
    lines = [TaxableLine(pln("9.99"), Decimal(23))] * 3 + [TaxableLine(pln("49.00"), Decimal(8))]

    # when
    order = compute_tax(lines, prices_include_tax=True, currency="PLN")

    # then 29.97 at 23% holds 5.60 of tax (not 3 x 1.87 = 5.61), allocated 1.87 + 1.87 + 1.86
    assert [(line.net, line.tax) for line in order.lines] == [
        (pln("8.12"), pln("1.87")),
        (pln("8.12"), pln("1.87")),
        (pln("8.13"), pln("1.86")),
        (pln("45.37"), pln("3.63")),
    ]
    assert [(r.rate, r.net, r.tax, r.gross) for r in order.rates] == [
        (Decimal(8), pln("45.37"), pln("3.63"), pln("49.00")),
        (Decimal(23), pln("24.37"), pln("5.60"), pln("29.97")),
    ]
    assert (order.net, order.tax, order.gross) == (pln("69.74"), pln("9.23"), pln("78.97"))

    # and a line of 3 units at 123.00 zł: one unit returned, then the other two
    (line,) = compute_tax([TaxableLine(pln("123.00"), Decimal(23))], prices_include_tax=True, currency="PLN").lines
    first = reverse_units(line, quantity=3, start=0, count=1)
    rest = reverse_units(line, quantity=3, start=1, count=2)
    assert (first.gross, first.net, first.tax) == (pln("41.00"), pln("33.34"), pln("7.66"))
    assert (rest.gross, rest.net, rest.tax) == (pln("82.00"), pln("66.66"), pln("15.34"))
    assert (first.tax + rest.tax, first.net + rest.net) == (pln("23.00"), pln("100.00"))


def test_net_prices_get_their_tax_added():
    lines = [TaxableLine(Money("100.00", "PLN"), Decimal(23))]
    (line,) = compute_tax(lines, prices_include_tax=False, currency="PLN").lines
    assert (line.net, line.tax, line.gross) == (Money("100.00", "PLN"), Money("23.00", "PLN"), Money("123.00", "PLN"))


def test_bad_lines_and_refunds_are_refused():
    pln = Money("10.00", "PLN")
    with pytest.raises(CurrencyMismatch):
        compute_tax([TaxableLine(Money("1.00", "EUR"), Decimal(23))], prices_include_tax=True, currency="PLN")
    with pytest.raises(ValueError, match="not negative"):
        compute_tax([TaxableLine(-pln, Decimal(23))], prices_include_tax=True, currency="PLN")
    with pytest.raises(ValueError, match="percentage"):
        compute_tax([TaxableLine(pln, Decimal(-1))], prices_include_tax=True, currency="PLN")
    (line,) = compute_tax([TaxableLine(pln, Decimal(23))], prices_include_tax=True, currency="PLN").lines
    with pytest.raises(ValueError, match="at most"):
        reverse_tax(line, refunded_before=Money("6.00", "PLN"), refund=Money("5.00", "PLN"))
    assert compute_tax([], prices_include_tax=True, currency="PLN").tax == Money.zero("PLN")
