from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Customers and clienteling")

    def ready(self):
        from customers import receivers  # noqa: F401 — connects the signal receivers
        from customers.portal import contents  # noqa: F401 — its own panels on the clienteling screen
