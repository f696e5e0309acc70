from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Orders and click-and-collect"

    def ready(self):
        from orders.portal import panels  # noqa: F401 — its panels on the clienteling screen
        from orders.services import merge  # noqa: F401 — receivers of customers' merge/erase signals
