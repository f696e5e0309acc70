from django.core.signals import setting_changed
from django.dispatch import receiver
from django.middleware.csrf import get_token
from django.urls import NoReverseMatch, get_script_prefix, reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _

from retail.models import StoreMembership
from retail.selectors import member_stores, stores_for_user


def portal(request):
    """Store switcher and shell data for portal pages (lazy: costs nothing where unused)."""
    store = getattr(request, "store", None)
    if store is None or not request.user.is_authenticated:
        return {}

    def my_stores():

        mine = member_stores(request.user)  # store staff: already read with the request's memberships
        return mine if mine is not None else list(stores_for_user(request.user).only("id", "code", "name"))

    return {
        # the footer's: what this store sells in (its market's; read with the store, retail.portal.access)
        "currency": SimpleLazyObject(lambda: store.market.currency),
        "csrf_token": SimpleLazyObject(lambda: request_csrf_token(request)),
        "current_store": store,
        "my_stores": my_stores,
        "store_role": getattr(request, "store_role", None),
        "store_role_label": StoreMembership.Role(request.store_role).label
        if getattr(request, "store_role", None)
        else "",
        "portal_nav": lambda: portal_nav(request),  # reversed where a page shows the top bar, not for every fragment
    }


def request_csrf_token(request) -> str:
    """The masked CSRF token, once per request. Django's own context processor masks the secret
    afresh for every template rendered (~500 Python calls each), and a portal screen renders its
    panels as separate templates (the clienteling shell: three or four masks a load)."""
    token = request.__dict__.get("_portal_csrf_token")
    if token is None:
        token = request.__dict__["_portal_csrf_token"] = get_token(request)
    return token


_NAV: dict[str, list[tuple[str, str]]] = {}


@receiver(setting_changed)
def _forget_nav(*, setting, **kwargs):
    if setting in {"ROOT_URLCONF", "INSTALLED_APPS"}:
        _NAV.clear()
        _INSIGHTS_URLS.clear()


def portal_nav(request=None) -> list[tuple[str, str]]:
    """Top-bar links of the apps that are installed and have a portal page (reversed by name, once
    per script prefix: the URLs do not change while the process runs), less the pages the user would
    be turned away from (Insights: a store's manager, or head office with the permission)."""
    links = _portal_links()
    if request is None or _reads_insights(request):
        return links
    return [(label, url) for label, url in links if url not in _INSIGHTS_URLS]


def _reads_insights(request) -> bool:
    if getattr(request, "store_role", None) == StoreMembership.Role.MANAGER or request.user.is_superuser:
        return True
    # associates are never staff: only head office's staff users pay for the permission lookup
    return request.user.is_staff and request.user.has_perm(INSIGHTS_PERMISSION)


INSIGHTS_PERMISSION = "insights.view_report"
_INSIGHTS_URLS: set[str] = set()


def _portal_links() -> list[tuple[str, str]]:
    prefix = get_script_prefix()
    links = _NAV.get(prefix)
    if links is None:
        links = []
        for label, name in PORTAL_NAV:
            try:
                links.append((label, reverse(name)))
            except NoReverseMatch:
                continue
            if name == "insights_portal:index":
                _INSIGHTS_URLS.add(links[-1][1])
        _NAV[prefix] = links
    return links


PORTAL_NAV = [
    (_("Dashboard"), "portal:dashboard"),
    (_("Customers"), "customers_portal:search"),
    (_("Pick-ups"), "orders_portal:pickup-queue"),
    (_("Returns"), "returns_portal:desk"),
    (_("Gift cards"), "customers_portal:giftcard-balance"),
    (_("Stock"), "inventory_portal:lookup"),
    (_("Insights"), "insights_portal:index"),
]
