"""Orders for people: owner-only detail, cancel, curbside arrival, my orders with constant queries."""

import pytest

from customers.services.linking import link_user_to_customer
from orders.models import Order
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(place_pickup, shirt):
    return place_pickup([("SHIRT-M", 1)])


def test_the_owner_sees_the_order_and_others_get_the_same_404_as_a_wrong_number(api_client, order, shopper_user):
    # given another signed-in shopper
    mallory = UserFactory(email="mallory@example.com")
    link_user_to_customer(user=mallory)
    api_client.force_authenticate(mallory)
    # when she asks for Jane's order and for an order that does not exist
    theirs = api_client.get(f"/api/v1/orders/{order.number}/")
    missing = api_client.get("/api/v1/orders/OM-0000-0000/")
    # then both answers are the same 404: no hint that Jane's order exists
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()
    assert api_client.get(f"/api/v1/orders/{order.number}/qr.svg").status_code == 404
    # and Jane sees hers, with its pick-up status
    api_client.force_authenticate(shopper_user)
    mine = api_client.get(f"/api/v1/orders/{order.number.lower().replace('-', '')}/")
    assert mine.status_code == 200
    assert mine.json()["fulfillments"][0]["status"] == "placed"


def test_anonymous_callers_cannot_read_orders(api_client, order):
    assert api_client.get(f"/api/v1/orders/{order.number}/").status_code in (401, 403)
    assert api_client.get("/api/v1/me/orders/").status_code in (401, 403)


def test_the_code_and_qr_are_shown_to_the_owner_once_ready(api_client, order, shopper_user, associate, store):
    from orders.services import mark_ready, scan_pick

    f = order.fulfillments.get()
    scan_pick(fulfillment=f, code="SHIRT-M", actor=associate, store=store)
    mark_ready(fulfillment=f, actor=associate, store=store)
    api_client.force_authenticate(shopper_user)
    data = api_client.get(f"/api/v1/orders/{order.number}/").json()["fulfillments"][0]
    f.refresh_from_db()
    assert data["status"] == "ready" and data["pickup_code"] == f.pickup_code
    assert data["qr_payload"] == f"OMNI-PICKUP:{f.qr_token}"
    svg = api_client.get(f"/api/v1/orders/{order.number}/qr.svg")
    assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml"
    assert svg.content.startswith(b'<svg class="qr"')


def test_cancel_through_the_api_until_picked(api_client, order, shopper_user, associate, store):
    api_client.force_authenticate(shopper_user)
    response = api_client.post(f"/api/v1/orders/{order.number}/cancel/", {"reason": "too late"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    again = api_client.post(f"/api/v1/orders/{order.number}/cancel/", {}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "order_not_cancellable"


def test_curbside_im_here(api_client, place_pickup, shirt, shopper_user):
    order = place_pickup([("SHIRT-M", 1)], kind="curbside")
    api_client.force_authenticate(shopper_user)
    response = api_client.post(f"/api/v1/orders/{order.number}/arrived/", {"note": "red car, bay 2"}, format="json")
    assert response.status_code == 200
    assert response.json()["fulfillments"][0]["arrived_at"] is not None


def test_my_orders_costs_the_same_queries_for_one_order_or_many(
    api_client, place_pickup, shirt, shopper_user, django_assert_num_queries
):
    api_client.force_authenticate(shopper_user)
    place_pickup([("SHIRT-M", 1)])
    # the customer, the page of orders, then one prefetch each for lines, fulfilments and payments
    with django_assert_num_queries(5) as one:
        assert len(api_client.get("/api/v1/me/orders/").json()["results"]) == 1
    for _ in range(8):
        place_pickup([("SHIRT-M", 1)])
    with django_assert_num_queries(len(one.captured_queries)):
        data = api_client.get("/api/v1/me/orders/").json()
    assert len(data["results"]) == 9
    numbers = [r["number"] for r in data["results"]]
    assert numbers == list(Order.objects.order_by("-placed_at", "-pk").values_list("number", flat=True))
