from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = "Customers and clienteling"

    def ready(self):
        from customers import receivers  # noqa: F401 — connects the signal receivers
        from customers.portal import contents  # noqa: F401 — its own panels on the clienteling screen
