import secrets
from datetime import datetime
from decimal import Decimal
from functools import cache
from hashlib import sha256
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from retail.models.markets import home_market_id


@cache
def time_zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def zone_named(name: str) -> ZoneInfo:
    """The time zone of that name; the chain's (settings.TIME_ZONE) for a name that is none (a bad
    name saved around clean(), or a value read without its store)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


class StoreQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def for_user(self, user):
        """The stores a staff member may act in: all for head office, else their memberships."""
        if user.is_superuser or getattr(user, "is_head_office", False):
            return self.active()
        return self.active().filter(memberships__user=user).distinct()


class Store(models.Model):
    """A selling store or a warehouse; both hold stock and have coordinates for routing."""

    class Kind(models.TextChoices):
        STORE = "store", _("Store")
        WAREHOUSE = "warehouse", _("Warehouse")

    code = models.SlugField(
        max_length=20, unique=True, help_text=_("Short code printed on receipts, e.g. LON-01."), verbose_name=_("code")
    )
    name = models.CharField(max_length=120, verbose_name=_("name"))
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.STORE, verbose_name=_("kind"))
    market = models.ForeignKey(
        "retail.Market",
        on_delete=models.PROTECT,
        related_name="stores",
        default=home_market_id,
        help_text=_("Its currency, languages and tax rules; the home market unless chosen."),
        verbose_name=_("market"),
    )
    address_line = models.CharField(max_length=200, blank=True, verbose_name=_("address line"))
    city = models.CharField(max_length=80, verbose_name=_("city"))
    postcode = models.CharField(max_length=20, blank=True, verbose_name=_("postcode"))
    country = models.CharField(max_length=2, default="GB", help_text=_("ISO 3166-1 alpha-2"), verbose_name=_("country"))
    phone = models.CharField(max_length=32, blank=True, verbose_name=_("phone"))
    latitude = models.DecimalField(
        max_digits=9,
        decimal_places=6,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
        verbose_name=_("latitude"),
    )
    longitude = models.DecimalField(
        max_digits=9,
        decimal_places=6,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
        verbose_name=_("longitude"),
    )
    time_zone = models.CharField(max_length=64, default="Europe/London", verbose_name=_("time zone"))
    opening_hours = models.JSONField(
        default=dict,
        blank=True,
        help_text=_('Per weekday, e.g. {"mon": ["09:00", "18:00"], "sun": null}.'),
        verbose_name=_("opening hours"),
    )
    pickup_enabled = models.BooleanField(default=True, verbose_name=_("pickup enabled"))
    accepts_returns = models.BooleanField(default=True, verbose_name=_("accepts returns"))
    ships_orders = models.BooleanField(
        default=False, help_text=_("Can fulfil ship orders (ship-from-store)."), verbose_name=_("ships orders")
    )
    pickup_hold_days = models.PositiveSmallIntegerField(default=7, verbose_name=_("pickup hold days"))
    picking_minutes = models.PositiveSmallIntegerField(
        _("picking time (minutes)"),
        default=120,
        db_default=120,  # stores copied in without it (benchmark datasets, COPY)
        validators=[MaxValueValidator(24 * 60)],
        help_text=_("Click-and-collect: an order is ready this many opening-hours minutes after it is placed."),
    )
    # A cycle count whose differences go beyond either limit waits for a manager's approval
    # (inventory.counts); head office sets them per store in the admin.
    count_approval_units = models.PositiveIntegerField(
        _("count approval over (units)"),
        default=5,
        help_text=_("A counted line more than this many units away from the stock needs a manager's approval."),
    )
    count_approval_value = models.DecimalField(
        _("count approval over (value)"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("150.00"),
        validators=[MinValueValidator(Decimal("0.00"))],
        help_text=_("A count whose differences add up to more than this at selling price needs a manager's approval."),
    )
    is_active = models.BooleanField(default=True, verbose_name=_("active"))

    objects = StoreQuerySet.as_manager()

    class Meta:
        verbose_name = _("store")
        verbose_name_plural = _("stores")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__gte=-90, latitude__lte=90) & Q(longitude__gte=-180, longitude__lte=180),
                name="store_coordinates_in_range",
            ),
            models.CheckConstraint(
                condition=~Q(kind="warehouse") | Q(pickup_enabled=False),
                name="store_warehouse_has_no_pickup",
            ),
            models.CheckConstraint(
                condition=Q(count_approval_value__gte=0), name="store_count_approval_value_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"

    def clean(self):
        super().clean()
        if self.time_zone not in time_zone_names():
            raise ValidationError({"time_zone": f"{self.time_zone!r} is not a time zone name, e.g. Europe/London."})

    @property
    def zone(self) -> ZoneInfo:
        """The store's own time zone: its clock for queues, messages, receipts and daily figures."""
        return zone_named(self.time_zone)

    def local(self, moment: datetime) -> datetime:
        """`moment` (aware) on the store's clock."""
        return moment.astimezone(self.zone)


class StoreMembership(models.Model):
    class Role(models.TextChoices):
        ASSOCIATE = "associate", _("Associate")
        MANAGER = "manager", _("Manager")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("store"))
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.ASSOCIATE, verbose_name=_("role"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    # A manager's approval PIN for this store's counter (retail.approvals): only its hash is kept.
    approval_pin = models.CharField(max_length=128, blank=True, editable=False, verbose_name=_("approval PIN"))
    approval_pin_set_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("approval PIN set at")
    )

    class Meta:
        verbose_name = _("store membership")
        verbose_name_plural = _("store memberships")
        constraints = [models.UniqueConstraint(fields=["user", "store"], name="membership_user_store_unique")]

    def __str__(self):
        return _("%(user)s — %(role)s at %(store)s") % {
            "user": self.user,
            "role": self.get_role_display(),
            "store": self.store.code,
        }


def hash_device_token(token: str) -> str:
    return sha256(token.encode()).hexdigest()


class PosDevice(models.Model):
    """A till or handheld in a store that posts sales and returns with its own API token.

    Only a SHA-256 of the token is kept; the token itself is shown once, when it is issued.
    """

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="devices", verbose_name=_("store"))
    name = models.CharField(max_length=80, verbose_name=_("name"))
    token_prefix = models.CharField(max_length=8, editable=False, db_index=True, verbose_name=_("token prefix"))
    token_hash = models.CharField(max_length=64, unique=True, editable=False, verbose_name=_("token hash"))
    is_active = models.BooleanField(default=True, verbose_name=_("active"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    last_seen_at = models.DateTimeField(null=True, blank=True, editable=False, verbose_name=_("last seen at"))

    class Meta:
        verbose_name = _("POS device")
        verbose_name_plural = _("POS devices")
        constraints = [models.UniqueConstraint(fields=["store", "name"], name="posdevice_store_name_unique")]

    def __str__(self):
        return f"{self.name} @ {self.store.code}"

    # Read by DRF's IsAuthenticated when a device is the request's principal.
    is_authenticated = True
    is_anonymous = False

    @staticmethod
    def new_token() -> str:
        return "pos_" + secrets.token_urlsafe(32)
