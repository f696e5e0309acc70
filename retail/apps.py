from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.module_loading import autodiscover_modules


class RetailConfig(AppConfig):
    name = "retail"
    verbose_name = "Stores and staff"

    def ready(self):
        # Each app contributes outbox handlers, dashboard tiles and demo seed steps by module name.
        autodiscover_modules("handlers")
        autodiscover_modules("portal.tiles")
        from retail.api import schema  # noqa: F401 — OpenAPI descriptions of our auth schemes
        from retail.api.enums import install_enum_names

        install_enum_names()

        post_migrate.connect(_sync_role_groups, dispatch_uid="retail.sync_role_groups")


def _sync_role_groups(sender, app_config=None, using="default", **kwargs):
    # Sent once per app; only after the last app are every app's permissions in place.
    from django.apps import apps
    from django.contrib.auth.models import Group, Permission  # apps.py is read before any model

    if app_config is not list(apps.get_app_configs())[-1]:
        return

    from retail.roles import sync_role_groups  # reads models: not importable from apps.py's top

    # It takes the models (as the data migration passes them); there is one database, "default".
    sync_role_groups(Group, Permission)
