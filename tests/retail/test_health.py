"""/healthz and /readyz against the real PostgreSQL and Redis, and with Redis unreachable."""

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db

UNUSED_PORT = "redis://127.0.0.1:6390/0"


def test_healthz_answers_while_the_process_is_up(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_readyz_is_ok_when_database_and_redis_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}


@override_settings(REDIS_URL=UNUSED_PORT)
def test_readyz_is_503_naming_redis_when_redis_is_unreachable(client):
    # given Redis cannot be reached / when the orchestrator asks
    response = client.get("/readyz")
    # then it says not ready, and which dependency failed, without blaming the database
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "checks": {"database": "ok", "redis": "error"}}


@override_settings(REDIS_URL=UNUSED_PORT, DEBUG=True)
def test_readyz_gives_the_reason_on_a_developer_machine(client):
    body = client.get("/readyz").json()
    assert body["checks"]["redis"] == "error"
    assert set(body["errors"]) == {"redis"}
    assert "6390" in body["errors"]["redis"]


def test_health_endpoints_only_answer_get(client):
    assert client.post("/healthz").status_code == 405
    assert client.post("/readyz").status_code == 405


@override_settings(CACHE_URL=None, SEPARATE_BROKER_URL=UNUSED_PORT)
def test_readyz_checks_cache_and_broker_apart_when_they_have_their_own_urls(client, settings):
    # given the broker on an instance of its own (CELERY_BROKER_URL) that does not answer
    response = client.get("/readyz")
    # then the cache (REDIS_URL) is fine and the broker is named
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "checks": {"database": "ok", "cache": "ok", "broker": "error"}}


def test_readyz_has_no_replica_entry_without_a_replica(client, settings):
    settings.DATABASE_REPLICA_URL = ""
    assert "replica" not in client.get("/readyz").json()
