from importlib.util import find_spec

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from retail import health

# The admin signs in through allauth, so head office gets the same MFA and rate limits.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = gettext_lazy("Omnistore head office")
admin.site.site_title = "Omnistore"
admin.site.index_title = gettext_lazy("Catalog, stock, customers, orders and reports")


def app_urls(module: str, namespace: str | None = None) -> list:
    """Include an app's URL module once the app has one (apps fill in issue by issue)."""
    if find_spec(module.rpartition(".")[0]) is None or find_spec(module) is None:
        return []
    return [path("", include((module, namespace) if namespace else module))]


api_v1 = [
    path("", include("retail.api.urls")),
    *app_urls("inventory.api.urls"),
    *app_urls("customers.api.urls"),
    *app_urls("orders.api.urls"),
    *app_urls("orders.returns.api.urls"),
    *app_urls("webhooks.api.urls"),
]

portal = [
    path("", include("retail.portal.urls")),
    *app_urls("inventory.portal.urls", "inventory_portal"),
    *app_urls("customers.portal.urls", "customers_portal"),
    *app_urls("orders.portal.urls", "orders_portal"),
    *app_urls("orders.returns.portal.urls", "returns_portal"),
    *app_urls("insights.portal.urls", "insights_portal"),
]

# JSON in the API error shape under /api/, the site's HTML pages elsewhere.
handler400 = "retail.api.errors.bad_request"
handler404 = "retail.api.errors.page_not_found"
handler500 = "retail.api.errors.server_error"

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("accounts/", include("allauth.urls")),
    path("_allauth/", include("allauth.headless.urls")),
    path("admin/", admin.site.urls),
    path("portal/", include(portal)),
    path("api/v1/", include(api_v1)),
    *app_urls("orders.paylink.urls"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
]
