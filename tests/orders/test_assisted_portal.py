"""The assisted-order screen: scan or search into a basket, stock here and nearby, place it."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from inventory import services as inventory
from orders.models import Order, PaymentRequest
from retail.models import AuditEvent
from tests.inventory.factories import VariantFactory

HOME = {"line1": "1 High Street", "city": "London", "postcode": "N1 1AA"}


@pytest.fixture
def stock(store, other_store):
    """DRESS-S: none here, 2 in Manchester (ships); BAG-1: 3 here; GONE-1: nowhere."""
    other_store.ships_orders = True
    other_store.save(update_fields=["ships_orders"])
    dress = VariantFactory(sku="DRESS-S", product__name="Linen dress", product__base_price="80.00")
    bag = VariantFactory(sku="BAG-1", product__name="Canvas bag", product__base_price="25.00")
    VariantFactory(sku="GONE-1", product__name="Sold-out scarf")
    belt = VariantFactory(sku="BELT-1", product__name="Leather belt", product__base_price="30.00")
    inventory.receive_stock(location=other_store, lines=[(dress, 2)], reference="PO-1")
    inventory.receive_stock(location=store, lines=[(bag, 3), (belt, 1)], reference="PO-2")
    return dress, bag


def urls(customer):
    return {name: reverse(f"orders_portal:{name}", args=[customer.pk])
            for name in ("assisted", "assisted-add", "assisted-set", "assisted-place")}  # fmt: skip


def add(client, customer, code, **headers):
    return client.post(urls(customer)["assisted-add"], {"code": code}, **headers)


def form_key(client, customer) -> str:
    page = client.get(urls(customer)["assisted"]).content.decode()
    return re.search(r'name="key" value="([0-9a-f]+)"', page).group(1)


def place(client, customer, **data):
    body = {"deliver": "ship", "channel": "store", "payment": "till", **HOME, "key": form_key(client, customer), **data}
    return client.post(urls(customer)["assisted-place"], body)


def test_scanning_adds_to_the_basket_with_stock_here_and_nearby(associate_client, shopper, stock):
    # when the associate scans the dress's barcode (htmx)
    response = add(associate_client, shopper, stock[0].barcode, HTTP_HX_REQUEST="true")
    # then the basket shows it: none here, 2 in Manchester
    html = response.content.decode()
    assert response.status_code == 200
    assert "Linen dress" in html and "none here" in html and "Manchester" in html
    assert "in stock at Manchester" in html


@pytest.mark.parametrize(
    ("code", "says"),
    [
        ("NOPE-999", "Unknown SKU or barcode “NOPE-999”"),
        ("GONE-1", "No stock of Sold-out scarf (GONE-1) anywhere"),
    ],
)
def test_unknown_or_unavailable_items_are_refused_on_the_page(associate_client, shopper, stock, code, says):
    response = add(associate_client, shopper, code, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and says in html
    assert 'class="empty"' in html  # the basket is still empty


def test_words_search_the_catalog_with_add_buttons(associate_client, shopper, stock):
    response = add(associate_client, shopper, "canvas", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "Matches for “canvas”" in html and "Add Canvas bag BAG-1" in html


def test_the_page_costs_the_same_queries_for_one_item_or_three(
    associate_client, shopper, stock, django_assert_num_queries
):
    # given one item in the basket
    add(associate_client, shopper, "DRESS-S")
    associate_client.get(urls(shopper)["assisted"])  # the view audit is written on the first look
    # then the page is a fixed number of queries
    with django_assert_num_queries(11):  # 10 before the shipping methods (none here: no bands read)
        assert associate_client.get(urls(shopper)["assisted"]).status_code == 200
    # and with three items, the same
    add(associate_client, shopper, "BAG-1")
    add(associate_client, shopper, "BELT-1")
    with django_assert_num_queries(11):
        response = associate_client.get(urls(shopper)["assisted"])
    assert response.content.decode().count('name="quantity"') == 3


def test_setting_a_quantity_to_zero_removes_the_line(associate_client, shopper, stock):
    add(associate_client, shopper, "BAG-1")
    response = associate_client.post(urls(shopper)["assisted-set"], {"sku": "BAG-1", "quantity": "0"},
                                      HTTP_HX_REQUEST="true")  # fmt: skip
    assert "Nothing yet" in response.content.decode()


def test_placing_ships_home_and_redirects_to_the_order(associate_client, associate, shopper, stock, store):
    # given the dress (not here) in the basket
    add(associate_client, shopper, "DRESS-S")
    # when the associate places it for home delivery, paid at the till
    response = place(associate_client, shopper)
    # then the order page, sold by the associate, payment pending at the till
    order = Order.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("orders_portal:detail", args=[order.number])
    assert (order.seller, order.channel, order.store) == (associate, "store", store)
    page = associate_client.get(response["Location"]).content.decode()
    assert "pending" in page and "at a till of Covent Garden" in page and "sold by" in page
    # and the basket is empty again
    assert "Nothing yet" in associate_client.get(urls(shopper)["assisted"]).content.decode()


def test_the_basket_is_emptied_when_placed_whatever_key_the_page_had(associate_client, shopper, stock):
    # given the page was opened before the first item was added (its form holds that moment's key)
    key = form_key(associate_client, shopper)
    add(associate_client, shopper, "BAG-1")
    # when the order is placed
    body = {"deliver": "reserve", "channel": "store", "payment": "till", "key": key}
    assert associate_client.post(urls(shopper)["assisted-place"], body).status_code == 302
    # then the next sale starts from an empty basket
    assert "Nothing yet" in associate_client.get(urls(shopper)["assisted"]).content.decode()


def test_a_double_submit_places_one_order(associate_client, shopper, stock):
    add(associate_client, shopper, "DRESS-S")
    key = form_key(associate_client, shopper)
    body = {"deliver": "ship", "channel": "store", "payment": "till", **HOME, "key": key}
    first = associate_client.post(urls(shopper)["assisted-place"], body)
    second = associate_client.post(urls(shopper)["assisted-place"], body)
    assert first["Location"] == second["Location"]
    assert Order.objects.count() == 1 == PaymentRequest.objects.count()


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({"line1": "", "postcode": ""}, "The shopper has no delivery address"),
        ({"deliver": "pickup"}, "Choose the store where the shopper will collect."),
        ({"deliver": "reserve"}, "In stock at: Manchester."),
        ({"channel": "phone", "payment": "till"}, "cannot pay at the till"),
        ({"points": "-5"}, "Ensure this value is greater than or equal to 0."),
    ],
)
def test_bad_choices_come_back_as_form_errors(associate_client, shopper, stock, data, says):
    add(associate_client, shopper, "DRESS-S")
    response = place(associate_client, shopper, **data)
    assert response.status_code == 400
    assert says in response.content.decode()
    assert not Order.objects.exists()


def test_an_empty_basket_cannot_be_placed(associate_client, shopper, stock):
    response = place(associate_client, shopper)
    assert response.status_code == 400 and "The basket is empty" in response.content.decode()


def test_placing_needs_the_csrf_token(associate, shopper, stock):
    client = Client(enforce_csrf_checks=True)
    client.force_login(associate)
    response = client.post(urls(shopper)["assisted-place"], {"deliver": "ship", "key": "k" * 32})
    assert response.status_code == 403 and not Order.objects.exists()


def test_the_order_of_another_store_is_not_found_there(associate_client, shopper, stock, client, other_store):
    from tests.factories import MembershipFactory

    add(associate_client, shopper, "BAG-1")
    place(associate_client, shopper, deliver="reserve")
    number = Order.objects.get().number
    stranger = MembershipFactory(store=other_store).user
    client.force_login(stranger)
    assert client.get(reverse("orders_portal:detail", args=[number])).status_code == 404


def test_the_clienteling_screen_offers_to_sell(associate_client, shopper):
    html = associate_client.get(reverse("customers_portal:detail", args=[shopper.pk])).content.decode()
    assert urls(shopper)["assisted"] in html and "?channel=phone" in html


def test_a_placement_is_audited_with_the_seller(associate_client, associate, shopper, stock):
    add(associate_client, shopper, "BAG-1")
    place(associate_client, shopper, deliver="reserve", payment="link")
    event = AuditEvent.objects.get(action="order.assisted_placed")
    assert event.actor == associate and event.details["payment"] == "link"
