"""Work on stock between and inside locations: transfers and cycle counts."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Transfer(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        SHIPPED = "shipped", _("Shipped")
        RECEIVED = "received", _("Received")
        CANCELLED = "cancelled", _("Cancelled")

    from_location = models.ForeignKey("retail.Store", on_delete=models.PROTECT, related_name="transfers_out")
    to_location = models.ForeignKey("retail.Store", on_delete=models.PROTECT, related_name="transfers_in")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    note = models.CharField(max_length=200, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    shipped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField()
    shipped_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(from_location=F("to_location")), name="transfer_between_two_locations"),
        ]
        indexes = [models.Index(fields=["to_location", "status"], name="transfer_incoming_idx")]

    def __str__(self):
        return f"Transfer {self.reference}"

    @property
    def reference(self) -> str:
        return f"TR-{self.pk:06d}" if self.pk else "TR-new"

    @property
    def has_discrepancy(self) -> bool:
        return any(line.discrepancy for line in self.lines.all())


class TransferLine(models.Model):
    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey("inventory.Variant", on_delete=models.PROTECT, related_name="+")
    quantity_requested = models.PositiveIntegerField()
    quantity_shipped = models.PositiveIntegerField(null=True, blank=True)
    quantity_received = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
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

    location = models.ForeignKey("retail.Store", on_delete=models.PROTECT, related_name="stock_counts")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    note = models.CharField(max_length=200, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField()
    posted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    approval_reasons = models.JSONField(
        default=list, blank=True, help_text="Why the count needed a manager, as the associate was told."
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="manager",
        help_text="The manager who approved or rejected the count.",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField("manager's note", max_length=300, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(
                fields=["location", "submitted_at"], condition=Q(status="approval"), name="stockcount_awaiting_idx"
            )
        ]

    def __str__(self):
        return f"Count #{self.pk} at {self.location_id} ({self.status})"


class StockCountLine(models.Model):
    count = models.ForeignKey(StockCount, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey("inventory.Variant", on_delete=models.PROTECT, related_name="+")
    counted_quantity = models.PositiveIntegerField(default=0)
    expected_quantity = models.IntegerField(
        null=True, blank=True, help_text="on_hand when the count was submitted (posted, or sent to a manager)."
    )

    class Meta:
        ordering = ["count_id", "id"]
        constraints = [models.UniqueConstraint(fields=["count", "variant"], name="stockcountline_variant_once")]

    def __str__(self):
        return f"{self.count} · {self.variant_id}: {self.counted_quantity}"

    @property
    def difference(self) -> int | None:
        return None if self.expected_quantity is None else self.counted_quantity - self.expected_quantity
