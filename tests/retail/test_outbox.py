"""Outbox rules on PostgreSQL, delivering in-process (the worker tests are in test_outbox_worker.py)."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from retail.errors import RetailError
from retail.models import AuditEvent, OutboxMessage
from retail.outbox import backoff, deliver_outbox_message, take_due_outbox_messages
from retail.services import enqueue_outbox_message, retry_outbox_messages
from tests.retail.outbox_handlers import DELIVERED

pytestmark = pytest.mark.django_db


def deliveries(message) -> int:
    return AuditEvent.objects.filter(action=DELIVERED, object_id=str(message.pk)).count()


def test_enqueue_writes_a_pending_message_dispatched_only_on_commit(django_capture_on_commit_callbacks):
    # when a service enqueues a message
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = enqueue_outbox_message(topic="test.record", payload={"order": 7})
    # then the row is there, pending, leased for the first dispatch, which waits for the commit
    message.refresh_from_db()
    assert (message.status, message.attempts, message.payload) == (OutboxMessage.Status.PENDING, 0, {"order": 7})
    assert message.available_at > timezone.now() + timedelta(seconds=30)
    assert len(callbacks) == 1


def test_unknown_topic_is_refused_inside_the_callers_transaction():
    # when a service writes a good message and then one for a topic nobody handles
    with pytest.raises(RetailError) as error, transaction.atomic():
        enqueue_outbox_message(topic="test.record", payload={})
        enqueue_outbox_message(topic="nobody.listens", payload={})
    # then the error carries a code and the whole transaction, first message included, is undone
    assert error.value.code == "unknown_outbox_topic"
    assert not OutboxMessage.objects.exists()


def test_delivery_runs_the_handler_once_and_duplicates_are_skipped():
    message = enqueue_outbox_message(topic="test.record", payload={})
    # when the task runs, then a duplicate of it, then an operator-style one without an attempt number
    results = [deliver_outbox_message(message_id=message.pk, attempt=0) for _ in range(2)]
    results.append(deliver_outbox_message(message_id=message.pk))
    # then only the first delivered
    assert results == [("delivered", 1), ("skipped", 0), ("skipped", 0)]
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.DELIVERED
    assert message.delivered_at is not None
    assert deliveries(message) == 1


def test_a_failing_handler_is_retried_with_backoff_and_its_effect_rolled_back():
    message = enqueue_outbox_message(topic="test.refused", payload={})
    # when the first attempt fails
    before = timezone.now()
    result = deliver_outbox_message(message_id=message.pk, attempt=0)
    # then the failure is recorded with the next try 10 s later, and the handler's write is undone
    assert result == ("retry", 1)
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.PENDING
    assert message.attempts == 1
    assert message.last_error == "ConnectionError: the downstream service said no"
    assert before + timedelta(seconds=10) <= message.available_at <= timezone.now() + timedelta(seconds=10)
    assert deliveries(message) == 0
    # and the second failure doubles the wait
    before = timezone.now()
    assert deliver_outbox_message(message_id=message.pk, attempt=1) == ("retry", 2)
    message.refresh_from_db()
    assert before + timedelta(seconds=20) <= message.available_at <= timezone.now() + timedelta(seconds=20)


def test_backoff_doubles_and_is_capped_at_an_hour():
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [10, 20, 40, 80]
    assert backoff(30) == timedelta(hours=1)


@override_settings(OUTBOX_MAX_ATTEMPTS=3)
def test_gives_up_after_the_maximum_number_of_attempts():
    message = enqueue_outbox_message(topic="test.refused", payload={})
    # when every attempt fails
    results = [deliver_outbox_message(message_id=message.pk, attempt=n)[0] for n in range(3)]
    # then the last one marks the message failed, and nothing tries it again
    assert results == ["retry", "retry", "failed"]
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxMessage.Status.FAILED, 3)
    assert deliver_outbox_message(message_id=message.pk) == ("skipped", 0)
    assert take_due_outbox_messages() == []


@override_settings(OUTBOX_MAX_ATTEMPTS=3)
def test_a_message_whose_worker_died_on_every_attempt_ends_failed():
    # given the last allowed attempt was claimed and never reported back (its worker died)
    message = enqueue_outbox_message(topic="test.record", payload={})
    OutboxMessage.objects.filter(pk=message.pk).update(attempts=3)
    # when it is dispatched again
    result = deliver_outbox_message(message_id=message.pk, attempt=3)
    # then it gives up instead of looping forever
    assert result == ("failed", 3)
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.FAILED
    assert "lost" in message.last_error
    assert deliveries(message) == 0


def test_the_sweep_takes_only_messages_whose_lease_ran_out_and_renews_it():
    enqueue_outbox_message(topic="test.record", payload={"n": 1})  # still waiting for its first dispatch
    lost = enqueue_outbox_message(topic="test.record", payload={"n": 2})
    delivered = enqueue_outbox_message(topic="test.record", payload={"n": 3})
    deliver_outbox_message(message_id=delivered.pk, attempt=0)
    # given the dispatch of `lost` never arrived and its lease has run out
    past = timezone.now() - timedelta(seconds=1)
    OutboxMessage.objects.filter(pk__in=[lost.pk, delivered.pk]).update(available_at=past)
    # when the sweep runs twice
    first, second = take_due_outbox_messages(), take_due_outbox_messages()
    # then only the lost message is re-sent, once: the sweep leased it again
    assert first == [(lost.pk, 0)]
    assert second == []
    assert OutboxMessage.objects.get(pk=lost.pk).available_at > timezone.now()


def test_an_operator_retry_gives_a_failed_message_fresh_attempts(django_capture_on_commit_callbacks, associate):
    message = enqueue_outbox_message(topic="test.record", payload={})
    OutboxMessage.objects.filter(pk=message.pk).update(status=OutboxMessage.Status.FAILED, attempts=8)
    # when head office retries it
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        count = retry_outbox_messages(message_ids=[message.pk], actor=associate)
    # then it is pending with a clean slate, audited, and re-dispatched on commit
    assert count == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxMessage.Status.PENDING, 0)
    assert AuditEvent.objects.filter(action="outbox.retried", object_id=str(message.pk), actor=associate).exists()
    assert len(callbacks) == 1
    assert deliver_outbox_message(message_id=message.pk, attempt=0) == ("delivered", 1)


@override_settings(OUTBOX_MAX_ATTEMPTS=2)
def test_a_message_that_ends_failed_withholds_its_secrets_and_keeps_the_rest():
    # given a one-time code whose gateway refuses every attempt
    message = enqueue_outbox_message(topic="test.secret_refused", payload={"phone": "+447700900123", "code": "482913"})
    # when the attempts run out
    results = [deliver_outbox_message(message_id=message.pk, attempt=n)[0] for n in range(2)]
    # then the code is no longer stored: what an operator needs to see (where, why) is
    assert results == ["retry", "failed"]
    message.refresh_from_db()
    assert message.payload == {"phone": "+447700900123", "code": "withheld"}
    assert "SMS gateway" in message.last_error


@override_settings(OUTBOX_MAX_ATTEMPTS=1)
def test_a_gift_card_number_is_withheld_when_its_email_worker_died_and_a_retry_cannot_send_nothing(associate):
    from decimal import Decimal

    from customers.services.giftcards import CODE_TOPIC, issue_gift_card

    # given a gift card sold online whose e-mail was claimed once and never reported back
    issued = issue_gift_card(amount=Decimal("25.00"), source="sold", channel="web", reference="ORD-W1",
                             send_to="friend@example.com")  # fmt: skip
    message = OutboxMessage.objects.get(topic=CODE_TOPIC)
    assert message.payload["code"] == issued.code
    OutboxMessage.objects.filter(pk=message.pk).update(attempts=1)
    # when it is dispatched again, it gives up: the number is gone from the database
    assert deliver_outbox_message(message_id=message.pk, attempt=1) == ("failed", 1)
    message.refresh_from_db()
    assert message.payload["code"] == "withheld"
    assert issued.code not in str(message.payload)
    # and an operator's retry fails with a reason instead of "delivering" an e-mail without the number
    retry_outbox_messages(message_ids=[message.pk], actor=associate)
    assert deliver_outbox_message(message_id=message.pk)[0] == "failed"
    message.refresh_from_db()
    assert "void the card and issue a new one" in message.last_error
