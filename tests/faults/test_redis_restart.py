"""Redis goes away and comes back: nothing is lost, the API keeps answering, /readyz tells the truth.

A private redis-server (tests/faults/conftest.py) is killed and restarted; the shared Redis is
never touched. The Celery worker used here is the outbox harness of tests/retail/test_outbox_worker.py.
"""

import logging
import uuid
from datetime import timedelta

import pytest
import redis
from celery import Celery
from celery import _state as celery_state
from django.conf import settings
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from retail import tasks
from retail.models import AuditEvent, OutboxMessage
from retail.services import dispatch_outbox_message, enqueue_outbox_message
from tests.factories import StoreFactory
from tests.retail.outbox_handlers import DELIVERED
from tests.retail.test_outbox_worker import wait_for


def cache_on(url: str) -> dict:
    """The project's cache configuration, pointed at another Redis."""
    return {"default": {**settings.CACHES["default"], "LOCATION": url}}


@pytest.mark.django_db
def test_readyz_is_503_while_redis_is_down_and_200_again_once_it_is_back(client, private_redis):
    with override_settings(REDIS_URL=private_redis.url):
        # given a ready site
        assert client.get("/readyz").status_code == 200
        # when Redis dies
        private_redis.stop()
        down = client.get("/readyz")
        # then the probe says so and names Redis, not the database
        assert down.status_code == 503
        assert down.json()["checks"] == {"database": "ok", "redis": "error"}
        # when Redis comes back (empty: no persistence), the same process is ready again by itself
        private_redis.start()
        again = client.get("/readyz")
        assert again.status_code == 200
        assert again.json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}


@pytest.mark.django_db
def test_the_api_and_sign_in_keep_answering_while_the_cache_is_down(client, api_client, private_redis, caplog):
    # given the cache (throttle buckets, sign-in rate limits) lives on a Redis that has died
    StoreFactory(code="LON-01")
    with override_settings(CACHES=cache_on(private_redis.url)):
        assert api_client.get("/api/v1/stores/").status_code == 200
        private_redis.stop()
        caplog.set_level(logging.WARNING)
        # when clients call the API and a member of staff signs in
        stores = api_client.get("/api/v1/stores/")
        sign_in = client.post("/accounts/login/", {"login": "nobody@example.com", "password": "wrong-password"})
        # then they are served (throttling fails open), never a 500
        assert stores.status_code == 200
        assert [s["code"] for s in stores.json()["results"]] == ["LON-01"]
        assert sign_in.status_code == 200  # the form again, with its error
        assert b"not correct" in sign_in.content or b"incorrect" in sign_in.content.lower()
        # and the outage is logged, so it does not go unnoticed
        assert any("cache unavailable" in record.getMessage() for record in caplog.records)
        # when Redis is back, throttling works again without a restart
        private_redis.start()
        with override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "2/min"}}):
            codes = [api_client.get("/api/v1/stores/").status_code for _ in range(3)]
        assert codes == [200, 200, 429]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_messages_enqueued_while_redis_is_down_are_delivered_once_after_it_returns(
    broker_on_private_redis, producer, start_worker, client
):
    redis_server = broker_on_private_redis
    # given a worker consuming from Redis
    worker = start_worker()
    # when Redis dies and a service commits a message meanwhile
    redis_server.stop()
    with transaction.atomic():
        message = enqueue_outbox_message(topic="test.record", payload={"order": "OM-1"})
    # then the commit succeeded and the message waits, pending, in PostgreSQL (dispatch failed, nothing lost)
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxMessage.Status.PENDING, 0)
    with override_settings(REDIS_URL=redis_server.url):
        assert client.get("/readyz").status_code == 503

    # when Redis comes back (empty: the broker lost whatever it held)
    redis_server.start()
    with override_settings(REDIS_URL=redis_server.url):
        assert client.get("/readyz").status_code == 200
    # and the periodic sweep runs once the message's lease has run out
    OutboxMessage.objects.filter(pk=message.pk).update(available_at=timezone.now() - timedelta(seconds=1))
    assert tasks.sweep_outbox() == 1
    # then the same worker, reconnected by itself, delivers it exactly once
    wait_for(
        lambda: OutboxMessage.objects.get(pk=message.pk).status == OutboxMessage.Status.DELIVERED,
        "delivery after the restart",
        [worker.log],
    )
    assert AuditEvent.objects.filter(action=DELIVERED, object_id=str(message.pk)).count() == 1
    assert worker.poll() is None
    # and a second sweep has nothing left to send
    assert tasks.sweep_outbox() == 0


def test_the_cache_acts_as_an_empty_cache_while_redis_is_down(private_redis):
    from django.core.cache import caches

    with override_settings(CACHES=cache_on(private_redis.url)):
        cache = caches["default"]
        cache.set("greeting", "hello")
        assert cache.get("greeting") == "hello"
        private_redis.stop()
        # reads miss, writes are forgotten, counters are missing: callers take their "nothing cached" path
        assert cache.get("greeting", "default") == "default"
        assert cache.get_many(["greeting"]) == {}
        assert cache.add("lock", 1) is True
        cache.set("greeting", "again")
        with pytest.raises(ValueError):
            cache.incr("lock")
        assert cache.delete("greeting") is False
        private_redis.start()
        # and once it is back the same process uses it again (a restart without persistence starts empty)
        assert cache.get("greeting") is None
        cache.set("greeting", "back")
        assert cache.get("greeting") == "back"


@pytest.mark.slow
def test_a_publish_while_redis_is_down_gives_up_at_once_and_the_next_one_goes_through(private_redis):
    # given a web process (the project's Celery settings) whose first outbox dispatch meets a dead Redis
    queue = f"faults-{uuid.uuid4().hex[:10]}"
    app = Celery("faults-web", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(broker_url=private_redis.url, result_backend=private_redis.url, task_default_queue=queue)
    previous = celery_state.get_current_app()
    app.set_current()
    try:
        private_redis.stop()
        # then publishing retries once, quickly: Celery's default of 20 result-backend reconnects one
        # second apart held the web request (a checkout, a hand-over) for about 19 s
        assert app.backend.retry_policy["max_retries"] <= 1
        assert app.conf.task_publish_retry_policy["max_retries"] <= 1
        # when a committed message is dispatched, the dispatch reports failure (the sweep will send it)
        assert dispatch_outbox_message(message_id=1, attempt=0) is False
        # when Redis is back, the same process publishes again without a restart
        private_redis.start()
        assert dispatch_outbox_message(message_id=2, attempt=0) is True
        client = redis.Redis.from_url(private_redis.url)
        assert client.llen(queue) == 1
        client.close()
    finally:
        previous.set_current()
        app.close()
