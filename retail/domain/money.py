"""How money is shown to people: one formatter, by locale, for the portal, receipts and messages.

`format_money(Decimal("1813.72"))` is "€1,813.72" in English and "1.813,72 €" in German: the
currency's symbol where the locale puts it, its grouping and decimal marks, and the currency's
own number of decimals (rounded half up, the rounding rule of orders' arithmetic). Amounts are
never shown as "EUR 1,813.72", "155.98 EUR" or a bare number beside them. The locale is
settings.MONEY_LOCALE (default: LANGUAGE_CODE); add a locale or a currency to the tables below.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings

NBSP, NNBSP = "\u00a0", "\u202f"


@dataclass(frozen=True)
class MoneyStyle:
    group: str  # thousands separator
    decimal: str
    symbol_first: bool
    gap: str  # between symbol and number ("" for €1.00)


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
}
# Regional differences inside a language.
REGION_STYLES = {
    "de-ch": MoneyStyle(group="\u2019", decimal=".", symbol_first=True, gap=NBSP),
    "fr-ch": MoneyStyle(group=NNBSP, decimal=",", symbol_first=False, gap=NBSP),
}
SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "$", "JPY": "¥", "SEK": "kr", "NOK": "kr", "DKK": "kr.", "PLN": "zł"}
DECIMALS = {"JPY": 0, "KRW": 0, "ISK": 0}


def money_locale() -> str:
    return (getattr(settings, "MONEY_LOCALE", "") or settings.LANGUAGE_CODE or "en").lower().replace("_", "-")


def _style(locale: str) -> MoneyStyle:
    locale = locale.lower().replace("_", "-")
    return REGION_STYLES.get(locale) or STYLES.get(locale.split("-")[0]) or STYLES["en"]


def _grouped(digits: str, mark: str) -> str:
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
    code = (currency or settings.CURRENCY or "").upper()
    places = DECIMALS.get(code, 2)
    value = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    style = _style(locale or money_locale())
    whole, _, fraction = f"{abs(value):f}".partition(".")
    number = _grouped(whole, style.group) + (style.decimal + fraction if places else "")
    symbol = SYMBOLS.get(code, code)
    gap = style.gap if symbol in SYMBOLS.values() else NBSP  # a code ("CHF") always stands apart
    text = f"{symbol}{gap}{number}" if style.symbol_first else f"{number}{gap}{symbol}"
    return f"-{text}" if value < 0 else text
