"""Money, said once: an amount in a currency, one rounding rule, allocation to the cent, and one
formatter for people.

    Money("19.995")                      # Money('20.00', 'EUR'): half up to the currency's minor unit
    Money("10.00") + Money("2.50", "GBP")  # CurrencyMismatch: amounts in two currencies never mix
    Money("10.00").allocate([1, 1, 1])    # [3.34, 3.33, 3.33]: the parts sum exactly to the total
    money("2.675")                        # Decimal("2.68"): the same rule for a model's DecimalField
    format_money(Decimal("1813.72"))      # "€1,813.72" in English, "1.813,72 €" in German

The rule is ROUND_HALF_UP (half a cent goes away from zero) to the currency's minor unit (two
decimals, none for JPY): prices, discounts, refunds, points' value, spend, reports and what people
read all round the same way. Rounding anywhere else is a bug; a test fails when `quantize(` or
another rounding mode appears outside this module (tests/retail/test_money_rules.py).
Where one amount is split over several (a discount over lines, a line over its units, what the
offer and the points each paid), `allocate` hands out whole cents by the largest remainder, ties to
the earlier part, so a later partial return refunds exactly what that part paid.

`format_money` writes an amount as people of a locale write it: the currency's symbol where the
locale puts it, its grouping and decimal marks. Amounts are never shown as "EUR 1,813.72", "155.98
EUR" or a bare number beside them. The locale is settings.MONEY_LOCALE if set, else the reader's
language (the active translation: the portal user's, the shopper's, Accept-Language in the API);
add a locale or a currency to the tables below.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from functools import total_ordering

from django.conf import settings
from django.utils import translation

NBSP, NNBSP = "\u00a0", "\u202f"
ROUNDING = ROUND_HALF_UP  # the one rule


class CurrencyMismatch(ValueError):
    """Two amounts in different currencies were added, subtracted or compared."""


def currency_code(currency: str | None = None) -> str:
    return (currency or settings.CURRENCY or "").upper()


def minor_unit(currency: str | None = None) -> Decimal:
    """The smallest amount of the currency: 0.01 for EUR, 1 for JPY."""
    return Decimal(1).scaleb(-DECIMALS.get(currency_code(currency), 2))


def _decimal(value) -> Decimal:
    """A Decimal from a Decimal, an int, numeric text or a float (read as it prints: 19.99, not its binary)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise InvalidOperation("A truth value is not an amount.")
    return Decimal(str(value).strip() if isinstance(value, str) else str(value))


def round_to(value, step: Decimal) -> Decimal:
    """`value` to a whole number of `step` (a power of ten: 0.01, 1) by the one rule, half up.

    Raises InvalidOperation (an ArithmeticError) for text that is no number, NaN or infinity.
    """
    amount = _decimal(value)
    if not amount.is_finite():
        raise InvalidOperation(f"{value!r} is not an amount.")
    return amount.quantize(step, rounding=ROUNDING)


def money(value, currency: str | None = None) -> Decimal:
    """`value` rounded by the one rule (half up, to the currency's minor unit), as a Decimal."""
    return round_to(value, minor_unit(currency))


def is_whole_minor_units(value, currency: str | None = None) -> bool:
    """True when `value` needs no rounding (12.50 yes, 12.505 no): what an import may accept as is."""
    amount = _decimal(value)
    return amount.is_finite() and amount == amount.quantize(minor_unit(currency), rounding=ROUNDING)


def allocate(total, weights: Sequence, currency: str | None = None) -> list[Decimal]:
    """Split `total` over `weights` in proportion, to the minor unit; the parts sum exactly to `total`.

    Largest remainder: every part is first rounded towards zero, then the units left over go one
    each to the parts with the largest remainders (ties: the earlier part). Deterministic, so a
    later partial return refunds exactly what that line paid. Weights are not negative and not all
    zero; a positive total never gets a negative part.
    """
    unit = minor_unit(currency)
    total = money(total, currency)
    weights = [_decimal(w) for w in weights]
    if not weights:
        return []
    if any(not w.is_finite() or w < 0 for w in weights):
        raise ValueError("Allocation weights are finite and not negative.")
    weight_sum = sum(weights, Decimal(0))
    if weight_sum <= 0:
        raise ValueError("Cannot allocate over zero weights.")
    sign = -1 if total < 0 else 1
    units = int(abs(total) / unit)
    exact = [Decimal(units) * w / weight_sum for w in weights]
    parts = [int(e.to_integral_value(rounding=ROUND_DOWN)) for e in exact]
    left = units - sum(parts)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in by_remainder[:left]:
        parts[i] += 1
    return [sign * Decimal(p) * unit for p in parts]


def unit_share(line_total, quantity: int, start: int, count: int, currency: str | None = None) -> Decimal:
    """What units start+1 .. start+count of a line of `quantity` units paid (its total split to the cent).

    cumulative(n) = floor(total x n / quantity) minor units and cumulative(quantity) = total, so the
    shares of all units always add up to the line total however the units are returned.
    """
    if not (start >= 0 and count >= 0 and start + count <= quantity):
        raise ValueError("Units out of range for this line.")
    unit = minor_unit(currency)
    units = int(money(line_total, currency) / unit)

    def cumulative(n: int) -> int:
        return units if n == quantity else (units * n) // quantity

    return Decimal(cumulative(start + count) - cumulative(start)) * unit


@total_ordering
class Money:
    """An amount in a currency, always rounded by the one rule. Immutable and hashable.

    Adding, subtracting and ordering refuse two currencies (CurrencyMismatch); multiplying takes a
    plain number and rounds the product; there is no division: split with `allocate`.
    """

    __slots__ = ("amount", "currency")
    amount: Decimal
    currency: str

    def __init__(self, amount=0, currency: str | None = None):
        code = currency_code(currency)
        if not code:
            raise ValueError("An amount needs a currency.")
        object.__setattr__(self, "currency", code)
        object.__setattr__(self, "amount", money(amount, code))

    def __setattr__(self, name, value):
        raise AttributeError("Money is immutable.")

    def __repr__(self) -> str:
        return f"Money('{self.amount}', '{self.currency}')"

    def __str__(self) -> str:
        return format_money(self.amount, self.currency)

    def __reduce__(self):
        return (Money, (self.amount, self.currency))

    @classmethod
    def zero(cls, currency: str | None = None) -> "Money":
        return cls(0, currency)

    def _same(self, other) -> "Money":
        if not isinstance(other, Money):
            raise TypeError(f"Money and {type(other).__name__} do not mix: make it Money first.")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"{self.currency} and {other.currency} amounts cannot be combined.")
        return other

    def __add__(self, other) -> "Money":
        return Money(self.amount + self._same(other).amount, self.currency)

    def __radd__(self, other) -> "Money":
        if isinstance(other, int) and not isinstance(other, bool) and other == 0:  # sum() starts at 0
            return self
        return self._same(other) + self

    def __sub__(self, other) -> "Money":
        return Money(self.amount - self._same(other).amount, self.currency)

    def __neg__(self) -> "Money":
        return Money(-self.amount, self.currency)

    def __abs__(self) -> "Money":
        return Money(abs(self.amount), self.currency)

    def __mul__(self, factor) -> "Money":
        if isinstance(factor, Money | float | bool):
            raise TypeError("Money is multiplied by an int or a Decimal.")
        return Money(self.amount * _decimal(factor), self.currency)

    __rmul__ = __mul__

    def __eq__(self, other) -> bool:
        return isinstance(other, Money) and (self.currency, self.amount) == (other.currency, other.amount)

    def __lt__(self, other) -> bool:
        return self.amount < self._same(other).amount

    def __hash__(self) -> int:
        return hash((self.currency, self.amount))

    def __bool__(self) -> bool:
        return bool(self.amount)

    def allocate(self, weights: Sequence) -> list["Money"]:
        """This amount split over `weights` to the minor unit; the parts sum exactly to it."""
        return [Money(part, self.currency) for part in allocate(self.amount, weights, self.currency)]

    def unit_share(self, quantity: int, start: int, count: int) -> "Money":
        """What units start+1 .. start+count paid when this is the total of `quantity` units."""
        return Money(unit_share(self.amount, quantity, start, count, self.currency), self.currency)


@dataclass(frozen=True)
class MoneyStyle:
    group: str  # thousands separator
    decimal: str
    symbol_first: bool
    gap: str  # between symbol and number ("" for €1.00)
    min_grouping: int = 1  # CLDR's minimumGroupingDigits: 2 leaves 1813,72 zł ungrouped, groups 12 345,67 zł


# Per language (the part of the locale before "-"), the conventions of CLDR's standard currency format.
STYLES = {
    "en": MoneyStyle(group=",", decimal=".", symbol_first=True, gap=""),
    "ga": MoneyStyle(group=",", decimal=".", symbol_first=True, gap=""),
    "nl": MoneyStyle(group=".", decimal=",", symbol_first=True, gap=NBSP),
    "de": MoneyStyle(group=".", decimal=",", symbol_first=False, gap=NBSP),
    "es": MoneyStyle(group=".", decimal=",", symbol_first=False, gap=NBSP),
    "it": MoneyStyle(group=".", decimal=",", symbol_first=False, gap=NBSP),
    "pt": MoneyStyle(group=".", decimal=",", symbol_first=False, gap=NBSP),
    "fr": MoneyStyle(group=NNBSP, decimal=",", symbol_first=False, gap=NBSP),
    "pl": MoneyStyle(group=NBSP, decimal=",", symbol_first=False, gap=NBSP, min_grouping=2),
}
# Regional differences inside a language.
REGION_STYLES = {
    "de-ch": MoneyStyle(group="\u2019", decimal=".", symbol_first=True, gap=NBSP),
    "fr-ch": MoneyStyle(group=NNBSP, decimal=",", symbol_first=False, gap=NBSP),
}
SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "$", "JPY": "¥", "SEK": "kr", "NOK": "kr", "DKK": "kr.", "PLN": "zł"}
DECIMALS = {"JPY": 0, "KRW": 0, "ISK": 0}


def money_locale() -> str:
    """settings.MONEY_LOCALE if set, else the reader's language (the active translation)."""
    chosen = getattr(settings, "MONEY_LOCALE", "") or translation.get_language() or settings.LANGUAGE_CODE or "en"
    return chosen.lower().replace("_", "-")


def _style(locale: str) -> MoneyStyle:
    locale = locale.lower().replace("_", "-")
    return REGION_STYLES.get(locale) or STYLES.get(locale.split("-")[0]) or STYLES["en"]


def _grouped(digits: str, mark: str, min_grouping: int = 1) -> str:
    if len(digits) < 3 + min_grouping:
        return digits
    head = len(digits) % 3 or 3
    parts = [digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)]
    return mark.join(parts)


def format_money(amount, currency: str | None = None, *, locale: str | None = None) -> str:
    """`amount` (Decimal, int, float or numeric text) in `currency` (default settings.CURRENCY) as
    people of `locale` write it; "" for None or an empty string, the text itself if it is no number."""
    if amount is None or amount == "":
        return ""
    try:
        value = amount if isinstance(amount, Decimal) else Decimal(str(amount).strip())
    except (InvalidOperation, ValueError):
        return str(amount)
    if not value.is_finite():
        return str(amount)
    code = currency_code(currency)
    places = DECIMALS.get(code, 2)
    value = money(value, code)
    style = _style(locale or money_locale())
    whole, _, fraction = f"{abs(value):f}".partition(".")
    number = _grouped(whole, style.group, style.min_grouping) + (style.decimal + fraction if places else "")
    symbol = SYMBOLS.get(code, code)
    gap = style.gap if symbol in SYMBOLS.values() else NBSP  # a code ("CHF") always stands apart
    text = f"{symbol}{gap}{number}" if style.symbol_first else f"{number}{gap}{symbol}"
    return f"-{text}" if value < 0 else text
