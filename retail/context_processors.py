from django.conf import settings
from django.urls import NoReverseMatch, reverse

from retail.selectors import member_stores, stores_for_user


def portal(request):
    """Store switcher and shell data for portal pages (lazy: costs nothing where unused)."""
    store = getattr(request, "store", None)
    if store is None or not request.user.is_authenticated:
        return {"currency": settings.CURRENCY}

    def my_stores():

        mine = member_stores(request.user)  # store staff: already read with the request's memberships
        return mine if mine is not None else list(stores_for_user(request.user).only("id", "code", "name"))

    return {
        "currency": settings.CURRENCY,
        "current_store": store,
        "my_stores": my_stores,
        "store_role": getattr(request, "store_role", None),
        "portal_nav": portal_nav,  # reversed where a page shows the top bar, not for every fragment
    }


def portal_nav() -> list[tuple[str, str]]:
    """Top-bar links of the apps that are installed and have a portal page (reversed by name)."""

    links = []
    for label, name in PORTAL_NAV:
        try:
            links.append((label, reverse(name)))
        except NoReverseMatch:
            continue
    return links


PORTAL_NAV = [
    ("Dashboard", "portal:dashboard"),
    ("Customers", "customers_portal:search"),
    ("Pick-ups", "orders_portal:pickup-queue"),
    ("Returns", "returns_portal:desk"),
    ("Gift cards", "customers_portal:giftcard-balance"),
    ("Stock", "inventory_portal:lookup"),
    ("Insights", "insights_portal:index"),
]
