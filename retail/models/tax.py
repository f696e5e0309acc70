"""Tax classes and rates (issue 19.3): a product is in a tax class (standard unless said otherwise);
each market has a rate per class for a span of days. Two rates of one class in one market never
cover the same day (an exclusion constraint in the database); what a line owes is computed by the
kernel (retail.domain.tax)."""

from decimal import Decimal

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateRangeField, RangeBoundary, RangeOperators
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Func, Q
from django.utils.translation import gettext_lazy as _

STANDARD = "standard"  # the class every product is in unless head office says otherwise


class TaxClass(models.Model):
    code = models.SlugField(
        max_length=20, unique=True, help_text=_("e.g. standard, reduced, books, zero."), verbose_name=_("code")
    )
    name = models.CharField(max_length=80, verbose_name=_("name"))

    class Meta:
        verbose_name = _("tax class")
        ordering = ["code"]
        verbose_name_plural = _("tax classes")

    def __str__(self):
        return self.name


class DateRange(Func):
    function = "daterange"
    output_field = DateRangeField()


class TaxRate(models.Model):
    market = models.ForeignKey(
        "retail.Market", on_delete=models.PROTECT, related_name="tax_rates", verbose_name=_("market")
    )
    tax_class = models.ForeignKey(TaxClass, on_delete=models.PROTECT, related_name="rates", verbose_name=_("tax class"))
    rate = models.DecimalField(
        max_digits=6,
        decimal_places=3,  # 8.875%: a US city's sales tax
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
        help_text=_("Percent, e.g. 23 or 8.875."),
        verbose_name=_("rate"),
    )
    valid_from = models.DateField(help_text=_("The first day the rate applies."), verbose_name=_("valid from"))
    valid_to = models.DateField(
        null=True,
        blank=True,
        help_text=_("The first day it no longer applies; empty: open."),
        verbose_name=_("valid to"),
    )

    class Meta:
        verbose_name = _("tax rate")
        verbose_name_plural = _("tax rates")
        ordering = ["market", "tax_class", "-valid_from"]
        constraints = [
            models.CheckConstraint(condition=Q(rate__gte=0, rate__lte=100), name="taxrate_rate_percent"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=F("valid_from")), name="taxrate_ends_after_start"
            ),
            ExclusionConstraint(
                name="taxrate_one_per_day",
                expressions=[
                    ("market", RangeOperators.EQUAL),
                    ("tax_class", RangeOperators.EQUAL),
                    (DateRange("valid_from", "valid_to", RangeBoundary()), RangeOperators.OVERLAPS),
                ],
                violation_error_message=_("Another rate of this class in this market applies on some of these days."),
            ),
        ]

    def __str__(self):
        return _("%(tax_class)s %(rate)s%% in %(market)s from %(day)s") % {
            "tax_class": self.tax_class,
            "rate": self.rate,
            "market": self.market.code,
            "day": self.valid_from,
        }

    def clean(self):
        # Said on the field, which also keeps the overlap check from asking PostgreSQL for a reversed
        # daterange (a DataError, a 500 in the admin) when the days are backwards.
        if self.valid_from and self.valid_to and self.valid_to <= self.valid_from:
            raise ValidationError(
                {"valid_to": "The first day it no longer applies comes after the first day it applies."}
            )
