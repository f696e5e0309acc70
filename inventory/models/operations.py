"""Work on stock between and inside locations: transfers and cycle counts."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from retail.messages import spoken, system_note_field


class Transfer(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        SHIPPED = "shipped", _("Shipped")
        RECEIVED = "received", _("Received")
        CANCELLED = "cancelled", _("Cancelled")

    from_location = models.ForeignKey(
        "retail.Store", on_delete=models.PROTECT, related_name="transfers_out", verbose_name=_("from location")
    )
    to_location = models.ForeignKey(
        "retail.Store", on_delete=models.PROTECT, related_name="transfers_in", verbose_name=_("to location")
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED, verbose_name=_("status"))
    note = models.CharField(max_length=200, blank=True, verbose_name=_("note"))
    message = system_note_field()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("requested by"),
    )
    shipped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("shipped by"),
    )
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("received by"),
    )
    requested_at = models.DateTimeField(verbose_name=_("requested at"))
    shipped_at = models.DateTimeField(null=True, blank=True, verbose_name=_("shipped at"))
    received_at = models.DateTimeField(null=True, blank=True, verbose_name=_("received at"))

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(from_location=F("to_location")), name="transfer_between_two_locations"),
        ]
        indexes = [models.Index(fields=["to_location", "status"], name="transfer_incoming_idx")]

    def __str__(self):
        return _("Transfer %(reference)s") % {"reference": self.reference}

    @property
    def reference(self) -> str:
        return f"TR-{self.pk:06d}" if self.pk else "TR-new"

    @property
    def has_discrepancy(self) -> bool:
        return any(line.discrepancy for line in self.lines.all())

    @property
    def said(self) -> str:
        """The note in the active language: the system's sentence worded again, or the words typed."""
        return spoken(self.message, self.note)


class TransferLine(models.Model):
    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="lines", verbose_name=_("transfer"))
    variant = models.ForeignKey(
        "inventory.Variant", on_delete=models.PROTECT, related_name="+", verbose_name=_("variant")
    )
    quantity_requested = models.PositiveIntegerField(verbose_name=_("quantity requested"))
    quantity_shipped = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("quantity shipped"))
    quantity_received = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("quantity received"))

    class Meta:
        verbose_name = _("transfer line")
        verbose_name_plural = _("transfer lines")
        ordering = ["transfer_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["transfer", "variant"], name="transferline_variant_once"),
            models.CheckConstraint(condition=Q(quantity_requested__gt=0), name="transferline_requested_positive"),
        ]

    def __str__(self):
        return f"{self.transfer} · {self.variant_id} x {self.quantity_requested}"

    @property
    def discrepancy(self) -> int:
        """Received minus shipped (negative: units lost on the way); 0 until received."""
        if self.quantity_received is None or self.quantity_shipped is None:
            return 0
        return self.quantity_received - self.quantity_shipped


class StockCount(models.Model):
    """A cycle count of one or more SKUs at a location: scanned or typed, reviewed, then posted
    once; a count beyond the store's limits waits for a manager (inventory.counts)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        AWAITING_APPROVAL = "approval", _("Awaiting a manager")
        POSTED = "posted", _("Posted")
        REJECTED = "rejected", _("Rejected")
        CANCELLED = "cancelled", _("Cancelled")

    location = models.ForeignKey(
        "retail.Store", on_delete=models.PROTECT, related_name="stock_counts", verbose_name=_("location")
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, verbose_name=_("status"))
    note = models.CharField(max_length=200, blank=True, verbose_name=_("note"))
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("started by"),
    )
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("posted by"),
    )
    started_at = models.DateTimeField(verbose_name=_("started at"))
    posted_at = models.DateTimeField(null=True, blank=True, verbose_name=_("posted at"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    submitted_at = models.DateTimeField(null=True, blank=True, verbose_name=_("submitted at"))
    approval_reasons = models.JSONField(
        default=list,
        blank=True,
        help_text=_("Why the count needed a manager, as the associate was told."),
        verbose_name=_("approval reasons"),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("manager"),
        help_text=_("The manager who approved or rejected the count."),
    )
    decided_at = models.DateTimeField(null=True, blank=True, verbose_name=_("decided at"))
    decision_note = models.CharField(_("manager's note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("stock count")
        verbose_name_plural = _("stock counts")
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(
                fields=["location", "submitted_at"], condition=Q(status="approval"), name="stockcount_awaiting_idx"
            )
        ]

    def __str__(self):
        return _("Count #%(pk)s at %(location)s (%(status)s)") % {
            "pk": self.pk,
            "location": self.location_id,
            "status": self.get_status_display(),
        }


class StockCountLine(models.Model):
    count = models.ForeignKey(StockCount, on_delete=models.CASCADE, related_name="lines", verbose_name=_("count"))
    variant = models.ForeignKey(
        "inventory.Variant", on_delete=models.PROTECT, related_name="+", verbose_name=_("variant")
    )
    counted_quantity = models.PositiveIntegerField(default=0, verbose_name=_("counted quantity"))
    expected_quantity = models.IntegerField(
        null=True,
        blank=True,
        help_text=_("on_hand when the count was submitted (posted, or sent to a manager)."),
        verbose_name=_("expected quantity"),
    )

    class Meta:
        verbose_name = _("stock count line")
        verbose_name_plural = _("stock count lines")
        ordering = ["count_id", "id"]
        constraints = [models.UniqueConstraint(fields=["count", "variant"], name="stockcountline_variant_once")]

    def __str__(self):
        return f"{self.count} · {self.variant_id}: {self.counted_quantity}"

    @property
    def difference(self) -> int | None:
        return None if self.expected_quantity is None else self.counted_quantity - self.expected_quantity
