"""Events (the change feed and what webhooks carry), subscriptions, and the delivery log.

An Event is written in the transaction of the change it reports, with an outbox message that
fans it out to the subscriptions once committed. That fan-out also gives the event its `position`
in the change feed, under a lock held until it commits, so positions become visible in increasing
order: a reader keeping the last position it saw never skips an event that commits late.
"""

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from retail.messages import spoken


class Event(models.Model):
    uid = models.UUIDField(
        default=uuid.uuid4,
        unique=True,
        editable=False,
        help_text=_("The id receivers dedupe on."),
        verbose_name=_("UID"),
    )
    type = models.CharField(max_length=40, db_index=True, verbose_name=_("type"))
    version = models.PositiveSmallIntegerField(default=1, verbose_name=_("version"))
    occurred_at = models.DateTimeField(verbose_name=_("occurred at"))
    data = models.JSONField(default=dict, blank=True, verbose_name=_("data"))
    key = models.CharField(
        max_length=80,
        blank=True,
        help_text=_("What it is about (stock:<variant>:<location>, order:<id>...)."),
        verbose_name=_("key"),
    )
    sealed = models.BooleanField(
        default=True,
        help_text=_("False while a coalesced event (stock) still gathers changes; not yet sent."),
        verbose_name=_("sealed"),
    )
    changes = models.PositiveIntegerField(
        default=1, help_text=_("How many changes this event coalesces."), verbose_name=_("changes")
    )
    position = models.BigIntegerField(
        null=True,
        blank=True,
        unique=True,
        help_text=_("Its place in the change feed, given when it is published."),
        verbose_name=_("position"),
    )

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["key"], condition=Q(sealed=False), name="webhooks_event_one_open_per_key"),
        ]
        indexes = [
            models.Index(fields=["occurred_at"], name="webhooks_event_occurred_idx"),
        ]

    def __str__(self):
        return f"{self.type} {self.uid}"

    @property
    def public_id(self) -> str:
        return f"evt_{self.uid.hex}"


class Subscription(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")

    name = models.CharField(max_length=120, verbose_name=_("name"))
    url = models.URLField(max_length=500, unique=True, verbose_name=_("URL"))
    event_types = ArrayField(
        models.CharField(max_length=40), help_text=_("The event types sent to this URL."), verbose_name=_("event types")
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE, verbose_name=_("status"))
    paused_reason = models.TextField(
        blank=True,
        help_text=_("Why it was paused (by the circuit breaker or by whom)."),
        verbose_name=_("paused reason"),
    )
    paused_message = models.JSONField(
        default=dict,
        blank=True,
        editable=False,
        help_text=_("A reason the system gave, as its sentence's key and values: worded in the reader's language."),
        verbose_name=_("paused message"),
    )
    paused_at = models.DateTimeField(null=True, blank=True, verbose_name=_("paused at"))
    secret_encrypted = models.TextField(editable=False, verbose_name=_("secret encrypted"))
    secret_hint = models.CharField(
        max_length=16, editable=False, help_text=_("The secret's last characters."), verbose_name=_("secret hint")
    )
    consecutive_failures = models.PositiveIntegerField(default=0, verbose_name=_("consecutive failures"))
    last_success_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last success at"))
    last_failure_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last failure at"))
    lease_until = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text=_("A worker is delivering for it until then."),
        verbose_name=_("lease until"),
    )
    lease_token = models.UUIDField(null=True, blank=True, editable=False, verbose_name=_("lease token"))
    created_at = models.DateTimeField(verbose_name=_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        ordering = ["name", "id"]

    def __str__(self):
        return self.name

    @property
    def said_reason(self) -> str:
        """Why it is paused, in the active language: the system's sentence worded again, or the words given."""
        return spoken(self.paused_message, self.paused_reason)


class Delivery(models.Model):
    """One event for one subscription; delivered in event order per subscription, at least once."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("subscription")
    )
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("event"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, verbose_name=_("status"))
    attempts = models.PositiveIntegerField(default=0, verbose_name=_("attempts"))
    next_attempt_at = models.DateTimeField(verbose_name=_("next attempt at"))
    created_at = models.DateTimeField(verbose_name=_("created at"))
    delivered_at = models.DateTimeField(null=True, blank=True, verbose_name=_("delivered at"))
    last_attempt_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last attempt at"))
    response_status = models.PositiveSmallIntegerField(null=True, blank=True, verbose_name=_("response status"))
    latency_ms = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("latency ms"))
    response_excerpt = models.CharField(max_length=500, blank=True, verbose_name=_("response excerpt"))
    error = models.CharField(max_length=500, blank=True, verbose_name=_("error"))

    class Meta:
        verbose_name = _("delivery")
        ordering = ["-id"]
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(fields=["subscription", "event"], name="webhooks_delivery_once_per_event"),
        ]
        indexes = [
            models.Index(
                fields=["subscription", "event"], condition=Q(status="pending"), name="webhooks_delivery_queue_idx"
            ),
            models.Index(fields=["created_at"], name="webhooks_delivery_created_idx"),
        ]

    def __str__(self):
        return f"{self.event.type} -> {self.subscription} ({self.get_status_display()})"


class DeliveryAttempt(models.Model):
    """The delivery log: one row per HTTP attempt (kept WEBHOOKS_LOG_RETENTION_DAYS)."""

    delivery = models.ForeignKey(
        Delivery, on_delete=models.CASCADE, related_name="attempt_log", verbose_name=_("delivery")
    )
    number = models.PositiveIntegerField(verbose_name=_("number"))
    attempted_at = models.DateTimeField(db_index=True, verbose_name=_("attempted at"))
    succeeded = models.BooleanField(verbose_name=_("succeeded"))
    response_status = models.PositiveSmallIntegerField(null=True, blank=True, verbose_name=_("response status"))
    latency_ms = models.PositiveIntegerField(verbose_name=_("latency ms"))
    response_excerpt = models.CharField(max_length=500, blank=True, verbose_name=_("response excerpt"))
    error = models.CharField(max_length=500, blank=True, verbose_name=_("error"))

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["-id"]

    def __str__(self):
        return _("attempt %(number)s of delivery %(delivery)s") % {"number": self.number, "delivery": self.delivery_id}


class IntegrationToken(models.Model):
    """A staff member's API token for integrations, limited to scopes; shown once, stored hashed."""

    class Scope(models.TextChoices):
        WEBHOOKS = "webhooks:manage", _("Manage webhook subscriptions")
        EVENTS = "events:read", _("Read the change feed")

    name = models.CharField(
        max_length=120, help_text=_("Which system uses it (the data warehouse...)."), verbose_name=_("name")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="integration_tokens", verbose_name=_("user")
    )
    scopes = ArrayField(models.CharField(max_length=20, choices=Scope.choices), verbose_name=_("scopes"))
    token_prefix = models.CharField(max_length=12, editable=False, verbose_name=_("token prefix"))
    token_hash = models.CharField(max_length=64, unique=True, editable=False, verbose_name=_("token hash"))
    created_at = models.DateTimeField(verbose_name=_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    last_used_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last used at"))
    revoked_at = models.DateTimeField(null=True, blank=True, verbose_name=_("revoked at"))

    class Meta:
        verbose_name = _("integration token")
        verbose_name_plural = _("integration tokens")
        ordering = ["name", "id"]

    def __str__(self):
        return f"{self.name} ({self.token_prefix}…)"
