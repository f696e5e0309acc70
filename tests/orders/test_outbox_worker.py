"""Pick-up notifications delivered by a real Celery worker on Redis, including a killed worker
and a broker that lost the task. Reuses the worker harness of tests/retail/test_outbox_worker.py."""

import os
import signal
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from orders.models import Fulfillment, Notification
from orders.services import mark_ready, scan_pick
from retail import tasks
from retail.models import OutboxMessage
from tests.retail.test_outbox_worker import WAIT, row_unlocked, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def ready_order(place_pickup, shirt, associate, store):
    def make():
        order = place_pickup([("SHIRT-M", 1)])
        f = Fulfillment.objects.get(order=order)
        scan_pick(fulfillment=f, code="SHIRT-M", actor=associate, store=store)
        with transaction.atomic():  # the outbox row commits with the transition, then is published
            return mark_ready(fulfillment=f, actor=associate, store=store)

    return make


def message_status(pk) -> str:
    return OutboxMessage.objects.values_list("status", flat=True).get(pk=pk)


def test_ready_notification_is_delivered_once_by_the_worker_even_when_sent_twice(
    start_worker, producer, broker, queue, ready_order
):
    # given the "ready" message was published, and the sweep published a second copy of it
    f = ready_order()
    message = OutboxMessage.objects.get(topic="orders.notify")
    OutboxMessage.objects.filter(pk=message.pk).update(available_at=timezone.now() - timedelta(seconds=1))
    assert tasks.sweep_outbox() == 1
    # when a worker starts and takes both
    worker = start_worker()
    wait_for(lambda: message_status(message.pk) == "delivered" and broker.llen(queue) == 0, "delivery", [worker.log])
    # then the shopper got one email with the code (the console mailer printed it once), one row per channel
    assert Notification.objects.filter(message_key=f"outbox:{message.pk}", channel="email", status="sent").count() == 1
    wait_for(lambda: worker.log.read_text().count(f"Pick-up code: {f.pickup_code}") == 1, "the email in the log")


@pytest.fixture
def hanging_gateway(monkeypatch, tmp_path):
    """Workers started after this send email through a gateway that hangs on its first call."""
    monkeypatch.setenv("ORDERS_EMAIL_ADAPTER", "tests.orders.adapters.HangOnceFileAdapter")
    monkeypatch.setenv("ORDERS_TEST_SIGNAL_DIR", str(tmp_path))
    return tmp_path


def test_a_worker_killed_mid_send_and_a_lost_task_still_give_exactly_one_message(
    hanging_gateway, start_worker, producer, broker, queue, ready_order
):
    # given a worker whose email gateway hangs on its first call
    tmp_path = hanging_gateway
    first = start_worker()
    f = ready_order()
    message = OutboxMessage.objects.get(topic="orders.notify")
    wait_for(lambda: (tmp_path / "started").exists(), "the send to start", [first.log])
    # when the worker is killed in the middle of sending
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=WAIT)
    wait_for(lambda: row_unlocked(message), "PostgreSQL to roll back the dead worker's transaction")
    # then nothing was recorded as sent
    assert message_status(message.pk) == "pending"
    assert not Notification.objects.exists()
    # and when Redis has lost every queued task too (a restart without persistence)
    broker.delete(queue)
    # then once the lease has run out, the sweep sends it again and a new worker delivers it, once
    OutboxMessage.objects.filter(pk=message.pk).update(available_at=timezone.now() - timedelta(seconds=1))
    second = start_worker()
    assert tasks.sweep_outbox() == 1
    wait_for(lambda: message_status(message.pk) == "delivered", "redelivery", [second.log])
    sent = (tmp_path / "sent.log").read_text().splitlines()
    assert len(sent) == 1 and sent[0].startswith(f"outbox:{message.pk} jane@example.com")
    assert Notification.objects.filter(channel="email", status="sent").count() == 1
    assert f.order.number in sent[0]
