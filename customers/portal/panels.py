"""The clienteling screen's panels, found by key and URL name so no app imports another.

The shell (customers) owns the layout: which panels, in which column and order, and which are
in the first view. The app that owns a panel's data says how it renders, from its own
`portal/panels.py` (imported by its AppConfig.ready):

    from customers.portal.panels import panel_content

    @panel_content("orders", template="orders/partials/customer_orders.html")
    def orders_panel(request, customer) -> dict:   # the template's context besides `customer`
        ...

The whole screen is then two requests: the shell renders the header and the first-view panels
inline; the panels below the fold arrive together in one htmx request when the associate scrolls
to them (`render_below_fold`). Both requests share one read of the user, their store and the
shopper (`customers.portal.access.customer_for_request`), so a panel costs only its own reads.
Each panel also keeps its own fragment URL, to refresh it alone (after a note is added, a
timeline filter, a cart sent). A registered panel without content is fetched on its own, lazily.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace

from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Panel:
    key: str
    title: str  # lazily translated: read in the reader's language
    url_name: str
    order: int
    column: str = "side"  # "main" (wide, under the timeline) or "side"
    first_view: bool = False  # rendered with the shell (above the fold) instead of on scroll
    template: str = ""
    context: Callable | None = None  # (request, customer) -> dict, from the owning app

    def render(self, request, customer) -> str:
        return render_to_string(self.template, {"customer": customer, **self.context(request, customer)}, request)


_panels: dict[str, Panel] = {}


def customer_panel(
    *, key: str, title: str, url_name: str, order: int, column: str = "side", first_view: bool = False
) -> Panel:
    """Place a panel on the screen (its content may be registered before or after)."""
    known = _panels.get(key)
    panel = Panel(key=key, title=title, url_name=url_name, order=order, column=column, first_view=first_view)
    if known is not None:
        panel = replace(panel, template=known.template, context=known.context)
    _panels[key] = panel
    return panel


def panel_content(key: str, *, template: str):
    """Decorator: the function giving the context of panel `key`'s template, `(request, customer) -> dict`."""

    def register(func):
        known = _panels.get(key) or Panel(key=key, title=key, url_name="", order=1000)
        _panels[key] = replace(known, template=template, context=func)
        return func

    return register


for _args in [
    ("timeline", _("Timeline"), "customers_portal:timeline", 10, "main", True),
    ("orders", _("Orders"), "orders_portal:customer-orders", 20, "main", False),
    ("pickups", _("Pick-ups"), "orders_portal:customer-pickups", 25, "main", False),
    ("returns", _("Returns"), "returns_portal:customer-returns", 30, "main", False),
    ("cart", _("Online cart"), "orders_portal:customer-cart", 35, "side", True),
    ("notes", _("Notes"), "customers_portal:notes", 40, "side", True),
    ("tasks", _("Tasks"), "customers_portal:tasks", 45, "side", False),
    ("offers", _("Offers"), "customers_portal:offers", 50, "side", False),
    ("lists", _("Lists"), "customers_portal:lists", 55, "side", False),
    ("recommendations", _("Recommended here"), "customers_portal:recommendations", 60, "main", False),
]:
    customer_panel(
        key=_args[0], title=_args[1], url_name=_args[2], order=_args[3], column=_args[4], first_view=_args[5]
    )


def panel(key: str) -> Panel:
    return _panels[key]


def _placed(customer_id: int) -> list[tuple[Panel, str]]:
    """(panel, its fragment URL) in screen order, for panels whose URL exists."""
    out = []
    for p in sorted(_panels.values(), key=lambda p: p.order):
        try:
            out.append((p, reverse(p.url_name, kwargs={"customer_id": customer_id})))
        except NoReverseMatch:
            continue
    return out


COLUMNS = (("main", "col-main"), ("side", "col-side"))


def panels_for(request, customer, *, everything: bool = False) -> list[dict]:
    """The shell's two columns: [{"css", "panels": [{key, title, url, html, batched, trigger}]}].

    First-view panels (all of them with `everything`, the page for a browser without JavaScript)
    come with their `html`. The others are placeholders: those with registered content are filled
    together by one request to the `below-fold` URL, sent by the first placeholder of either
    column to scroll into view (`trigger`); a panel without content fetches its own URL."""
    columns = {key: {"css": css, "panels": []} for key, css in COLUMNS}
    for p, url in _placed(customer.pk):
        inline = p.context is not None and (p.first_view or everything)
        panels = columns[p.column]["panels"]
        batched = p.context is not None and not inline
        panels.append(
            {
                "key": p.key,
                "title": p.title,
                "url": url,
                "html": p.render(request, customer) if inline else None,
                "batched": batched,
                "trigger": batched and not any(q["batched"] for q in panels),
            }
        )
    return list(columns.values())


def render_below_fold(request, customer) -> list[dict]:
    """The panels with content that the shell left for later: [{key, title, html}], in order."""
    return [
        {"key": p.key, "title": p.title, "html": p.render(request, customer)}
        for p, _url in _placed(customer.pk)
        if p.context is not None and not p.first_view
    ]
