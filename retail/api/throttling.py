from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from retail.models import PosDevice
from retail.proxies import client_ip


class ClientRateThrottle(SimpleRateThrottle):
    """One bucket per POS device, per signed-in user, or per IP address for anonymous clients."""

    def get_rate(self):
        return None  # the rate depends on who is asking; chosen in allow_request

    def allow_request(self, request, view):
        user = request.user
        if isinstance(user, PosDevice):
            self.scope, ident = "device", f"device:{user.pk}"
        elif user and user.is_authenticated:
            self.scope, ident = "user", f"user:{user.pk}"
        else:
            self.scope, ident = "anon", f"ip:{self.get_ident(request)}"
        # Read live, not SimpleRateThrottle.THROTTLE_RATES (frozen at import): settings overrides apply.
        self.rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        self.key = self.cache_format % {"scope": self.scope, "ident": ident}
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        if len(self.history) >= self.num_requests:
            return self.throttle_failure()
        return self.throttle_success()

    def get_ident(self, request):
        return client_ip(request)  # TRUSTED_PROXY_COUNT: the same address allauth and the audit use

    def get_cache_key(self, request, view):  # pragma: no cover — allow_request builds the key
        return None
