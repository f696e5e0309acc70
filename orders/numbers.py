"""Human order numbers and pick-up codes: short, unambiguous, random (not enumerable).

The random source is shared with the returns' RMA numbers (`random_number`), so one
`seeded_numbers` makes the whole demo seed repeatable."""

import random
import secrets
from contextlib import contextmanager

# Crockford's base32: no I, L, O, U — nothing to misread at a counter.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
QR_PREFIX = "OMNI-PICKUP:"
_source: random.Random = secrets.SystemRandom()


@contextmanager
def seeded_numbers(rng: random.Random):
    """Demo seed only: draw numbers and codes from `rng` so a given --seed gives the same chain."""
    global _source
    previous, _source = _source, rng
    try:
        yield
    finally:
        _source = previous


def random_number(prefix: str) -> str:
    """PREFIX-XXXX-XXXX: 40 random bits (about a trillion numbers); callers keep them unique by constraint."""
    raw = "".join(_source.choice(ALPHABET) for _ in range(8))
    return f"{prefix}-{raw[:4]}-{raw[4:]}"


def new_order_number() -> str:
    """OM-XXXX-XXXX, unique by database constraint."""
    return random_number("OM")


def normalise_order_number(text: str) -> str:
    """What a person typed ("om 7k2m9xd4", "OM-7K2M-9XD4") -> "OM-7K2M-9XD4"; "" when it cannot be one."""
    cleaned = "".join(ch for ch in (text or "").upper() if ch.isalnum())
    cleaned = cleaned.translate(str.maketrans({"I": "1", "L": "1", "O": "0"}))
    if cleaned.startswith("0M"):
        cleaned = "OM" + cleaned[2:]
    if not cleaned.startswith("OM") or len(cleaned) != 10 or any(ch not in ALPHABET for ch in cleaned[2:]):
        return ""
    return f"OM-{cleaned[2:6]}-{cleaned[6:]}"


def new_pickup_code() -> str:
    return f"{_source.randrange(1_000_000):06d}"


def new_qr_token() -> str:
    return f"{_source.getrandbits(128):032x}"


def qr_payload(qr_token: str) -> str:
    """What the pick-up QR encodes; the counter's scanner types it into the hand-over field."""
    return f"{QR_PREFIX}{qr_token}"
