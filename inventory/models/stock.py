"""Stock per variant and location, the append-only ledger that explains it, and reservations.

Availability has one home, here: `StockLevel.available` is a column the database computes
(GREATEST(on_hand - reserved - safety_stock, 0)), so the ORM (`filter(available__gt=0)`,
`Sum("stock_levels__available")`), raw SQL (`sl.available`) and exports all read the same number.
A test fails when the formula is written anywhere else (tests/inventory/test_availability.py).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Greatest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from retail.messages import spoken, system_note_field

INCOMING_KINDS = ("receipt", "return_restock", "transfer_in")
OUTGOING_KINDS = ("sale", "pickup", "transfer_out", "damage")
EITHER_WAY_KINDS = ("adjustment", "count")


class StockLevel(models.Model):
    """What a location holds of one variant. Changed only by inventory services, under a row lock.

    `reserved` may exceed `on_hand` after a count or damage finds fewer units than were promised:
    physical truth is recorded, and the shortfall shows as `short` until orders re-route it.
    """

    variant = models.ForeignKey(
        "inventory.Variant", on_delete=models.PROTECT, related_name="stock_levels", verbose_name=_("variant")
    )
    location = models.ForeignKey(
        "retail.Store", on_delete=models.PROTECT, related_name="stock_levels", verbose_name=_("location")
    )
    on_hand = models.IntegerField(default=0, verbose_name=_("on hand"))
    reserved = models.IntegerField(default=0, verbose_name=_("reserved"))
    safety_stock = models.IntegerField(
        default=0, help_text=_("Units kept back from sale (display, damages)."), verbose_name=_("safety stock")
    )
    last_counted_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last counted at"))
    # Units that can still be promised, never negative: written by the database on every change.
    available = models.GeneratedField(
        expression=Greatest(F("on_hand") - F("reserved") - F("safety_stock"), Value(0)),
        output_field=models.IntegerField(),
        db_persist=True,
        verbose_name=_("available"),
    )

    class Meta:
        verbose_name = _("stock level")
        verbose_name_plural = _("stock levels")
        constraints = [
            models.UniqueConstraint(fields=["variant", "location"], name="stocklevel_variant_location_unique"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="stocklevel_on_hand_not_negative"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="stocklevel_reserved_not_negative"),
            models.CheckConstraint(condition=Q(safety_stock__gte=0), name="stocklevel_safety_stock_not_negative"),
        ]
        indexes = [models.Index(fields=["location", "variant"], name="stocklevel_location_idx")]

    def __str__(self):
        return _("%(where)s: %(on_hand)s on hand, %(reserved)s reserved") % {
            "where": f"{self.variant_id}@{self.location_id}",
            "on_hand": self.on_hand,
            "reserved": self.reserved,
        }

    def recompute_available(self) -> None:
        """Set `available` after this level was changed in memory and saved by bulk_update (which
        reads nothing back); save() reads the column back itself. The column's rule, in Python."""
        self.available = max(0, self.on_hand - self.reserved - self.safety_stock)

    @property
    def short(self) -> int:
        """Units promised that are not on the shelf any more."""
        return max(0, self.reserved - self.on_hand)


class StockMovement(models.Model):
    """One change of `on_hand`. Append-only: the sum per (variant, location) is the level."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", pgettext_lazy("stock movement", "Receipt")
        SALE = "sale", _("Sale")
        PICKUP = "pickup", _("Pick-up hand-over")
        RETURN_RESTOCK = "return_restock", _("Return restocked")
        TRANSFER_OUT = "transfer_out", _("Transfer out")
        TRANSFER_IN = "transfer_in", _("Transfer in")
        ADJUSTMENT = "adjustment", _("Adjustment")
        COUNT = "count", _("Cycle count")
        DAMAGE = "damage", _("Damage")

    variant = models.ForeignKey(
        "inventory.Variant", on_delete=models.PROTECT, related_name="movements", verbose_name=_("variant")
    )
    location = models.ForeignKey(
        "retail.Store", on_delete=models.PROTECT, related_name="stock_movements", verbose_name=_("location")
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, verbose_name=_("kind"))
    quantity = models.IntegerField(
        help_text=_("Signed: positive adds to on hand, negative takes away."), verbose_name=_("quantity")
    )
    balance_after = models.IntegerField(
        help_text=_("on_hand right after this movement."), verbose_name=_("balance after")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("actor"),
    )
    reference = models.CharField(max_length=80, blank=True, db_index=True, verbose_name=_("reference"))
    note = models.CharField(max_length=200, blank=True, verbose_name=_("note"))
    message = system_note_field()
    created_at = models.DateTimeField(db_index=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind__in=INCOMING_KINDS) & Q(quantity__gt=0))
                | (Q(kind__in=OUTGOING_KINDS) & Q(quantity__lt=0))
                | (Q(kind__in=EITHER_WAY_KINDS) & ~Q(quantity=0)),
                name="stockmovement_sign_matches_kind",
            ),
            models.CheckConstraint(condition=Q(balance_after__gte=0), name="stockmovement_balance_not_negative"),
        ]
        indexes = [
            models.Index(fields=["variant", "location", "created_at"], name="movement_variant_loc_idx"),
            # Insights' sell-through: units sold in a period, every location or one.
            models.Index(
                fields=["created_at", "location"], condition=Q(kind__in=["sale", "pickup"]), name="movement_sold_idx"
            ),
        ]

    def __str__(self):
        where = f"{self.variant_id}@{self.location_id}"
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.get_kind_display()} {self.quantity:+d} {where}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("Stock movements are append-only; post a correcting movement instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Stock movements are append-only; post a correcting movement instead.")

    @property
    def said(self) -> str:
        """The note in the active language: the system's sentence worded again, or the words typed."""
        return spoken(self.message, self.note)


class Reservation(models.Model):
    """Units promised to an order or cart at one location until `expires_at`; closed exactly once."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        CONSUMED = "consumed", _("Consumed")
        RELEASED = "released", _("Released")
        EXPIRED = "expired", _("Expired")

    variant = models.ForeignKey(
        "inventory.Variant", on_delete=models.PROTECT, related_name="reservations", verbose_name=_("variant")
    )
    location = models.ForeignKey(
        "retail.Store", on_delete=models.PROTECT, related_name="reservations", verbose_name=_("location")
    )
    quantity = models.IntegerField(verbose_name=_("quantity"))
    reference = models.CharField(
        max_length=80, db_index=True, help_text=_("What holds it, e.g. order:1042."), verbose_name=_("reference")
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE, verbose_name=_("status"))
    expires_at = models.DateTimeField(verbose_name=_("expires at"))
    created_at = models.DateTimeField(verbose_name=_("created at"))
    closed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("closed at"))

    class Meta:
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="reservation_quantity_positive"),
            models.CheckConstraint(
                condition=Q(status="active", closed_at__isnull=True)
                | (~Q(status="active") & Q(closed_at__isnull=False)),
                name="reservation_closed_at_matches_status",
            ),
        ]
        indexes = [
            models.Index(fields=["expires_at"], condition=Q(status="active"), name="reservation_active_due_idx"),
        ]

    def __str__(self):
        return f"{self.reference}: {self.quantity} x {self.variant_id}@{self.location_id} ({self.get_status_display()})"
