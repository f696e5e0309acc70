"""Figures in several currencies, said per currency and converted into the reporting currency (the
home market's) at head office's exchange rates (retail.exchange_rates).

Amounts of two currencies are never added: every figure keeps its rows per currency, and a total
across currencies exists only converted, at one stated rate per currency: the rate in force on the
period's last day (today's for a period that has not ended). Figures of a currency without a rate
that day are left out of the converted total, and the page and the CSV say which."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Case, DecimalField, Value, When
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from insights.filters import Period, chain_zone
from retail.domain.money import round_to
from retail.exchange_rates import Conversion, rates_on, reporting_currency
from retail.models import Market
from retail.replica import reporting_db

ZERO = Decimal("0.00")


def today(*, now=None) -> date:
    """Head office's today (the chain's clock): the day of what is owed now (gift card liabilities)."""
    return (now or timezone.now()).astimezone(chain_zone()).date()


def conversion_day(period: Period, *, now=None) -> date:
    """The day whose rates convert the period: its last day, or today (head office's) if later."""
    today = (now or timezone.now()).astimezone(chain_zone()).date()
    return min(period.end, today)


def format_rate(rate: Decimal) -> str:
    """A rate as a reader reads it, in the active language: four significant digits at least four places
    (0.23255814 → "0.2326" in English, "0,2326" in Italian and Polish; 4.3 → "4.3"; 0.00251234 → "0.002512")."""
    places = max(4, 3 - rate.adjusted()) if rate else 0
    shown = round_to(rate, Decimal(1).scaleb(-places)).normalize()  # the kernel's one rule, half up
    return number_format(shown, decimal_pos=max(0, -shown.as_tuple().exponent), use_l10n=True)


@dataclass
class Converter:
    """The rates of the currencies a figure holds, into `reporting`, on `day`."""

    reporting: str
    day: date
    conversions: dict[str, Conversion] = field(default_factory=dict)

    def convert(self, amount, currency: str) -> Decimal | None:
        conversion = self.conversions.get(currency)
        return None if conversion is None or amount is None else conversion.convert(amount)

    @property
    def used(self) -> list[Conversion]:
        """The rates that converted something (the reporting currency itself needs none)."""
        return [c for c in self.conversions.values() if not c.identity and not c.missing]

    @property
    def missing(self) -> list[Conversion]:
        return [c for c in self.conversions.values() if c.missing]

    @property
    def several(self) -> bool:
        """More than the reporting currency: conversion is worth showing."""
        return any(not c.identity for c in self.conversions.values())

    def rate_label(self, currency: str) -> str:
        """ "1 PLN = 0.2315 EUR (rate from 1 Dec 2026)", "" for the reporting currency, or why not."""
        c = self.conversions.get(currency)
        if c is None or c.identity:
            return ""
        if c.missing:
            return _("no %(currency)s rate on %(day)s") % {"currency": currency, "day": date_format(self.day, "j M Y")}
        return _("1 %(currency)s = %(rate)s %(reporting)s (rate from %(since)s)") % {
            "currency": currency,
            "rate": format_rate(c.rate),
            "reporting": self.reporting,
            "since": date_format(c.valid_from, "j M Y"),
        }

    def rate_expression(self, currency_field: str = "currency"):
        """The same rates as a database expression: the rate of the row's `currency_field` (1 for the
        reporting currency), NULL for a currency without one. For figures that must rank or add amounts
        of several currencies row by row in the database (RFM's monetary score, a customer's spend):
        `Sum(F("total") * converter.rate_expression())` is the converted sum, unrounded (round it with
        retail.domain.money), and rows of a currency without a rate are left out of it (SUM skips NULL)."""
        money_rate = DecimalField(max_digits=20, decimal_places=8)
        whens = [
            When(**{currency_field: code}, then=Value(c.rate, output_field=money_rate))
            for code, c in sorted(self.conversions.items())
            if not c.missing
        ]
        return Case(*whens, default=Value(None, output_field=money_rate), output_field=money_rate)

    def missing_among(self, currencies) -> list[str]:
        """Which of `currencies` (those a figure held) have no rate: what its converted total leaves out."""
        return sorted(c for c in set(currencies) if c in self.conversions and self.conversions[c].missing)


def converter(period: Period, currencies, *, day: date | None = None) -> Converter:
    """The rates of `currencies` for `period` (on `day` if given), read on the report's database: two
    queries whatever the number of rows or currencies (the home currency, the rates)."""
    day = day or conversion_day(period)
    reporting = reporting_currency(using=reporting_db())
    rates = rates_on(currencies=set(currencies), day=day, using=reporting_db(), reporting=reporting)
    return Converter(reporting, day, rates)


def market_converter(period: Period, *, day: date | None = None) -> Converter:
    """The rates of every market's currency (what any order, refund or card of the chain is in), for
    figures that convert row by row in the database before they know which currencies they hold. Three
    queries whatever the data (the markets, the home currency, the rates)."""
    held = set(Market.objects.using(reporting_db()).values_list("currency", flat=True))
    return converter(period, held, day=day)


def by_currency(rows: list[dict], fields: tuple[str, ...], converter: Converter, *, count: str = "") -> dict:
    """Rows summed per currency (never across), each converted, and the converted total:
    {"currencies": [{currency, fields..., converted: {field: amount or None}, rate}], "total": {field:
    amount}, "reporting": code, "missing": [currencies left out of the total], "messages": [...]}"""
    sums: dict[str, dict] = {}
    for row in rows:
        acc = sums.setdefault(row["currency"], {"currency": row["currency"], **dict.fromkeys(fields, ZERO),
                                                **({count: 0} if count else {})})  # fmt: skip
        for name in fields:
            acc[name] += row[name] or ZERO
        if count:
            acc[count] += row[count] or 0
    total = dict.fromkeys(fields, ZERO)
    missing = []
    ordered = sorted(sums.values(), key=lambda s: (s["currency"] != converter.reporting, s["currency"]))
    for acc in ordered:
        acc["converted"] = {name: converter.convert(acc[name], acc["currency"]) for name in fields}
        acc["rate"] = converter.rate_label(acc["currency"])
        if any(value is None for value in acc["converted"].values()):
            missing.append(acc["currency"])
            continue
        for name in fields:
            total[name] += acc["converted"][name]
    if count:
        total[count] = sum(acc[count] for acc in ordered)
    return {
        "currencies": ordered,
        "total": total,
        "reporting": converter.reporting,
        "day": converter.day,
        "missing": missing,
        "messages": [converter.conversions[c].message for c in missing],
        "several": len(ordered) > 1 or any(c != converter.reporting for c in sums),
    }


def with_converted(rows: list[dict], fields: tuple[str, ...], converter: Converter) -> list[dict]:
    """The rows (each with its currency) with the reporting currency, the rate, its first day and
    each field converted (`<field>_converted`, empty where the currency has no rate that day)."""
    result = []
    for row in rows:
        c = converter.conversions.get(row["currency"])
        result.append({
            **row,
            "reporting_currency": converter.reporting,
            "rate": None if c is None or c.missing else c.rate,
            "rate_from": None if c is None or c.missing or c.identity else c.valid_from,
            **{f"{name}_converted": converter.convert(row[name], row["currency"]) for name in fields},
        })  # fmt: skip
    return result


def converted_csv_rows(rows_of, fields: tuple[str, ...]):
    """A figure's row function whose rows also carry their conversion (`with_converted`)."""

    def rows(period: Period) -> list[dict]:
        found = rows_of(period)
        return with_converted(found, fields, converter(period, {r["currency"] for r in found}))

    return rows
