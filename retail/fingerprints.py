"""Fingerprints of what a client sent under a key it may send again (a till's receipt number): the same
request again is a replay, another one under the same key is refused (DESIGN.md's idempotency rule).

Kept on the row for as long as the row lives, so keyed (HMAC with the deployment's secret key): the
body may hold a gift card's number, a wallet's pay code or a shopper's phone, and a plain hash of a
short secret can be reversed by trying them all. A key rotation keeps old fingerprints matching
through SECRET_KEY_FALLBACKS, as Django's signed values do.
"""

import hmac
import json

from django.conf import settings
from django.utils.crypto import salted_hmac


def fingerprint(data, *, purpose: str, secret: str | None = None) -> str:
    """64 hex digits for `data` (JSON-able; Decimals and times as text), under `purpose`."""
    body = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return salted_hmac(purpose, body, secret=secret or settings.SECRET_KEY, algorithm="sha256").hexdigest()


def same_request(stored: str, data, *, purpose: str) -> bool:
    """Whether `data` is what made `stored`, under the current secret key or a fallback."""
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return any(hmac.compare_digest(stored, fingerprint(data, purpose=purpose, secret=key)) for key in keys)
