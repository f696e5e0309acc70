from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    """A message to the outside world, written in the same transaction as the change it reports.

    Delivered by a Celery task; a sweep re-sends what a lost worker or broker left behind. Each
    message is handed to its handler at most once successfully: the handler's effect and the
    `delivered` mark commit together, and handlers receive the message id as idempotency key.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed (gave up)")

    topic = models.CharField(max_length=80, db_index=True, verbose_name=_("topic"))
    payload = models.JSONField(default=dict, verbose_name=_("payload"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, verbose_name=_("status"))
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("attempts"))
    available_at = models.DateTimeField(
        help_text=_("Not tried again before this time (backoff / lease)."), verbose_name=_("available at")
    )
    created_at = models.DateTimeField(verbose_name=_("created at"))
    delivered_at = models.DateTimeField(null=True, blank=True, verbose_name=_("delivered at"))
    last_error = models.TextField(blank=True, verbose_name=_("last error"))

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        ordering = ["id"]
        indexes = [models.Index(fields=["available_at"], condition=Q(status="pending"), name="outbox_pending_due_idx")]

    def __str__(self):
        return f"#{self.pk} {self.topic} ({self.get_status_display()})"
