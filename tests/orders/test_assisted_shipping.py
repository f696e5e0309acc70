"""Shipping on an assisted ship-home order (issue 19.4): the associate picks one of the store's market's
methods that ship the basket (price in the market's currency, free-from shown), and it is charged with
its tax by checkout itself, as online; a missing or stale choice is a form error on the page, not a 500
and not a free parcel."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import reverse

from inventory import services as inventory
from orders.errors import OrderError
from orders.models import Order, ShippingBand, ShippingMethod
from orders.services.assisted import AssistedBasket, place_assisted_order
from orders.services.shipping import save_shipping_method
from retail.domain.channel import Channel
from retail.domain.money import Money
from retail.domain.tax import TaxableLine, compute_tax
from retail.markets import save_market, save_tax_rate
from retail.models import Market, TaxClass, TaxRate
from retail.models.tax import STANDARD
from tests.inventory.factories import VariantFactory, enter_market_prices

pytestmark = pytest.mark.django_db

HOME = {"line1": "Via del Corso 1", "city": "Roma", "postcode": "00186"}


@pytest.fixture
def italy(store) -> Market:
    """The associate's store sells and ships in Italy (EUR, 22% VAT inside prices)."""
    market = save_market(
        market=Market(code="it", name="Italia", countries=["IT"], currency="EUR", default_language="it",
                      online_channels=[Channel.WEB.value]),
        actor=None,
    )  # fmt: skip
    store.market, store.country, store.ships_orders = market, "IT", True
    store.save(update_fields=["market", "country", "ships_orders"])
    rate = TaxRate(market=market, tax_class=TaxClass.objects.get(code=STANDARD), rate=Decimal(22),
                   valid_from=date(2020, 1, 1))  # fmt: skip
    save_tax_rate(rate=rate, actor=None)
    return market


@pytest.fixture(autouse=True)
def _english(associate):
    """The associate reads the portal in English (the Italian store's default is Italian)."""
    associate.language = "en"
    associate.save(update_fields=["language"])


@pytest.fixture
def methods(italy) -> tuple[ShippingMethod, ShippingMethod]:
    """Standard 4.90, free from 50.00; Express 9.90."""
    standard = save_shipping_method(
        method=ShippingMethod(market=italy, code="standard", name="Standard", price=Decimal("4.90"),
                              free_over=Decimal("50.00"), max_days=4),
        actor=None,
    )  # fmt: skip
    express = save_shipping_method(
        method=ShippingMethod(market=italy, code="express", name="Express", price=Decimal("9.90"), position=1),
        actor=None,
    )
    return standard, express


@pytest.fixture
def goods(store, italy):
    """BAG-1 at 25.00, BELT-1 at 30.00, SCARF-1 at 12.00: ten of each in the store."""
    variants = [
        VariantFactory(sku="BAG-1", product__name="Canvas bag", product__base_price="25.00"),
        VariantFactory(sku="BELT-1", product__name="Leather belt", product__base_price="30.00"),
        VariantFactory(sku="SCARF-1", product__name="Silk scarf", product__base_price="12.00"),
    ]
    enter_market_prices(italy, *variants)
    inventory.receive_stock(location=store, lines=[(v, 10) for v in variants], reference="PO-1")
    return variants


def url(name, customer):
    return reverse(f"orders_portal:{name}", args=[customer.pk])


def add(client, customer, code, **headers):
    return client.post(url("assisted-add", customer), {"code": code}, **headers)


def place(client, customer, **data):
    page = client.get(url("assisted", customer)).content.decode()
    key = re.search(r'name="key" value="([0-9a-f]+)"', page).group(1)
    body = {"deliver": "ship", "channel": "store", "payment": "till", **HOME, "key": key, **data}
    return client.post(url("assisted-place", customer), body)


def test_the_page_lists_the_markets_methods_priced_for_the_basket(associate_client, shopper, goods, methods):
    # given a 25.00 bag in the basket
    add(associate_client, shopper, "BAG-1")

    # when the associate opens the page
    html = associate_client.get(url("assisted", shopper)).content.decode()

    # then both methods, in euros, the first ticked, with Standard's free-from amount
    radios = re.findall(r'name="shipping_method" value="(\d+)"( checked)?', html)
    assert radios == [(str(methods[0].pk), " checked"), (str(methods[1].pk), "")]
    assert "Standard · €4.90" in html and "free from €50.00" in html and "Express · €9.90" in html


def test_a_basket_over_the_threshold_ships_free_with_standard(associate_client, shopper, goods, methods):
    add(associate_client, shopper, "BAG-1")
    add(associate_client, shopper, "BELT-1")  # 55.00

    html = associate_client.get(url("assisted", shopper)).content.decode()

    assert "Standard · <strong>free</strong>" in html and "free from" not in html


def test_the_chosen_method_is_charged_with_its_tax_as_online(associate_client, shopper, goods, methods):
    # given a 25.00 bag
    add(associate_client, shopper, "BAG-1")

    # when the associate ships it by Express
    response = place(associate_client, shopper, shipping_method=methods[1].pk)

    # then the order carries Express at 9.90, 22% inside it as the kernel computes it, in its total
    assert response.status_code == 302, response.content.decode()[:2000]
    order = Order.objects.get()
    taxable = [TaxableLine(Money(Decimal(amount), "EUR"), Decimal(22)) for amount in ("25.00", "9.90")]
    expected = compute_tax(taxable, prices_include_tax=True, currency="EUR").lines[1]  # quoted with the goods
    assert (order.shipping_method, order.shipping_name) == (methods[1], "Express")
    assert (order.shipping_total, order.shipping_net, order.shipping_tax, order.shipping_tax_rate) == (
        Decimal("9.90"),
        expected.net.amount,
        expected.tax.amount,
        Decimal("22.000"),
    )
    assert (order.currency, order.total) == ("EUR", Decimal("34.90"))
    assert order.payment_request.amount == Decimal("34.90")


def test_placing_without_a_method_is_a_form_error_and_places_nothing(associate_client, shopper, goods, methods):
    add(associate_client, shopper, "BAG-1")

    response = place(associate_client, shopper)

    assert response.status_code == 400
    assert "Choose how the parcel is shipped." in response.content.decode()
    assert not Order.objects.exists()


def test_a_method_that_no_longer_ships_the_basket_is_a_form_error(associate_client, shopper, goods, methods, italy):
    # given a weight-priced courier listed when the page opened, and then the basket grew past its bands
    courier = save_shipping_method(
        method=ShippingMethod(market=italy, code="courier", name="Courier", basis="weight", position=2), actor=None
    )
    ShippingBand.objects.create(method=courier, up_to=Decimal(1000), price=Decimal("6.00"))
    for variant in goods:
        variant.weight_grams = 600
        variant.save(update_fields=["weight_grams"])
    add(associate_client, shopper, "BAG-1")
    assert f'value="{courier.pk}"' in associate_client.get(url("assisted", shopper)).content.decode()
    add(associate_client, shopper, "BELT-1")  # 1.2 kg

    # when the page's old choice is posted, and a made-up one
    stale = place(associate_client, shopper, shipping_method=courier.pk)
    made_up = place(associate_client, shopper, shipping_method="99999999999")

    # then both are form errors on the page
    for response in (stale, made_up):
        assert response.status_code == 400
        assert "That shipping method does not ship this basket (any more)" in response.content.decode()
    assert not Order.objects.exists()


def test_reserving_in_store_needs_no_method(associate_client, shopper, goods, methods):
    add(associate_client, shopper, "BAG-1")
    response = place(associate_client, shopper, deliver="reserve")
    assert response.status_code == 302
    assert Order.objects.get().shipping_method is None


def test_without_methods_for_the_country_shipping_is_not_charged_and_says_so(associate_client, shopper, goods):
    add(associate_client, shopper, "BAG-1")
    assert (
        "No shipping method is set up for this store's country"
        in associate_client.get(url("assisted", shopper)).content.decode()
    )

    response = place(associate_client, shopper)

    assert response.status_code == 302
    assert (Order.objects.get().shipping_total, Order.objects.get().total) == (Decimal("0.00"), Decimal("25.00"))


def test_the_service_requires_a_method_for_an_assisted_ship_order(shopper, goods, methods, store, associate):
    basket = AssistedBasket(lines=[("BAG-1", 1)], deliver="ship", shipping_address=dict(HOME))
    with pytest.raises(OrderError) as refused, transaction.atomic():
        place_assisted_order(customer=shopper, store=store, actor=associate, basket=basket, payment="till",
                             placement_key="k" * 32)  # fmt: skip
    assert refused.value.code == "shipping_method_required"
    assert "shipping_method" in refused.value.fields


def test_a_changed_basket_prices_the_methods_again_keeping_the_choice(associate_client, shopper, goods, methods):
    # given the bag in the basket (htmx): the answer tells the shipping list to refresh
    response = add(associate_client, shopper, "BAG-1", HTTP_HX_REQUEST="true")
    assert response["HX-Trigger"] == "basket-changed"
    # when the belt joins (55.00) and the list is asked again with Express ticked
    add(associate_client, shopper, "BELT-1", HTTP_HX_REQUEST="true")
    html = associate_client.get(url("assisted-shipping", shopper), {"shipping_method": methods[1].pk},
                                HTTP_HX_REQUEST="true").content.decode()  # fmt: skip
    # then Standard is now free and Express stays ticked
    assert "<html" not in html and "Standard · <strong>free</strong>" in html
    assert re.findall(r'value="(\d+)" checked', html) == [str(methods[1].pk)]


def test_the_page_and_the_list_cost_the_same_queries_whatever_the_basket_and_methods(
    associate_client, shopper, goods, methods, italy, django_assert_num_queries
):
    # given one item, two methods
    add(associate_client, shopper, "BAG-1")
    associate_client.get(url("assisted", shopper))  # the view audit is written on the first look
    with django_assert_num_queries(12):  # the page's 10 before shipping, plus the methods and their bands
        associate_client.get(url("assisted", shopper))
    with django_assert_num_queries(9):  # session, user, stores, shopper, basket lines, stock x2, methods, bands
        associate_client.get(url("assisted-shipping", shopper), HTTP_HX_REQUEST="true")
    # when the basket holds three items and there are ten banded methods more
    add(associate_client, shopper, "BELT-1")
    add(associate_client, shopper, "SCARF-1")
    for n in range(10):
        method = save_shipping_method(
            method=ShippingMethod(market=italy, code=f"band-{n}", name=f"Band {n}", basis="order_value",
                                  position=10 + n),
            actor=None,
        )  # fmt: skip
        ShippingBand.objects.create(method=method, up_to=None, price=Decimal("3.00"))
    # then the same
    with django_assert_num_queries(12):
        html = associate_client.get(url("assisted", shopper)).content.decode()
    assert html.count('name="shipping_method"') == 12
    with django_assert_num_queries(9):  # session, user, stores, shopper, basket lines, stock x2, methods, bands
        associate_client.get(url("assisted-shipping", shopper), HTTP_HX_REQUEST="true")
