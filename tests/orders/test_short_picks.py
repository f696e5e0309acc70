"""Short picks through the portal's pick sheet, in every shape: cancel or send from the nearest store.

A line wholly missing moves to the other store's pick-up (it cannot keep 0 units); a line partly
missing splits; when nothing is left to pick here this pick-up closes, and the shopper is told the
order was cancelled only if it really was.
"""

from decimal import Decimal

import pytest
from django.urls import reverse

from inventory import services as inventory
from inventory.models import StockLevel
from orders.models import Fulfillment, Order, OrderLine
from retail.models import OutboxMessage
from tests.factories import StoreFactory

pytestmark = pytest.mark.django_db
S = Fulfillment.Status


@pytest.fixture
def nearby(shirt, jeans):
    store = StoreFactory(code="LON-02", name="Canary Wharf", latitude="51.5045", longitude="-0.0195")
    inventory.receive_stock(location=store, lines=[(shirt, 5), (jeans, 5)], reference="PO-NEAR")
    return store


def short(client, f: Fulfillment, sku: str, missing: int, resolution: str = "reroute"):
    line = OrderLine.objects.get(fulfillment=f, sku=sku)
    url = reverse("orders_portal:pick-action", args=[f.pk, "short"])
    return client.post(url, {"line": line.pk, "missing": missing, "resolution": resolution}, follow=True)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def told_cancelled(order) -> bool:
    """A "your order was cancelled" message is queued to the shopper (the outbox sends it after commit)."""
    return OutboxMessage.objects.filter(
        topic="orders.notify", payload__order_id=order.pk, payload__kind="cancelled"
    ).exists()


def lines_at(order, location) -> list[tuple[str, int, str]]:
    return sorted(
        (li.sku, li.quantity - li.cancelled_quantity, str(li.total))
        for li in OrderLine.objects.filter(order=order, fulfillment__location=location)
    )


def test_one_of_one_missing_moves_the_whole_pickup_to_the_nearest_store(
    associate_client, place_pickup, shirt, store, nearby
):
    # given a pick-up of one shirt that cannot be found
    order = place_pickup([("SHIRT-M", 1)])
    here = order.fulfillments.get()
    # when the associate sends it from the nearest store
    response = short(associate_client, here, "SHIRT-M", 1)
    # then the portal answers with the pick sheet (no 500) and says what happened
    assert response.status_code == 200
    assert "Short pick of SHIRT-M recorded." in messages_of(response)
    # and the line now belongs to a placed pick-up at the nearby store, its stock reserved there
    moved = Fulfillment.objects.get(order=order, location=nearby)
    assert moved.status == S.PLACED
    assert lines_at(order, nearby) == [("SHIRT-M", 1, "30.00")]
    assert StockLevel.objects.get(variant=shirt, location=nearby).reserved == 1
    # and this store's pick-up is closed with its reservation released, the order still open
    here.refresh_from_db()
    assert here.status == S.CANCELLED
    assert StockLevel.objects.get(variant=shirt, location=store).reserved == 0
    order.refresh_from_db()
    assert order.status not in (Order.Status.CANCELLED, Order.Status.COMPLETED)
    assert order.total == Decimal("30.00")
    # and the shopper is not told the order was cancelled
    assert not told_cancelled(order)


def test_one_of_two_missing_splits_the_line(associate_client, place_pickup, shirt, store, nearby):
    order = place_pickup([("SHIRT-M", 2)])
    here = order.fulfillments.get()
    response = short(associate_client, here, "SHIRT-M", 1)
    assert response.status_code == 200 and "Short pick of SHIRT-M recorded." in messages_of(response)
    # one shirt stays to pick here, one comes from the nearby store; the paid share moves with it
    assert lines_at(order, store) == [("SHIRT-M", 1, "30.00")]
    assert lines_at(order, nearby) == [("SHIRT-M", 1, "30.00")]
    here.refresh_from_db()
    assert here.status in (S.PLACED, S.PICKING)
    assert StockLevel.objects.get(variant=shirt, location=nearby).reserved == 1


def test_one_of_two_lines_wholly_missing_moves_that_line_only(
    associate_client, place_pickup, shirt, jeans, store, nearby
):
    order = place_pickup([("SHIRT-M", 1), ("JEANS-32", 1)])
    here = order.fulfillments.get()
    response = short(associate_client, here, "JEANS-32", 1)
    assert response.status_code == 200 and "Short pick of JEANS-32 recorded." in messages_of(response)
    assert lines_at(order, store) == [("SHIRT-M", 1, "30.00")]
    assert lines_at(order, nearby) == [("JEANS-32", 1, "59.99")]
    here.refresh_from_db()
    assert here.status in (S.PLACED, S.PICKING)
    # and the rest of the pick-up can still be picked and made ready here
    associate_client.post(reverse("orders_portal:pick-scan", args=[here.pk]), {"code": "SHIRT-M"})
    ready = associate_client.post(reverse("orders_portal:pick-action", args=[here.pk, "ready"]), follow=True)
    assert ready.status_code == 200
    here.refresh_from_db()
    assert here.status == S.READY


def test_every_line_missing_moves_them_all_and_the_order_goes_on_elsewhere(
    associate_client, place_pickup, shirt, jeans, store, nearby
):
    order = place_pickup([("SHIRT-M", 2), ("JEANS-32", 1)])
    here = order.fulfillments.get()
    short(associate_client, here, "SHIRT-M", 2)
    response = short(associate_client, here, "JEANS-32", 1)
    assert response.status_code == 200 and "Short pick of JEANS-32 recorded." in messages_of(response)
    # both lines are wanted from the nearby store (one pick-up per re-route), none here
    assert lines_at(order, store) == []
    assert lines_at(order, nearby) == [("JEANS-32", 1, "59.99"), ("SHIRT-M", 2, "60.00")]
    assert set(Fulfillment.objects.filter(order=order, location=nearby).values_list("status", flat=True)) == {S.PLACED}
    here.refresh_from_db()
    assert here.status == S.CANCELLED
    assert StockLevel.objects.get(variant=shirt, location=store).reserved == 0
    order.refresh_from_db()
    assert order.status not in (Order.Status.CANCELLED, Order.Status.COMPLETED)
    assert not told_cancelled(order)


def test_every_line_cancelled_cancels_the_order_and_tells_the_shopper(associate_client, place_pickup, shirt, store):
    order = place_pickup([("SHIRT-M", 1)])
    here = order.fulfillments.get()
    response = short(associate_client, here, "SHIRT-M", 1, resolution="cancel")
    assert response.status_code == 200 and "Short pick of SHIRT-M recorded." in messages_of(response)
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert told_cancelled(order)


def test_no_other_store_has_it_says_so_on_the_page(associate_client, place_pickup, shirt, store):
    order = place_pickup([("SHIRT-M", 1)])
    here = order.fulfillments.get()
    response = short(associate_client, here, "SHIRT-M", 1)
    assert response.status_code == 200
    assert "No other store has 1 x SHIRT-M; cancel the units instead." in messages_of(response)
    here.refresh_from_db()
    assert here.status == S.PLACED and lines_at(order, store) == [("SHIRT-M", 1, "30.00")]
