"""Return services end to end on PostgreSQL: requests, approval, receiving, refunds, ledgers."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import Interaction, PointsEntry, StoreCreditAccount, Task
from inventory.models import StockLevel, StockMovement
from inventory.selectors import ledger_drift
from orders.models import Payment
from orders.notifications import RecordingAdapter
from orders.returns import services
from orders.returns.errors import ReturnError
from orders.returns.models import ReturnRequest
from orders.returns.numbers import normalise_rma_number
from orders.returns.services import (
    ExchangeRequest,
    Inspection,
    LineRequest,
    ManagerApproval,
    complete_return,
    receive_return,
    refund_return,
    start_return,
)
from retail.domain.money import unit_share
from retail.models import AuditEvent, OutboxMessage
from retail.outbox import deliver_outbox_message
from tests.factories import TEST_PASSWORD
from tests.helpers import MANAGER_PIN, totp_code

pytestmark = pytest.mark.django_db(transaction=False)


def on_hand(variant, store) -> int:
    level = StockLevel.objects.filter(variant=variant, location=store).first()
    return level.on_hand if level else 0


def credit_of(customer) -> Decimal:
    account = StoreCreditAccount.objects.filter(customer=customer).first()
    return account.balance if account else Decimal("0.00")


# --------------------------------------------------------------------------- starting a return


def test_online_return_gets_a_readable_rma_a_qr_and_explained_verdicts(policy, deliver, shirt):
    # given a web order delivered 12 days ago
    order = deliver([("SHIRT-M", 2)], channel="web", days_ago=12)
    # when the shopper starts a return in the app
    request = start_return(
        order=order, lines=[LineRequest(line_number=1, quantity=1, reason="wrong_size")], channel="app", method="mail"
    )
    # then
    assert normalise_rma_number(request.rma_number) == request.rma_number
    assert len(request.qr_token) == 32
    line = request.lines.get()
    assert line.verdict == "eligible"
    assert line.explanation.startswith("Bought on the web 12 days ago; web orders can be returned within 30 days.")
    assert line.amount == Decimal("30.00")
    assert request.refund_total == Decimal("26.05")  # mail postage 3.95 deducted
    assert AuditEvent.objects.filter(action="return.requested", object_id=str(request.pk)).exists()


def test_two_returns_never_take_more_units_than_were_bought(policy, deliver, shirt):
    # given 2 shirts bought, 1 already on a return
    order = deliver([("SHIRT-M", 2)])
    start_return(order=order, lines=[LineRequest(line_number=1, quantity=1, reason="wrong_size")], channel="web")
    # when asking for 2 more
    with pytest.raises(ReturnError) as error:
        start_return(order=order, lines=[LineRequest(sku="SHIRT-M", quantity=2, reason="wrong_size")], channel="web")
    # then a clear refusal, nothing more written
    assert error.value.code == "too_many_units"
    assert "Only 1 of SHIRT-M can come back: 2 bought, 1 already returned" in error.value.message
    assert ReturnRequest.objects.count() == 1


def test_bad_lines_are_refused_with_nothing_written(policy, deliver, shirt):
    order = deliver([("SHIRT-M", 1)])
    cases = [
        ([LineRequest(line_number=1, quantity=2, reason="wrong_size")], "too_many_units"),
        ([LineRequest(line_number=9, quantity=1, reason="wrong_size")], "invalid_line"),
        ([LineRequest(line_number=1, quantity=0, reason="wrong_size")], "invalid_line"),
        ([LineRequest(line_number=1, quantity=1, reason="bored")], "invalid_line"),
        ([], "invalid_line"),
    ]
    for lines, code in cases:
        with pytest.raises(ReturnError) as error:
            start_return(order=order, lines=lines, channel="web")
        assert error.value.code == code
        assert error.value.fields
    assert ReturnRequest.objects.count() == 0
    assert not AuditEvent.objects.filter(action__startswith="return.").exists()


def test_expired_window_without_approval_is_refused_and_nothing_is_written(
    policy, deliver, shirt, other_store, other_associate, shopper
):
    # given a web order bought 45 days ago
    order = deliver([("SHIRT-M", 1)], channel="web", days_ago=45)
    movements = StockMovement.objects.count()
    # when the desk tries to refund it without a manager
    with pytest.raises(ReturnError) as error:
        complete_return(
            store=other_store,
            actor=other_associate,
            refund_method="store_credit",
            order=order,
            lines=[LineRequest(line_number=1, quantity=1, reason="changed_mind")],
        )
    # then it is refused, saying why, and nothing was written
    assert error.value.code == "approval_required"
    assert "web orders can be returned within 30 days" in error.value.message
    assert ReturnRequest.objects.count() == 0
    assert StockMovement.objects.count() == movements
    assert credit_of(shopper) == Decimal("0.00")


def test_a_store_without_a_returns_desk_refuses_clearly(policy, deliver, shirt, outlet, associate):
    order = deliver([("SHIRT-M", 1)])
    request = start_return(
        order=order, lines=[LineRequest(line_number=1, quantity=1, reason="wrong_size")], channel="web"
    )
    with pytest.raises(ReturnError) as error:
        receive_return(return_request=request, store=outlet, actor=associate)
    assert error.value.code == "returns_not_accepted"
    assert "does not take returns" in error.value.message
    assert ReturnRequest.objects.get().status == "requested"


# --------------------------------------------------------------------------- approval


def _out_of_window(deliver):
    order = deliver([("SHIRT-M", 1)], channel="web", days_ago=45)
    return order, [LineRequest(line_number=1, quantity=1, reason="changed_mind")]


def test_manager_of_the_store_approves_with_credentials_and_it_is_audited(
    policy, deliver, shirt, store, associate, manager
):
    order, lines = _out_of_window(deliver)
    # when the manager types their credentials and a reason on the desk
    request = complete_return(
        store=store,
        actor=associate,
        refund_method="original",
        order=order,
        lines=lines,
        approval=ManagerApproval(email=manager.email, pin=MANAGER_PIN, reason="Loyal customer, unworn"),
    )
    # then the return is refunded and the approval is on the audit trail
    assert request.status == "refunded" and request.approved_by == manager
    event = AuditEvent.objects.get(action="return.approved")
    assert event.actor == manager and event.store == store
    assert event.details["reason"] == "Loyal customer, unworn"
    assert event.details["associate"] == associate.pk
    assert "web orders can be returned within 30 days" in event.details["lines"][0]


@pytest.mark.parametrize("who", ["associate", "other_manager", "wrong_password", "unknown"])
def test_approval_refused_for_anyone_but_a_manager_of_this_store(
    policy, deliver, shirt, store, associate, who, request
):
    order, lines = _out_of_window(deliver)
    email, password = {
        "associate": (associate.email, TEST_PASSWORD),
        "other_manager": (request.getfixturevalue("other_manager").email, TEST_PASSWORD),
        "wrong_password": (request.getfixturevalue("manager").email, "not-the-password"),
        "unknown": ("nobody@example.com", TEST_PASSWORD),
    }[who]
    with pytest.raises(ReturnError) as error:
        complete_return(
            store=store,
            actor=associate,
            refund_method="original",
            order=order,
            lines=lines,
            approval=ManagerApproval(email=email, password=password, reason="Please"),
        )
    assert error.value.code == "approval_denied" and error.value.status == 403
    assert ReturnRequest.objects.count() == 0
    assert not AuditEvent.objects.filter(action="return.approved").exists()


def test_a_manager_approving_by_password_must_give_a_current_code(policy, deliver, shirt, store, associate, manager):
    order, lines = _out_of_window(deliver)
    kwargs = {"store": store, "actor": associate, "refund_method": "original", "order": order, "lines": lines}
    # when no code is given: refused with the one message of every refusal (issue 13)
    with pytest.raises(ReturnError) as error:
        complete_return(**kwargs, approval=ManagerApproval(email=manager.email, password=TEST_PASSWORD, reason="ok"))
    assert error.value.code == "approval_denied" and error.value.message.startswith("Manager approval refused")
    # when the current code is given
    request = complete_return(
        **kwargs,
        approval=ManagerApproval(
            email=manager.email, password=TEST_PASSWORD, reason="ok", code=totp_code(manager.totp_secret)
        ),
    )
    assert request.status == "refunded"


def test_five_wrong_passwords_lock_approvals_for_that_manager(policy, store, manager):
    from orders.returns.services import verify_manager

    wrong = ManagerApproval(email=manager.email, password="guess", reason="x")
    for _ in range(5):
        with pytest.raises(ReturnError):
            verify_manager(approval=wrong, store=store)
    # when the right PIN comes after five wrong passwords
    with pytest.raises(ReturnError) as error:
        verify_manager(approval=ManagerApproval(email=manager.email, pin=MANAGER_PIN, reason="x"), store=store)
    # then it is refused until the lock-out ends
    assert error.value.status == 429 and error.value.code == "approval_locked"
    assert "Too many wrong approvals" in error.value.message


def test_an_approval_needs_a_reason(policy, deliver, shirt, store, associate, manager):
    order, lines = _out_of_window(deliver)
    with pytest.raises(ReturnError) as error:
        complete_return(
            store=store,
            actor=associate,
            refund_method="original",
            order=order,
            lines=lines,
            approval=ManagerApproval(email=manager.email, pin=MANAGER_PIN, reason=" "),
        )
    assert error.value.fields == {"approval_reason": ["Required."]}


# --------------------------------------------------------------------------- money


def test_partial_returns_with_an_offer_refund_exactly_what_was_paid(
    policy, deliver, shirt, jeans, shopper, store, associate
):
    from customers.services.loyalty import assign_offer
    from tests.customers.factories import OfferFactory

    # given 3 shirts and 1 jeans with 15% off (the discount split over the lines to the cent)
    offer = OfferFactory(code="autumn15", discount_percent=Decimal("15.00"))
    assign_offer(offer=offer, customer=shopper)
    order = deliver([("SHIRT-M", 3), ("JEANS-32", 1)], offer_code="autumn15")
    shirts = order.lines.get(sku="SHIRT-M")
    assert order.discount_total > 0 and shirts.discount > 0
    card = order.payments.get()
    # when the shirts come back one, then two
    first = complete_return(
        store=store,
        actor=associate,
        refund_method="original",
        order=order,
        lines=[LineRequest(sku="SHIRT-M", quantity=1, reason="wrong_size")],
    )
    second = complete_return(
        store=store,
        actor=associate,
        refund_method="original",
        order=order,
        lines=[LineRequest(sku="SHIRT-M", quantity=2, reason="wrong_size")],
    )
    jeans_back = complete_return(
        store=store,
        actor=associate,
        refund_method="original",
        order=order,
        lines=[LineRequest(sku="JEANS-32", quantity=1, reason="changed_mind")],
    )
    # then each refund is the exact share of what the line paid, and all of them make the order total
    assert first.refund_total == unit_share(shirts.total, 3, 0, 1)
    assert second.refund_total == unit_share(shirts.total, 3, 1, 2)
    assert first.refund_total + second.refund_total == shirts.total
    assert first.refund_total + second.refund_total + jeans_back.refund_total == order.total
    card.refresh_from_db()
    assert card.refunded_amount == order.total and card.status == Payment.Status.REFUNDED
    # and nothing more can come back
    with pytest.raises(ReturnError) as error:
        start_return(order=order, lines=[LineRequest(sku="JEANS-32", quantity=1, reason="other")], channel="store")
    assert error.value.code == "too_many_units"


def test_an_order_level_offer_no_longer_met_is_clawed_back_then_given_back(
    deliver, shirt, jeans, shopper, store, associate
):
    from customers.services.loyalty import assign_offer
    from tests.customers.factories import OfferFactory
    from tests.returns.factories import make_policy

    # given offers need 50.00 of kept goods, and an order of a shirt (30.00) and jeans (59.99) with 10.00 off
    make_policy("With offer rule", offer_minimum_spend=Decimal("50.00"))
    offer = OfferFactory(code="tenoff", discount_percent=None, discount_amount=Decimal("10.00"))
    assign_offer(offer=offer, customer=shopper)
    order = deliver([("SHIRT-M", 1), ("JEANS-32", 1)], offer_code="tenoff")
    shirt_line, jeans_line = order.lines.get(sku="SHIRT-M"), order.lines.get(sku="JEANS-32")
    assert (shirt_line.discount, jeans_line.discount) == (Decimal("3.33"), Decimal("6.67"))

    def back(sku):
        return complete_return(
            store=store, actor=associate, refund_method="original", order=order,
            lines=[LineRequest(sku=sku, quantity=1, reason="changed_mind")],
        )  # fmt: skip

    # when the jeans come back, the shirt alone (30.00) no longer meets the offer
    jeans_back = back("JEANS-32")
    # then the offer's 3.33 on the shirt is taken from the refund, and said so
    assert jeans_back.clawback_total == Decimal("3.33")
    assert jeans_back.refund_total == jeans_line.total - Decimal("3.33")
    assert "Offer tenoff needs €50.00 of goods; the shopper keeps €30.00, so its €3.33 discount" in " ".join(
        jeans_back.summary
    )
    # when the shirt comes back too, the 3.33 is given back: everything paid is refunded
    shirt_back = back("SHIRT-M")
    assert shirt_back.clawback_total == Decimal("-3.33")
    assert jeans_back.refund_total + shirt_back.refund_total == order.total
    assert order.payments.get().refunded_amount == order.total


def test_points_earned_are_reversed_in_proportion(policy, deliver, shirt, shopper, store, associate):
    # given an order of 4 shirts (120.00) that earned 120 points
    order = deliver([("SHIRT-M", 4)])
    assert order.points_earned == 120
    # when one shirt comes back, then the other three
    first = complete_return(
        store=store,
        actor=associate,
        refund_method="store_credit",
        order=order,
        lines=[LineRequest(sku="SHIRT-M", quantity=1, reason="wrong_size")],
    )
    rest = complete_return(
        store=store,
        actor=associate,
        refund_method="store_credit",
        order=order,
        lines=[LineRequest(sku="SHIRT-M", quantity=3, reason="wrong_size")],
    )
    # then 30 then 90 points are taken back, exactly what was earned
    assert (first.points_reversed, rest.points_reversed) == (30, 90)
    reversed_points = PointsEntry.objects.filter(reference=order.number, kind="reverse").values_list(
        "points", flat=True
    )
    assert sorted(reversed_points) == [-90, -30]
    assert credit_of(shopper) == Decimal("120.00")


def test_refund_to_store_credit_never_exceeds_what_was_paid(policy, deliver, shirt, shopper, store, associate):
    order = deliver([("SHIRT-M", 1)])
    request = complete_return(
        store=store,
        actor=associate,
        refund_method="store_credit",
        order=order,
        lines=[LineRequest(sku="SHIRT-M", quantity=1, reason="wrong_size")],
    )
    # when the same return is submitted again
    with pytest.raises(ReturnError) as error:
        refund_return(return_request=request, store=store, actor=associate, method="original")
    # then it is refused and the card was never touched
    assert error.value.code == "already_refunded"
    assert order.payments.get().refunded_amount == Decimal("0.00")
    assert credit_of(shopper) == Decimal("30.00")


# --------------------------------------------------------------------------- exchanges


def test_even_exchange_for_another_size_is_reserved_here_and_costs_nothing(
    policy, deliver, shirt, shirt_l, shopper, store, associate
):
    order = deliver([("SHIRT-M", 1)])
    reserved_before = StockLevel.objects.get(variant=shirt_l, location=store).reserved
    # when the M is exchanged for an L
    request = complete_return(
        store=store,
        actor=associate,
        refund_method="exchange",
        order=order,
        lines=[LineRequest(sku="SHIRT-M", quantity=1, reason="wrong_size")],
        exchange=ExchangeRequest(lines=[("SHIRT-L", 1)]),
    )
    # then a new order holds an L here, paid by the returned shirt's value
    assert request.status == "exchanged"
    new = request.exchange_order
    assert new.total == Decimal("30.00") and new.channel == "store"
    assert list(new.payments.values_list("method", "amount")) == [("store_credit", Decimal("30.00"))]
    assert StockLevel.objects.get(variant=shirt_l, location=store).reserved == reserved_before + 1
    assert request.exchange_charged == Decimal("0.00") and request.refunded_to_tenders == Decimal("0.00")
    assert credit_of(shopper) == Decimal("0.00")
    assert order.payments.get().refunded_amount == Decimal("0.00")


def test_uneven_exchanges_charge_or_refund_the_difference(policy, deliver, shirt, jeans, shopper, store, associate):
    order = deliver([("SHIRT-M", 1), ("JEANS-32", 1)])
    # when a 30.00 shirt becomes 59.99 jeans: 29.99 is charged to a card
    up = complete_return(
        store=store,
        actor=associate,
        refund_method="exchange",
        order=order,
        lines=[LineRequest(sku="SHIRT-M", quantity=1, reason="wrong_size")],
        exchange=ExchangeRequest(lines=[("JEANS-32", 1)], card_token="tok_visa_1111"),
    )
    # when 59.99 jeans become a 30.00 shirt: 29.99 goes back to the original card
    down = complete_return(
        store=store,
        actor=associate,
        refund_method="exchange",
        order=order,
        lines=[LineRequest(sku="JEANS-32", quantity=1, reason="wrong_size")],
        exchange=ExchangeRequest(lines=[("SHIRT-M", 1)]),
    )
    # then
    assert up.exchange_charged == Decimal("29.99")
    assert sorted(up.exchange_order.payments.values_list("method", "amount")) == [
        ("card", Decimal("29.99")),
        ("store_credit", Decimal("30.00")),
    ]
    assert down.refunded_to_tenders == Decimal("29.99") and down.exchange_charged == Decimal("0.00")
    assert order.payments.get().refunded_amount == Decimal("29.99")
    assert credit_of(shopper) == Decimal("0.00")


def test_a_dearer_exchange_without_a_card_is_refused_with_nothing_written(
    policy, deliver, shirt, jeans, store, associate
):
    order = deliver([("SHIRT-M", 1)])
    with pytest.raises(ReturnError) as error:
        complete_return(
            store=store,
            actor=associate,
            refund_method="exchange",
            order=order,
            lines=[LineRequest(sku="SHIRT-M", quantity=1, reason="wrong_size")],
            exchange=ExchangeRequest(lines=[("JEANS-32", 1)]),
        )
    assert error.value.code == "invalid_exchange" and "29.99 more" in error.value.message
    assert ReturnRequest.objects.count() == 0


# --------------------------------------------------------------------------- receipt-less


def test_receiptless_return_is_store_credit_at_the_lowest_recent_price(
    policy, deliver, shirt, shopper, store, associate
):
    from inventory.models import Product
    from inventory.pricing import change_prices

    # given the shirt sold at 30.00 recently and now costs 33.00
    deliver([("SHIRT-M", 1)])
    change_prices(products=Product.objects.filter(pk=shirt.product_id), percent=Decimal("10"))
    # when a shirt comes back without a receipt
    request = complete_return(
        store=store,
        actor=associate,
        refund_method="store_credit",
        customer=shopper,
        lines=[LineRequest(sku="SHIRT-M", quantity=1, reason="changed_mind")],
    )
    # then it is credited at 30.00 and the line says why
    assert request.receiptless and request.refund_total == Decimal("30.00")
    assert "credited at €30.00, the lowest price in the last 30 days (now €33.00)" in request.lines.get().explanation
    assert credit_of(shopper) == Decimal("30.00")
    # and a receipt-less return cannot go to a card
    second = services.start_receiptless_return(
        customer=shopper, lines=[LineRequest(sku="SHIRT-M", quantity=1, reason="changed_mind")], store=store
    )
    receive_return(return_request=second, store=store, actor=associate)
    with pytest.raises(ReturnError) as error:
        refund_return(return_request=second, store=store, actor=associate, method="original")
    assert error.value.code == "invalid_refund_method"


def test_receiptless_over_the_limit_needs_a_manager(policy, shirt, shopper, store, associate, manager):
    def once(**kwargs):
        return complete_return(
            store=store,
            actor=associate,
            refund_method="store_credit",
            customer=shopper,
            lines=[LineRequest(sku="SHIRT-M", quantity=1, reason="changed_mind")],
            **kwargs,
        )

    once()
    once()
    # when a third comes in the same 90 days
    with pytest.raises(ReturnError) as error:
        once()
    assert error.value.code == "approval_required"
    assert "3rd return without a receipt in 90 days (limit 2)" in error.value.message
    # then with a manager it goes through
    third = once(approval=ManagerApproval(email=manager.email, pin=MANAGER_PIN, reason="Gift, known shopper"))
    assert third.status == "refunded" and third.approved_by == manager


# --------------------------------------------------------------------------- stock


def test_dispositions_move_stock_in_the_receiving_stores_ledger(
    policy, deliver, shirt, jeans, coat, other_store, other_associate
):
    order = deliver([("SHIRT-M", 1), ("JEANS-32", 1), ("COAT-M", 1)])
    request = start_return(
        order=order,
        channel="store",
        lines=[
            LineRequest(sku="SHIRT-M", quantity=1, reason="wrong_size"),
            LineRequest(sku="JEANS-32", quantity=1, reason="defective"),
            LineRequest(sku="COAT-M", quantity=1, reason="changed_mind"),
        ],
    )
    shirt_line, jeans_line, coat_line = request.lines.order_by("pk")
    # when received in another store: shirt back on sale, jeans damaged, coat held for inspection
    receive_return(
        return_request=request,
        store=other_store,
        actor=other_associate,
        inspections={
            shirt_line.pk: Inspection(condition="new"),
            jeans_line.pk: Inspection(condition="damaged", disposition="damaged"),
            coat_line.pk: Inspection(condition="used", disposition="inspection"),
        },
    )
    # then
    moves = list(
        StockMovement.objects.filter(location=other_store, reference=f"return:{request.rma_number}")
        .order_by("pk")
        .values_list("variant__sku", "kind", "quantity")
    )
    assert moves == [("SHIRT-M", "return_restock", 1), ("JEANS-32", "return_restock", 1), ("JEANS-32", "damage", -1)]
    assert (on_hand(shirt, other_store), on_hand(jeans, other_store), on_hand(coat, other_store)) == (1, 0, 0)
    # when the coat passes inspection
    services.release_inspection(line=coat_line, store=other_store, actor=other_associate, outcome="restock")
    assert on_hand(coat, other_store) == 1
    assert ledger_drift() == []


# --------------------------------------------------------------------------- timeline, tasks, notifications


def test_web_order_returned_in_another_store_lands_on_the_timeline_with_a_task(
    policy, deliver, shirt, shopper, other_store, other_associate
):
    order = deliver([("SHIRT-M", 1)], channel="web")
    RecordingAdapter.reset()
    request = complete_return(
        store=other_store,
        actor=other_associate,
        refund_method="store_credit",
        order=order,
        lines=[LineRequest(sku="SHIRT-M", quantity=1, reason="wrong_size")],
    )
    entry = Interaction.objects.get(source="returns", external_id=f"{request.rma_number}:done")
    assert entry.kind == "return" and entry.channel == "store" and entry.store == other_store
    assert entry.subject == f"Bought on the web, returned in {other_store.name} ({request.rma_number})"
    task = Task.objects.get(trigger_key=f"return:{request.rma_number}")
    # when the outbox delivers the return's messages
    pending = OutboxMessage.objects.filter(topic="returns.notify", status="pending").order_by("pk")
    assert [deliver_outbox_message(message_id=m.pk, attempt=0)[0] for m in pending] == ["delivered"]
    assert task.reason == Task.Reason.RETURNED_IN_STORE and order.number in task.title
    # then one message for the one visit: the refund (received and refunded at the same desk)
    sent = {(m.channel, m.subject) for m in RecordingAdapter.sent}
    assert sent == {
        ("email", f"Your refund for {request.rma_number} is on its way"),
        ("push", f"Your refund for {request.rma_number} is on its way"),
    }  # no SMS: the shopper gave no phone


def test_mail_return_received_at_the_warehouse_refunds_the_card_less_postage(
    policy, shipped, shirt, warehouse, associate
):
    order = shipped([("SHIRT-M", 1)])
    request = start_return(
        order=order, channel="web", method="mail", lines=[LineRequest(sku="SHIRT-M", quantity=1, reason="wrong_size")]
    )
    receive_return(return_request=request, store=warehouse, actor=associate)
    request = refund_return(return_request=request, store=warehouse, actor=associate, method="original")
    assert request.refund_total == Decimal("26.05") and request.fees_total == Decimal("3.95")
    assert order.payments.get().refunded_amount == Decimal("26.05")
    assert on_hand(shirt, warehouse) == 1


def test_a_manager_approves_a_flagged_online_return_before_it_comes_in(
    policy, deliver, shirt, store, associate, manager
):
    from orders.returns.services import approve_return

    order = deliver([("SHIRT-M", 1)], channel="app", days_ago=40)
    request = start_return(order=order, lines=[LineRequest(line_number=1, quantity=1, reason="other")], channel="app")
    assert request.approval_required
    # when a manager of the store approves it on its own
    approve_return(
        return_request=request,
        store=store,
        approval=ManagerApproval(email=manager.email, pin=MANAGER_PIN, reason="Was travelling"),
        actor=associate,
    )
    # then the desk can receive and refund it without asking again
    receive_return(return_request=request, store=store, actor=associate)
    done = refund_return(return_request=request, store=store, actor=associate, method="original")
    assert done.status == "refunded" and done.approved_by == manager
    # and a second approval is refused: it is closed
    with pytest.raises(ReturnError) as error:
        approve_return(
            return_request=request,
            store=store,
            approval=ManagerApproval(email=manager.email, pin=MANAGER_PIN, reason="again"),
        )
    assert error.value.code == "illegal_transition"


def test_only_the_receiving_store_rejects_a_received_return(
    policy, deliver, shirt, store, associate, other_store, other_associate
):
    from orders.returns.services import reject_return

    order = deliver([("SHIRT-M", 1)], channel="web")
    request = start_return(order=order, lines=[LineRequest(line_number=1, quantity=1, reason="other")], channel="web")
    receive_return(return_request=request, store=store, actor=associate, inspect=False)
    with pytest.raises(ReturnError) as error:
        reject_return(return_request=request, store=other_store, actor=other_associate, reason="Not ours")
    assert error.value.code == "wrong_store"
    rejected = reject_return(return_request=request, store=store, actor=associate, reason="Worn and washed")
    assert rejected.status == "rejected"


def _writes(captured, table: str) -> int:
    return sum(1 for q in captured.captured_queries if q["sql"].startswith(f'UPDATE "{table}"'))


def test_each_step_writes_the_return_and_its_lines_once(policy, deliver, shirt, store, associate):
    # given an app order returned in store, then received and refunded apart
    order = deliver([("SHIRT-M", 2)], channel="app")
    started = start_return(order=order, lines=[LineRequest(line_number=1, quantity=1, reason="other")], channel="app")
    # when the goods are received and inspected (condition, disposition and verdicts on the lines)
    with CaptureQueriesContext(connection) as received:
        receive_return(return_request=started, store=store, actor=associate)
    # then the return's row and its lines are each written once
    assert (_writes(received, "returns_returnrequest"), _writes(received, "returns_returnline")) == (1, 1)
    # and at the counter's one step (start, receive, refund) the same holds for the whole chain
    with CaptureQueriesContext(connection) as desk:
        done = complete_return(
            store=store,
            actor=associate,
            refund_method="store_credit",
            order=order,
            lines=[LineRequest(line_number=1, quantity=1, reason="other")],
        )
    assert done.status == "refunded" and done.lines.get().condition == "new"
    assert (_writes(desk, "returns_returnrequest"), _writes(desk, "returns_returnline")) == (1, 1)
