"""Exchange rates (issue 19.2), the writes and the reads: head office saves the rate of a currency
into the reporting currency (the home market's) over its days, audited; reports ask for the rate in
force on a day, and say plainly which figures have none.

    rates_on(currencies={"PLN", "EUR"}, day=date(2026, 12, 4))  # {"EUR": 1, "PLN": 0.2315 from 1 Dec}
    convert(amount=Money("100.00", "PLN"), day=...)               # Money('23.15', 'EUR') or MissingExchangeRate

A rate's `reporting_currency` is the home market's when it was saved: if head office moves home to
another currency, the old rates no longer answer (the reports say the rates are missing) instead of
converting into the wrong money.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import Q
from django.utils.formats import date_format

from retail.domain.money import Money, money
from retail.errors import RetailCode, RetailError
from retail.markets import home_currency
from retail.models import ExchangeRate, Market, User
from retail.models.markets import home_market_id
from retail.services import record_audit_event

ONE = Decimal(1)


class MissingExchangeRate(RetailError):
    default_code = RetailCode.EXCHANGE_RATE_MISSING


def missing_rate_message(currency: str, reporting_currency: str, day: date) -> str:
    return (
        f"No exchange rate from {currency} to {reporting_currency} on {date_format(day, 'j M Y')}: "
        f"head office adds one in the admin (Stores and staff > Exchange rates)."
    )


@dataclass(frozen=True)
class Conversion:
    """The rate from `currency` into `reporting_currency` in force on `day` (None: there is none)."""

    currency: str
    reporting_currency: str
    day: date
    rate: Decimal | None
    valid_from: date | None = None
    source: str = ""

    @property
    def missing(self) -> bool:
        return self.rate is None

    @property
    def identity(self) -> bool:
        """The reporting currency itself: counted as it is, no rate stated."""
        return self.currency == self.reporting_currency

    @property
    def message(self) -> str:
        return missing_rate_message(self.currency, self.reporting_currency, self.day) if self.missing else ""

    def convert(self, amount) -> Decimal | None:
        """`amount` of `currency` in the reporting currency, by the one rounding rule; None without a rate."""
        if self.rate is None:
            return None
        return amount if self.identity else money(Decimal(amount) * self.rate, self.reporting_currency)


def reporting_currency(*, using: str = DEFAULT_DB_ALIAS) -> str:
    """The home market's currency (retail.markets.home_currency): what head office's reports convert into. One query."""
    return home_currency(using=using)


def rates_on(
    *, currencies, day: date, using: str = DEFAULT_DB_ALIAS, reporting: str | None = None
) -> dict[str, Conversion]:
    """{currency: Conversion} for each of `currencies` on `day`, in one query (two without `reporting`).
    The reporting currency converts at 1; a currency without a rate that day has `rate` None."""
    reporting = reporting or reporting_currency(using=using)
    wanted = sorted({c.upper() for c in currencies if c})
    others = [c for c in wanted if c != reporting]
    found = {}
    if others:
        rows = (
            ExchangeRate.objects.using(using)
            .filter(currency__in=others, reporting_currency=reporting, valid_from__lte=day)
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=day))
            .values_list("currency", "rate", "valid_from", "source")
        )
        found = {currency: (rate, since, source) for currency, rate, since, source in rows}
    result = {}
    for currency in wanted:
        if currency == reporting:
            result[currency] = Conversion(currency, reporting, day, ONE)
        elif currency in found:
            rate, since, source = found[currency]
            result[currency] = Conversion(currency, reporting, day, rate, since, source)
        else:
            result[currency] = Conversion(currency, reporting, day, None)
    return result


def rate_on(*, currency: str, day: date, using: str = DEFAULT_DB_ALIAS) -> Conversion:
    """The rate from `currency` into the reporting currency in force on `day` (see `rates_on`)."""
    return rates_on(currencies=[currency], day=day, using=using)[currency.upper()]


def convert(*, amount: Money, day: date, using: str = DEFAULT_DB_ALIAS) -> Money:
    """`amount` in the reporting currency at the rate of `day`; MissingExchangeRate when there is none."""
    conversion = rate_on(currency=amount.currency, day=day, using=using)
    if conversion.missing:
        raise MissingExchangeRate(conversion.message, extra={"currency": amount.currency, "day": day.isoformat()})
    return Money(conversion.convert(amount.amount), conversion.reporting_currency)


def prepare_exchange_rate(rate: ExchangeRate) -> ExchangeRate | None:
    """Fill what head office does not type (the reporting currency, capitals) and fit a new rate
    between its neighbours: a new open rate ends where a later one of the currency begins. Returns
    the open rate of the currency that began before it, which saving ends the day the new one
    begins (not written here: the admin's form asks this before it validates)."""
    if not rate.reporting_currency:
        rate.reporting_currency = reporting_currency()
    rate.currency = (rate.currency or "").strip().upper()
    if rate.pk is not None or not rate.valid_from:
        return None
    same = ExchangeRate.objects.filter(currency=rate.currency, reporting_currency=rate.reporting_currency)
    if rate.valid_to is None:
        later = same.filter(valid_from__gt=rate.valid_from).order_by("valid_from").first()
        rate.valid_to = later.valid_from if later is not None else None
    return same.filter(valid_from__lt=rate.valid_from, valid_to__isnull=True).first()


def overlapping_rate(rate: ExchangeRate, *, ignore: ExchangeRate | None = None) -> ExchangeRate | None:
    """Another rate of the currency covering one of `rate`'s days (`ignore`: one about to be ended)."""
    if not (rate.valid_from and rate.currency and rate.reporting_currency):
        return None
    if rate.valid_to is not None and rate.valid_to <= rate.valid_from:
        return None  # said on the field by clean()
    others = ExchangeRate.objects.filter(currency=rate.currency, reporting_currency=rate.reporting_currency)
    others = others.exclude(pk__in=[pk for pk in (rate.pk, ignore.pk if ignore else None) if pk])
    others = others.filter(Q(valid_to__isnull=True) | Q(valid_to__gt=rate.valid_from))
    if rate.valid_to is not None:
        others = others.filter(valid_from__lt=rate.valid_to)
    return others.order_by("valid_from").first()


def overlap_message(other: ExchangeRate) -> str:
    until = f" until {date_format(other.valid_to, 'j M Y')}" if other.valid_to else " with no end"
    return (
        f"Another rate of {other.currency} applies on some of these days: {other.rate.normalize():f} "
        f"from {date_format(other.valid_from, 'j M Y')}{until}. Change that one, or choose other days."
    )


@transaction.atomic
def save_exchange_rate(*, rate: ExchangeRate, actor: User | None, changed: list[str] | None = None) -> ExchangeRate:
    """Save head office's rate of a currency over its days (audited).

    A new rate starts where it says: an open rate of the currency that began before it now ends the
    day it begins, and a new open rate ends where a later one begins, so monthly rates are typed one
    after the other without editing the previous one. Two rates never cover one day: checked here
    under the home market's row lock (every save takes it), and by the database's exclusion constraint."""
    Market.objects.select_for_update().filter(pk=home_market_id()).first()
    closed = prepare_exchange_rate(rate)
    other = overlapping_rate(rate, ignore=closed)
    if other is not None:
        raise ValidationError({"valid_from": overlap_message(other)})
    if closed is not None:
        closed.valid_to = rate.valid_from
        closed.save(update_fields=["valid_to"])
    rate.full_clean()
    rate.save()
    details = _details(rate)
    if closed is not None:
        details["ended"] = {"id": closed.pk, "valid_to": closed.valid_to.isoformat()}
    details["changed"] = changed or []
    record_audit_event(actor=actor, action="exchange_rate.saved", obj=rate, details=details)
    return rate


@transaction.atomic
def delete_exchange_rate(*, rate: ExchangeRate, actor: User | None) -> None:
    """Remove a rate (audited): the days it covered have none until another is saved."""
    record_audit_event(actor=actor, action="exchange_rate.deleted", obj=rate, details=_details(rate))
    rate.delete()


def _details(rate: ExchangeRate) -> dict:
    return {
        "currency": rate.currency,
        "reporting_currency": rate.reporting_currency,
        "rate": f"{rate.rate.normalize():f}" if rate.rate is not None else None,
        "valid_from": rate.valid_from.isoformat() if rate.valid_from else None,
        "valid_to": rate.valid_to.isoformat() if rate.valid_to else None,
        "source": rate.source,
    }
