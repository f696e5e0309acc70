"""The Redis cache, failing open: a Redis outage must not turn every request into a 500.

What Omnistore keeps in the cache is disposable (API throttle buckets, sign-in rate limits, the
returns desk's approval lockout): while Redis cannot be reached the cache behaves as an empty
cache that forgets every write, each failure is logged, and /readyz answers 503 so the outage is
seen and paged. Limits therefore stop counting during an outage; that trade-off is written down
in SECURITY.md. Errors other than "cannot reach Redis" (a bad command, a wrong type) still raise.
"""

import logging
from functools import wraps

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)
UNREACHABLE = (RedisConnectionError, RedisTimeoutError)


def _fail_open(answer):
    """Run the cache operation; when Redis cannot be reached, log one line and return `answer(args)`."""

    def decorate(method):
        @wraps(method)
        def wrapper(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except UNREACHABLE as exc:
                log.warning("cache unavailable (%s %s): %s", method.__name__, type(exc).__name__, exc)
                return answer(*args, **kwargs)

        return wrapper

    return decorate


def _missing_key(key, *args, **kwargs):
    raise ValueError(f"Key '{key}' not found")  # what incr() says of a key an empty cache does not have


class FailOpenRedisCache(RedisCache):
    add = _fail_open(lambda *a, **k: True)(RedisCache.add)  # as if added to an empty cache
    get = _fail_open(lambda key, default=None, *a, **k: default)(RedisCache.get)
    set = _fail_open(lambda *a, **k: None)(RedisCache.set)
    touch = _fail_open(lambda *a, **k: False)(RedisCache.touch)
    delete = _fail_open(lambda *a, **k: False)(RedisCache.delete)
    get_many = _fail_open(lambda *a, **k: {})(RedisCache.get_many)
    has_key = _fail_open(lambda *a, **k: False)(RedisCache.has_key)
    incr = _fail_open(_missing_key)(RedisCache.incr)
    set_many = _fail_open(lambda data, *a, **k: list(data))(RedisCache.set_many)
    delete_many = _fail_open(lambda *a, **k: None)(RedisCache.delete_many)
    clear = _fail_open(lambda *a, **k: False)(RedisCache.clear)
