"""Human order numbers and pick-up codes: short, unambiguous, random (not enumerable).

The random source is shared with the returns' RMA numbers (`random_number`), so one
`seeded_numbers` makes the whole demo seed repeatable."""

import random
import secrets
from contextlib import contextmanager

from retail.domain.codes import ALPHABET, human_number

__all__ = ["ALPHABET", "QR_PREFIX", "new_order_number", "normalise_order_number", "random_number"]
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
    return human_number("OM", text)


def new_pickup_code() -> str:
    return f"{_source.randrange(1_000_000):06d}"


def new_qr_token() -> str:
    return f"{_source.getrandbits(128):032x}"


def qr_payload(qr_token: str) -> str:
    """What the pick-up QR encodes; the counter's scanner types it into the hand-over field."""
    return f"{QR_PREFIX}{qr_token}"
