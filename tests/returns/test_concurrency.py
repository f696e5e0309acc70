"""Real concurrency on PostgreSQL: threads with their own connections submit the same refund at once."""

from decimal import Decimal

import pytest
from django.db.models import Sum

from customers.models import StoreCreditAccount
from orders.returns.errors import ReturnError
from orders.returns.models import ReturnRequest
from orders.returns.services import LineRequest, complete_return, receive_return, refund_return, start_return
from tests.helpers import race as shared_race

pytestmark = [pytest.mark.django_db(transaction=True)]


def race(target, count):
    return shared_race(target, count, expected=ReturnError)


def test_the_same_return_submitted_eight_times_at_once_is_refunded_once(
    policy, deliver, shirt, shopper, store, associate
):
    # given an inspected return of one 30.00 shirt
    order = deliver([("SHIRT-M", 1)])
    request = start_return(
        order=order, lines=[LineRequest(sku="SHIRT-M", quantity=1, reason="wrong_size")], channel="web"
    )
    receive_return(return_request=request, store=store, actor=associate)
    methods = ["original", "store_credit"] * 4

    # when eight desks press "refund" at the same moment, half to the card, half to store credit
    def submit(index):
        return refund_return(return_request=request, store=store, actor=associate, method=methods[index]).refund_total

    results, errors = race(submit, 8)
    # then exactly one refund of 30.00 and seven clean "already refunded" answers
    assert errors == []
    assert sorted(results, key=str) == [Decimal("30.00")] + ["already_refunded"] * 7
    card = order.payments.get()
    credit = StoreCreditAccount.objects.filter(customer=shopper).first()
    given_back = card.refunded_amount + (credit.balance if credit else Decimal("0.00"))
    assert given_back == Decimal("30.00")


def test_desks_racing_to_return_the_same_units_never_refund_more_than_was_paid(
    policy, deliver, shirt, shopper, store, associate
):
    # given 3 shirts bought (90.00)
    order = deliver([("SHIRT-M", 3)])

    # when six desks each try to return one shirt at the same moment
    def desk(index):
        return complete_return(
            store=store,
            actor=associate,
            refund_method="original" if index % 2 else "store_credit",
            order=order,
            lines=[LineRequest(sku="SHIRT-M", quantity=1, reason="wrong_size")],
        ).refund_total

    results, errors = race(desk, 6)
    # then three succeed, three are told nothing is left, and exactly 90.00 went back
    assert errors == []
    assert sorted(r for r in results if isinstance(r, str)) == ["too_many_units"] * 3
    assert sum(r for r in results if isinstance(r, Decimal)) == Decimal("90.00")
    done = ReturnRequest.objects.filter(order=order, status="refunded")
    assert done.count() == 3
    card = order.payments.get()
    credited = done.aggregate(s=Sum("refunded_to_credit"))["s"]
    assert card.refunded_amount + credited == order.total == Decimal("90.00")


def _desks(associate, count: int):
    """`count` browsers of the same associate at the desk, each signed in with its store chosen."""
    from django.test import Client

    clients = [Client() for _ in range(count)]
    for client in clients:
        client.force_login(associate)
        client.get("/portal/returns/")
    return clients


def test_a_desk_form_sent_twice_at_once_lands_both_on_the_receipt(policy, deliver, shirt, shopper, store, associate):
    from django.urls import reverse

    # given the desk form of an order of two shirts, open in one browser (one submission key)
    order = deliver([("SHIRT-M", 2)])
    line = order.lines.get(line_number=1)
    url = reverse("returns_portal:order", args=[order.number])
    clients = _desks(associate, 2)
    page = clients[0].get(url).content.decode()
    key = page.split('name="submission_key" value="')[1].split('"')[0]
    data = {f"qty_{line.pk}": "1", f"reason_{line.pk}": "wrong_size", f"condition_{line.pk}": "new",
            "refund_method": "store_credit", "submission_key": key}  # fmt: skip

    # when a double click sends it twice at the same moment
    results, errors = race(lambda i: clients[i].post(url, data), 2)
    # then one shirt came back, and both answers are its receipt (no error page)
    assert errors == []
    done = ReturnRequest.objects.get()
    receipt = reverse("returns_portal:receipt", args=[done.rma_number])
    assert [(r.status_code, r.url) for r in results] == [(302, receipt)] * 2
    assert done.lines.get().quantity == 1


def test_a_scanned_return_completed_twice_at_once_lands_both_on_the_receipt(
    policy, deliver, shirt, shopper, store, associate
):
    from django.urls import reverse

    # given a return started in the app, scanned at the desk
    order = deliver([("SHIRT-M", 1)], channel="app")
    request = start_return(order=order, lines=[LineRequest(line_number=1, quantity=1, reason="defective")],
                           channel="app")  # fmt: skip
    line = request.lines.get()
    url = reverse("returns_portal:detail", args=[request.rma_number])
    clients = _desks(associate, 2)
    data = {f"condition_{line.pk}": "damaged", f"disposition_{line.pk}": "damaged", "refund_method": "original"}

    # when "Complete return" is pressed twice at the same moment
    results, errors = race(lambda i: clients[i].post(url, data), 2)
    # then it is refunded once, and both answers are the receipt
    assert errors == []
    receipt = reverse("returns_portal:receipt", args=[request.rma_number])
    assert [(r.status_code, r.url) for r in results] == [(302, receipt)] * 2
    assert order.payments.get().refunded_amount == Decimal("30.00")
