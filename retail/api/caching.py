"""API answers are personal unless a view says otherwise: never kept by a browser or a shared cache.

/me, orders, returns, carts, loyalty balances, allauth's session tokens: a proxy or a shared
device's browser cache must not keep them (ASVS 8.2.1). A view that serves public data and wants
it cached sets its own Cache-Control, which is left alone.
"""

from django.utils.cache import add_never_cache_headers, patch_cache_control

PREFIXES = ("/api/", "/_allauth/")


class PrivateApiCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith(PREFIXES) and not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
            patch_cache_control(response, private=True)
        return response
