"""Issue 16: the timeline and the clienteling panels name products (with a thumbnail where the
catalog has a picture the portal may show), not only SKUs, in a constant number of statements."""

import re
from datetime import timedelta

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from customers.models import Interaction
from customers.services import add_list_item, record_purchase
from inventory.models import Product
from retail.templatetags.catalog import catalog_image
from tests.customers.factories import CustomerFactory
from tests.inventory.factories import ProductFactory, VariantFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
PICTURES = "https://img.omnistore.test"
TIMES = "\u00d7"  # the multiplication sign the panels write between quantity and name


def _event(customer, kind, subject, n, **kwargs):
    now = timezone.now()
    return Interaction(
        customer=customer, channel="app", kind=kind, subject=subject, occurred_at=now - timedelta(minutes=n),
        source="names-test", external_id=f"{kind}-{n}", recorded_at=now, **kwargs,
    )  # fmt: skip


@pytest.fixture
def shopper(store):
    return CustomerFactory(first_name="Grace", last_name="Hopper", home_store=store)


@pytest.fixture
def jacket():
    product = ProductFactory(name="Waxed field jacket", image_url=f"{PICTURES}/jackets/0042.jpg")
    return VariantFactory(product=product, sku="JKT-OLV-L", colour="Olive", size="L")


@override_settings(CATALOG_IMAGE_ORIGINS=[PICTURES])
def test_the_timeline_names_what_was_viewed_wished_for_and_bought(associate_client, shopper, jacket):
    # given a product view and a wish of the jacket (the SKU is the subject), and a purchase of five items
    Interaction.objects.bulk_create([_event(shopper, "product_view", "JKT-OLV-L", 1)])
    add_list_item(customer=shopper, sku="JKT-OLV-L", channel="app")
    others = [VariantFactory(product__name=f"Cotton tee {n}") for n in range(4)]
    record_purchase(
        customer=shopper, channel="web", order_number="W-1", source="test",
        lines=[{"sku": v.sku, "qty": 2 if v is jacket else 1, "amount": "10.00"} for v in [jacket, *others]],
    )  # fmt: skip
    # when the associate opens the timeline
    html = associate_client.get(reverse("customers_portal:timeline", args=[shopper.pk]), **HTMX).content.decode()
    # then the view and the wish say which product, with its picture, colour and size
    viewed = re.search(r"Viewed a product</strong>(.*?)</div>", html, re.S).group(1)
    assert "Waxed field jacket" in viewed and "JKT-OLV-L · Olive L" in viewed
    assert f'<img class="thumb" src="{PICTURES}/jackets/0042.jpg" alt=""' in viewed
    wished = re.search(r"Added to wishlist</strong>(.*?)</div>", html, re.S).group(1)
    assert "Waxed field jacket" in wished
    # and the purchase names its first items (quantities too) and counts the rest
    bought = re.search(r"<strong>Purchase</strong>(.*?)</div>", html, re.S).group(1)
    assert "5 items" in bought and f"2 {TIMES} Waxed field jacket" in bought
    assert "Cotton tee 0" in bought and "Cotton tee 1" in bought and "and 2 more" in bought
    assert "Cotton tee 3" not in bought


def test_a_picture_on_a_host_the_portal_does_not_allow_is_not_shown(associate_client, shopper, jacket):
    # (CATALOG_IMAGE_ORIGINS empty: the CSP would block it, a broken image in the associate's face)
    Interaction.objects.bulk_create([_event(shopper, "product_view", "JKT-OLV-L", 1)])
    html = associate_client.get(reverse("customers_portal:timeline", args=[shopper.pk]), **HTMX).content.decode()
    assert "Waxed field jacket" in html and "<img" not in html


def test_unknown_skus_and_free_text_subjects_stay_as_they_were(associate_client, shopper):
    Interaction.objects.bulk_create(
        [_event(shopper, "product_view", "GONE-SKU", 1), _event(shopper, "search", "red dress", 2)]
    )
    html = associate_client.get(reverse("customers_portal:timeline", args=[shopper.pk]), **HTMX).content.decode()
    assert "Viewed a product</strong> · GONE-SKU" in html and "Searched</strong> · red dress" in html


@override_settings(CATALOG_IMAGE_ORIGINS=[PICTURES])
def test_naming_the_products_is_one_statement_whatever_the_page_holds(
    associate_client, shopper, django_assert_num_queries
):
    url = reverse("customers_portal:timeline", args=[shopper.pk])

    def add_views(start, n):
        variants = [VariantFactory(product__image_url=f"{PICTURES}/{start + i}.jpg") for i in range(n)]
        Interaction.objects.bulk_create(
            [_event(shopper, "product_view", v.sku, start + i) for i, v in enumerate(variants)]
        )

    add_views(0, 1)
    associate_client.get(url, **HTMX)  # session warm-up
    with django_assert_num_queries(6) as first:  # session, user, memberships, customer, page, products
        associate_client.get(url, **HTMX)
    # when the page fills with 24 more viewed products, each its own style and picture
    add_views(100, 24)
    with django_assert_num_queries(len(first.captured_queries)):
        html = associate_client.get(url, **HTMX).content.decode()
    assert html.count('<img class="thumb"') == 25


@override_settings(CATALOG_IMAGE_ORIGINS=[PICTURES])
def test_the_panels_show_pictures_beside_the_names(associate_client, shopper, jacket, store):
    from inventory.services import receive_stock

    receive_stock(location=store, lines=[(jacket, 2)], reference="PO-1")
    add_list_item(customer=shopper, sku="JKT-OLV-L", channel="app")
    html = associate_client.get(reverse("customers_portal:below-fold", args=[shopper.pk]), **HTMX).content.decode()
    lists = re.search(r'id="panel-lists".*?</section>', html, re.S).group(0)
    assert "Waxed field jacket" in lists and f'src="{PICTURES}/jackets/0042.jpg"' in lists
    # and the online cart, in the first view
    from orders.services import open_cart_for, set_cart_line

    set_cart_line(cart=open_cart_for(customer=shopper, channel="app"), sku="JKT-OLV-L", quantity=1, channel="app")
    cart = associate_client.get(reverse("orders_portal:customer-cart", args=[shopper.pk]), **HTMX).content.decode()
    assert f"1 {TIMES} Waxed field jacket" in cart and f'src="{PICTURES}/jackets/0042.jpg"' in cart


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (f"{PICTURES}/a.jpg", True),
        ("https://IMG.omnistore.test/b.jpg", True),
        ("/media/products/c.jpg", True),
        ("https://elsewhere.test/d.jpg", False),
        ("//img.omnistore.test/e.jpg", False),
        ("javascript:alert(1)", False),
        ("", False),
        (None, False),
    ],
)
def test_catalog_image_allows_this_site_and_the_configured_origins_only(url, shown):
    with override_settings(CATALOG_IMAGE_ORIGINS=[PICTURES]):
        assert bool(catalog_image(url)) is shown


def test_the_product_cards_read_is_none_without_skus(django_assert_num_queries):
    from inventory.selectors import product_cards

    with django_assert_num_queries(0):
        assert product_cards([]) == {}
    assert Product.objects.count() == 0


def test_an_italian_associate_reads_the_products_in_italian(client, store, shopper, jacket):
    # given an associate who reads Italian, the jacket's Italian name, and a view and a wish of it
    from inventory.models import ProductTranslation
    from tests.factories import MembershipFactory

    ProductTranslation.objects.create(product=jacket.product, language="it", name="Giacca cerata")
    client.force_login(MembershipFactory(store=store, user__language="it").user)
    Interaction.objects.bulk_create([_event(shopper, "product_view", "JKT-OLV-L", 1)])
    add_list_item(customer=shopper, sku="JKT-OLV-L", channel="app")

    # when they open the timeline and the lists
    timeline = client.get(reverse("customers_portal:timeline", args=[shopper.pk]), **HTMX).content.decode()
    lists = client.get(reverse("customers_portal:lists", args=[shopper.pk]), **HTMX).content.decode()

    # then
    assert "Giacca cerata" in timeline and "Waxed field jacket" not in timeline
    assert "Giacca cerata" in lists and "Waxed field jacket" not in lists
