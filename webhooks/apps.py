from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Integrations: webhooks and the change feed"
    default_auto_field = "django.db.models.BigAutoField"
