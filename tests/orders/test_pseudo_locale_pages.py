"""The orders portal pages in the pseudo-locale (issue 19.1, done when; see tests/retail/test_pseudo_locale.py):
the sell page (a basket with stock here and nearby, search results, refusals), the counter hand-over
(a pick-up found by code, by order number with a proxy, collected, not ready), the order search, every
order's page in every state with its history, the pick lists (to pick, picking, short, to ship), the
receipt with its tax lines (prices with and without tax), the shopper's pay-by-link page (to pay,
declined, paid, expired) and the saved-cart link, with no English left but data."""

import pytest
from django.test import Client

from orders.services import mark_ready, scan_pick
from tests.orders.test_assisted_portal import add, stock, urls  # noqa: F401 - a fixture
from tests.orders.test_checkout_tax import taxed_poland  # noqa: F401 - a fixture
from tests.retail.test_pseudo_locale import assert_all_translated, database_data, pseudo_locale, untranslated  # noqa: F401

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


# --- order search, detail, receipt, pick list, pay link, saved-cart link --------------------------

ADDRESS = {"line1": "1 Deansgate", "city": "Manchester", "postcode": "M3 1AA"}


def order_data(*orders) -> set[str]:
    """The database's names and the orders' own data (numbers, receipt numbers, contact, card brand)."""
    from orders.models import Carrier, Payment

    data = database_data() | {"Harriet Smith", "Blue Fiat", "Visa", "Jane Shopper", "Jane", "zł"}  # zł: money
    data |= set(Carrier.objects.values_list("name", flat=True))
    data |= {brand.capitalize() for brand in Payment.objects.values_list("brand", flat=True) if brand}
    for order in orders:
        data |= {order.number, order.receipt_number or "", order.contact_name or "", order.offer_code or ""}
    return {value for value in data if value}


def test_order_pages_in_every_state(associate_client, associate, store, place_pickup, shirt, jeans, pseudo_locale):  # noqa: F811
    from django.urls import reverse

    from orders.models import Carrier, Fulfillment
    from orders.services import GroupRequest, TenderRequest, place_order, record_arrival

    # given an order to pick (with a proxy), one picked with a short line, one ready, one collected,
    # one cancelled with a reason, a curbside order with the shopper outside, and one shipped by a carrier
    to_pick = place_pickup([("SHIRT-M", 1)], proxy_name="Harriet Smith")
    picking = place_pickup([("SHIRT-M", 2), ("JEANS-32", 1)])
    collected = place_pickup([("SHIRT-M", 1)])
    cancelled = place_pickup([("JEANS-32", 1)])
    curbside = place_pickup([("SHIRT-M", 1)], kind="curbside")
    record_arrival(fulfillment=curbside.fulfillments.get(), note="Blue Fiat")
    store.ships_orders = True
    store.save(update_fields=["ships_orders"])
    Carrier.objects.create(code="royal-mail", name="Royal Mail", tracking_url="https://track.example/{number}")
    shipped = place_order(
        channel="web", customer=to_pick.customer, tenders=[TenderRequest(method="card", token="tok_visa_4242")],
        groups=[GroupRequest(kind="ship", lines=[("SHIRT-M", 1)], shipping_address=ADDRESS)],
    )  # fmt: skip
    pick = {o.number: o.fulfillments.get().pk for o in (to_pick, picking, collected, cancelled, curbside, shipped)}

    def act(order, action, **data):
        return associate_client.post(reverse("orders_portal:pick-action", args=[pick[order.number], action]), data)

    def scan(order, code):
        return associate_client.post(reverse("orders_portal:pick-scan", args=[pick[order.number]]), {"code": code},
                                     headers=HTMX)  # fmt: skip

    # then the pick lists: to pick, picking (a scan, a wrong scan, a short line), ready to ship with carriers
    data = order_data(to_pick, picking, collected, cancelled, curbside, shipped) | {"M3 1AA", "Deansgate", "Manchester"}
    pick_list = reverse("orders_portal:pick", args=[pick[to_pick.number]])
    assert_all_translated(associate_client.get(pick_list), data)
    act(picking, "start")
    assert_all_translated(associate_client.get(reverse("orders_portal:pick", args=[pick[picking.number]])), data)
    assert_all_translated(scan(picking, "SHIRT-M"), data)
    assert_all_translated(scan(picking, "NOT-HERE"), data | {"NOT-HERE"})
    line = picking.lines.get(sku="JEANS-32")
    act(picking, "short", line=line.pk, missing=1, resolution="cancel")
    assert_all_translated(associate_client.get(reverse("orders_portal:pick", args=[pick[picking.number]])), data)
    scan(shipped, "SHIRT-M")
    assert_all_translated(associate_client.get(reverse("orders_portal:pick", args=[pick[shipped.number]])), data)
    act(shipped, "ship", tracking="JD000123GB", carrier=Carrier.objects.get().pk)
    scan(picking, "SHIRT-M")
    act(picking, "ready")
    scan(collected, "SHIRT-M")
    act(collected, "ready")
    f = Fulfillment.objects.get(pk=pick[collected.number])
    associate_client.post(reverse("orders_portal:hand-over", args=[f.pk]),
                          {"verification": "code", "proof": f.pickup_code, "collected_by": "shopper"})  # fmt: skip
    associate_client.post(reverse("orders_portal:cancel", args=[cancelled.number]), {"reason": "Shopper called"})

    # and every order's page (with the flash message of what was just done), the receipt and the search
    data |= {"JD000123GB", "Shopper called"}
    for order in (to_pick, picking, collected, cancelled, curbside, shipped):
        assert_all_translated(associate_client.get(reverse("orders_portal:detail", args=[order.number])), data)
    assert_all_translated(associate_client.get(reverse("orders_portal:receipt", args=[collected.number])), data)
    search = reverse("orders_portal:search")
    assert_all_translated(associate_client.get(search), data)
    assert_all_translated(associate_client.get(search, {"q": "jane@example.com"}), data)
    assert_all_translated(associate_client.get(search, {"q": "nobody-like-that"}), data | {"nobody-like-that"})


def test_the_order_history_reads_each_note_in_the_readers_words(pseudo_locale):  # noqa: F811
    from orders.portal.history import history_note

    for note in ("Pick-up in store at LON-01", "curbside at LON-01", "started by the first scan",
                 "nothing left to pick", "not collected in time", "reminder sent", "shopper arrived",
                 "shopper arrived: Blue Fiat",
                 "cancelled by the store: Shopper called", "re-routed from MAN-01", "2 x SHIRT-M re-routed",
                 "1 x SHIRT-M not found: cancelled, €30.00 not charged", "to Jane Shopper (qr)", "to  (code)",
                 "till Till 1"):  # fmt: skip
        assert history_note(note).startswith("⟦"), note
    assert history_note("typed by a person") == "typed by a person"


def test_receipt_with_tax_lines(
    taxed_poland,  # noqa: F811
    associate_client,
    associate,
    store,
    place_pickup,
    shirt,
    jeans,
    pseudo_locale,  # noqa: F811
):
    from django.urls import reverse

    from orders.models import Fulfillment
    from orders.services import hand_over_pickup, mark_ready, scan_pick
    from retail.markets import save_market

    # given a collected order in a market whose prices exclude tax, and one whose prices include it
    for include in (True, False):
        taxed_poland.prices_include_tax = include
        save_market(market=taxed_poland, actor=None)
        order = place_pickup([("SHIRT-M", 2), ("JEANS-32", 1)])
        f = Fulfillment.objects.get(order=order)
        for sku in ("SHIRT-M", "SHIRT-M", "JEANS-32"):
            scan_pick(fulfillment=f, code=sku, actor=associate, store=store)
        f = mark_ready(fulfillment=f, actor=associate, store=store)
        hand_over_pickup(
            fulfillment=f, actor=associate, store=store, verification="code", proof=f.pickup_code, collected_by_name=""
        )

        # then the receipt (lines, subtotal, tax per rate, payments, who collected) and the order's page
        page = associate_client.get(reverse("orders_portal:receipt", args=[order.number]))
        assert "tax-summary" in page.content.decode()
        assert_all_translated(page, order_data(order))
        assert_all_translated(
            associate_client.get(reverse("orders_portal:detail", args=[order.number])), order_data(order)
        )


def test_pay_link_page(client, associate, store, other_store, shopper, stock, pseudo_locale):  # noqa: F811
    from django.urls import reverse
    from django.utils import timezone

    from orders.models import PaymentRequest
    from orders.services.assisted import AssistedBasket, place_assisted_order

    # given an order shipped home, to pay by link
    basket = AssistedBasket(lines=[("DRESS-S", 1)], deliver="ship", shipping_address=ADDRESS)
    order, _new = place_assisted_order(customer=shopper, store=store, actor=associate, basket=basket, payment="link",
                                 placement_key="a" * 32)  # fmt: skip
    pr = PaymentRequest.objects.get(order=order)
    url = reverse("pay-link", args=[pr.token])
    data = order_data(order) | {"tok_visa_4242", "tok_decline"}
    staff = Client()
    staff.force_login(associate)
    assert_all_translated(staff.get(reverse("orders_portal:detail", args=[order.number])), data)  # the link's not paid

    # then the page to pay, a declined card, the page paid, and a link expired
    assert_all_translated(client.get(url), data)
    declined = client.post(url, {"card": "tok_decline"})
    assert declined.status_code != 200 and not untranslated(declined.content.decode(), data)
    assert_all_translated(client.post(url, {"card": "tok_visa_4242"}), data)
    PaymentRequest.objects.filter(pk=pr.pk).update(status="pending", expires_at=timezone.now())
    assert_all_translated(client.get(url), data)
    # and the staff member's pages of an order reserved here, to pay at the till: its page, its pick list
    here = AssistedBasket(lines=[("BAG-1", 1)], deliver="reserve")
    other, _new = place_assisted_order(customer=shopper, store=store, actor=associate, basket=here, payment="till",
                                       placement_key="b" * 32)  # fmt: skip
    assert_all_translated(staff.get(reverse("orders_portal:detail", args=[other.number])), data | order_data(other))
    f = other.fulfillments.get()
    assert_all_translated(staff.get(reverse("orders_portal:pick", args=[f.pk])), data | order_data(other))


def test_saved_cart_link_page(client, associate, store, shopper, shopper_user, stock, pseudo_locale):  # noqa: F811
    from django.urls import reverse

    from orders.services.saved_carts import save_cart_for_customer, saved_cart_token

    # given a cart sent to the shopper
    sent = save_cart_for_customer(customer=shopper, store=store, actor=associate, lines=[("DRESS-S", 1), ("BAG-1", 2)],
                                  note="Your size", send=True)  # fmt: skip
    url = reverse("saved-cart-link", args=[saved_cart_token(sent)])
    data = order_data()

    # then the page as anyone, a link that opens nothing, and the shopper's page before and after adding it
    assert_all_translated(client.get(url), data)
    nothing = client.get(reverse("saved-cart-link", args=["nope"]))
    assert nothing.status_code == 404 and not untranslated(nothing.content.decode(), data)
    client.force_login(shopper_user)
    assert_all_translated(client.get(url), data)
    assert_all_translated(client.post(url), data)
