"""The orders portal pages in the pseudo-locale (issue 19.1, done when; see tests/retail/test_pseudo_locale.py):
the sell page (a basket with stock here and nearby, search results, refusals) and the counter hand-over
(a pick-up found by code, by order number with a proxy, collected, not ready), with no English left but data."""

import pytest

from orders.services import mark_ready, scan_pick
from tests.orders.test_assisted_portal import add, stock, urls  # noqa: F401 - a fixture
from tests.retail.test_pseudo_locale import assert_all_translated, database_data, pseudo_locale  # noqa: F401

pytestmark = pytest.mark.django_db
HTMX = {"hx-request": "true"}


def test_sell_page(associate_client, shopper, stock, pseudo_locale):  # noqa: F811
    # given a basket with an item here and one only nearby
    dress, bag = stock
    add(associate_client, shopper, bag.sku)
    data = database_data() | {"km"}

    # then the page, a scan (htmx), a search with matches and the refusals read in the reader's words
    assert_all_translated(associate_client.get(urls(shopper)["assisted"]), data)
    assert_all_translated(add(associate_client, shopper, dress.barcode, HTTP_HX_REQUEST="true"), data)
    assert_all_translated(add(associate_client, shopper, "linen", HTTP_HX_REQUEST="true"), data | {"linen"})
    assert_all_translated(add(associate_client, shopper, "nothing-like-it", HTTP_HX_REQUEST="true"), data)
    assert_all_translated(add(associate_client, shopper, "GONE-1", HTTP_HX_REQUEST="true"), data)


def test_counter(associate_client, associate, store, place_pickup, shirt, pseudo_locale):  # noqa: F811
    from django.urls import reverse

    counter = reverse("orders_portal:counter")
    order = place_pickup([("SHIRT-M", 1)], proxy_name="Harriet Smith")
    f = order.fulfillments.get()
    data = database_data() | {"Harriet Smith", order.number, order.contact_name or "", "Visa"}  # the card brand

    # not ready yet, then ready (by code and by order number), then collected
    assert_all_translated(associate_client.post(counter, {"q": order.number}, headers=HTMX), data)
    scan_pick(fulfillment=f, code="SHIRT-M", actor=associate, store=store)
    f = mark_ready(fulfillment=f, actor=associate, store=store)
    assert_all_translated(associate_client.get(counter), data)
    assert_all_translated(associate_client.post(counter, {"q": f.pickup_code}, headers=HTMX), data)
    assert_all_translated(associate_client.post(counter, {"q": order.number}, headers=HTMX), data)
    assert_all_translated(associate_client.post(counter, {"q": "999999"}, headers=HTMX), data)
    hand_over = reverse("orders_portal:hand-over", args=[f.pk])
    associate_client.post(hand_over, {"verification": "code", "proof": f.pickup_code, "collected_by": "shopper"})
    assert_all_translated(associate_client.post(counter, {"q": order.number}, headers=HTMX), data)
