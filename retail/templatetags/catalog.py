"""`{{ product.image_url|catalog_image }}`: the URL of a catalog picture the portal may show, or "";
`{% thumb product.image_url 32 %}`: that picture as a lazy thumbnail (nothing when none may be shown).

A picture is shown when it is on this site (a path) or on one of settings.CATALOG_IMAGE_ORIGINS,
the origins the CSP's img-src allows; any other address would be blocked by the browser (a
broken image and a CSP report), so none is shown. Builtins of the template engine.
"""

from urllib.parse import urlsplit

from django import template
from django.conf import settings
from django.utils.html import format_html

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
