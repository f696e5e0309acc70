from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import post_delete, post_migrate, post_save
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _

from retail.domain.channel import register_configured_channels


class RetailConfig(AppConfig):
    name = "retail"
    verbose_name = _("Stores and staff")

    def ready(self):
        # Channels added as data (settings.EXTRA_CHANNELS) join the kernel's before any request or task
        # asks for the set; read here, once settings are loaded.
        register_configured_channels(settings.EXTRA_CHANNELS)
        # Each app contributes outbox handlers, dashboard tiles and demo seed steps by module name.
        autodiscover_modules("handlers")
        autodiscover_modules("portal.tiles")
        from retail.api import schema  # noqa: F401 — OpenAPI descriptions of our auth schemes
        from retail.api.enums import install_enum_names

        install_enum_names()
        _name_authenticators()

        post_migrate.connect(_sync_role_groups, dispatch_uid="retail.sync_role_groups")
        post_migrate.connect(_ensure_standard_tax_class, sender=self, dispatch_uid="retail.standard_tax_class")

        from retail.models import Store  # models load once the apps are ready
        from retail.selectors import forget_store_zones

        # Figures by day read each store's time zone from a cache; a store's change forgets it.
        post_save.connect(forget_store_zones, sender=Store, dispatch_uid="retail.store_zones_saved")
        post_delete.connect(forget_store_zones, sender=Store, dispatch_uid="retail.store_zones_deleted")

        from retail.markets import forget_tax_rates  # reads models: only once the apps are ready
        from retail.models import Market, TaxClass, TaxRate  # models load once the apps are ready

        # Checkout reads a store's tax rates from a cache; a change of what they come from forgets it.
        for model in (TaxRate, TaxClass, Market, Store):
            uid = f"retail.tax_rates.{model.__name__}"
            post_save.connect(forget_tax_rates, sender=model, dispatch_uid=f"{uid}.saved")
            post_delete.connect(forget_tax_rates, sender=model, dispatch_uid=f"{uid}.deleted")


def _name_authenticators():
    """allauth's Authenticator has no verbose name, so the admin's sidebar and titles said "Authenticators" in
    every language. Set on _meta, not in its Meta (original_attrs): the migrations' state of allauth is unchanged."""
    from allauth.mfa.models import Authenticator  # models load once the apps are ready

    Authenticator._meta.verbose_name = _("authenticator")
    Authenticator._meta.verbose_name_plural = _("authenticators")


def _sync_role_groups(sender, app_config=None, using="default", **kwargs):
    # Sent once per app; only after the last app are every app's permissions in place.
    from django.apps import apps
    from django.contrib.auth.models import Group, Permission  # apps.py is read before any model

    if app_config is not list(apps.get_app_configs())[-1]:
        return

    from retail.roles import sync_role_groups  # reads models: not importable from apps.py's top

    # It takes the models (as the data migration passes them); there is one database, "default".
    sync_role_groups(Group, Permission)


def _ensure_standard_tax_class(sender, apps=None, using="default", **kwargs):
    # Products default to this class by its code; a flushed database (tests) gets it back here.
    from django.apps import apps as global_apps  # apps.py is read before any model

    try:
        tax_class = (apps or global_apps).get_model("retail", "TaxClass")
    except LookupError:  # migrated back before tax classes
        return
    tax_class.objects.using(using).get_or_create(code="standard", defaults={"name": "Standard rate"})
