from django.db import models
from django.utils.translation import gettext_lazy as _


class IdempotencyKey(models.Model):
    """The first answer to a request sent with an `Idempotency-Key`, replayed for retries."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")

    scope = models.CharField(
        max_length=120, help_text=_("Who sent it: user:<id>, device:<id> or anon:<ip>."), verbose_name=_("scope")
    )
    key = models.CharField(max_length=255, verbose_name=_("key"))
    method = models.CharField(max_length=8, verbose_name=_("method"))
    path = models.CharField(max_length=300, verbose_name=_("path"))
    request_hash = models.CharField(max_length=64, verbose_name=_("request hash"))
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.RUNNING, verbose_name=_("status"))
    response_status = models.PositiveSmallIntegerField(null=True, blank=True, verbose_name=_("response status"))
    response_body = models.JSONField(null=True, blank=True, verbose_name=_("response body"))
    created_at = models.DateTimeField(verbose_name=_("created at"))
    expires_at = models.DateTimeField(db_index=True, verbose_name=_("expires at"))

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="idempotency_scope_key_unique")]

    def __str__(self):
        return f"{self.scope} {self.key} ({self.get_status_display()})"
