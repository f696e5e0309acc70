"""`{{ product.image_url|catalog_image }}`: the URL of a catalog picture the portal may show, or "".

A picture is shown when it is on this site (a path) or on one of settings.CATALOG_IMAGE_ORIGINS,
the origins the CSP's img-src allows; any other address would be blocked by the browser (a
broken image and a CSP report), so none is shown. A builtin of the template engine.
"""

from urllib.parse import urlsplit

from django import template
from django.conf import settings

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
