"""Reminder and expiry beat tasks (run twice: one effect) and notifications through the outbox."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from customers.models import Interaction
from customers.services.profiles import set_consent
from inventory.models import StockLevel
from orders import tasks
from orders.models import Fulfillment, Notification, Payment
from orders.notifications import RecordingAdapter
from orders.services import mark_ready, scan_pick
from retail.models import OutboxMessage
from retail.outbox import deliver_outbox_message

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready_pickup(place_pickup, shirt, associate, store):
    order = place_pickup([("SHIRT-M", 2)])
    f = Fulfillment.objects.get(order=order)
    scan_pick(fulfillment=f, code="SHIRT-M", actor=associate, store=store)
    scan_pick(fulfillment=f, code="SHIRT-M", actor=associate, store=store)
    return mark_ready(fulfillment=f, actor=associate, store=store)


def deliver_pending() -> list[str]:
    return [
        deliver_outbox_message(message_id=pk, attempt=0)[0]
        for pk in OutboxMessage.objects.filter(status="pending", topic="orders.notify")
        .order_by("pk")
        .values_list("pk", flat=True)
    ]


def test_ready_sends_the_code_once_to_each_contact_given(ready_pickup, shopper):
    # when the outbox message is delivered, then delivered again (a duplicate task)
    message = OutboxMessage.objects.get(topic="orders.notify")
    assert deliver_outbox_message(message_id=message.pk, attempt=0)[0] == "delivered"
    assert deliver_outbox_message(message_id=message.pk, attempt=0)[0] == "skipped"
    # then the adapter got one email with the code and one push to the app (no push consent needed:
    # a service message); no SMS, as the order has no phone
    email, push = sorted(RecordingAdapter.sent, key=lambda m: m.channel)
    assert (email.channel, email.recipient, email.idempotency_key) == (
        "email",
        "jane@example.com",
        f"outbox:{message.pk}",
    )
    assert ready_pickup.pickup_code in email.body and ready_pickup.order.number in email.subject
    assert (push.channel, push.recipient) == ("push", f"user:{shopper.user_id}")
    assert ready_pickup.pickup_code in push.body
    statuses = dict(Notification.objects.values_list("channel", "status"))
    assert statuses == {"email": "sent", "sms": "no_contact", "push": "sent"}


def test_without_marketing_consent_the_shopper_is_still_told_the_order_is_ready(
    place_pickup, shirt, associate, store, shopper
):
    # given a shopper who said no to marketing by email
    set_consent(customer=shopper, channel="email", granted=False, source="app")
    order = place_pickup([("SHIRT-M", 1)])
    f = Fulfillment.objects.get(order=order)
    scan_pick(fulfillment=f, code="SHIRT-M", actor=associate, store=store)
    f = mark_ready(fulfillment=f, actor=associate, store=store)
    # when the ready message is delivered
    assert deliver_pending() == ["delivered"]
    # then the email with the code still goes to the address they gave on the order
    email = next(m for m in RecordingAdapter.sent if m.channel == "email")
    assert email.recipient == order.email and f.pickup_code in email.body
    assert Notification.objects.get(channel="email").status == "sent"


def test_sms_goes_through_the_pluggable_adapter_without_sms_consent(place_pickup, shirt, associate, store, shopper):
    from customers.services.profiles import update_customer_profile

    update_customer_profile(customer=shopper, values={"phone": "+447700900123"})
    order = place_pickup([("SHIRT-M", 1)])
    f = Fulfillment.objects.get(order=order)
    scan_pick(fulfillment=f, code="SHIRT-M", actor=associate, store=store)
    f = mark_ready(fulfillment=f, actor=associate, store=store)
    deliver_pending()
    sms = next(m for m in RecordingAdapter.sent if m.channel == "sms")
    assert sms.recipient == "+447700900123" and f.pickup_code in sms.body and len(sms.body) <= 160


def test_the_reminder_task_run_twice_reminds_once(ready_pickup, shopper):
    deliver_pending()
    # given the hold ends in 10 hours
    Fulfillment.objects.filter(pk=ready_pickup.pk).update(hold_until=timezone.now() + timedelta(hours=10))
    # when beat runs the task twice
    assert tasks.send_pickup_reminders() == 1
    assert tasks.send_pickup_reminders() == 0
    # then one reminder went out and one timeline entry was written
    assert deliver_pending() == ["delivered"]
    assert [m.subject.split(":")[0] for m in RecordingAdapter.sent if m.channel == "email"] == [
        "Your order " + ready_pickup.order.number + " is ready to collect",
        "Reminder",
    ]
    assert Interaction.objects.filter(customer=shopper, subject__startswith="Reminder").count() == 1


def test_the_expiry_task_run_twice_expires_once(ready_pickup, shirt, store, shopper):
    deliver_pending()
    Fulfillment.objects.filter(pk=ready_pickup.pk).update(hold_until=timezone.now() - timedelta(minutes=1))
    # when beat runs the expiry twice (e.g. two beat instances by mistake)
    assert tasks.expire_pickups() == 1
    assert tasks.expire_pickups() == 0
    # then the stock is back on sale once, the hold voided once, the shopper told once
    ready_pickup.refresh_from_db()
    assert ready_pickup.status == "expired"
    level = StockLevel.objects.get(variant=shirt, location=store)
    assert (level.on_hand, level.reserved) == (10, 0)
    payment = Payment.objects.get(order=ready_pickup.order)
    assert (payment.status, payment.captured_amount) == ("voided", Decimal("0.00"))
    assert deliver_pending() == ["delivered"]
    assert [m.subject for m in RecordingAdapter.sent if m.channel == "email"][-1].endswith(
        "was not collected and has been cancelled"
    )
    assert Interaction.objects.filter(customer=shopper, kind="return").count() == 1
    # and a reminder is no longer due for it
    assert tasks.send_pickup_reminders() == 0


def test_a_failing_adapter_is_retried_and_the_shopper_gets_one_message(ready_pickup, settings):
    settings.ORDERS_EMAIL_ADAPTER = "tests.orders.adapters.FailOnceAdapter"
    from tests.orders.adapters import FailOnceAdapter

    FailOnceAdapter.failures_left = 1
    message = OutboxMessage.objects.get(topic="orders.notify")
    assert deliver_outbox_message(message_id=message.pk, attempt=0)[0] == "retry"
    assert not Notification.objects.exists()  # the failed attempt's rows rolled back
    assert deliver_outbox_message(message_id=message.pk, attempt=1)[0] == "delivered"
    assert sorted(m.channel for m in RecordingAdapter.sent) == ["email", "push"]  # each once
    assert Notification.objects.filter(channel="email", status="sent").count() == 1
