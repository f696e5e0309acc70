"""Exchange rates (issue 19.2): what head office counts one unit of a market's currency as in the
reporting currency (the home market's), over a span of days. Reports convert with the rate in force
on a day (retail.exchange_rates); two rates of one currency never cover the same day (an exclusion
constraint in the database, as tax rates)."""

from decimal import Decimal

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeBoundary, RangeOperators
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from retail.models.markets import currency_code_validator
from retail.models.tax import DateRange


class ExchangeRate(models.Model):
    currency = models.CharField(
        max_length=3,
        validators=[currency_code_validator],
        help_text=_("The currency converted, ISO 4217, e.g. PLN."),
        verbose_name=_("currency"),
    )
    reporting_currency = models.CharField(
        max_length=3,
        validators=[currency_code_validator],
        help_text=_("What it is converted into: the home market's currency when the rate was saved."),
        verbose_name=_("reporting currency"),
    )
    rate = models.DecimalField(
        max_digits=18,
        decimal_places=8,
        validators=[MinValueValidator(Decimal("0.00000001"))],
        help_text=_("One unit of the currency in the reporting currency, e.g. 0.2315 (1 PLN = 0.2315 EUR)."),
        verbose_name=_("rate"),
    )
    valid_from = models.DateField(help_text=_("The first day the rate applies."), verbose_name=_("valid from"))
    valid_to = models.DateField(
        null=True,
        blank=True,
        help_text=_("The first day it no longer applies; empty: open."),
        verbose_name=_("valid to"),
    )
    source = models.CharField(
        max_length=120,
        blank=True,
        help_text=_("Where it comes from, e.g. ECB reference rate."),
        verbose_name=_("source"),
    )

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        ordering = ["currency", "-valid_from"]
        constraints = [
            models.CheckConstraint(condition=Q(rate__gt=0), name="exchangerate_rate_positive"),
            models.CheckConstraint(condition=~Q(currency=F("reporting_currency")), name="exchangerate_two_currencies"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=F("valid_from")),
                name="exchangerate_ends_after_start",
            ),
            ExclusionConstraint(
                name="exchangerate_one_per_day",
                expressions=[
                    ("currency", RangeOperators.EQUAL),
                    ("reporting_currency", RangeOperators.EQUAL),
                    (DateRange("valid_from", "valid_to", RangeBoundary()), RangeOperators.OVERLAPS),
                ],
                violation_error_message=_("Another rate of this currency applies on some of these days."),
            ),
        ]

    def __str__(self):
        rate = f"1 {self.currency} = {self.rate.normalize():f} {self.reporting_currency}"
        return _("%(rate)s from %(day)s") % {"rate": rate, "day": self.valid_from}

    def clean_fields(self, exclude=None):
        self.currency = (self.currency or "").strip().upper()
        self.reporting_currency = (self.reporting_currency or "").strip().upper()
        super().clean_fields(exclude=exclude)

    def clean(self):
        if self.currency and self.currency == self.reporting_currency:
            raise ValidationError(
                {"currency": f"{self.currency} is the reporting currency: it needs no rate (it counts as 1)."}
            )
        # On the field first, so the overlap check never asks PostgreSQL for a reversed daterange.
        if self.valid_from and self.valid_to and self.valid_to <= self.valid_from:
            raise ValidationError(
                {"valid_to": "The first day it no longer applies comes after the first day it applies."}
            )
