"""The client's address, behind as many reverse proxies as settings.TRUSTED_PROXY_COUNT says.

One answer for everything that keys on the client: allauth's sign-in limits (AccountAdapter),
the API throttle of anonymous callers, the idempotency scope of anonymous callers and the audit
trail. With no trusted proxy (the default) `X-Forwarded-For` is ignored, whatever it says; with
N proxies the address is the one the outermost of them saw: the N-th entry from the right of
`X-Forwarded-For` (each proxy appends the address it received the request from, so entries left
of that are the client's own claims).
"""

from django.conf import settings


def client_ip(request) -> str:
    remote = request.META.get("REMOTE_ADDR", "") or ""
    count = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if count <= 0 or not forwarded:
        return remote
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    if len(hops) < count:  # fewer hops than proxies: not a request that came through all of them
        return remote
    return hops[-count][:45]
