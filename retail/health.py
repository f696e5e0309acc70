"""Liveness and readiness for the load balancer and the orchestrator."""

import redis
from django.conf import settings
from django.db import DatabaseError, connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from retail import replica


@require_GET
@never_cache
def healthz(request):
    return JsonResponse({"status": "ok"})


def _check_database() -> str | None:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 — any failure means not ready
        return f"{type(exc).__name__}: {exc}".strip()[:300]
    return None


def _check_redis(url: str) -> str | None:
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        client.ping()
        client.close()
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}".strip()[:300]
    return None


def _redis_checks() -> dict[str, str | None]:
    """One check named "redis" when cache and broker share REDIS_URL; "cache" and "broker" when
    CACHE_URL or CELERY_BROKER_URL puts them on instances of their own. None: embedded, nothing to reach."""
    cache_url = settings.CACHE_URL or settings.REDIS_URL
    broker_url = settings.SEPARATE_BROKER_URL or settings.REDIS_URL
    if cache_url == broker_url or not (cache_url and broker_url):
        url = cache_url or broker_url
        return {"redis": _check_redis(url) if url else None}
    return {"cache": _check_redis(cache_url), "broker": _check_redis(broker_url)}


def _replica_status() -> dict | None:
    """Informational, never a reason to take the host out: reports fall back to the primary when the
    replica is down or behind (retail/replica.py). None without DATABASE_REPLICA_URL."""
    if not replica.configured():
        return None
    try:
        lag = replica.replica_lag()
    except DatabaseError:
        return {"status": "unreachable", "lag_seconds": None}
    limit = settings.DATABASE_REPLICA_MAX_LAG
    status = "ok" if lag is not None and lag <= limit else "lagging"
    return {"status": status, "lag_seconds": None if lag is None else round(lag, 1), "max_lag_seconds": limit}


@require_GET
@never_cache
def readyz(request):
    redis_checks = _redis_checks()
    checks = {"database": _check_database(), **redis_checks}
    body = {
        "status": "ok" if not any(checks.values()) else "unavailable",
        "checks": {name: ("ok" if error is None else "error") for name, error in checks.items()},
    }
    if settings.DEBUG:  # the reason helps on a laptop; in production it stays in the logs
        body["errors"] = {name: error for name, error in checks.items() if error}
    if not (settings.CACHE_URL or settings.SEPARATE_BROKER_URL or settings.REDIS_URL):
        body["checks"]["redis"] = "not configured"
    if (replica_status := _replica_status()) is not None:
        body["replica"] = replica_status
    return JsonResponse(body, status=200 if body["status"] == "ok" else 503)
