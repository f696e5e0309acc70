"""Liveness and readiness for the load balancer and the orchestrator."""

import redis
from django.conf import settings
from django.db import connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


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


def _check_redis() -> str | None:
    if not settings.REDIS_URL:
        return None  # embedded mode: no broker to reach
    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
        client.ping()
        client.close()
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}".strip()[:300]
    return None


@require_GET
@never_cache
def readyz(request):
    checks = {"database": _check_database(), "redis": _check_redis()}
    body = {
        "status": "ok" if not any(checks.values()) else "unavailable",
        "checks": {name: ("ok" if error is None else "error") for name, error in checks.items()},
    }
    if settings.DEBUG:  # the reason helps on a laptop; in production it stays in the logs
        body["errors"] = {name: error for name, error in checks.items() if error}
    if not settings.REDIS_URL:
        body["checks"]["redis"] = "not configured"
    return JsonResponse(body, status=200 if body["status"] == "ok" else 503)
