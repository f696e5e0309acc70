from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = _("Integrations: webhooks and the change feed")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from webhooks import alert_messages  # noqa: F401 — why the circuit breaker paused a subscription
