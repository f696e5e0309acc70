from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReturnsConfig(AppConfig):
    name = "orders.returns"
    label = "returns"
    verbose_name = _("Returns")

    def ready(self):
        from orders.returns import timeline_messages  # noqa: F401 — its sentences on the shopper's timeline
        from orders.returns.portal import panels  # noqa: F401 — its panel on the clienteling screen
