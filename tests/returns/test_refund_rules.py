"""The refund-method rule and the returnable units have one home each: the service enforces them and
the desk offers exactly what the service will accept (issue 17, part 2)."""

import re

import pytest
from django.urls import reverse

from orders.models import Order
from orders.returns.errors import ReturnError
from orders.returns.policy import NO_PROFILE, NO_RECEIPT, allowed_refund_methods
from orders.returns.services import LineRequest, complete_return, start_return
from orders.returns.services.facts import order_lines_for, returnable_lines

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk_client(client, associate):
    client.force_login(associate)
    return client


@pytest.mark.parametrize(
    ("receiptless", "known_shopper", "allowed"),
    [
        (False, True, ["original", "store_credit", "exchange"]),
        (True, True, ["store_credit", "exchange"]),
        (False, False, ["original"]),
        (True, False, []),
    ],
)
def test_allowed_refund_methods(receiptless, known_shopper, allowed):
    methods = allowed_refund_methods(receiptless=receiptless, known_shopper=known_shopper)
    assert methods.allowed == allowed
    assert set(methods.refused) == {"original", "store_credit", "exchange"} - set(allowed)


def _offered(page: str) -> list[str]:
    return re.findall(r'name="refund_method" value="([a-z_]+)"', page)


def test_a_shopper_without_a_profile_is_offered_and_refunded_only_to_the_original_payment(
    desk_client, policy, deliver, shirt, store, associate
):
    # given a purchase whose shopper left no profile on it (a till sale without a card)
    order = deliver([("SHIRT-M", 1)], channel="store")
    Order.objects.filter(pk=order.pk).update(customer=None)  # set-up only: the till knew no shopper
    order = Order.objects.get(pk=order.pk)
    line = order.lines.get()
    chosen = {f"qty_{line.pk}": "1", f"reason_{line.pk}": "wrong_size", f"condition_{line.pk}": "new"}
    # when the desk shows the verdicts
    page = desk_client.post(reverse("returns_portal:order-preview", args=[order.number]), chosen).content.decode()
    # then it offers the original payment only, and no exchange
    assert _offered(page) == ["original"] and "Exchange details" not in page
    # and the service refuses store credit with the rule's own sentence
    with pytest.raises(ReturnError) as error:
        complete_return(
            store=store,
            actor=associate,
            refund_method="store_credit",
            order=order,
            lines=[LineRequest(line_number=1, quantity=1, reason="wrong_size")],
        )
    assert error.value.code == "invalid_refund_method" and error.value.message == NO_PROFILE


def test_without_a_receipt_the_desk_never_offers_the_original_payment(desk_client, policy, deliver, shirt, shopper):
    deliver([("SHIRT-M", 1)])
    chosen = {"sku_0": "SHIRT-M", "qty_0": "1", "reason_0": "changed_mind", "condition_0": "new"}
    page = desk_client.post(reverse("returns_portal:receiptless-preview", args=[shopper.pk]), chosen)
    assert _offered(page.content.decode()) == ["store_credit", "exchange"]
    assert allowed_refund_methods(receiptless=True, known_shopper=True).refused["original"] == NO_RECEIPT


def test_the_desk_offers_the_units_the_service_accepts(desk_client, policy, deliver, shirt):
    # given two shirts bought, one already on a return
    order = deliver([("SHIRT-M", 2)], channel="web")
    start_return(order=order, lines=[LineRequest(line_number=1, quantity=1, reason="other")], channel="web")
    line = order.lines.get()
    # then one function says one unit is left
    row = returnable_lines(order_lines_for(order))[line.pk]
    assert (row.delivered, row.held, row.left) == (2, 1, 1)
    # and the desk offers 1 of 1
    page = desk_client.get(reverse("returns_portal:order", args=[order.number])).content.decode()
    options = re.search(rf'name="qty_{line.pk}">(.*?)</select>', page).group(1)
    assert re.findall(r'<option value="(\d+)"', options) == ["0", "1"] and "of 1" in page
    # and the service refuses two, with the same count
    with pytest.raises(ReturnError) as error:
        start_return(order=order, lines=[LineRequest(line_number=1, quantity=2, reason="other")], channel="web")
    assert error.value.code == "too_many_units"
    assert "Only 1 of SHIRT-M can come back: 2 bought, 1 already returned or on another return." in str(
        error.value.fields
    )
