"""Events are written with the change that causes them and reach a real receiver signed.

The receiver is a threading http.server on 127.0.0.1 (WEBHOOKS_ALLOW_LOOPBACK is on for these
tests). The outbox and the delivery loop run in the test process, as a worker would run them.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from customers.services.giftcards import issue_gift_card
from customers.services.merge import merge_customers
from customers.services.privacy import erase_customer
from customers.services.profiles import create_customer, update_customer_profile
from inventory import services as inventory
from inventory.models import StockLevel
from orders.models import Fulfillment
from orders.returns.services import LineRequest, complete_return, start_return
from orders.services import GroupRequest, TenderRequest, cancel_order, place_order
from orders.services.lifecycle import expire_pickup
from orders.services.pickups import mark_ready, scan_pick
from retail.models import AuditEvent
from tests.webhooks.conftest import run_outbox
from webhooks import delivery
from webhooks.events import EVENT_TYPES, record_event
from webhooks.models import Delivery, DeliveryAttempt, Event, Subscription

pytestmark = pytest.mark.django_db


def deliver_all(subscription) -> str:
    outcome, _ = delivery.deliver_for_subscription(subscription_id=subscription.pk)
    return outcome


def cause_every_event(*, store, associate, other_store, deliver, shipped, shopper, shirt, jeans):
    order = deliver([("SHIRT-M", 1)])  # order.placed, pickup.ready, pickup.collected, stock.changed
    shipped([("JEANS-32", 1)])  # shipment.shipped
    to_cancel = place_order(
        channel="web", groups=[GroupRequest(kind="pickup", lines=[("SHIRT-M", 1)], store=store)], customer=shopper,
        tenders=[TenderRequest(method="card", token="tok_visa_4242")],
    )  # fmt: skip
    cancel_order(order=to_cancel, reason="changed mind", by_customer=True)  # order.cancelled
    to_expire = place_order(
        channel="app", groups=[GroupRequest(kind="pickup", lines=[("SHIRT-M", 1)], store=store)], customer=shopper,
        tenders=[TenderRequest(method="card", token="tok_visa_4242")],
    )  # fmt: skip
    f = to_expire.fulfillments.get()
    scan_pick(fulfillment=f, code="SHIRT-M", actor=associate, store=store)
    mark_ready(fulfillment=Fulfillment.objects.get(pk=f.pk), actor=associate, store=store)
    expire_pickup(fulfillment=f, now=timezone.now() + timedelta(days=30))  # pickup.expired
    request = start_return(  # return.requested
        order=order, lines=[LineRequest(line_number=1, quantity=1, reason="wrong_size")], channel="web"
    )
    complete_return(
        store=store, actor=associate, refund_method="store_credit", return_request=request
    )  # refunded, credit
    created = create_customer(first_name="Ada", last_name="Lovelace", email="ada@example.com")  # customer.created
    update_customer_profile(customer=created, values={"last_name": "King"})  # customer.updated
    twin = create_customer(first_name="Ada", email="ada.k@example.com")
    merge_customers(source=twin, target=created, reason="same person")  # customer.merged
    erase_customer(customer=created, actor=None, reason="GDPR request 7")  # customer.erased
    issue_gift_card(amount=Decimal("25.00"), source="sold", reference="GC-1", customer=shopper)  # giftcard.changed


def test_every_event_type_arrives_signed_and_verifies(
    subscribe, receiver, store, associate, other_store, deliver, shipped, shopper, shirt, jeans, policy
):
    # given a subscription to every event type
    subscription = subscribe(EVENT_TYPES)
    # when every kind of change happens and the outbox and the delivery loop run
    cause_every_event(store=store, associate=associate, other_store=other_store, deliver=deliver, shipped=shipped,
                      shopper=shopper, shirt=shirt, jeans=jeans)  # fmt: skip
    run_outbox()
    assert deliver_all(subscription) == "idle"
    # then every type arrived, each request signed with the subscription's secret
    events = receiver.events(verified=True)
    assert {e["type"] for e in events} == set(EVENT_TYPES)
    for envelope in events:
        assert set(envelope) == {"id", "type", "version", "occurred_at", "data"}
        assert envelope["id"].startswith("evt_") and envelope["version"] == 1
    headers = receiver.requests[0]["headers"]
    assert headers["Omnistore-Event-Id"] == events[0]["id"]
    # and each event once, in event order
    ids = [e["id"] for e in events]
    assert len(ids) == len(set(ids)) == Event.objects.filter(sealed=True).count()
    order = {f"evt_{uid.hex}": pk for pk, uid in Event.objects.values_list("pk", "uid")}
    assert [order[i] for i in ids] == sorted(order[i] for i in ids)
    # and the erased customer's event carries no personal data, nor do earlier events about them now
    erased = next(e for e in events if e["type"] == "customer.erased")
    assert set(erased["data"]) == {"customer_id", "erased_at"}
    leftovers = Event.objects.filter(key=f"customer:{erased['data']['customer_id']}").values_list("data", flat=True)
    assert not any("ada@example.com" in str(data) or "Lovelace" in str(data) for data in leftovers)
    # and the delivery log says how each went
    assert Delivery.objects.filter(status="succeeded").count() == len(events)
    attempt = DeliveryAttempt.objects.first()
    assert attempt.response_status == 200 and attempt.response_excerpt == "ok" and attempt.latency_ms >= 0


def test_an_event_is_written_in_the_transaction_of_its_change(shirt, store):
    # when a stock change rolls back
    with pytest.raises(RuntimeError), transaction.atomic():
        inventory.receive_stock(location=store, lines=[(shirt, 3)], reference="PO-9")
        raise RuntimeError("the delivery note was wrong")
    # then no event about it is left
    assert not Event.objects.filter(key=f"stock:{shirt.pk}:{store.pk}", changes__gt=1).exists()
    before = Event.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        record_event(type="customer.created", data={"customer": {"id": 1}})
        raise RuntimeError("rolled back")
    assert Event.objects.count() == before


def test_stock_changes_are_coalesced_per_sku_and_location(subscribe, receiver, store, shirt, jeans):
    subscription = subscribe(["stock.changed"])
    run_outbox()
    Event.objects.all().delete()
    # when a busy till changes one SKU's stock many times within the window
    for i in range(25):
        inventory.record_sales(location=store, sales=[(f"pos:{i}", [(shirt, 1)])])
    inventory.receive_stock(location=store, lines=[(jeans, 2)], reference="PO-4")
    # then one event per SKU and location is open, counting the changes
    open_events = {e.key: e.changes for e in Event.objects.filter(sealed=False)}
    assert open_events == {f"stock:{shirt.pk}:{store.pk}": 25, f"stock:{jeans.pk}:{store.pk}": 1}
    # and once sealed it carries the level at the end of the window
    run_outbox()
    deliver_all(subscription)
    stock = {e["data"]["sku"]: e["data"] for e in receiver.events()}
    levels = {lv.variant.sku: lv for lv in StockLevel.objects.filter(location=store).select_related("variant")}
    for sku in ("SHIRT-M", "JEANS-32"):
        level = levels[sku]
        assert stock[sku] == {
            "sku": sku, "location": "LON-01", "on_hand": level.on_hand, "reserved": level.reserved,
            "safety_stock": level.safety_stock, "available": level.available,
        }  # fmt: skip
    assert len(receiver.requests) == 2


def test_a_receiver_that_was_down_gets_everything_in_order_once_back(subscribe, receiver, store, shirt):
    subscription = subscribe(["customer.created", "stock.changed"])
    # given a receiver that is down (answers 503) for the first attempts
    receiver.statuses = [503, 503, 503, 200]
    for i in range(5):
        create_customer(first_name=f"Shopper {i}", email=f"s{i}@example.com")
    run_outbox()
    # when the delivery loop runs and backs off while it is down
    outcomes = []
    for _ in range(10):
        outcomes.append(deliver_all(subscription))
        Delivery.objects.filter(status="pending").update(next_attempt_at=timezone.now())
    # then once it is back, every event arrived, in order, none twice
    received = receiver.events()
    names = [e["data"]["customer"]["first_name"] for e in received if e["type"] == "customer.created"]
    assert names == [f"Shopper {i}" for i in range(5)]
    assert outcomes[0] == "wait" and Delivery.objects.filter(status="pending").count() == 0
    assert len(received) == Delivery.objects.count() == 6  # and the fixture's stock change
    head = Delivery.objects.order_by("event_id").first()
    assert head.attempts == 4 and head.attempt_log.count() == 4
    assert Subscription.objects.get(pk=subscription.pk).consecutive_failures == 0


def test_a_receiver_that_always_fails_is_paused_and_head_office_is_told(subscribe, receiver, settings):
    settings.WEBHOOKS_FAILURES_BEFORE_PAUSE = 3
    settings.WEBHOOKS_ALERT_EMAILS = ["integrations@omnistore.local"]
    subscription = subscribe(["customer.created"])
    receiver.statuses = [500]
    create_customer(first_name="Grace", email="grace@example.com")
    run_outbox()
    # when every attempt fails
    for _ in range(5):
        deliver_all(subscription)
        Delivery.objects.filter(status="pending").update(next_attempt_at=timezone.now())
    # then the subscription is paused after 3, saying why
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.PAUSED
    assert "3 consecutive failed deliveries" in subscription.paused_reason
    assert "HTTP 500" in subscription.paused_reason and "receiver says no" in subscription.paused_reason
    assert len(receiver.requests) == 3
    # and head office has it in the audit trail and by email
    assert AuditEvent.objects.filter(action="webhooks.subscription_paused", object_id=str(subscription.pk)).exists()
    run_outbox()
    assert [m.to for m in mail.outbox] == [["integrations@omnistore.local"]]
    assert subscription.url in mail.outbox[0].body
    # and once resumed with the receiver fixed, the event is delivered
    receiver.statuses = [200]
    from webhooks.services import resume_subscription

    resume_subscription(subscription=subscription, actor=None)
    assert deliver_all(subscription) == "idle"
    assert len(receiver.events()) == 1


def test_the_delivery_log_is_purged_after_the_retention(subscribe, receiver, settings):
    subscription = subscribe(["customer.created"])
    create_customer(first_name="Old", email="old@example.com")
    run_outbox()
    deliver_all(subscription)
    Delivery.objects.update(created_at=timezone.now() - timedelta(days=settings.WEBHOOKS_LOG_RETENTION_DAYS + 1))
    DeliveryAttempt.objects.update(
        attempted_at=timezone.now() - timedelta(days=settings.WEBHOOKS_LOG_RETENTION_DAYS + 1)
    )
    assert delivery.purge_delivery_log() == 2
    assert not Delivery.objects.exists()


def test_money_in_events_is_text_with_two_decimals(subscribe, receiver, deliver, shirt):
    subscribe(["order.placed"])
    order = deliver([("SHIRT-M", 2)])
    data = Event.objects.get(type="order.placed").data
    assert data["order"]["total"] == f"{order.total:.2f}" and Decimal(data["lines"][0]["unit_price"]) > 0


def test_switched_off_the_services_write_no_events(settings, store, shirt):
    settings.WEBHOOKS_RECORD_EVENTS = False
    before = Event.objects.count()
    create_customer(first_name="Quiet", email="quiet@example.com")
    inventory.receive_stock(location=store, lines=[(shirt, 1)], reference="PO-OFF")
    assert Event.objects.count() == before


def test_eager_celery_does_not_retry_a_failing_receiver_by_recursion(subscribe, receiver):
    from celery import current_app

    from webhooks.tasks import deliver_webhooks

    subscription = subscribe(["customer.created"])
    receiver.statuses = [503]
    create_customer(first_name="Demo", email="demo@example.com")
    run_outbox()
    eager = current_app.conf.task_always_eager
    current_app.conf.task_always_eager = True
    try:
        # when the demo's eager worker meets a receiver that is down
        assert deliver_webhooks(subscription.pk) == "wait"
    finally:
        current_app.conf.task_always_eager = eager
    # then it tried once and left the retry to the sweep
    assert len(receiver.requests) == 1
