"""Checkout's compute_tax step (issue 19.3): every line of an order placed in a market with tax set
up stores its net, rate and tax, allocated so the lines' taxes sum to the order's to the cent, after
the discount; a market without tax records none; a class without a rate is refused, nothing kept."""

import time
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from customers.services.loyalty import assign_offer
from inventory.models import StockLevel
from inventory.services import receive_stock
from orders.errors import OrderError
from orders.models import Order, OrderLine, Payment
from orders.services import short_pick
from retail.domain.channel import Channel
from retail.domain.money import Money, format_money
from retail.domain.tax import TaxableLine, compute_tax
from retail.markets import save_market, save_tax_class, save_tax_rate
from retail.models import IdempotencyKey, Market, TaxClass, TaxRate
from retail.models.tax import STANDARD
from tests.customers.factories import OfferFactory
from tests.factories import StoreFactory
from tests.inventory.factories import enter_market_prices

pytestmark = pytest.mark.django_db


@pytest.fixture
def taxed_poland(poland, store, shirt, jeans) -> Market:
    """Poland (the shared fixture) with its VAT, and the test store selling there: prices include 23% VAT
    (5% on books); the shirt and the jeans have złoty prices (the same amounts as the catalog's)."""
    store.market = poland
    store.save(update_fields=["market"])
    enter_market_prices(poland, shirt, jeans)
    books = save_tax_class(tax_class=TaxClass(code="books", name="Books"), actor=None)
    for tax_class, percent in ((TaxClass.objects.get(code=STANDARD), 23), (books, 5)):
        rate = TaxRate(market=poland, tax_class=tax_class, rate=Decimal(percent), valid_from=date(2011, 1, 1))
        save_tax_rate(rate=rate, actor=None)
    return poland


def test_each_line_stores_its_net_rate_and_tax_after_the_discount(taxed_poland, place_pickup, shopper, shirt, jeans):
    # given a 10% offer over a shirt (30.00 x 3) and jeans (59.99)
    assign_offer(offer=OfferFactory(code="ten", channels=[Channel.WEB.value]), customer=shopper)

    # when
    order = place_pickup([(shirt.sku, 3), (jeans.sku, 1)], offer_code="ten")

    # then the lines' taxes are 23% inside what each line paid, and sum to the order's tax
    lines = list(OrderLine.objects.filter(order=order).order_by("line_number"))
    assert [(line.total, line.net, line.tax_rate, line.tax_amount) for line in lines] == [
        (Decimal("81.00"), Decimal("65.85"), Decimal("23.00"), Decimal("15.15")),
        (Decimal("53.99"), Decimal("43.90"), Decimal("23.00"), Decimal("10.09")),
    ]
    expected = compute_tax(
        [TaxableLine(Money(line.total, order.currency), Decimal(23)) for line in lines],
        prices_include_tax=True,
        currency=order.currency,
    )
    assert sum(line.tax_amount for line in lines) == expected.tax.amount == Decimal("25.24")
    assert sum(line.net + line.tax_amount for line in lines) == order.total


def test_a_market_without_tax_set_up_records_none(place_pickup, shirt):
    order = place_pickup([(shirt.sku, 1)])
    line = OrderLine.objects.get(order=order)
    assert (line.net, line.tax_rate, line.tax_amount) == (None, None, None)


def test_an_item_whose_class_has_no_rate_in_the_market_is_refused_and_nothing_kept(taxed_poland, place_pickup, shirt):
    # given a class Poland has no rate for
    shirt.product.tax_class = save_tax_class(tax_class=TaxClass(code="food", name="Food"), actor=None)
    shirt.product.save(update_fields=["tax_class"])

    # when
    with pytest.raises(OrderError) as refused, transaction.atomic():
        place_pickup([(shirt.sku, 1)])

    # then
    assert refused.value.code == "tax_unavailable"
    assert refused.value.extra["tax_classes"] == ["food"]
    assert "no tax rate for food" in refused.value.message
    assert not Order.objects.exists()


def test_a_market_whose_prices_exclude_tax_adds_it_on_top(taxed_poland, place_pickup, shopper, shirt, jeans):
    # given Poland's prices exclude tax now (a B2B market), and a 10% offer
    taxed_poland.prices_include_tax = False
    save_market(market=taxed_poland, actor=None)
    assign_offer(offer=OfferFactory(code="ten", channels=[Channel.WEB.value]), customer=shopper)

    # when
    order = place_pickup([(shirt.sku, 3), (jeans.sku, 1)], offer_code="ten")

    # then each line's net is what it cost after the discount, and 23% of it is added on top
    lines = list(OrderLine.objects.filter(order=order).order_by("line_number"))
    assert [(line.net, line.tax_rate, line.tax_amount, line.total) for line in lines] == [
        (Decimal("81.00"), Decimal("23"), Decimal("18.63"), Decimal("99.63")),
        (Decimal("53.99"), Decimal("23"), Decimal("12.42"), Decimal("66.41")),
    ]
    # the order's tax is 23% of the rate's net (134.99 -> 31.05), the lines' taxes sum to it
    order.refresh_from_db()
    assert (order.prices_include_tax, order.subtotal) == (False, Decimal("149.99"))
    assert order.discount_total == Decimal("15.00")
    assert order.tax_added == sum(line.tax_amount for line in lines) == Decimal("31.05")
    assert order.total == Decimal("134.99") + Decimal("31.05") == sum(line.total for line in lines)
    # and the card pays all of it
    (payment,) = order.payments.all()
    assert payment.amount == order.total


def test_a_rate_with_three_decimals_is_kept(taxed_poland, place_pickup, shirt):
    # given a US-style rate on top of the price
    taxed_poland.prices_include_tax = False
    save_market(market=taxed_poland, actor=None)
    rate = TaxRate.objects.get(market=taxed_poland, tax_class__code=STANDARD)
    rate.rate = Decimal("8.875")
    save_tax_rate(rate=rate, actor=None)

    # when 3 shirts at 30.00: 90.00 x 8.875% = 7.9875
    order = place_pickup([(shirt.sku, 3)])

    # then
    line = OrderLine.objects.get(order=order)
    assert (line.net, line.tax_rate, line.tax_amount, line.total) == (
        Decimal("90.00"), Decimal("8.875"), Decimal("7.99"), Decimal("97.99")
    )  # fmt: skip


def test_an_exclusive_market_without_rates_sells_at_its_prices_and_records_no_tax(taxed_poland, place_pickup, shirt):
    taxed_poland.prices_include_tax = False
    save_market(market=taxed_poland, actor=None)
    taxed_poland.tax_rates.all().delete()
    order = place_pickup([(shirt.sku, 1)])
    order.refresh_from_db()
    assert (order.total, order.tax_added, order.prices_include_tax) == (Decimal("30.00"), Decimal("0.00"), False)
    assert OrderLine.objects.get(order=order).tax_amount is None


def test_the_receipt_sums_the_tax_per_rate_in_the_same_queries(
    taxed_poland, place_pickup, shopper, shirt, jeans, associate_client, django_assert_num_queries
):
    # given a taxed order (and, below, an untaxed one to compare)
    order = place_pickup([(shirt.sku, 3), (jeans.sku, 1)])
    lines = list(OrderLine.objects.filter(order=order))
    tax = sum(line.tax_amount for line in lines)

    # when (after a first page: a session's first request writes more)
    associate_client.get(f"/portal/orders/{order.number}/receipt/")
    with CaptureQueriesContext(connection) as taxed:
        page = associate_client.get(f"/portal/orders/{order.number}/receipt/").content.decode()

    # then one row for 23%: the lines' net, tax and gross (in the Polish store's language: "Tax included")
    assert "Podatek wliczony" in page
    row = page.split("<caption>Podatek wliczony</caption>")[1]
    for amount in (sum(line.net for line in lines), tax, order.total):
        assert format_money(amount, order.currency) in row
    assert "23%" in row
    taxed_poland.tax_rates.all().delete()
    untaxed = place_pickup([(shirt.sku, 1), (jeans.sku, 1)])
    with django_assert_num_queries(len(taxed.captured_queries)):
        page = associate_client.get(f"/portal/orders/{untaxed.number}/receipt/").content.decode()
    assert "Podatek wliczony" not in page


def test_the_receipt_of_a_tax_exclusive_order_shows_net_then_tax_per_rate(
    taxed_poland, place_pickup, shirt, jeans, associate_client
):
    # given
    taxed_poland.prices_include_tax = False
    save_market(market=taxed_poland, actor=None)
    order = place_pickup([(shirt.sku, 3), (jeans.sku, 1)])
    lines = list(OrderLine.objects.filter(order=order).order_by("line_number"))

    # when
    page = associate_client.get(f"/portal/orders/{order.number}/receipt/").content.decode()

    # then the lines at their net, the subtotal before tax, the tax and the total (in Polish: the store's)
    assert "Podatek wliczony" not in page
    assert f'Suma netto</th><th class="num">{format_money(Decimal("149.99"), order.currency)}' in page
    assert f'Podatek</th><th class="num">{format_money(Decimal("34.50"), order.currency)}' in page
    assert format_money(Decimal("184.49"), order.currency) in page
    row = page.split("<caption>Podatek doliczony</caption>")[1]
    for amount in (Decimal("149.99"), Decimal("34.50"), Decimal("184.49")):
        assert format_money(amount, order.currency) in row
    assert sum(line.tax_amount for line in lines) == Decimal("34.50")


def test_a_tax_service_that_does_not_answer_is_a_retryable_503_that_keeps_nothing(
    taxed_poland, shopper, shopper_user, shirt, store, api_client, settings
):
    # given an external tax service, down, and a shopper with an offer
    settings.TAX_PROVIDER = "retail.tax_providers.TestTaxService"
    settings.TAX_TEST_SERVICE_DOWN = True
    assign_offer(offer=OfferFactory(code="ten", channels=[Channel.APP.value]), customer=shopper)
    api_client.force_authenticate(shopper_user)
    body = {
        "channel": "app",
        "lines": [{"sku": shirt.sku, "quantity": 2}],
        "fulfillment": {"kind": "pickup", "store": store.code},
        "payments": [{"method": "card", "token": "tok_visa_4242"}],
        "offer_code": "ten",
    }

    # when the shopper checks out
    response = api_client.post("/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY="tax-1")

    # then 503 with a code to retry on; no order, reservation, payment, offer use or stored answer was kept
    assert (response.status_code, response.json()["code"]) == (503, "tax_service_unavailable")
    assert not Order.objects.exists()
    assert StockLevel.objects.get(variant=shirt, location=store).reserved == 0
    assert not Payment.objects.exists()
    assert not IdempotencyKey.objects.filter(key="tax-1").exists()
    # and once the service answers, the same request goes through with its tax
    settings.TAX_TEST_SERVICE_DOWN = False
    again = api_client.post("/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY="tax-1")
    assert again.status_code == 201, again.json()


def test_a_tax_service_slower_than_the_timeout_refuses_the_checkout_in_time_and_keeps_nothing(
    taxed_poland, shopper_user, shirt, store, api_client, settings
):
    # given an external tax service that answers in 3 s, and a timeout of 0.3 s
    settings.TAX_PROVIDER = "tests.retail.test_tax_providers.SlowService"
    settings.TAX_PROVIDER_TIMEOUT = 0.3
    api_client.force_authenticate(shopper_user)
    body = {
        "channel": "app",
        "lines": [{"sku": shirt.sku, "quantity": 2}],
        "fulfillment": {"kind": "pickup", "store": store.code},
        "payments": [{"method": "card", "token": "tok_visa_4242"}],
    }

    # when the shopper checks out
    started = time.monotonic()
    response = api_client.post("/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY="slow-tax-1")

    # then 503 tax_service_unavailable as soon as the timeout is over, and nothing was kept
    assert (response.status_code, response.json()["code"]) == (503, "tax_service_unavailable")
    assert time.monotonic() - started < 2.5
    assert not Order.objects.exists() and not Payment.objects.exists()
    assert StockLevel.objects.get(variant=shirt, location=store).reserved == 0
    assert not IdempotencyKey.objects.filter(key="slow-tax-1").exists()


def test_an_external_service_taxes_a_us_store_on_top_of_its_prices(taxed_poland, place_pickup, shirt, store, settings):
    # given the store in New York, its market pricing without tax, and the test service's rates
    settings.TAX_PROVIDER = "retail.tax_providers.TestTaxService"
    taxed_poland.prices_include_tax = False
    save_market(market=taxed_poland, actor=None)
    store.country = "US"
    store.save(update_fields=["country"])

    # when 3 shirts (90.00) are ordered: 8.875% is 7.99
    order = place_pickup([(shirt.sku, 3)])

    # then
    order.refresh_from_db()
    line = OrderLine.objects.get(order=order)
    assert (line.net, line.tax_rate, line.tax_amount, line.total) == (
        Decimal("90.00"), Decimal("8.875"), Decimal("7.99"), Decimal("97.99")
    )  # fmt: skip
    assert (order.tax_added, order.total) == (Decimal("7.99"), Decimal("97.99"))


def test_units_rerouted_from_a_taxed_line_take_their_share_of_its_tax(
    taxed_poland, place_pickup, shirt, store, associate
):
    # given 3 shirts, 23% inside 90.00 (16.83), one of which this store cannot find
    nearby = StoreFactory(
        code="LON-02", name="Canary Wharf", latitude="51.5045", longitude="-0.0195", market=taxed_poland
    )
    receive_stock(location=nearby, lines=[(shirt, 5)], reference="PO-NEAR")
    order = place_pickup([(shirt.sku, 3)])
    line = OrderLine.objects.get(order=order)
    assert (line.net, line.tax_amount) == (Decimal("73.17"), Decimal("16.83"))

    # when it is sent from the nearest store
    short_pick(line=line, missing=1, resolution="reroute", actor=associate, store=store)

    # then both lines still add up (net + tax = total), and between them keep the line's tax to the cent
    kept, moved = OrderLine.objects.filter(order=order).order_by("line_number")
    assert (kept.quantity, kept.total, kept.tax_amount, kept.net) == (2, Decimal("60.00"), Decimal("11.22"),
                                                                     Decimal("48.78"))  # fmt: skip
    assert (moved.quantity, moved.total, moved.tax_amount, moved.net, moved.tax_rate) == (
        1, Decimal("30.00"), Decimal("5.61"), Decimal("24.39"), Decimal("23")
    )  # fmt: skip
    assert kept.tax_amount + moved.tax_amount == Decimal("16.83")
