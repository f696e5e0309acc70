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


class Event(models.Model):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False, help_text="The id receivers dedupe on.")
    type = models.CharField(max_length=40, db_index=True)
    version = models.PositiveSmallIntegerField(default=1)
    occurred_at = models.DateTimeField()
    data = models.JSONField(default=dict, blank=True)
    key = models.CharField(
        max_length=80, blank=True, help_text="What it is about (stock:<variant>:<location>, order:<id>...)."
    )
    sealed = models.BooleanField(
        default=True, help_text="False while a coalesced event (stock) still gathers changes; not yet sent."
    )
    changes = models.PositiveIntegerField(default=1, help_text="How many changes this event coalesces.")
    position = models.BigIntegerField(
        null=True, blank=True, unique=True, help_text="Its place in the change feed, given when it is published."
    )

    class Meta:
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
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"

    name = models.CharField(max_length=120)
    url = models.URLField(max_length=500, unique=True)
    event_types = ArrayField(models.CharField(max_length=40), help_text="The event types sent to this URL.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    paused_reason = models.TextField(blank=True, help_text="Why it was paused (by the circuit breaker or by whom).")
    paused_at = models.DateTimeField(null=True, blank=True)
    secret_encrypted = models.TextField(editable=False)
    secret_hint = models.CharField(max_length=16, editable=False, help_text="The secret's last characters.")
    consecutive_failures = models.PositiveIntegerField(default=0)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="A worker is delivering for it until then."
    )
    lease_token = models.UUIDField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name", "id"]

    def __str__(self):
        return self.name


class Delivery(models.Model):
    """One event for one subscription; delivered in event order per subscription, at least once."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    created_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "deliveries"
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
        return f"{self.event.type} -> {self.subscription} ({self.status})"


class DeliveryAttempt(models.Model):
    """The delivery log: one row per HTTP attempt (kept WEBHOOKS_LOG_RETENTION_DAYS)."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    attempted_at = models.DateTimeField(db_index=True)
    succeeded = models.BooleanField()
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField()
    response_excerpt = models.CharField(max_length=500, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self):
        return f"attempt {self.number} of delivery {self.delivery_id}"


class IntegrationToken(models.Model):
    """A staff member's API token for integrations, limited to scopes; shown once, stored hashed."""

    class Scope(models.TextChoices):
        WEBHOOKS = "webhooks:manage", "Manage webhook subscriptions"
        EVENTS = "events:read", "Read the change feed"

    name = models.CharField(max_length=120, help_text="Which system uses it (the data warehouse...).")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="integration_tokens")
    scopes = ArrayField(models.CharField(max_length=20, choices=Scope.choices))
    token_prefix = models.CharField(max_length=12, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self):
        return f"{self.name} ({self.token_prefix}…)"
