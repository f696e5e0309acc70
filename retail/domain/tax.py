"""Tax, said once (issue 19): what of each line is net and what is tax, to the cent, and what a
refund of part of a line gives back. No database: lines and rates in, amounts out.

    lines = [TaxableLine(Money("9.99", "PLN"), Decimal(23))] * 3
    order = compute_tax(lines, prices_include_tax=True, currency="PLN")
    order.tax                      # Money('5.60', 'PLN'): 29.97 x 23/123, half up
    [l.tax for l in order.lines]   # 1.87, 1.87, 1.86: the rate's tax allocated over its lines

The tax of an order is computed per rate on the sum of that rate's lines (as an invoice's VAT
summary shows it: 29.97 gross at 23% is 5.60 tax, not three times 1.87), then allocated over those
lines in proportion to their amounts with the kernel's `allocate`: line taxes always sum to the
order's tax, and each is less than 1.5 cents away from its exact share. With tax-inclusive prices
(`prices_include_tax`, a market's setting) a line's amount is its gross and its net is what is left;
otherwise the amount is its net and the tax is added.

A refund reverses tax in proportion to the gross it gives back, counted from the start of the line
(`reverse_tax`): what all refunds of a line gave back so far is floor(refunded x tax / gross) cents
of tax, so a refund of the whole line, in one go or in pieces, reverses exactly the line's tax and
net, and no piece gives back more tax or more net than is left. `reverse_units` does it for units
of a line, with the same unit shares returns use (`Money.unit_share`).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from retail.domain.money import CurrencyMismatch, Money, currency_code, minor_unit

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class TaxableLine:
    """A line as sold: its amount after discounts (gross or net, as the market prices) and its rate
    in percent (Decimal("23") for 23%)."""

    amount: Money
    rate: Decimal


@dataclass(frozen=True)
class LineTax:
    net: Money
    tax: Money
    gross: Money
    rate: Decimal


@dataclass(frozen=True)
class RateTotal:
    """One rate's lines together: a line of an invoice's tax summary."""

    rate: Decimal
    net: Money
    tax: Money
    gross: Money


@dataclass(frozen=True)
class OrderTax:
    lines: tuple[LineTax, ...]  # in the order given
    rates: tuple[RateTotal, ...]  # lowest rate first
    net: Money
    tax: Money
    gross: Money


@dataclass(frozen=True)
class TaxReversal:
    """What a refund gives back: `gross` (what the shopper receives), of which `tax` and `net`."""

    net: Money
    tax: Money
    gross: Money


def tax_of(amount: Money, rate: Decimal, *, included: bool) -> Money:
    """The tax in (`included`) or on `amount` at `rate` percent, half up to the cent."""
    rate = _rate(rate)
    if included:
        return Money(amount.amount * rate / (HUNDRED + rate), amount.currency)
    return Money(amount.amount * rate / HUNDRED, amount.currency)


def compute_tax(lines: Sequence[TaxableLine], *, prices_include_tax: bool, currency: str) -> OrderTax:
    """Each line's net, tax and gross, and the order's per rate and in all; see the module's text.

    Amounts are in `currency` (CurrencyMismatch otherwise) and not negative (ValueError)."""
    currency = currency_code(currency)
    zero = Money.zero(currency)
    for line in lines:
        if line.amount.currency != currency:
            raise CurrencyMismatch(f"A {line.amount.currency} line in a {currency} order.")
        if line.amount.amount < 0:
            raise ValueError("A line's amount is not negative: a discount is taken off its line.")
    taxes: list[Money] = [zero] * len(lines)
    by_rate: dict[Decimal, list[int]] = {}
    for index, line in enumerate(lines):
        by_rate.setdefault(_rate(line.rate), []).append(index)
    for rate, indexes in by_rate.items():
        amounts = [lines[i].amount for i in indexes]
        total = sum(amounts, zero)
        if not total:
            continue
        shares = tax_of(total, rate, included=prices_include_tax).allocate([a.amount for a in amounts])
        for i, share in zip(indexes, shares, strict=True):
            taxes[i] = share
    taxed = tuple(
        _line(line.amount, tax, _rate(line.rate), prices_include_tax) for line, tax in zip(lines, taxes, strict=True)
    )
    rates = tuple(
        RateTotal(
            rate=rate,
            net=sum((taxed[i].net for i in indexes), zero),
            tax=sum((taxed[i].tax for i in indexes), zero),
            gross=sum((taxed[i].gross for i in indexes), zero),
        )
        for rate, indexes in sorted(by_rate.items())
    )
    return OrderTax(
        lines=taxed,
        rates=rates,
        net=sum((line.net for line in taxed), zero),
        tax=sum((line.tax for line in taxed), zero),
        gross=sum((line.gross for line in taxed), zero),
    )


def reverse_tax(line: LineTax, *, refunded_before: Money, refund: Money) -> TaxReversal:
    """The net and tax given back with `refund` (gross) of `line`, after `refunded_before` (gross)
    of it was already refunded. ValueError when the refunds would pass the line's gross."""
    currency = line.gross.currency
    gross, tax = _units(line.gross), _units(line.tax)
    before, now = _units(refunded_before, currency), _units(refund, currency)
    if before < 0 or now < 0 or before + now > gross:
        raise ValueError(f"Refunds of this line add up to at most {line.gross}; {refunded_before} + {refund} do not.")
    if not gross:  # a free line: nothing to give back
        return TaxReversal(net=refund, tax=refund, gross=refund)

    def tax_refunded(units: int) -> int:
        return units * tax // gross  # whole cents, floored: never ahead of the line's tax

    given_back = _money(tax_refunded(before + now) - tax_refunded(before), currency)
    return TaxReversal(net=refund - given_back, tax=given_back, gross=refund)


def reverse_units(line: LineTax, *, quantity: int, start: int, count: int) -> TaxReversal:
    """What returning units start+1 .. start+count of a line of `quantity` units gives back: their
    share of the line's gross (as `Money.unit_share` splits it) with its net and tax."""
    return reverse_tax(
        line,
        refunded_before=line.gross.unit_share(quantity, 0, start),
        refund=line.gross.unit_share(quantity, start, count),
    )


def _line(amount: Money, tax: Money, rate: Decimal, included: bool) -> LineTax:
    if included:
        return LineTax(net=amount - tax, tax=tax, gross=amount, rate=rate)
    return LineTax(net=amount, tax=tax, gross=amount + tax, rate=rate)


def _rate(rate) -> Decimal:
    rate = Decimal(str(rate)) if not isinstance(rate, Decimal) else rate
    if not rate.is_finite() or rate < 0:
        raise ValueError(f"A tax rate is a percentage, not negative: {rate!r}.")
    return rate.normalize() + 0  # 23, 23.0 and 23.00 are one rate (+ 0 drops a negative zero's sign)


def _units(amount: Money, currency: str | None = None) -> int:
    if currency is not None and amount.currency != currency:
        raise CurrencyMismatch(f"{amount.currency} and {currency} amounts cannot be combined.")
    return int(amount.amount / minor_unit(amount.currency))


def _money(units: int, currency: str) -> Money:
    return Money(Decimal(units) * minor_unit(currency), currency)
