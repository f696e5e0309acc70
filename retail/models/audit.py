from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """Who did what to which record, when and where. Append-only: never edited, never deleted."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_label = models.CharField(
        max_length=200, blank=True, help_text=_("Kept when the actor is gone."), verbose_name=_("actor label")
    )
    action = models.CharField(max_length=80, db_index=True, verbose_name=_("action"))
    object_type = models.CharField(max_length=80, blank=True, verbose_name=_("object type"))
    object_id = models.CharField(max_length=64, blank=True, verbose_name=_("object ID"))
    store = models.ForeignKey(
        "retail.Store", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("store")
    )
    occurred_at = models.DateTimeField(db_index=True, verbose_name=_("occurred at"))
    details = models.JSONField(default=dict, blank=True, verbose_name=_("details"))
    ip_address = models.GenericIPAddressField(null=True, blank=True, verbose_name=_("IP address"))

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "-occurred_at"], name="audit_object_idx")]

    def __str__(self):
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_type}:{self.object_id}"
