"""`{{ product.image_url|catalog_image }}`: the URL of a catalog picture the portal may show, or "";
`{% thumb product.image_url 32 %}`: that picture as a lazy thumbnail (nothing when none may be shown);
`{% panel_items order.item_rows %}`: an order's items on a clienteling panel.

A picture is shown when it is on this site (a path) or on one of settings.CATALOG_IMAGE_ORIGINS,
the origins the CSP's img-src allows; any other address would be blocked by the browser (a
broken image and a CSP report), so none is shown. Builtins of the template engine.
"""

from urllib.parse import urlsplit

from django import template
from django.conf import settings
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

register = template.Library()


@register.filter(name="catalog_image")
def catalog_image(url) -> str:
    url = (url or "").strip() if isinstance(url, str) else ""
    if not url:
        return ""
    if url.startswith("/") and not url.startswith("//"):
        return url
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        return ""
    return (
        url if f"{parts.scheme}://{parts.netloc}".lower() in {o.lower() for o in settings.CATALOG_IMAGE_ORIGINS} else ""
    )


@register.simple_tag(name="thumb")
def thumb(url, size=None) -> str:
    """The thumbnail of every product row (timeline, cart, orders, returns, lists, picks): a tag, not
    an `{% include %}`, because a panel shows dozens of them and each include costs a template render."""
    src = catalog_image(url)
    if not src:
        return ""
    size = size or 40
    return format_html(
        '<img class="thumb" src="{}" alt="" width="{}" height="{}" loading="lazy" decoding="async">', src, size, size
    )


PANEL_ITEMS_SHOWN = 3


@register.simple_tag(name="panel_items")
def panel_items(items) -> str:
    """The items of an order or a pick-up on a clienteling panel ([{name, quantity, image}]): the
    first three with their thumbnails, then how many more. A tag, not an `{% include %}` per row."""
    if not items:
        return ""
    rows = [
        format_html(
            "<li>{}{}{}</li>",
            thumb(item.get("image"), 32),
            f"{item['quantity']} \N{MULTIPLICATION SIGN} " if (item.get("quantity") or 0) > 1 else "",
            item.get("name"),
        )
        for item in items[:PANEL_ITEMS_SHOWN]
    ]
    if len(items) > PANEL_ITEMS_SHOWN:
        more = _("and %(count)s more") % {"count": len(items) - PANEL_ITEMS_SHOWN}
        rows.append(format_html('<li class="muted">{}</li>', more))
    return format_html('<ul class="tl-items panel-items">{}</ul>', mark_safe("".join(rows)))  # noqa: S308 - escaped rows
