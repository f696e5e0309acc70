"""Carts synced across devices, anonymous carts merged at sign-in, remote carts from the store."""

from decimal import Decimal

import pytest

from customers.models import Interaction
from customers.services.merge import merge_customers, undo_merge
from customers.services.profiles import create_customer
from inventory.models import Product
from orders.models import Cart, Order
from orders.services import open_cart_for, send_cart_to_customer, set_cart_line

pytestmark = pytest.mark.django_db


@pytest.fixture
def app(api_client, shopper, shopper_user):
    api_client.force_authenticate(shopper_user)
    return api_client


@pytest.fixture
def web(shopper, shopper_user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(shopper_user)
    return client


def test_one_cart_shared_by_app_and_web(app, web, shirt, jeans):
    # when the phone fills the cart and the laptop adds to it
    app.put("/api/v1/me/cart/", {"channel": "app", "lines": [{"sku": "SHIRT-M", "quantity": 2}]}, format="json")
    web.post("/api/v1/me/cart/lines/", {"sku": "JEANS-32", "quantity": 1}, format="json")
    # then both see the same cart
    seen_on_app, seen_on_web = app.get("/api/v1/me/cart/").json(), web.get("/api/v1/me/cart/").json()
    assert seen_on_app == seen_on_web
    assert [(line["sku"], line["quantity"]) for line in seen_on_app["lines"]] == [("SHIRT-M", 2), ("JEANS-32", 1)]
    assert seen_on_app["subtotal"] == "119.99"
    assert Cart.objects.filter(status="open").count() == 1


def test_prices_and_stock_are_rechecked_on_read(app, shirt, store):
    app.put("/api/v1/me/cart/", {"lines": [{"sku": "SHIRT-M", "quantity": 12}]}, format="json")
    Product.objects.filter(pk=shirt.product_id).update(base_price=Decimal("25.00"))
    data = app.get("/api/v1/me/cart/").json()
    (line,) = data["lines"]
    assert (line["unit_price"], line["price_when_added"], line["price_changed"]) == ("25.00", "30.00", True)
    assert (line["available"], line["in_stock"]) == (10, False)
    assert any("Only 10 of SHIRT-M" in w for w in data["warnings"])


def test_line_endpoints_set_and_remove(app, shirt, jeans):
    app.put(
        "/api/v1/me/cart/",
        {"lines": [{"sku": "SHIRT-M", "quantity": 1}, {"sku": "JEANS-32", "quantity": 1}]},
        format="json",
    )
    assert app.patch("/api/v1/me/cart/lines/SHIRT-M/", {"quantity": 3}, format="json").json()["item_count"] == 4
    data = app.delete("/api/v1/me/cart/lines/JEANS-32/").json()
    assert [(line["sku"], line["quantity"]) for line in data["lines"]] == [("SHIRT-M", 3)]
    bad = app.patch("/api/v1/me/cart/lines/NOPE/", {"quantity": 1}, format="json")
    assert (bad.status_code, bad.json()["code"]) == (400, "unknown_sku")


def test_adding_past_a_full_line_says_how_many_more_fit(app, shirt):
    # given a line of 97 (a line holds at most 99)
    app.put("/api/v1/me/cart/", {"lines": [{"sku": "SHIRT-M", "quantity": 97}]}, format="json")
    # when 5 more are added (5 alone is a quantity the schema takes)
    refused = app.post("/api/v1/me/cart/lines/", {"sku": "SHIRT-M", "quantity": 5}, format="json")
    # then the refusal says the line is nearly full and how many fit, not that 5 is a bad quantity
    assert refused.status_code == 400 and refused.json()["code"] == "invalid_quantity"
    says = "The cart already holds 97 of SHIRT-M and a line holds at most 99: add 2 at most."
    assert refused.json()["message"] == says
    assert refused.json()["fields"] == {"quantity": ["At most 2 more."]}
    added = app.post("/api/v1/me/cart/lines/", {"sku": "SHIRT-M", "quantity": 2}, format="json").json()
    assert added["item_count"] == 99


def test_an_anonymous_cart_is_merged_at_sign_in(api_client, app, shirt, jeans):
    app.put("/api/v1/me/cart/", {"lines": [{"sku": "SHIRT-M", "quantity": 1}]}, format="json")
    # given a cart filled on a device before signing in
    from rest_framework.test import APIClient

    device = APIClient()
    made = device.post(
        "/api/v1/carts/",
        {"lines": [{"sku": "SHIRT-M", "quantity": 2}, {"sku": "JEANS-32", "quantity": 1}]},
        format="json",
    )
    token = made.json()["token"]
    assert made.status_code == 201 and token
    # when the shopper signs in and the app merges it
    merged = app.post("/api/v1/me/cart/merge/", {"token": token}, format="json")
    # then quantities are added up into the shopper's cart and the anonymous cart is closed
    assert [(line["sku"], line["quantity"]) for line in merged.json()["lines"]] == [("SHIRT-M", 3), ("JEANS-32", 1)]
    assert device.get(f"/api/v1/carts/{token}/").status_code == 404
    # and merging again is harmless
    assert app.post("/api/v1/me/cart/merge/", {"token": token}, format="json").json()["item_count"] == 4


def test_a_remote_cart_lands_in_the_shoppers_account(app, shopper, shirt, associate, store):
    # when an associate builds a cart in store and sends it
    cart = send_cart_to_customer(customer=shopper, lines=[("SHIRT-M", 2)], associate=associate, store=store)
    # then the app shows it, with who sent it, and the timeline says so
    data = app.get("/api/v1/me/cart/").json()
    assert [(line["sku"], line["quantity"]) for line in data["lines"]] == [("SHIRT-M", 2)]
    assert data["sent_by"] == associate.get_full_name()
    assert cart.built_in_store == store
    assert Interaction.objects.filter(customer=shopper, kind="add_to_cart", channel="store").count() == 1


def test_merging_profiles_moves_orders_and_carts_and_undo_moves_them_back(place_pickup, shirt, shopper):
    # given a duplicate profile with an order and an open cart
    duplicate = create_customer(first_name="Jane", last_name="S", email="jane.dup@example.com")
    order = place_pickup([("SHIRT-M", 1)], customer=duplicate)
    set_cart_line(cart=open_cart_for(customer=duplicate), sku="SHIRT-M", quantity=2)
    set_cart_line(cart=open_cart_for(customer=shopper), sku="SHIRT-M", quantity=1)
    # when the duplicate is merged into Jane's profile
    merge = merge_customers(source=duplicate, target=shopper)
    # then the order is Jane's and her one open cart holds both carts' units
    assert Order.objects.get(pk=order.pk).customer == shopper
    (cart,) = Cart.objects.filter(customer=shopper, status="open")
    assert [line.quantity for line in cart.lines.all()] == [3]
    # and undoing the merge gives the order back
    undo_merge(merge=merge)
    assert Order.objects.get(pk=order.pk).customer == duplicate


def test_erasing_a_shopper_keeps_the_orders_without_their_name(place_pickup, shirt, shopper):
    from customers.services.privacy import erase_customer

    order = place_pickup([("SHIRT-M", 1)], proxy_name="Paul Proxy")
    erase_customer(customer=shopper, actor=None, reason="GDPR request")
    order.refresh_from_db()
    assert (order.contact_name, order.email, order.phone) == ("", "", "")
    assert order.fulfillments.get().proxy_name == ""
    assert order.total == 30 and order.lines.count() == 1  # kept for accounting
