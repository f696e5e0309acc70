from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from retail.domain import texts as translated_texts
from retail.domain.channel import CHANNEL_LENGTH
from retail.domain.money import format_money
from retail.messages import spoken, system_note_field
from retail.models.markets import Market, currency_code_validator


class TranslatedTexts(models.Model):
    """Texts shown to shoppers and staff, with their translations on the row (retail.domain.texts):
    `display_name` (and `display_description`) read the active language's, else the row's own."""

    TRANSLATED: tuple[str, ...] = ("name",)

    translations = models.JSONField(
        default=dict,
        blank=True,
        help_text=_(
            'The texts in the other languages: {"it": {"name": "..."}, "pl": {"name": "..."}}. '
            "A text left out reads the one above."
        ),
        verbose_name=_("translations"),
    )

    class Meta:
        abstract = True

    def translated(self, field: str, language: str | None = None) -> str:
        return translated_texts.translated(self.translations, field, getattr(self, field), language)

    @property
    def display_name(self) -> str:
        return self.translated("name")

    def text_param(self, field: str = "name") -> dict:
        """`field` with its translations, as a stored sentence names the row (retail.messages)."""
        return translated_texts.text_param(getattr(self, field), self.translations, field)

    def clean_fields(self, exclude=None):
        super().clean_fields(exclude=exclude)
        if "translations" not in (exclude or ()):
            refusal = translated_texts.refusal(self.translations, self.TRANSLATED)
            if refusal:
                raise ValidationError({"translations": refusal})
            self.translations = translated_texts.cleaned(self.translations)


class LoyaltyTier(TranslatedTexts):
    """A tier reached by rolling 12-month spend; head office edits them in the admin."""

    code = models.SlugField(max_length=20, unique=True, verbose_name=_("code"))
    name = models.CharField(max_length=40, verbose_name=_("name"))
    min_spend = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        unique=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_(
            "Spend over the last 12 months needed to reach this tier, in the home market's currency: "
            "spend in another currency counts converted at head office's exchange rate of the day it is counted; "
            "spend in a currency without a rate that day does not count (the shopper's profile names it)."
        ),
        verbose_name=_("min spend"),
    )
    points_per_unit = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("1.00"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_(
            "Points earned per unit of the home market's currency spent: a purchase in another currency earns on "
            "its amount converted at head office's exchange rate of the day (none without a rate), and a point "
            "spent in it is worth its home-currency value converted the same way."
        ),
        verbose_name=_("points per unit"),
    )
    benefits = models.TextField(blank=True, verbose_name=_("benefits"))

    class Meta:
        verbose_name = _("loyalty tier")
        verbose_name_plural = _("loyalty tiers")
        ordering = ["min_spend"]

    def __str__(self):
        return self.display_name  # in the admin's choices and columns, in the reader's language


class LoyaltyAccount(models.Model):
    """Points balance (the sum of the ledger, cached and CHECKed non-negative) and current tier."""

    customer = models.OneToOneField(
        "customers.Customer", on_delete=models.CASCADE, related_name="loyalty_account", verbose_name=_("customer")
    )
    balance = models.IntegerField(default=0, verbose_name=_("balance"))
    tier = models.ForeignKey(
        LoyaltyTier, null=True, blank=True, on_delete=models.SET_NULL, related_name="accounts", verbose_name=_("tier")
    )
    # In the home market's currency: each currency's spend converted (customers.services.loyalty.rolling_spend)
    spend_12m = models.DecimalField(
        max_digits=12, decimal_places=2, default=Decimal("0.00"), verbose_name=_("spend 12m")
    )
    spend_detail = models.JSONField(
        default=dict,
        blank=True,
        help_text=_(
            'What spend_12m counts: {"currency": home, "by_currency": {"PLN": "400.00"}, "missing": ["PLN"], '
            '"day": "2026-12-04"} (missing: currencies without a rate that day, not in spend_12m).'
        ),
        verbose_name=_("spend detail"),
    )
    last_activity_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last activity at"))
    created_at = models.DateTimeField(verbose_name=_("created at"))

    class Meta:
        verbose_name = _("loyalty account")
        verbose_name_plural = _("loyalty accounts")
        constraints = [models.CheckConstraint(condition=Q(balance__gte=0), name="loyalty_balance_not_negative")]

    def __str__(self):
        return _("%(customer)s: %(points)s pts") % {"customer": self.customer_id, "points": self.balance}


class PointsEntry(models.Model):
    class Kind(models.TextChoices):
        EARN = "earn", _("Earned")
        REDEEM = "redeem", _("Redeemed")
        REVERSE = "reverse", _("Reversed")
        EXPIRE = "expire", _("Expired")
        ADJUST = "adjust", _("Adjusted")

    account = models.ForeignKey(
        LoyaltyAccount, on_delete=models.PROTECT, related_name="entries", verbose_name=_("account")
    )
    kind = models.CharField(max_length=8, choices=Kind.choices, verbose_name=_("kind"))
    points = models.IntegerField(
        help_text=_("Positive adds to the balance, negative takes from it."), verbose_name=_("points")
    )
    reference = models.CharField(
        max_length=100, help_text=_("Order, return or merge it belongs to."), verbose_name=_("reference")
    )
    note = models.CharField(max_length=200, blank=True, verbose_name=_("note"))
    message = system_note_field()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("actor"),
    )
    created_at = models.DateTimeField(verbose_name=_("created at"))

    class Meta:
        verbose_name = _("points entry")
        ordering = ["-created_at", "-id"]
        verbose_name_plural = _("points entries")
        constraints = [
            models.CheckConstraint(condition=~Q(points=0), name="points_entry_not_zero"),
            # An order earns once and redeems once (both under its number): once per kind, not one of the two.
            models.UniqueConstraint(
                fields=["account", "kind", "reference"],
                condition=Q(kind__in=["earn", "redeem"]),
                name="points_earn_redeem_once_per_reference_kind",
            ),
        ]
        indexes = [models.Index(fields=["account", "-created_at"], name="points_account_idx")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.points:+d} ({self.reference})"

    @property
    def said(self) -> str:
        """The note in the active language: the system's sentence worded again, or the words typed."""
        return spoken(self.message, self.note)


class StoreCreditAccount(models.Model):
    customer = models.OneToOneField(
        "customers.Customer", on_delete=models.CASCADE, related_name="store_credit", verbose_name=_("customer")
    )
    balance = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0.00"), verbose_name=_("balance"))
    currency = models.CharField(
        max_length=3,
        blank=True,
        help_text=_(
            "The currency of the balance (the market where it was issued); empty until the first credit. "
            "It is spent and refunded only in it; an empty account takes the currency of its next credit."
        ),
        verbose_name=_("currency"),
    )
    created_at = models.DateTimeField(verbose_name=_("created at"))

    class Meta:
        verbose_name = _("store credit account")
        verbose_name_plural = _("store credit accounts")
        constraints = [models.CheckConstraint(condition=Q(balance__gte=0), name="store_credit_not_negative")]

    def __str__(self):
        return f"{self.customer_id}: {format_money(self.balance, self.currency)}"


class StoreCreditEntry(models.Model):
    class Kind(models.TextChoices):
        ISSUE = "issue", _("Issued")
        SPEND = "spend", _("Spent")
        ADJUST = "adjust", _("Adjusted")

    account = models.ForeignKey(
        StoreCreditAccount, on_delete=models.PROTECT, related_name="entries", verbose_name=_("account")
    )
    kind = models.CharField(max_length=8, choices=Kind.choices, verbose_name=_("kind"))
    amount = models.DecimalField(
        max_digits=12, decimal_places=2, help_text=_("Positive issues, negative spends."), verbose_name=_("amount")
    )
    reference = models.CharField(max_length=100, verbose_name=_("reference"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("actor"),
    )
    store = models.ForeignKey(
        "retail.Store", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("store")
    )
    created_at = models.DateTimeField(verbose_name=_("created at"))

    class Meta:
        verbose_name = _("store credit entry")
        ordering = ["-created_at", "-id"]
        verbose_name_plural = _("store credit entries")
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="store_credit_entry_not_zero"),
            models.UniqueConstraint(
                fields=["account", "kind", "reference"],
                condition=Q(kind__in=["issue", "spend"]),
                name="store_credit_once_per_reference",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {format_money(self.amount, self.account.currency)} ({self.reference})"


class Offer(TranslatedTexts):
    """A discount for shoppers matching its rules, redeemable once per shopper on its channels."""

    TRANSLATED = ("name", "description")

    class Segment(models.TextChoices):
        ALL = "all", _("Everyone")
        MULTICHANNEL = "multichannel", _("Multichannel shoppers")
        SINGLE_CHANNEL = "single_channel", _("Single-channel shoppers")
        LAPSED = "lapsed", _("No purchase in 6 months")

    code = models.SlugField(max_length=30, unique=True, verbose_name=_("code"))
    name = models.CharField(max_length=120, verbose_name=_("name"))
    description = models.TextField(blank=True, verbose_name=_("description"))
    discount_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("100"))],
        verbose_name=_("discount percent"),
    )
    discount_amount = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
        verbose_name=_("discount amount"),
    )
    currency = models.CharField(
        max_length=3,
        blank=True,
        validators=[currency_code_validator],
        help_text=_(
            "An amount off is in this currency (ISO 4217, e.g. PLN) and applies only to orders in it; "
            "a percentage applies in every currency and has none."
        ),
        verbose_name=_("currency"),
    )
    channels = models.JSONField(
        default=list, help_text=_('Where it can be redeemed, e.g. ["app", "web", "store"].'), verbose_name=_("channels")
    )
    segment = models.CharField(max_length=16, choices=Segment.choices, default=Segment.ALL, verbose_name=_("segment"))
    tier = models.ForeignKey(
        LoyaltyTier,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("Only this tier."),
        verbose_name=_("tier"),
    )
    tag = models.ForeignKey(
        "customers.Tag",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("Only this tag."),
        verbose_name=_("tag"),
    )
    first_purchase_only = models.BooleanField(
        default=False, help_text=_("Only shoppers who never bought."), verbose_name=_("first purchase only")
    )
    requires_email_consent = models.BooleanField(
        default=True, help_text=_("Sent by email: only to those who agreed."), verbose_name=_("requires email consent")
    )
    valid_from = models.DateTimeField(verbose_name=_("valid from"))
    valid_until = models.DateTimeField(verbose_name=_("valid until"))
    is_active = models.BooleanField(default=True, verbose_name=_("active"))

    class Meta:
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        ordering = ["-valid_from", "code"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(discount_percent__isnull=False) & Q(discount_amount__isnull=True))
                | (Q(discount_percent__isnull=True) & Q(discount_amount__isnull=False)),
                name="offer_one_discount_kind",
            ),
            # an amount off says its currency (it never takes 5 zł off for "€5 off"); a percentage has none
            models.CheckConstraint(
                condition=(Q(discount_amount__isnull=True) & Q(currency=""))
                | (Q(discount_amount__isnull=False) & Q(currency__regex=r"^[A-Z]{3}$")),
                name="offer_amount_has_currency",
            ),
            models.CheckConstraint(condition=Q(valid_until__gt=models.F("valid_from")), name="offer_valid_window"),
        ]

    def __str__(self):
        return f"{self.display_name} ({self.code})"

    def clean_fields(self, exclude=None):
        self.currency = (self.currency or "").strip().upper()  # typed "pln"
        super().clean_fields(exclude=exclude)

    @property
    def display_description(self) -> str:
        return self.translated("description")

    def clean(self):
        super().clean()
        if self.discount_amount is not None and not self.currency:
            raise ValidationError({"currency": _("Say which currency the amount off is in, e.g. EUR or PLN.")})
        if self.discount_amount is None and self.currency:
            raise ValidationError({"currency": _("A percentage applies in every currency: leave the currency empty.")})
        if self.currency and not Market.objects.filter(currency=self.currency).exists():
            raise ValidationError(
                {
                    "currency": _("No market sells in %(currency)s: choose the currency of one.")
                    % {"currency": self.currency}
                }
            )

    @property
    def discount_label(self) -> str:
        """What the offer takes off, as people read it: "10% off", "5,00 € off", "20,00 zł off"."""
        if self.discount_percent is not None:
            return _("%(percent)s%% off") % {"percent": f"{self.discount_percent.normalize():f}"}
        return _("%(amount)s off") % {"amount": format_money(self.discount_amount, self.currency)}

    def applies_in(self, currency: str) -> bool:
        """A percentage applies in every currency; an amount off only in its own."""
        return self.discount_amount is None or self.currency == (currency or "").upper()


class OfferAssignment(models.Model):
    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("offer"))
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="offer_assignments", verbose_name=_("customer")
    )
    assigned_at = models.DateTimeField(verbose_name=_("assigned at"))
    redeemed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("redeemed at"))
    redeemed_channel = models.CharField(max_length=CHANNEL_LENGTH, blank=True, verbose_name=_("redeemed channel"))
    redeemed_reference = models.CharField(max_length=100, blank=True, verbose_name=_("redeemed reference"))
    redeemed_store = models.ForeignKey(
        "retail.Store",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("redeemed store"),
    )

    class Meta:
        verbose_name = _("offer assignment")
        verbose_name_plural = _("offer assignments")
        ordering = ["-assigned_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["offer", "customer"], name="offer_assignment_once")]
        indexes = [models.Index(fields=["customer", "redeemed_at"], name="offer_assignment_customer_idx")]

    def __str__(self):
        return f"{self.offer.code} → {self.customer_id}"
