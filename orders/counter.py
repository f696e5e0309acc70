"""Pick-up code guessing at the counter.

A pick-up code is six digits: one in a million per try. Wrong typed codes are counted per
associate and per store, and per pick-up when the code is given for one (the hand-over), in the
cache (it fails open with Redis, like sign-in limits). Past a limit, typed codes are refused for
the window (at the counter's search and at the hand-over alike) and the counter asks for the QR or
order number + photo ID. QR payloads and order numbers are not limited: a QR token is 128 random bits.
"""

from django.core.cache import cache

from retail.domain.codes import read_code
from retail.models import Store, User

PER_ASSOCIATE, PER_STORE, PER_PICKUP, WINDOW_SECONDS = 10, 40, 5, 15 * 60


def _keys(store: Store, user: User | None, fulfillment=None) -> list[tuple[str, int]]:
    keys = [(f"counter-code:{store.pk}", PER_STORE)]
    if user is not None and user.pk:
        keys.append((f"counter-code:{store.pk}:user:{user.pk}", PER_ASSOCIATE))
    if fulfillment is not None:
        keys.append((f"counter-code:pickup:{fulfillment.pk}", PER_PICKUP))
    return keys


def typed_codes_blocked(*, store: Store, user: User | None, fulfillment=None) -> bool:
    """Whether typed pick-up codes are refused now at this counter (and for this pick-up, if given)."""
    keys = _keys(store, user, fulfillment)
    counts = cache.get_many([key for key, _ in keys])
    return any((counts.get(key) or 0) >= limit for key, limit in keys)


def record_wrong_code(*, store: Store, user: User | None, fulfillment=None) -> None:
    for key, _ in _keys(store, user, fulfillment):
        if not cache.add(key, 1, WINDOW_SECONDS):
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.set(key, 1, WINDOW_SECONDS)


def looks_like_code(text: str) -> bool:
    return bool(read_code(text).pickup_code)
