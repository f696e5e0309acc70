"""Shipping (issue 19.4): the carriers that take parcels, and the shipping methods each market offers
ship-to-home orders with their rates (flat, by weight or by order value in bands, free over a
threshold). What a method costs for a parcel is said once, without a database, in orders.shipping."""

import re
from decimal import Decimal
from urllib.parse import quote

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from retail.domain.money import format_money
from retail.models.markets import country_code_validator
from retail.models.tax import STANDARD

TRACKING_PLACEHOLDER = "{number}"


class Carrier(models.Model):
    """Who carries the parcels, and where a shopper follows one: `tracking_url` with {number}."""

    code = models.SlugField(
        max_length=20, unique=True, help_text=_("e.g. royal-mail, poste, inpost."), verbose_name=_("code")
    )
    name = models.CharField(max_length=80, verbose_name=_("name"))
    tracking_url = models.CharField(
        _("tracking page"),
        max_length=300,
        blank=True,
        help_text=_(
            "The carrier's tracking page with {number} where the tracking number goes, e.g. "
            "https://www.royalmail.com/track-your-item#/tracking-results/{number}."
        ),
    )
    is_active = models.BooleanField(default=True, verbose_name=_("active"))

    class Meta:
        verbose_name = _("carrier")
        verbose_name_plural = _("carriers")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        url = (self.tracking_url or "").strip()
        self.tracking_url = url
        if not url:
            return
        if not url.startswith("https://") or url.count(TRACKING_PLACEHOLDER) != 1:
            raise ValidationError(
                {"tracking_url": "An https:// address with {number} once where the tracking number goes."}
            )
        if re.search(r"[{}\s]", url.replace(TRACKING_PLACEHOLDER, "")):
            raise ValidationError({"tracking_url": "Only {number} may be in braces; no spaces."})

    def tracking_link(self, number: str) -> str:
        """The carrier's page for one parcel ("" without a page or a number); the number is escaped."""
        number = (number or "").strip()
        if not (self.tracking_url and number):
            return ""
        return self.tracking_url.replace(TRACKING_PLACEHOLDER, quote(number, safe=""))


class ShippingMethod(models.Model):
    """A way a market ships to homes ("Standard, 2-4 days"), priced in the market's currency."""

    class Basis(models.TextChoices):
        FLAT = "flat", _("Flat rate")
        WEIGHT = "weight", _("By weight (bands in grams)")
        ORDER_VALUE = "order_value", _("By order value (bands)")

    market = models.ForeignKey(
        "retail.Market", on_delete=models.PROTECT, related_name="shipping_methods", verbose_name=_("market")
    )
    code = models.SlugField(
        max_length=30, help_text=_("Unique in its market, e.g. standard, express."), verbose_name=_("code")
    )
    name = models.CharField(
        max_length=80, help_text=_("What shoppers read at checkout, e.g. Standard delivery."), verbose_name=_("name")
    )
    carrier = models.ForeignKey(
        Carrier, null=True, blank=True, on_delete=models.PROTECT, related_name="methods", verbose_name=_("carrier")
    )
    basis = models.CharField(max_length=12, choices=Basis.choices, default=Basis.FLAT, verbose_name=_("basis"))
    price = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0.00"))],
        help_text=_("Flat rate: the price. By weight or value the bands price it."),
        verbose_name=_("price"),
    )
    free_over = models.DecimalField(
        _("free from"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.00"))],
        help_text=_("Free when the goods shipped come to at least this after discounts; empty: never free."),
    )
    tax_class = models.ForeignKey(
        "retail.TaxClass",
        to_field="code",
        on_delete=models.PROTECT,
        related_name="+",
        default=STANDARD,
        help_text=_("Which of the market's tax rates the shipping charge pays."),
        verbose_name=_("tax class"),
    )
    countries = ArrayField(
        models.CharField(max_length=2, validators=[country_code_validator]),
        default=list,
        blank=True,
        help_text=_("Only to these of the market's countries (comma separated); empty: all of them."),
        verbose_name=_("countries"),
    )
    min_days = models.PositiveSmallIntegerField(_("delivery from (days)"), null=True, blank=True)
    max_days = models.PositiveSmallIntegerField(_("delivery within (days)"), null=True, blank=True)
    position = models.PositiveSmallIntegerField(
        default=0, help_text=_("Order at checkout: lowest first."), verbose_name=_("position")
    )
    is_active = models.BooleanField(default=True, verbose_name=_("active"))

    class Meta:
        verbose_name = _("shipping method")
        verbose_name_plural = _("shipping methods")
        ordering = ["market", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["market", "code"], name="shippingmethod_code_per_market"),
            models.CheckConstraint(
                condition=Q(price__gte=0) & (Q(free_over__isnull=True) | Q(free_over__gte=0)),
                name="shippingmethod_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(min_days__isnull=True) | Q(max_days__isnull=True) | Q(max_days__gte=models.F("min_days")),
                name="shippingmethod_days_in_order",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.market.code})"

    def clean_fields(self, exclude=None):
        self.countries = sorted({c.strip().upper() for c in self.countries or [] if c.strip()})
        super().clean_fields(exclude=exclude)

    def clean(self):
        super().clean()
        if self.market_id and self.countries:
            outside = [c for c in self.countries if c not in self.market.countries]
            if outside:
                raise ValidationError(
                    {"countries": f"Not in {self.market.name}: {', '.join(outside)}. Add them to the market first."}
                )
        if self.min_days is not None and self.max_days is not None and self.max_days < self.min_days:
            raise ValidationError({"max_days": "Delivery within comes after delivery from."})


class ShippingBand(models.Model):
    """One step of a banded method: up to and including `up_to` (grams, or the order's value) costs
    `price`; the band without `up_to` takes everything above the others."""

    method = models.ForeignKey(ShippingMethod, on_delete=models.CASCADE, related_name="bands", verbose_name=_("method"))
    up_to = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("Up to and including: grams by weight, money by order value; empty: everything above."),
        verbose_name=_("up to"),
    )
    price = models.DecimalField(
        max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0.00"))], verbose_name=_("price")
    )

    class Meta:
        verbose_name = _("shipping band")
        verbose_name_plural = _("shipping bands")
        ordering = ["method", models.F("up_to").asc(nulls_last=True)]
        constraints = [
            models.UniqueConstraint(fields=["method", "up_to"], name="shippingband_one_per_limit"),
            models.UniqueConstraint(
                fields=["method"], condition=Q(up_to__isnull=True), name="shippingband_one_open_band"
            ),
            models.CheckConstraint(
                condition=Q(price__gte=0) & (Q(up_to__isnull=True) | Q(up_to__gt=0)), name="shippingband_valid"
            ),
        ]

    def __str__(self):
        return _("up to %(limit)s: %(price)s") % {
            "limit": self.up_to if self.up_to is not None else "∞",
            "price": format_money(self.price, self.method.market.currency),
        }
