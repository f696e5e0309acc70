"""Issue 16: the clienteling screen's orders and pick-ups panels say what is in each order (names,
quantities, a picture where the catalog has one the portal may show), in the statements they had."""

import re

import pytest
from django.test import override_settings
from django.urls import reverse

from inventory.models import Product

pytestmark = pytest.mark.django_db
PICTURES = "https://img.omnistore.test"
HTMX = {"HTTP_HX_REQUEST": "true"}


def _panel(html: str, key: str) -> str:
    return re.search(rf'id="panel-{key}".*?</section>', html, re.S).group(0)


@override_settings(CATALOG_IMAGE_ORIGINS=[PICTURES])
def test_orders_and_pickups_name_their_items(associate_client, shopper, shirt, jeans, place_pickup):
    Product.objects.filter(pk=shirt.product_id).update(name="Oxford shirt", image_url=f"{PICTURES}/shirt.jpg")
    Product.objects.filter(pk=jeans.product_id).update(name="Straight jeans")
    order = place_pickup([(shirt.sku, 2), (jeans.sku, 1)])
    html = associate_client.get(reverse("customers_portal:below-fold", args=[shopper.pk]), **HTMX).content.decode()
    for key in ("orders", "pickups"):
        panel = _panel(html, key)
        assert order.number in panel, key
        assert re.search(r"2 \u00d7 Oxford shirt", panel) and "Straight jeans" in panel, key
        assert f'src="{PICTURES}/shirt.jpg"' in panel, key


def test_a_long_order_names_three_items_and_counts_the_rest(associate_client, shopper, store, place_pickup):
    from inventory import services as inventory
    from tests.inventory.factories import VariantFactory

    variants = [VariantFactory(product__name=f"Sock pack {n}") for n in range(5)]
    inventory.receive_stock(location=store, lines=[(v, 3) for v in variants], reference="PO-9")
    place_pickup([(v.sku, 1) for v in variants])
    html = associate_client.get(reverse("customers_portal:below-fold", args=[shopper.pk]), **HTMX).content.decode()
    orders = _panel(html, "orders")
    assert "Sock pack 2" in orders and "Sock pack 3" not in orders and "and 2 more" in orders


def test_naming_the_items_costs_no_statement_per_order_or_line(
    associate_client, shopper, shirt, jeans, place_pickup, django_assert_num_queries
):
    url = reverse("customers_portal:below-fold", args=[shopper.pk])
    place_pickup([(shirt.sku, 1)])
    associate_client.get(url, **HTMX)
    with django_assert_num_queries(13) as first:  # test_screen.py's 14 less the list items (no list here)
        associate_client.get(url, **HTMX)
    # when five more orders of two lines each arrive
    for _ in range(5):
        place_pickup([(shirt.sku, 1), (jeans.sku, 1)])
    with django_assert_num_queries(len(first.captured_queries)):
        html = associate_client.get(url, **HTMX).content.decode()
    assert _panel(html, "orders").count(jeans.product.name) == 5
