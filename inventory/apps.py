from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = _("Catalog and stock")

    def ready(self):
        from inventory import ledger_notes  # noqa: F401 — the stock ledger's sentences
