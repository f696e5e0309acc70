"""The outbox delivered by real Celery workers against Redis, started (and killed) by the tests.

Each test gets its own queue on a Redis database of its own (the cache's database plus one,
or TEST_BROKER_URL), so workers never see another run's tasks. The test process publishes
through a Celery app pointed at that queue; the worker runs tests.retail.worker_app against
the pytest database. Rows must be committed for the worker to see them: transactional_db.
"""

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from celery import Celery
from celery import _state as celery_state
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from kombu.transport.redis import Channel

from retail import tasks
from retail.models import AuditEvent, OutboxMessage
from retail.services import enqueue_outbox_message
from tests.helpers import database_url
from tests.retail.outbox_handlers import DELIVERED

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

WAIT = 30  # seconds: the most any step may take before the test fails with the worker's log


def broker_url() -> str:
    if os.environ.get("TEST_BROKER_URL"):
        return os.environ["TEST_BROKER_URL"]
    parts = urlsplit(settings.REDIS_URL)
    db = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{db + 1 if db < 15 else db - 1}"))


def wait_for(condition, what: str, logs=()):
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    pytest.fail(f"gave up waiting for {what}\n" + "\n".join(Path(log).read_text() for log in logs))


@pytest.fixture
def queue():
    return f"omnistore-test-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def broker(queue):
    """Redis client on the broker database; the queue's keys are removed afterwards."""
    client = redis.Redis.from_url(broker_url())
    yield client
    for tag, raw in client.hgetall(Channel.unacked_key).items():
        if json.loads(raw)[2] == queue:
            client.hdel(Channel.unacked_key, tag)
            client.zrem(Channel.unacked_index_key, tag)
    client.delete(queue, *client.keys(f"*{queue}*"))
    client.close()


@pytest.fixture
def producer(queue, broker):
    """The test process publishes the project's tasks to the test queue (as the current Celery app)."""
    previous = celery_state.get_current_app()
    app = Celery("omnistore-tests", set_as_current=False)
    app.conf.update(
        broker_url=broker_url(),
        result_backend=broker_url(),
        task_default_queue=queue,
        broker_connection_retry_on_startup=True,
    )
    app.set_current()
    yield app
    previous.set_current()
    app.close()


@pytest.fixture
def start_worker(transactional_db, queue, producer, tmp_path):
    """Start `celery worker` on the test queue; waits until it is ready; always killed at teardown."""
    workers = []
    env = {
        **os.environ,
        "DJANGO_ENV": "test",
        "DATABASE_URL": database_url(),
        "REDIS_URL": broker_url(),
        "CELERY_QUEUE": queue,
        "DB_CONN_MAX_AGE": "0",
    }
    env.pop("DEBUG", None)
    celery = Path(sys.executable).with_name("celery")

    def start():
        log = tmp_path / f"worker-{len(workers) + 1}.log"
        with log.open("w") as out:
            process = subprocess.Popen(
                [
                    str(celery),
                    "-A",
                    "tests.retail.worker_app",
                    "worker",
                    "--pool=solo",
                    "--concurrency=1",
                    "--queues",
                    queue,
                    "--hostname",
                    f"{queue}-{len(workers) + 1}@%h",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "--loglevel=INFO",
                ],
                cwd=settings.BASE_DIR,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        workers.append(process)
        process.log = log
        wait_for(lambda: process.poll() is not None or " ready." in log.read_text(), "the worker to start", [log])
        assert process.poll() is None, log.read_text()
        return process

    yield start
    for process in workers:  # nothing is in flight by now: no need to wait for a warm shutdown
        if process.poll() is None:
            process.kill()
        process.wait(timeout=WAIT)


def deliveries(message) -> int:
    return AuditEvent.objects.filter(action=DELIVERED, object_id=str(message.pk)).count()


def status_of(message) -> str:
    return OutboxMessage.objects.values_list("status", flat=True).get(pk=message.pk)


def test_a_committed_message_is_delivered_by_the_worker_exactly_once(start_worker, broker, queue):
    worker = start_worker()
    # when a service's transaction enqueues a message
    with transaction.atomic():
        message = enqueue_outbox_message(topic="test.record", payload={"order": 42})
        # then nothing is published before the commit
        assert broker.llen(queue) == 0
    # and after the commit the worker delivers it
    wait_for(lambda: status_of(message) == OutboxMessage.Status.DELIVERED, "delivery", [worker.log])
    assert deliveries(message) == 1
    delivered = AuditEvent.objects.get(action=DELIVERED, object_id=str(message.pk))
    assert delivered.details == {"attempt": 1, "payload": {"order": 42}}
    # and the sweep finds nothing left to send
    assert tasks.sweep_outbox() == 0


def test_a_rolled_back_transaction_sends_nothing(producer, broker, queue):
    # when the transaction that enqueued a message rolls back
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue_outbox_message(topic="test.record", payload={})
        raise RuntimeError("the order could not be placed")
    # then there is no message and nothing was published
    assert not OutboxMessage.objects.exists()
    assert broker.llen(queue) == 0
    assert tasks.sweep_outbox() == 0


def test_a_worker_killed_mid_delivery_loses_nothing_and_delivers_once(start_worker, producer, broker, queue, tmp_path):
    # given a worker that has started a slow delivery
    first = start_worker()
    with transaction.atomic():
        message = enqueue_outbox_message(topic="test.slow_first_attempt", payload={"signal_dir": str(tmp_path)})
    wait_for(lambda: (tmp_path / f"started-{message.pk}").exists(), "the handler to start", [first.log])
    # when the worker is killed with SIGKILL in the middle of it
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=WAIT)
    wait_for(lambda: row_unlocked(message), "PostgreSQL to roll back the dead worker's transaction")
    # then the message was not delivered: its effect rolled back, the attempt counted
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxMessage.Status.PENDING, 1)
    assert deliveries(message) == 0
    # and the broker still holds the task as unacknowledged: Redis would only hand it out again
    # after the visibility timeout (an hour), so recovery must not wait for the broker
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] >= 3600
    assert len(unacked_tasks(broker, queue)) == 1
    # and the sweep leaves it alone while its lease holds
    assert tasks.sweep_outbox() == 0

    # when the lease has run out and the sweep runs, with a new worker up
    OutboxMessage.objects.filter(pk=message.pk).update(available_at=timezone.now() - timedelta(seconds=1))
    second = start_worker()
    assert tasks.sweep_outbox() == 1
    # then the new worker delivers it, exactly once
    wait_for(lambda: status_of(message) == OutboxMessage.Status.DELIVERED, "redelivery", [second.log])
    message.refresh_from_db()
    assert message.attempts == 2
    assert deliveries(message) == 1

    # when, much later, the broker's visibility timeout hands the killed task out again
    (tag, task_id), *_ = unacked_tasks(broker, queue).items()
    with producer.connection_for_write() as conn:
        conn.default_channel.qos.restore_by_tag(tag, leftmost=True)
    # then that late copy is skipped: still one delivery
    assert producer.AsyncResult(task_id).get(timeout=WAIT) == "skipped"
    assert deliveries(message) == 1


def row_unlocked(message) -> bool:
    with transaction.atomic():
        return OutboxMessage.objects.select_for_update(skip_locked=True).filter(pk=message.pk).exists()


def unacked_tasks(broker, queue) -> dict[bytes, str]:
    """Delivery tag -> task id of the tasks of this queue that a worker took and never acknowledged."""
    found = {}
    for tag, raw in broker.hgetall(Channel.unacked_key).items():
        payload, _exchange, routing_key = json.loads(raw)
        if routing_key == queue:
            found[tag] = payload["headers"]["id"]
    return found
