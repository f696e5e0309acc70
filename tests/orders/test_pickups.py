"""Every pick-up transition as a service, and every illegal one refused with a clear code."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from customers.models import Interaction
from inventory import services as inventory
from inventory.models import Reservation, StockLevel, StockMovement
from orders.errors import OrderError
from orders.models import Fulfillment, Payment, StatusChange
from orders.services import (
    cancel_order,
    expire_pickup,
    hand_over_pickup,
    mark_ready,
    record_arrival,
    scan_pick,
    send_pickup_reminder,
    short_pick,
    start_picking,
)
from retail.models import AuditEvent
from tests.factories import StoreFactory
from tests.helpers import pickup_proof

pytestmark = pytest.mark.django_db
S = Fulfillment.Status


@pytest.fixture
def order(place_pickup, shirt, jeans):
    return place_pickup([("SHIRT-M", 2), ("JEANS-32", 1)])


def pickup(order) -> Fulfillment:
    return Fulfillment.objects.get(order=order)


def pick_all(order, associate, store):
    f = pickup(order)
    for code in ("SHIRT-M", "5000000000017", "JEANS-32"):
        scan_pick(fulfillment=f, code=code, actor=associate, store=store)
    return f


def ready(order, associate, store):
    f = pick_all(order, associate, store)
    return mark_ready(fulfillment=f, actor=associate, store=store)


def test_the_happy_path_placed_picking_ready_collected(order, associate, store, shirt, shopper):
    # when the associate picks by scanning, marks ready and hands over against the code
    f = start_picking(fulfillment=pickup(order), actor=associate, store=store)
    assert f.status == S.PICKING
    for code in ("SHIRT-M", "5000000000017", "JEANS-32"):
        scan_pick(fulfillment=f, code=code, actor=associate, store=store)
    f = mark_ready(fulfillment=f, actor=associate, store=store)
    assert f.status == S.READY and f.hold_until > timezone.now() + timedelta(days=6)
    f = hand_over_pickup(
        fulfillment=f,
        actor=associate,
        store=store,
        verification="code",
        collected_by_name="jane  SHOPPER",
        proof=pickup_proof(f, "code"),
    )
    # then it is collected, stock left the shelf as a pickup movement, the card was captured, points earned
    order.refresh_from_db()
    assert (f.status, order.status, f.verification, f.handed_over_by) == (S.COLLECTED, "completed", "code", associate)
    level = StockLevel.objects.get(variant=shirt, location=store)
    assert (level.on_hand, level.reserved) == (8, 0)
    assert StockMovement.objects.filter(kind="pickup", reference=f"order:{order.number}").count() == 2
    payment = Payment.objects.get(order=order)
    assert (payment.status, payment.captured_amount) == ("captured", Decimal("119.99"))
    assert order.points_earned == 119
    # and the history, the audit trail and the shopper's timeline tell the story
    assert list(StatusChange.objects.filter(fulfillment=f).values_list("to_status", flat=True)) == [
        "placed", "picking", "ready", "collected"
    ]  # fmt: skip
    actions = set(AuditEvent.objects.filter(object_id=str(order.pk)).values_list("action", flat=True))
    assert {"order.placed", "pickup.picking_started", "pickup.ready", "pickup.handed_over"} <= actions
    handed = AuditEvent.objects.get(action="pickup.handed_over")
    # recorded as the order names the shopper
    assert handed.details["to"] == "Jane Shopper" and handed.details["handed_by"] == associate.pk
    kinds = list(
        Interaction.objects.filter(customer=shopper).order_by("occurred_at", "id").values_list("kind", flat=True)
    )
    assert kinds == ["purchase", "note", "message_sent", "pickup"]


def test_a_wrong_item_is_refused_and_over_picking_too(order, associate, store):
    f = pickup(order)
    with pytest.raises(OrderError) as wrong:
        scan_pick(fulfillment=f, code="5999999999999", actor=associate, store=store)
    assert wrong.value.code == "wrong_item"
    scan_pick(fulfillment=f, code="JEANS-32", actor=associate, store=store)
    with pytest.raises(OrderError) as over:
        scan_pick(fulfillment=f, code="JEANS-32", actor=associate, store=store)
    assert over.value.code == "over_picked"


def test_ready_needs_every_unit_picked(order, associate, store):
    f = pickup(order)
    scan_pick(fulfillment=f, code="SHIRT-M", actor=associate, store=store)
    with pytest.raises(OrderError) as error:
        mark_ready(fulfillment=f, actor=associate, store=store)
    assert error.value.code == "not_fully_picked"
    assert "SHIRT-M (1)" in error.value.message


@pytest.mark.parametrize(
    ("state", "action"),
    [
        ("placed", "ready"),
        ("placed", "hand_over"),
        ("picking", "start"),
        ("picking", "hand_over"),
        ("ready", "start"),
        ("ready", "scan"),
        ("ready", "ready"),
        ("ready", "cancel"),
        ("collected", "start"),
        ("collected", "scan"),
        ("collected", "ready"),
        ("collected", "hand_over"),
        ("collected", "cancel"),
        ("cancelled", "start"),
        ("cancelled", "scan"),
        ("cancelled", "hand_over"),
        ("expired", "hand_over"),
        ("expired", "ready"),
        ("expired", "cancel"),
    ],
)
def test_illegal_transitions_are_refused_with_a_clear_code(order, associate, store, state, action):
    # given a pick-up in `state`
    f = pickup(order)
    if state in ("picking", "ready", "collected", "expired"):
        start_picking(fulfillment=f, actor=associate, store=store)
    if state in ("ready", "collected", "expired"):
        f = ready(order, associate, store)
    if state == "collected":
        hand_over_pickup(
            fulfillment=f,
            actor=associate,
            store=store,
            verification="qr",
            collected_by_name="Jane Shopper",
            proof=pickup_proof(f, "qr"),
        )
    if state == "expired":
        Fulfillment.objects.filter(pk=f.pk).update(hold_until=timezone.now() - timedelta(minutes=1))
        assert expire_pickup(fulfillment=f)
    if state == "cancelled":
        cancel_order(order=order, actor=associate)
    before = Fulfillment.objects.get(pk=f.pk).status
    # when the associate tries `action`
    attempts = {
        "start": lambda: start_picking(fulfillment=f, actor=associate, store=store),
        "scan": lambda: scan_pick(fulfillment=f, code="SHIRT-M", actor=associate, store=store),
        "ready": lambda: mark_ready(fulfillment=f, actor=associate, store=store),
        "hand_over": lambda: hand_over_pickup(
            fulfillment=f,
            actor=associate,
            store=store,
            verification="code",
            collected_by_name="Jane Shopper",
            proof=pickup_proof(f, "code"),
        ),
        "cancel": lambda: cancel_order(order=order, actor=associate),
    }
    with pytest.raises(OrderError) as error:
        attempts[action]()
    # then it is refused with a code naming the rule, and nothing changed
    assert error.value.code in ("illegal_transition", "order_not_cancellable")
    assert error.value.status == 409
    assert before in error.value.message or Fulfillment.Status(before).label.lower() in error.value.message
    assert Fulfillment.objects.get(pk=f.pk).status == before


def test_only_the_shopper_or_the_named_proxy_may_collect(place_pickup, shirt, associate, store):
    order = place_pickup([("SHIRT-M", 1)], proxy_name="Paul Proxy")
    f = pickup(order)
    scan_pick(fulfillment=f, code="SHIRT-M", actor=associate, store=store)
    mark_ready(fulfillment=f, actor=associate, store=store)
    with pytest.raises(OrderError) as stranger:
        hand_over_pickup(
            fulfillment=f,
            actor=associate,
            store=store,
            verification="code",
            collected_by_name="Mallory",
            proof=pickup_proof(f, "code"),
        )
    assert stranger.value.code == "verification_failed"
    with pytest.raises(OrderError) as no_id:
        hand_over_pickup(
            fulfillment=f, actor=associate, store=store, verification="order_id", collected_by_name="Paul Proxy"
        )
    assert no_id.value.code == "verification_failed"
    # when the proxy shows ID with the order number
    f = hand_over_pickup(
        fulfillment=f,
        actor=associate,
        store=store,
        verification="order_id",
        collected_by_name="Paul Proxy",
        id_checked=True,
    )
    assert f.status == S.COLLECTED
    assert AuditEvent.objects.get(action="pickup.handed_over").details["proxy"] is True


def test_hand_over_in_another_store_is_refused(order, associate, store):
    f = ready(order, associate, store)
    elsewhere = StoreFactory(code="MAN-01")
    with pytest.raises(OrderError) as error:
        hand_over_pickup(
            fulfillment=f,
            actor=associate,
            store=elsewhere,
            verification="code",
            collected_by_name="Jane Shopper",
            proof=pickup_proof(f, "code"),
        )
    assert error.value.code == "wrong_store"


def test_short_pick_cancel_charges_only_what_is_collected(order, associate, store, shirt):
    # given one shirt cannot be found
    f = pickup(order)
    line = f.lines.get(sku="SHIRT-M")
    short_pick(line=line, missing=1, resolution="cancel", actor=associate, store=store)
    scan_pick(fulfillment=f, code="SHIRT-M", actor=associate, store=store)
    scan_pick(fulfillment=f, code="JEANS-32", actor=associate, store=store)
    mark_ready(fulfillment=f, actor=associate, store=store)
    hand_over_pickup(
        fulfillment=f,
        actor=associate,
        store=store,
        verification="code",
        collected_by_name="Jane Shopper",
        proof=pickup_proof(f, "code"),
    )
    # then 30.00 + 59.99 is captured, the rest of the hold released, and the second shirt is back on sale
    payment = Payment.objects.get(order=order)
    assert (payment.captured_amount, payment.status) == (Decimal("89.99"), "captured")
    level = StockLevel.objects.get(variant=shirt, location=store)
    assert (level.on_hand, level.reserved) == (9, 0)
    assert not Reservation.objects.filter(status="active").exists()


def test_short_pick_reroute_reserves_at_the_nearest_store_with_stock(order, associate, store, shirt):
    nearby = StoreFactory(code="LON-02", latitude="51.5045", longitude="-0.0195")
    inventory.receive_stock(location=nearby, lines=[(shirt, 3)], reference="PO-2")
    line = pickup(order).lines.get(sku="SHIRT-M")
    short_pick(line=line, missing=1, resolution="reroute", actor=associate, store=store)
    moved = Fulfillment.objects.get(order=order, location=nearby)
    assert moved.status == S.PLACED and moved.pickup_code == ""  # a code is given when it is ready
    assert StockLevel.objects.get(variant=shirt, location=nearby).reserved == 1
    totals = sorted(str(li.total) for li in order.lines.filter(sku="SHIRT-M"))
    assert totals == ["30.00", "30.00"]


def test_cancel_until_picked_releases_stock_and_voids_the_hold(order, associate, store, shirt, shopper):
    f = pickup(order)
    scan_pick(fulfillment=f, code="SHIRT-M", actor=associate, store=store)
    cancel_order(order=order, reason="changed my mind", by_customer=True)
    order.refresh_from_db()
    assert order.status == "cancelled"
    assert StockLevel.objects.get(variant=shirt, location=store).reserved == 0
    assert Payment.objects.get(order=order).status == "voided"
    returned = Interaction.objects.get(customer=shopper, kind="return")
    assert sum(Decimal(line["amount"]) for line in returned.data["lines"]) == Decimal("119.99")


def test_curbside_arrival_shows_in_the_queue(place_pickup, shirt, associate, store):
    from orders.selectors import queue_counts

    order = place_pickup([("SHIRT-M", 1)], kind="curbside")
    record_arrival(fulfillment=pickup(order), note="blue Golf, bay 3")
    assert queue_counts(store=store)["arrived"] == 1
    assert pickup(order).arrival_note == "blue Golf, bay 3"
    plain = place_pickup([("SHIRT-M", 1)])
    with pytest.raises(OrderError) as error:
        record_arrival(fulfillment=pickup(plain))
    assert error.value.code == "illegal_transition"


def test_store_credit_is_given_back_when_a_pickup_expires(place_pickup, shirt, associate, store, shopper):
    from customers.models import StoreCreditAccount
    from customers.services.loyalty import issue_store_credit
    from orders.services import TenderRequest

    issue_store_credit(customer=shopper, amount=Decimal("50.00"), reference="gift")
    order = place_pickup(
        [("SHIRT-M", 2)],
        tenders=[
            TenderRequest(method="store_credit", amount=Decimal("20.00")),
            TenderRequest(method="card", token="tok_visa_4242"),
        ],
    )
    f = pickup(order)
    scan_pick(fulfillment=f, code="SHIRT-M", actor=associate, store=store)
    scan_pick(fulfillment=f, code="SHIRT-M", actor=associate, store=store)
    f = mark_ready(fulfillment=f, actor=associate, store=store)
    assert StoreCreditAccount.objects.get(customer=shopper).balance == Decimal("30.00")
    Fulfillment.objects.filter(pk=f.pk).update(hold_until=timezone.now() - timedelta(seconds=1))
    assert expire_pickup(fulfillment=f) is True
    assert StoreCreditAccount.objects.get(customer=shopper).balance == Decimal("50.00")
    assert {p.method: p.status for p in Payment.objects.filter(order=order)} == {
        "store_credit": "refunded",
        "card": "voided",
    }
    assert send_pickup_reminder(fulfillment=f) is False


def test_a_gift_card_is_loaded_again_when_a_pickup_it_paid_expires(place_pickup, shirt, associate, store):
    from customers.models import GiftCard
    from customers.services.giftcards import gift_card_drift, issue_gift_card
    from orders.services import TenderRequest

    issued = issue_gift_card(amount=Decimal("50.00"), source="sold", reference="GC-PICKUP")
    order = place_pickup(
        [("SHIRT-M", 2)],
        tenders=[
            TenderRequest(method="gift_card", token=issued.code, amount=Decimal("20.00")),
            TenderRequest(method="card", token="tok_visa_4242"),
        ],
    )
    assert GiftCard.objects.get(pk=issued.card.pk).balance == Decimal("30.00")
    f = pickup(order)
    Fulfillment.objects.filter(pk=f.pk).update(status="ready", hold_until=timezone.now() - timedelta(seconds=1))
    assert expire_pickup(fulfillment=Fulfillment.objects.get(pk=f.pk)) is True
    card = GiftCard.objects.get(pk=issued.card.pk)
    assert card.balance == Decimal("50.00")
    assert sorted(card.entries.values_list("kind", "amount")) == [
        ("issue", Decimal("50.00")), ("redeem", Decimal("-20.00")), ("refund", Decimal("20.00"))]  # fmt: skip
    assert {p.method: p.status for p in Payment.objects.filter(order=order)} == {"gift_card": "refunded",
                                                                                 "card": "voided"}  # fmt: skip
    assert gift_card_drift() == []


def test_the_pickup_code_is_given_when_ready_and_unique_among_the_stores_open_pickups(
    place_pickup, shirt, associate, store
):
    codes = set()
    for _ in range(5):
        order = place_pickup([("SHIRT-M", 1)])
        f = pickup(order)
        assert (f.pickup_code, f.qr_token) == ("", "")
        scan_pick(fulfillment=f, code="SHIRT-M", actor=associate, store=store)
        f = mark_ready(fulfillment=f, actor=associate, store=store)
        assert len(f.pickup_code) == 6 and len(f.qr_token) == 32
        codes.add(f.pickup_code)
    assert len(codes) == 5


def test_queue_counts_match_each_tab_of_the_queue(place_pickup, shirt, store):
    from orders.selectors import QUEUE_TABS, _queue_filter, pickup_queue, queue_counts

    inventory.receive_stock(location=store, lines=[(shirt, 10)], reference="PO-QUEUE")
    now = timezone.now()
    made = [pickup(place_pickup([("SHIRT-M", 1)], kind=kind)) for kind in ("pickup", "curbside") * 6]
    # Every status of the queue, on and off its deadline, collected / ship / carry-out ones not counted.
    changes = [
        {"status": "placed", "created_at": now - timedelta(hours=5)},
        {"status": "picking", "arrived_at": now},  # the made pick-ups alternate pick-up, curbside
        {"status": "picking", "created_at": now - timedelta(hours=5), "arrived_at": now},  # not curbside
        {"status": "ready", "hold_until": now + timedelta(days=2), "arrived_at": now},
        {"status": "ready", "hold_until": now - timedelta(hours=1)},
        {"status": "expired", "closed_at": now - timedelta(days=2), "arrived_at": now},
        {"status": "expired", "closed_at": now - timedelta(days=9)},
        {"status": "collected", "closed_at": now},
        {"kind": "ship", "pickup_code": "", "status": "placed"},
        {"kind": "ship", "pickup_code": "", "status": "picking", "created_at": now - timedelta(hours=5)},
        {"kind": "carry_out", "pickup_code": "", "status": "placed"},
    ]
    for f, change in zip(made, changes, strict=False):
        Fulfillment.objects.filter(pk=f.pk).update(**change)
    counts = queue_counts(store=store)
    base = Fulfillment.objects.filter(location=store)
    for tab in QUEUE_TABS:
        expected = base.filter(_queue_filter(tab, timezone.now())).count()
        assert counts[tab] == expected, tab
        assert len(pickup_queue(store=store, tab=tab)) == expected, tab
    assert counts["arrived"] == 2  # the curbside picking and ready ones; not the expired one nor a pick-up's
    assert (counts["to_pick"], counts["overdue"], counts["to_ship"], counts["expired"]) == (2, 3, 2, 1)
