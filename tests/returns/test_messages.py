"""Messages about a return: one per event (a refund at the same desk visit replaces "received"),
to the contacts the shopper gave whatever their marketing consents, no phrase said twice."""

import pytest

from customers.services.profiles import set_consent, update_customer_profile
from orders.models import Notification
from orders.notifications import RecordingAdapter
from orders.returns.handlers import render_return_message, return_context
from orders.returns.services import (
    LineRequest,
    complete_return,
    receive_return,
    refund_return,
    reject_return,
    start_return,
)
from retail.models import OutboxMessage
from retail.outbox import deliver_outbox_message
from tests.helpers import repeated_phrases

pytestmark = pytest.mark.django_db


def deliver_pending() -> list[str]:
    pending = OutboxMessage.objects.filter(topic="returns.notify", status="pending").order_by("pk")
    return [deliver_outbox_message(message_id=pk, attempt=0)[0] for pk in pending.values_list("pk", flat=True)]


def emails() -> list[str]:
    return [m.subject for m in RecordingAdapter.sent if m.channel == "email"]


def started(order):
    return start_return(order=order, channel="web", lines=[LineRequest(sku="SHIRT-M", quantity=1, reason="wrong_size")])


def test_a_desk_return_sends_one_message_not_received_then_refunded(policy, deliver, shirt, store, associate):
    order = deliver([("SHIRT-M", 1)])
    RecordingAdapter.reset()
    # when the goods are received and refunded at the desk in one visit
    request = complete_return(
        store=store,
        actor=associate,
        refund_method="original",
        order=order,
        lines=[LineRequest(sku="SHIRT-M", quantity=1, reason="wrong_size")],
    )
    # then one message is queued and sent: the refund, which lists the goods too
    assert deliver_pending() == ["delivered"]
    assert emails() == [f"Your refund for {request.rma_number} is on its way"]
    (email,) = [m for m in RecordingAdapter.sent if m.channel == "email"]
    assert "SHIRT-M" in email.body and "We will tell you" not in email.body


def test_received_one_day_and_refunded_later_are_two_messages(policy, deliver, shirt, store, associate):
    order = deliver([("SHIRT-M", 1)])
    request = started(order)
    RecordingAdapter.reset()
    # given the goods were received and the shopper told
    receive_return(return_request=request, store=store, actor=associate)
    assert deliver_pending() == ["delivered"]
    # when the refund follows later
    refund_return(return_request=request, store=store, actor=associate, method="original")
    assert deliver_pending() == ["delivered"]
    # then the shopper heard of each event once
    assert emails() == [
        f"We have received your return {request.rma_number}",
        f"Your refund for {request.rma_number} is on its way",
    ]


def test_a_received_message_nobody_sent_yet_is_replaced_by_the_refund(policy, deliver, shirt, store, associate):
    order = deliver([("SHIRT-M", 1)])
    request = started(order)
    RecordingAdapter.reset()
    # given the receipt was recorded but its message still waits for a worker
    receive_return(return_request=request, store=store, actor=associate)
    (waiting,) = OutboxMessage.objects.filter(topic="returns.notify", status="pending")
    # when the refund is issued before the worker got to it
    refund_return(return_request=request, store=store, actor=associate, method="store_credit")
    # then only the refund message is left to send
    assert not OutboxMessage.objects.filter(pk=waiting.pk).exists()
    assert deliver_pending() == ["delivered"]
    assert emails() == [f"Your refund for {request.rma_number} is on its way"]
    # and a late copy of the dropped message's task does nothing
    assert deliver_outbox_message(message_id=waiting.pk, attempt=0)[0] == "skipped"


def test_the_refund_reaches_the_phone_without_sms_consent(policy, deliver, shirt, store, associate, shopper):
    update_customer_profile(customer=shopper, values={"phone": "+447700900123"})
    set_consent(customer=shopper, channel="sms", granted=False, source="app")
    set_consent(customer=shopper, channel="email", granted=False, source="app")
    order = deliver([("SHIRT-M", 1)])
    RecordingAdapter.reset()
    request = complete_return(
        store=store,
        actor=associate,
        refund_method="store_credit",
        order=order,
        lines=[LineRequest(sku="SHIRT-M", quantity=1, reason="wrong_size")],
    )
    deliver_pending()
    sent = {m.channel: m for m in RecordingAdapter.sent}
    assert set(sent) == {"email", "sms", "push"}
    assert sent["sms"].recipient == "+447700900123" and request.rma_number in sent["sms"].body
    # recorded in the one Notification model, about the return
    rows = Notification.objects.filter(reference=request.rma_number)
    assert {(row.subject, row.kind, row.status) for row in rows} == {(request, "refunded", "sent")}
    assert rows.count() == 3


def test_no_return_sms_or_push_says_a_phrase_twice(policy, deliver, shirt, store, associate):
    received = started(deliver([("SHIRT-M", 1)]))
    receive_return(return_request=received, store=store, actor=associate)
    refunded = complete_return(
        store=store,
        actor=associate,
        refund_method="original",
        order=deliver([("SHIRT-M", 1)]),
        lines=[LineRequest(sku="SHIRT-M", quantity=1, reason="wrong_size")],
    )
    rejected = reject_return(
        return_request=started(deliver([("SHIRT-M", 1)])), store=store, actor=associate, reason="Worn"
    )
    for request, kind in ((received, "received"), (refunded, "refunded"), (rejected, "rejected")):
        context = return_context(request=request, kind=kind)
        sms = render_return_message("sms", context, key="k", recipient="+447700900123")
        push = render_return_message("push", context, key="k", recipient="user:1")
        assert sms.subject == "" and len(sms.body) <= 160
        assert repeated_phrases(sms.body) == set(), sms.body
        assert repeated_phrases(f"{push.subject}. {push.body}") == set(), (push.subject, push.body)


def test_a_polish_shopper_is_told_of_the_refund_in_polish(policy, deliver, shirt, store, associate):
    # given a shopper whose language is Polish (issue 19.1)
    order = deliver([("SHIRT-M", 1)])
    order.customer.language = "pl"
    order.customer.save(update_fields=["language"])
    RecordingAdapter.reset()

    # when their return is refunded at the desk
    request = complete_return(
        store=store,
        actor=associate,
        refund_method="store_credit",
        order=order,
        lines=[LineRequest(sku="SHIRT-M", quantity=1, reason="wrong_size")],
    )
    assert deliver_pending() == ["delivered"]

    # then the subject and the push are Polish, the amount written the Polish way
    assert emails() == [f"Zwrot pieniędzy za {request.rma_number} jest w drodze"]
    sent = {m.channel: m.body for m in RecordingAdapter.sent}
    assert sent["push"] == "30,00\u00a0€ dodano jako kredyt sklepowy."
