"""Webhooks delivered by real Celery workers (started and killed by the test) to a real receiver.

At least once, with the event id to dedupe on: a worker killed while the receiver is handling a
request leaves that one delivery unconfirmed; after its lease runs out the sweep gives the queue
to a new worker, which sends it again, then the rest, in order. Nothing is lost and, after the
receiver's dedupe on the id, nothing is handled twice.
"""

import json
import os
import signal

import pytest
from django.db import transaction
from django.utils import timezone

from customers.services.profiles import create_customer
from tests.retail.test_outbox_worker import WAIT, wait_for
from webhooks import tasks
from webhooks.models import Delivery, Subscription

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker_env(monkeypatch):
    """What the worker processes read: loopback receivers allowed, a long timeout (the test kills it)."""
    monkeypatch.setenv("WEBHOOKS_ALLOW_LOOPBACK", "1")
    monkeypatch.setenv("WEBHOOKS_TIMEOUT_SECONDS", str(WAIT))
    monkeypatch.setenv("WEBHOOKS_COALESCE_SECONDS", "0")
    monkeypatch.setenv("WEBHOOKS_BACKOFF_BASE_SECONDS", "0.05")


def test_a_killed_worker_loses_nothing_and_the_receiver_dedupes_the_one_in_flight(
    worker_env, start_worker, subscribe, receiver, producer, broker, queue
):
    # given a subscription and a receiver that holds the first request it gets
    subscription = subscribe(["customer.created"])
    receiver.hold.clear()
    first = start_worker()
    # when three customers are created (three committed transactions)
    for i in range(3):
        with transaction.atomic():
            create_customer(first_name=f"Shopper {i}", email=f"s{i}@example.com")
    wait_for(lambda: len(receiver.arrived) == 1, "the first webhook to reach the receiver", [first.log])
    # and the worker is killed while the receiver is still handling it
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=WAIT)
    receiver.hold.set()  # the receiver finishes: it has handled Shopper 0, Omnistore never heard back
    wait_for(lambda: len(receiver.requests) == 1, "the receiver to finish the held request")
    assert Delivery.objects.filter(status="succeeded").count() == 0
    # then the sweep leaves the subscription alone while the dead worker's lease holds
    assert tasks.sweep_webhooks() == 0
    # when the lease has run out, a new worker is up and the sweep runs
    Subscription.objects.filter(pk=subscription.pk).update(lease_until=timezone.now())
    broker.delete(queue)  # and the tasks still queued for it are lost too: only the sweep can recover
    second = start_worker()
    assert tasks.sweep_webhooks() == 1
    wait_for(lambda: Delivery.objects.filter(status="succeeded").count() == 3, "redelivery", [second.log])
    # then everything arrived, in order; the one in flight twice (at least once), with one id
    bodies = [json.loads(r["body"]) for r in receiver.requests]
    names = [b["data"]["customer"]["first_name"] for b in bodies]
    assert names == ["Shopper 0", "Shopper 0", "Shopper 1", "Shopper 2"]
    assert bodies[0]["id"] == bodies[1]["id"]
    deduped = list(dict.fromkeys(b["id"] for b in bodies))
    assert len(deduped) == 3
    # and every request verifies
    assert len(receiver.events(verified=True)) == 4


def test_a_receiver_down_then_up_gets_everything_in_order_from_the_worker(
    worker_env, start_worker, subscribe, receiver
):
    # given a receiver that is down (503) for its first five requests
    subscription = subscribe(["customer.created"])
    receiver.statuses = [503] * 5 + [200]
    worker = start_worker()
    for i in range(4):
        with transaction.atomic():
            create_customer(first_name=f"Shopper {i}", email=f"s{i}@example.com")
    # then the worker backs off and retries by itself until all four are in, in order
    wait_for(lambda: Delivery.objects.filter(status="succeeded").count() == 4, "delivery after the outage",
             [worker.log])  # fmt: skip
    names = [e["data"]["customer"]["first_name"] for e in receiver.events()]
    assert names == [f"Shopper {i}" for i in range(4)]
    head = Delivery.objects.order_by("event_id").first()
    assert head.attempts == 6 and head.attempt_log.filter(succeeded=False, response_status=503).count() == 5
    assert Subscription.objects.get(pk=subscription.pk).consecutive_failures == 0
