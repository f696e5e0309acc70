"""The clienteling screen's panels, found by URL name so no app imports another.

A panel is an htmx fragment at a URL that takes `customer_id`; the shell shows it if the URL
name resolves. Apps that come later (orders, pick-ups, returns, the online cart) only need to
define the URL name listed here, or register another panel from their own `portal/panels.py`:

    from customers.portal.panels import customer_panel
    customer_panel(key="loyalty-history", title="Loyalty history", url_name="myapp_portal:...", order=70)
"""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class Panel:
    key: str
    title: str
    url_name: str
    order: int
    column: str = "side"  # "main" (wide, under the timeline) or "side"


_panels: dict[str, Panel] = {}


def customer_panel(*, key: str, title: str, url_name: str, order: int, column: str = "side") -> Panel:
    panel = Panel(key=key, title=title, url_name=url_name, order=order, column=column)
    _panels[key] = panel
    return panel


for _args in [
    ("orders", "Orders", "orders_portal:customer-orders", 20, "main"),
    ("pickups", "Pick-ups", "orders_portal:customer-pickups", 25, "main"),
    ("returns", "Returns", "returns_portal:customer-returns", 30, "main"),
    ("cart", "Online cart", "orders_portal:customer-cart", 35, "side"),
    ("notes", "Notes", "customers_portal:notes", 40, "side"),
    ("tasks", "Tasks", "customers_portal:tasks", 45, "side"),
    ("offers", "Offers", "customers_portal:offers", 50, "side"),
    ("lists", "Lists", "customers_portal:lists", 55, "side"),
    ("recommendations", "Recommended here", "customers_portal:recommendations", 60, "main"),
]:
    customer_panel(key=_args[0], title=_args[1], url_name=_args[2], order=_args[3], column=_args[4])


def panels_for(customer_id: int) -> dict[str, list[dict]]:
    """{"main": [...], "side": [...]} of {key, title, url}: only panels whose URL exists."""
    out: dict[str, list[dict]] = {"main": [], "side": []}
    for panel in sorted(_panels.values(), key=lambda p: p.order):
        try:
            url = reverse(panel.url_name, kwargs={"customer_id": customer_id})
        except NoReverseMatch:
            continue
        out[panel.column].append({"key": panel.key, "title": panel.title, "url": url})
    return out
