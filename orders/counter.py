"""Pick-up code guessing at the counter.

A pick-up code is six digits: one in a million per try. Wrong typed codes are counted per
associate and per store (in the cache, so it fails open with Redis, like sign-in limits); past the
limit, typed codes are refused for the window and the counter asks for order number + photo ID.
QR payloads and order numbers are not limited: a QR token is 128 random bits.
"""

from django.core.cache import cache

from retail.models import Store, User

PER_ASSOCIATE, PER_STORE, WINDOW_SECONDS = 10, 40, 15 * 60


def _keys(store: Store, user: User) -> list[tuple[str, int]]:
    return [(f"counter-code:{store.pk}:user:{user.pk}", PER_ASSOCIATE), (f"counter-code:{store.pk}", PER_STORE)]


def typed_codes_blocked(*, store: Store, user: User) -> bool:
    return any((cache.get(key) or 0) >= limit for key, limit in _keys(store, user))


def record_wrong_code(*, store: Store, user: User) -> None:
    for key, _ in _keys(store, user):
        if not cache.add(key, 1, WINDOW_SECONDS):
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.set(key, 1, WINDOW_SECONDS)


def looks_like_code(text: str) -> bool:
    text = (text or "").strip()
    return text.isdigit() and len(text) == 6
