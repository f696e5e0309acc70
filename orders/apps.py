from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders and click-and-collect")

    def ready(self):
        from orders import timeline_messages  # noqa: F401 — its sentences on the shopper's timeline
        from orders.portal import panels  # noqa: F401 — its panels on the clienteling screen
        from orders.services import merge  # noqa: F401 — receivers of customers' merge/erase signals
