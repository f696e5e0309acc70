"""Selling prices: the lists they belong to, the append-only ledger of every change, and price
changes scheduled ahead that start and end by themselves.

The default list's prices live on the catalog itself (`Product.base_price`,
`Variant.price_override`). A market (issue 19) has a list of its own in its currency, with a price
per variant for a span of time (`VariantPrice`: a future price is entered ahead; two never cover
the same moment). What a variant costs in a market at a moment is `inventory.prices.market_prices`.
"""

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeBoundary, RangeOperators
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Func, Q
from django.utils.translation import gettext_lazy as _

from retail.messages import spoken, system_note_field
from retail.models.markets import currency_code_validator

APPEND_ONLY = "Price changes are append-only; record a new change instead."


class PriceList(models.Model):
    code = models.SlugField(max_length=20, unique=True, verbose_name=_("code"))
    name = models.CharField(max_length=80, verbose_name=_("name"))
    currency = models.CharField(
        max_length=3,
        validators=[currency_code_validator],
        help_text=_("ISO 4217, e.g. PLN."),
        verbose_name=_("currency"),
    )
    is_default = models.BooleanField(
        default=False, help_text=_("Its prices are the catalog's own."), verbose_name=_("default")
    )
    market = models.OneToOneField(
        "retail.Market",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="price_list",
        help_text=_(
            "The market that sells at these prices, in its currency. A variant without a price here "
            "sells at the default list's price when the currencies are the same, else not in that market."
        ),
        verbose_name=_("market"),
    )

    class Meta:
        verbose_name = _("price list")
        verbose_name_plural = _("price lists")
        ordering = ["-is_default", "code"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="pricelist_one_default"),
            models.CheckConstraint(condition=Q(currency__regex=r"^[A-Z]{3}$"), name="pricelist_currency_iso"),
        ]

    def __str__(self):
        return f"{self.name} ({self.currency})"

    def clean_fields(self, exclude=None):
        self.currency = (self.currency or "").strip().upper()
        super().clean_fields(exclude=exclude)

    def clean(self):
        super().clean()
        if self.market_id and self.currency and self.market.currency != self.currency:
            raise ValidationError(
                {"currency": f"{self.market.name} sells in {self.market.currency}: its list is in that currency."}
            )


class TimeRange(Func):
    function = "tstzrange"
    output_field = DateTimeRangeField()


class VariantPrice(models.Model):
    """A variant's price on a market's list from `valid_from` until `valid_to` (empty: open). The
    default list has none: its prices are the catalog's own."""

    price_list = models.ForeignKey(
        PriceList, on_delete=models.PROTECT, related_name="prices", verbose_name=_("price list")
    )
    variant = models.ForeignKey(
        "inventory.Variant", on_delete=models.PROTECT, related_name="list_prices", verbose_name=_("variant")
    )
    price = models.DecimalField(
        max_digits=10, decimal_places=2, validators=[MinValueValidator(0)], verbose_name=_("price")
    )
    valid_from = models.DateTimeField(help_text=_("The moment the price applies from."), verbose_name=_("valid from"))
    valid_to = models.DateTimeField(
        null=True, blank=True, help_text=_("The moment it no longer applies; empty: open."), verbose_name=_("valid to")
    )

    class Meta:
        verbose_name = _("variant price")
        verbose_name_plural = _("variant prices")
        ordering = ["price_list", "variant", "-valid_from"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="variantprice_not_negative"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=F("valid_from")),
                name="variantprice_ends_after_start",
            ),
            ExclusionConstraint(
                name="variantprice_one_at_a_time",
                expressions=[
                    ("price_list", RangeOperators.EQUAL),
                    ("variant", RangeOperators.EQUAL),
                    (TimeRange("valid_from", "valid_to", RangeBoundary()), RangeOperators.OVERLAPS),
                ],
                violation_error_message=_("Another price of this variant on this list applies at some of these times."),
            ),
        ]
        indexes = [models.Index(fields=["variant", "price_list", "valid_from"], name="variantprice_lookup_idx")]

    def __str__(self):
        return _("%(variant)s %(price)s on %(list)s from %(start)s") % {
            "variant": self.variant_id,
            "price": self.price,
            "list": self.price_list_id,
            "start": f"{self.valid_from:%Y-%m-%d %H:%M}",
        }

    def clean(self):
        # Said on the field, which also keeps the overlap check from asking PostgreSQL for a reversed
        # range (a DataError, a 500 in the admin) when the times are backwards.
        if self.valid_from and self.valid_to and self.valid_to <= self.valid_from:
            raise ValidationError({"valid_to": "The end comes after the start."})
        if self.price_list_id and self.price_list.is_default:
            raise ValidationError(
                {"price_list": "The default list's prices are the catalog's own: edit the product instead."}
            )


class PriceSchedule(models.Model):
    """A price change planned ahead (a weekend sale, next season's prices): it starts at
    `starts_at` and, with `ends_at`, puts the prices it replaced back by itself (beat task)."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        ACTIVE = "active", _("Running")
        ENDED = "ended", _("Ended")
        CANCELLED = "cancelled", _("Cancelled")

    class Ending(models.TextChoices):
        NONE = "", _("Keep the cents")
        NINETY_NINE = ".99", _("Ends in .99")
        NINETY_FIVE = ".95", _("Ends in .95")
        WHOLE = "whole", _("Whole amounts")

    name = models.CharField(max_length=120, verbose_name=_("name"))
    reason = models.CharField(max_length=200, verbose_name=_("reason"))
    price_list = models.ForeignKey(
        PriceList, on_delete=models.PROTECT, related_name="schedules", verbose_name=_("price list")
    )
    percent = models.DecimalField(
        max_digits=6, decimal_places=2, help_text=_("The change asked for, e.g. -20."), verbose_name=_("percent")
    )
    ending = models.CharField(max_length=8, choices=Ending.choices, blank=True, verbose_name=_("ending"))
    starts_at = models.DateTimeField(db_index=True, verbose_name=_("starts at"))
    ends_at = models.DateTimeField(
        null=True, blank=True, help_text=_("Empty: the new prices stay."), verbose_name=_("ends at")
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.SCHEDULED, db_index=True, verbose_name=_("status")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(verbose_name=_("created at"))
    started_at = models.DateTimeField(null=True, blank=True, verbose_name=_("started at"))
    ended_at = models.DateTimeField(null=True, blank=True, verbose_name=_("ended at"))

    class Meta:
        verbose_name = _("price schedule")
        verbose_name_plural = _("price schedules")
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=F("starts_at")), name="priceschedule_ends_after_start"
            ),
            models.CheckConstraint(condition=~Q(percent=0), name="priceschedule_changes_something"),
        ]

    def __str__(self):
        return f"{self.name} ({self.get_status_display().lower()})"


class PriceScheduleLine(models.Model):
    """One price a schedule sets: the product's base price (no variant) or a variant's own price."""

    schedule = models.ForeignKey(
        PriceSchedule, on_delete=models.CASCADE, related_name="lines", verbose_name=_("schedule")
    )
    product = models.ForeignKey(
        "inventory.Product", on_delete=models.PROTECT, related_name="+", verbose_name=_("product")
    )
    variant = models.ForeignKey(
        "inventory.Variant",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("variant"),
    )
    was = models.DecimalField(
        max_digits=10, decimal_places=2, help_text=_("The price when it was scheduled."), verbose_name=_("was")
    )
    price = models.DecimalField(
        max_digits=10, decimal_places=2, help_text=_("The price while it runs."), verbose_name=_("price")
    )
    replaced = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("The price it replaced when it started."),
        verbose_name=_("replaced"),
    )
    outcome = models.CharField(max_length=120, blank=True, verbose_name=_("outcome"))

    class Meta:
        verbose_name = _("price schedule line")
        verbose_name_plural = _("price schedule lines")
        ordering = ["product_id", "variant_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "product"], condition=Q(variant__isnull=True), name="priceline_one_base_per_product"
            ),
            models.UniqueConstraint(
                fields=["schedule", "variant"], condition=Q(variant__isnull=False), name="priceline_one_per_variant"
            ),
            models.CheckConstraint(condition=Q(price__gte=0, was__gte=0), name="priceline_not_negative"),
        ]

    def __str__(self):
        what = f"variant {self.variant_id}" if self.variant_id else f"product {self.product_id}"
        return f"{what}: {self.was} -> {self.price}"


class PriceChange(models.Model):
    """One change of one selling price, with who, when, why and how. Append-only, like the stock
    ledger: the newest row per price is the price, and a wrong change is corrected by a new one."""

    class Source(models.TextChoices):
        EDIT = "edit", _("Edited in the admin")
        BULK = "bulk", _("Bulk price change")
        SCHEDULE_START = "schedule_start", _("Scheduled change started")
        SCHEDULE_END = "schedule_end", _("Scheduled change ended")
        IMPORT = "import", _("Catalog import")

    price_list = models.ForeignKey(
        PriceList, on_delete=models.PROTECT, related_name="changes", verbose_name=_("price list")
    )
    product = models.ForeignKey(
        "inventory.Product", on_delete=models.PROTECT, related_name="price_changes", verbose_name=_("product")
    )
    variant = models.ForeignKey(
        "inventory.Variant",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="price_changes",
        help_text=_("Empty: the product's base price."),
        verbose_name=_("variant"),
    )
    old_price = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Empty: the variant had no price of its own."),
        verbose_name=_("old price"),
    )
    new_price = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True, verbose_name=_("new price"))
    source = models.CharField(max_length=16, choices=Source.choices, verbose_name=_("source"))
    schedule = models.ForeignKey(
        PriceSchedule,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="price_changes",
        verbose_name=_("schedule"),
    )
    reason = models.CharField(max_length=200, verbose_name=_("reason"))
    message = system_note_field()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("actor"),
    )
    created_at = models.DateTimeField(db_index=True, verbose_name=_("created at"))
    valid_from = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("A market list's price entered for a period: from (empty: when made)."),
        verbose_name=_("valid from"),
    )
    valid_to = models.DateTimeField(
        null=True, blank=True, help_text=_("... until (empty: open)."), verbose_name=_("valid to")
    )

    class Meta:
        verbose_name = _("price change")
        verbose_name_plural = _("price changes")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(old_price__isnull=True) | Q(old_price__gte=0))
                & (Q(new_price__isnull=True) | Q(new_price__gte=0)),
                name="pricechange_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(variant__isnull=False) | (Q(old_price__isnull=False) & Q(new_price__isnull=False)),
                name="pricechange_base_price_always_set",
            ),
            models.CheckConstraint(
                condition=~Q(old_price=F("new_price")) | Q(old_price__isnull=True) | Q(new_price__isnull=True),
                name="pricechange_changes_the_price",
            ),
        ]
        indexes = [models.Index(fields=["product", "created_at"], name="pricechange_product_idx")]

    def __str__(self):
        what = f"variant {self.variant_id}" if self.variant_id else f"product {self.product_id}"
        return f"{self.created_at:%Y-%m-%d %H:%M} {what}: {self.old_price} -> {self.new_price}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError(APPEND_ONLY)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError(APPEND_ONLY)

    @property
    def said(self) -> str:
        """The reason in the active language: the system's sentence worded again, or the words typed."""
        return spoken(self.message, self.reason)
