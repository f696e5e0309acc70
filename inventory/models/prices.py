"""Selling prices: the lists they belong to, the append-only ledger of every change, and price
changes scheduled ahead that start and end by themselves.

Today there is one price list, the default, and its prices live on the catalog itself
(`Product.base_price`, `Variant.price_override`). A market (a country, a channel) will add a list
of its own: a `PriceList` row and its own per-variant prices. The ledger and the schedules already
name the list they change, so that day nothing here is rewritten.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

APPEND_ONLY = "Price changes are append-only; record a new change instead."


class PriceList(models.Model):
    code = models.SlugField(max_length=20, unique=True)
    name = models.CharField(max_length=80)
    currency = models.CharField(max_length=3)
    is_default = models.BooleanField(default=False, help_text="Its prices are the catalog's own.")

    class Meta:
        ordering = ["-is_default", "code"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="pricelist_one_default")
        ]

    def __str__(self):
        return f"{self.name} ({self.currency})"


class PriceSchedule(models.Model):
    """A price change planned ahead (a weekend sale, next season's prices): it starts at
    `starts_at` and, with `ends_at`, puts the prices it replaced back by itself (beat task)."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        ACTIVE = "active", "Running"
        ENDED = "ended", "Ended"
        CANCELLED = "cancelled", "Cancelled"

    class Ending(models.TextChoices):
        NONE = "", "Keep the cents"
        NINETY_NINE = ".99", "Ends in .99"
        NINETY_FIVE = ".95", "Ends in .95"
        WHOLE = "whole", "Whole amounts"

    name = models.CharField(max_length=120)
    reason = models.CharField(max_length=200)
    price_list = models.ForeignKey(PriceList, on_delete=models.PROTECT, related_name="schedules")
    percent = models.DecimalField(max_digits=6, decimal_places=2, help_text="The change asked for, e.g. -20.")
    ending = models.CharField(max_length=8, choices=Ending.choices, blank=True)
    starts_at = models.DateTimeField(db_index=True)
    ends_at = models.DateTimeField(null=True, blank=True, help_text="Empty: the new prices stay.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
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

    schedule = models.ForeignKey(PriceSchedule, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey("inventory.Product", on_delete=models.PROTECT, related_name="+")
    variant = models.ForeignKey("inventory.Variant", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    was = models.DecimalField(max_digits=10, decimal_places=2, help_text="The price when it was scheduled.")
    price = models.DecimalField(max_digits=10, decimal_places=2, help_text="The price while it runs.")
    replaced = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True, help_text="The price it replaced when it started."
    )
    outcome = models.CharField(max_length=120, blank=True)

    class Meta:
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
        EDIT = "edit", "Edited in the admin"
        BULK = "bulk", "Bulk price change"
        SCHEDULE_START = "schedule_start", "Scheduled change started"
        SCHEDULE_END = "schedule_end", "Scheduled change ended"
        IMPORT = "import", "Catalog import"

    price_list = models.ForeignKey(PriceList, on_delete=models.PROTECT, related_name="changes")
    product = models.ForeignKey("inventory.Product", on_delete=models.PROTECT, related_name="price_changes")
    variant = models.ForeignKey(
        "inventory.Variant",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="price_changes",
        help_text="Empty: the product's base price.",
    )
    old_price = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True, help_text="Empty: the variant had no price of its own."
    )
    new_price = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    source = models.CharField(max_length=16, choices=Source.choices)
    schedule = models.ForeignKey(
        PriceSchedule, null=True, blank=True, on_delete=models.PROTECT, related_name="price_changes"
    )
    reason = models.CharField(max_length=200)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(db_index=True)

    class Meta:
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
