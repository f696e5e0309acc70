from django.apps import AppConfig


class ReturnsConfig(AppConfig):
    name = "orders.returns"
    label = "returns"
    verbose_name = "Returns"

    def ready(self):
        from orders.returns.portal import panels  # noqa: F401 — its panel on the clienteling screen
