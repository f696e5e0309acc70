"""Figures in several currencies, said per currency and converted into the reporting currency (the
home market's) at head office's exchange rates (retail.exchange_rates).

Amounts of two currencies are never added: every figure keeps its rows per currency, and a total
across currencies exists only converted, at one stated rate per currency: the rate in force on the
period's last day (today's for a period that has not ended). Figures of a currency without a rate
that day are left out of the converted total, and the page and the CSV say which."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.utils import timezone
from django.utils.formats import date_format

from insights.filters import Period, chain_zone
from retail.exchange_rates import Conversion, rates_on, reporting_currency
from retail.replica import reporting_db

ZERO = Decimal("0.00")


def today(*, now=None) -> date:
    """Head office's today (the chain's clock): the day of what is owed now (gift card liabilities)."""
    return (now or timezone.now()).astimezone(chain_zone()).date()


def conversion_day(period: Period, *, now=None) -> date:
    """The day whose rates convert the period: its last day, or today (head office's) if later."""
    today = (now or timezone.now()).astimezone(chain_zone()).date()
    return min(period.end, today)


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
            return f"no {currency} rate on {date_format(self.day, 'j M Y')}"
        since = date_format(c.valid_from, "j M Y")
        return f"1 {currency} = {c.rate.normalize():f} {self.reporting} (rate from {since})"


def converter(period: Period, currencies, *, day: date | None = None) -> Converter:
    """The rates of `currencies` for `period` (on `day` if given), read on the report's database: two
    queries whatever the number of rows or currencies (the home currency, the rates)."""
    day = day or conversion_day(period)
    reporting = reporting_currency(using=reporting_db())
    rates = rates_on(currencies=set(currencies), day=day, using=reporting_db(), reporting=reporting)
    return Converter(reporting, day, rates)


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
