"""Gift cards: a balance per card, moved only by append-only ledger entries (like store credit).

The card's number is never stored: only its keyed hash (HMAC-SHA256 with SECRET_KEY) and its
last four digits, shown to staff and shoppers. `balance` is the sum of the card's entries, kept
on the row under its lock and CHECKed non-negative by the database.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from retail.domain.channel import CHANNEL_LENGTH, channel_choices
from retail.domain.money import format_money


class GiftCard(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        EXPIRED = "expired", _("Expired")

    class Source(models.TextChoices):
        SOLD = "sold", _("Sold")
        GOODWILL = "goodwill", _("Goodwill (head office)")

    code_hash = models.CharField(max_length=64, unique=True, editable=False, verbose_name=_("code hash"))
    last4 = models.CharField(max_length=4, verbose_name=_("last4"))
    currency = models.CharField(max_length=3, verbose_name=_("currency"))
    balance = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0.00"), verbose_name=_("balance"))
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE, verbose_name=_("status"))
    source = models.CharField(max_length=8, choices=Source.choices, verbose_name=_("source"))
    channel = models.CharField(
        max_length=CHANNEL_LENGTH,
        choices=channel_choices,
        blank=True,
        help_text=_("Where it was sold (store, app, web...); empty for head office's goodwill cards."),
        verbose_name=_("channel"),
    )
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="gift_cards",
        verbose_name=_("customer"),
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("issued by"),
    )
    issued_at = models.DateTimeField(verbose_name=_("issued at"))
    expires_at = models.DateTimeField(verbose_name=_("expires at"))

    class Meta:
        verbose_name = _("gift card")
        verbose_name_plural = _("gift cards")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="gift_card_balance_not_negative"),
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("issued_at")), name="gift_card_expiry_after_issue"
            ),
            models.CheckConstraint(condition=~Q(status="expired") | Q(balance=0), name="gift_card_expired_is_empty"),
        ]
        indexes = [
            models.Index(fields=["status", "expires_at"], name="gift_card_expiry_idx"),
            # insights' liabilities: cards issued in a period, by month and channel
            models.Index(fields=["issued_at"], include=["channel", "source", "balance", "status"],
                         name="gift_card_issued_idx"),
        ]  # fmt: skip

    def __str__(self):
        return _("Gift card ····%(last4)s") % {"last4": self.last4}


class GiftCardEntry(models.Model):
    class Kind(models.TextChoices):
        ISSUE = "issue", _("Issued")
        REDEEM = "redeem", _("Redeemed")
        REFUND = "refund", _("Refunded to the card")
        EXPIRE = "expire", _("Expired")

    card = models.ForeignKey(GiftCard, on_delete=models.PROTECT, related_name="entries", verbose_name=_("card"))
    kind = models.CharField(max_length=8, choices=Kind.choices, verbose_name=_("kind"))
    amount = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        help_text=_("Positive loads the card, negative takes from it."),
        verbose_name=_("amount"),
    )
    reference = models.CharField(
        max_length=100, help_text=_("Order, receipt or refund it belongs to."), verbose_name=_("reference")
    )
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
        verbose_name = _("gift card entry")
        ordering = ["-created_at", "-id"]
        verbose_name_plural = _("gift card entries")
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="gift_card_entry_not_zero"),
            models.CheckConstraint(
                condition=(Q(kind__in=["issue", "refund"]) & Q(amount__gt=0))
                | (Q(kind__in=["redeem", "expire"]) & Q(amount__lt=0)),
                name="gift_card_entry_sign_by_kind",
            ),
            models.UniqueConstraint(fields=["card", "kind", "reference"], name="gift_card_once_per_reference"),
            # a sale or goodwill gesture issues one card: a retried issue cannot load a second one
            models.UniqueConstraint(
                fields=["reference"], condition=Q(kind="issue"), name="gift_card_issued_once_per_reference"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {format_money(self.amount, self.card.currency)} ({self.reference})"
