"""Webhook signatures: HMAC-SHA256 over "<timestamp>.<body>", sent as

    Omnistore-Signature: t=1767225600,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd

This module needs only the standard library, so a receiver may copy it as it is. Verify the raw
body (the bytes received, before any JSON parsing), then dedupe on the event's `id`: delivery is
at least once.
"""

import hashlib
import hmac
import time

HEADER = "Omnistore-Signature"
SCHEME = "v1"


class InvalidSignature(ValueError):
    """The signature is missing, malformed, wrong, or too old (a replay)."""


def compute(secret: str, timestamp: int, body: bytes) -> str:
    signed = str(int(timestamp)).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The header value for `body`, signed now (or at `timestamp`)."""
    timestamp = int(time.time()) if timestamp is None else int(timestamp)
    return f"t={timestamp},{SCHEME}={compute(secret, timestamp, body)}"


def verify_signature(secret: str, header: str, body: bytes, tolerance: int = 300, now: float | None = None) -> int:
    """Check an `Omnistore-Signature` header against the raw body; returns its timestamp.

    Raises InvalidSignature when no v1 signature matches, or when the timestamp is more than
    `tolerance` seconds (five minutes) away from now: a captured request replayed later is refused.
    Several v1 entries may be present (while a secret is rotated); one match is enough.
    """
    if not header:
        raise InvalidSignature("No signature header.")
    timestamp, signatures = None, []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isdigit():
            timestamp = int(value)
        elif name == SCHEME and value:
            signatures.append(value)
    if timestamp is None or not signatures:
        raise InvalidSignature("The header has no t= timestamp or no v1= signature.")
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        raise InvalidSignature(f"The signature is {int(now - timestamp)} s old; more than {tolerance} s is a replay.")
    expected = compute(secret, timestamp, body)
    if not any(hmac.compare_digest(expected, candidate) for candidate in signatures):
        raise InvalidSignature("No signature matches this body and secret.")
    return timestamp
