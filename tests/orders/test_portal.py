"""The staff portal: queue with constant queries, scanning, counter hand-over, panels, receipts."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from orders.models import Fulfillment
from orders.selectors import curbside_arrivals, queue_counts
from orders.services import mark_ready, record_arrival, scan_pick, send_cart_to_customer, start_picking

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(place_pickup, shirt, jeans):
    return place_pickup([("SHIRT-M", 1), ("JEANS-32", 1)], proxy_name="Paul Proxy")


def test_the_queue_costs_the_same_queries_for_one_order_or_many(
    associate_client, place_pickup, shirt, django_assert_num_queries
):
    place_pickup([("SHIRT-M", 1)])
    associate_client.get("/portal/orders/pickups/")  # warm the session and the store choice
    # session, user, the user's memberships with their stores (MFA rule, store, role, switcher),
    # queue counts, queue rows with their units
    with django_assert_num_queries(5) as one:
        response = associate_client.get("/portal/orders/pickups/?tab=to_pick")
    assert response.status_code == 200
    for _ in range(9):
        place_pickup([("SHIRT-M", 1)])
    with django_assert_num_queries(len(one.captured_queries)):
        response = associate_client.get("/portal/orders/pickups/?tab=to_pick")
    assert response.content.decode().count('class="order-no"') == 10


def test_tabs_and_dashboard_counts(associate_client, place_pickup, shirt, associate, store):
    late = place_pickup([("SHIRT-M", 1)])
    Fulfillment.objects.filter(order=late).update(created_at=timezone.now() - timedelta(hours=5))
    ready = place_pickup([("SHIRT-M", 1)])
    f = ready.fulfillments.get()
    scan_pick(fulfillment=f, code="SHIRT-M", actor=associate, store=store)
    mark_ready(fulfillment=f, actor=associate, store=store)
    overdue = associate_client.get("/portal/orders/pickups/?tab=overdue").content.decode()
    assert late.number in overdue and ready.number not in overdue
    dashboard = associate_client.get("/portal/").content.decode()
    assert "Click-and-collect" in dashboard
    assert 'href="/portal/orders/pickups/?tab=overdue"><span class="stat">1</span>' in dashboard


def test_curbside_arrivals_are_listed_on_top_of_every_tab_longest_wait_first(
    associate_client, place_pickup, shirt, associate, store, django_assert_num_queries
):
    # given three curbside shoppers: one waiting 25 min whose order is being picked, one waiting
    # 5 min whose order is still to pick, one who has not arrived; and an ordinary pick-up
    waiting_long, waiting_short, not_here = (place_pickup([("SHIRT-M", 1)], kind="curbside") for _ in range(3))
    place_pickup([("SHIRT-M", 1)])
    start_picking(fulfillment=waiting_long.fulfillments.get(), actor=associate, store=store)
    record_arrival(fulfillment=waiting_long.fulfillments.get(), note="Blue Golf, bay 2")
    record_arrival(fulfillment=waiting_short.fulfillments.get())
    now = timezone.now()
    Fulfillment.objects.filter(order=waiting_long).update(arrived_at=now - timedelta(minutes=25))
    Fulfillment.objects.filter(order=waiting_short).update(arrived_at=now - timedelta(minutes=5))
    associate_client.get("/portal/orders/pickups/")
    for tab in ("to_pick", "picking", "ready", "overdue", "expired", "to_ship"):
        # when the associate opens any tab (or its 30-second refresh comes)
        for partial in ("", "&partial=1"):
            with django_assert_num_queries(6):  # the 5 of the queue, and the arrivals
                page = associate_client.get(f"/portal/orders/pickups/?tab={tab}{partial}", HTTP_HX_REQUEST="true")
            html = page.content.decode()
            # then both arrivals are listed above the tabs, longest wait first, with the time waited
            arrivals = html[html.index('id="arrivals"') : html.index('class="tabs"')]
            assert "2 shoppers waiting at the curb" in arrivals
            assert arrivals.index(waiting_long.number) < arrivals.index(waiting_short.number)
            assert not_here.number not in arrivals
            assert re.search(r'class="waiting">25 min<', arrivals) and re.search(r'class="waiting">5 min<', arrivals)
            assert "Blue Golf, bay 2" in arrivals and "Continue" in arrivals and "Pick" in arrivals
    # and the count the banner and the dashboard say is the number of rows listed
    assert queue_counts(store=store)["arrived"] == len(curbside_arrivals(store=store)) == 2
    dashboard = associate_client.get("/portal/").content.decode()
    assert 'href="/portal/orders/pickups/#arrivals">2 waiting at the curb</a>' in dashboard


def test_the_queue_lists_no_arrivals_when_nobody_waits(associate_client, place_pickup, shirt):
    place_pickup([("SHIRT-M", 1)], kind="curbside")
    html = associate_client.get("/portal/orders/pickups/").content.decode()
    assert 'id="arrivals"' not in html and "waiting at the curb" not in html


def test_scanning_the_pick_list_refuses_a_wrong_item_inline(associate_client, order):
    f = order.fulfillments.get()
    url = f"/portal/orders/pickups/{f.pk}/scan/"
    wrong = associate_client.post(url, {"code": "5999999999999"}, HTTP_HX_REQUEST="true")
    assert wrong.status_code == 200 and "is not on this order" in wrong.content.decode()
    right = associate_client.post(url, {"code": "5000000000017"}, HTTP_HX_REQUEST="true")
    assert "SHIRT-M: 1 of 1 picked" in right.content.decode()
    assert f.lines.get(sku="SHIRT-M").picked_quantity == 1


def test_counter_finds_by_code_qr_or_number_and_hands_over_to_the_proxy(associate_client, order, associate, store):
    f = order.fulfillments.get()
    for code in ("SHIRT-M", "JEANS-32"):
        scan_pick(fulfillment=f, code=code, actor=associate, store=store)
    f = mark_ready(fulfillment=f, actor=associate, store=store)
    for query in (f.pickup_code, f"OMNI-PICKUP:{f.qr_token}", order.number.lower()):
        page = associate_client.post("/portal/orders/counter/", {"q": query}, HTTP_HX_REQUEST="true").content.decode()
        assert order.number in page and "Paul Proxy" in page
    nothing = associate_client.post("/portal/orders/counter/", {"q": "000000"}, HTTP_HX_REQUEST="true")
    assert "No pick-up here matches" in nothing.content.decode()
    claimed = associate_client.post(
        f"/portal/orders/counter/{f.pk}/hand-over/", {"verification": "code", "collected_by": "Paul Proxy"}
    )
    assert claimed.status_code == 302 and "receipt" not in claimed["Location"]  # a claim without the code
    done = associate_client.post(
        f"/portal/orders/counter/{f.pk}/hand-over/",
        {"verification": "code", "proof": f.pickup_code, "collected_by": "Paul Proxy"},
    )
    assert done.status_code == 302 and done["Location"].endswith(f"/orders/{order.number}/receipt/")
    receipt = associate_client.get(done["Location"]).content.decode()
    assert "Collected by Paul Proxy" in receipt


def test_another_stores_associate_cannot_open_the_pick_list(client, order, other_store):
    from tests.factories import MembershipFactory

    stranger = MembershipFactory(store=other_store).user
    client.force_login(stranger)
    f = order.fulfillments.get()
    assert client.get(f"/portal/orders/pickups/{f.pk}/").status_code == 404
    assert client.get(f"/portal/orders/{order.number}/").status_code == 404


def test_clienteling_panels(associate_client, order, shopper, associate, store, shirt):
    send_cart_to_customer(customer=shopper, lines=[("SHIRT-M", 2)], associate=associate, store=store)
    orders = associate_client.get(f"/portal/orders/customer/{shopper.pk}/orders/").content.decode()
    assert order.number in orders
    pickups = associate_client.get(f"/portal/orders/customer/{shopper.pk}/pickups/").content.decode()
    assert order.number in pickups
    cart = associate_client.get(f"/portal/orders/customer/{shopper.pk}/cart/").content.decode()
    assert "2 \u00d7 " in cart and "SHIRT-M" in cart
    sent = associate_client.post(
        f"/portal/orders/customer/{shopper.pk}/cart/", {"sku": "JEANS-32", "quantity": "1"}, HTTP_HX_REQUEST="true"
    )
    assert "is now in" in sent.content.decode() and "JEANS-32" in sent.content.decode()
    bad = associate_client.post(
        f"/portal/orders/customer/{shopper.pk}/cart/", {"sku": "NOPE", "quantity": "1"}, HTTP_HX_REQUEST="true"
    )
    assert "Unknown SKU" in bad.content.decode()


def test_order_search_and_detail_without_the_code(associate_client, order, associate, store):
    f = order.fulfillments.get()
    for code in ("SHIRT-M", "JEANS-32"):
        scan_pick(fulfillment=f, code=code, actor=associate, store=store)
    mark_ready(fulfillment=f, actor=associate, store=store)
    found = associate_client.get("/portal/orders/?q=jane@example.com").content.decode()
    assert order.number in found
    detail = associate_client.get(f"/portal/orders/{order.number}/").content.decode()
    # the pick-up code and QR are the shopper's proof (issue 13.8): not on the staff's order page
    f.refresh_from_db()
    assert f.pickup_code not in detail and '<svg class="qr"' not in detail and "style=" not in detail
    # only our own script files: no inline script for the CSP to refuse
    assert all(re.search(r'src="/static/', tag) for tag in re.findall(r"<script[^>]*>", detail))
