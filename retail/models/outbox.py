from django.db import models
from django.db.models import Q


class OutboxMessage(models.Model):
    """A message to the outside world, written in the same transaction as the change it reports.

    Delivered by a Celery task; a sweep re-sends what a lost worker or broker left behind. Each
    message is handed to its handler at most once successfully: the handler's effect and the
    `delivered` mark commit together, and handlers receive the message id as idempotency key.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed (gave up)"

    topic = models.CharField(max_length=80, db_index=True)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    available_at = models.DateTimeField(help_text="Not tried again before this time (backoff / lease).")
    created_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["available_at"], condition=Q(status="pending"), name="outbox_pending_due_idx")]

    def __str__(self):
        return f"#{self.pk} {self.topic} ({self.status})"
