"""Tax on till sales (issue 19.3): a POS sale's lines store their net, rate and tax like online orders;
where the market's prices exclude tax the tenders pay it on top; the till's answer carries the receipt's
tax per rate; returns of a till sale give back its tax exactly; a tax service that fails refuses the
receipt with tax_service_unavailable and writes nothing."""

from datetime import date
from decimal import Decimal

import pytest

from customers.services.loyalty import assign_offer
from customers.services.profiles import update_customer_profile
from inventory.models import StockLevel
from orders.models import Order, OrderLine
from orders.returns.models import ReturnLine
from retail.domain.channel import Channel
from retail.markets import save_market, save_tax_rate
from retail.models import Market, TaxClass, TaxRate
from retail.models.tax import STANDARD
from retail.services import issue_pos_device
from tests.customers.factories import OfferFactory
from tests.inventory.factories import enter_market_prices
from tests.returns.factories import make_policy

pytestmark = pytest.mark.django_db


@pytest.fixture
def taxed_poland(poland, store, shirt, jeans) -> Market:
    """Poland (the shared fixture) with 23% VAT, and the till's store selling there; the shirt and jeans
    have złoty prices (the catalog's amounts)."""
    store.market = poland
    store.save(update_fields=["market"])
    enter_market_prices(poland, shirt, jeans)
    rate = TaxRate(market=poland, tax_class=TaxClass.objects.get(code=STANDARD), rate=Decimal(23),
                   valid_from=date(2011, 1, 1))  # fmt: skip
    save_tax_rate(rate=rate, actor=None)
    return poland


@pytest.fixture
def net_prices(taxed_poland) -> Market:
    """Poland's prices exclude tax (a trade counter): 23% is added on top at the till."""
    taxed_poland.prices_include_tax = False
    return save_market(market=taxed_poland, actor=None)


@pytest.fixture
def till(store, api_client):
    _, token = issue_pos_device(store=store, name="Till 1")
    api_client.credentials(HTTP_AUTHORIZATION=f"Device {token}")
    return api_client


def sale(*tenders: str, receipt="R-0001", **extra) -> dict:
    """2 shirts (60.00) and jeans with 9.99 off (50.00): 110.00 at their prices."""
    return {
        "receipt_number": receipt,
        "lines": [{"sku": "SHIRT-M", "quantity": 2}, {"barcode": "5000000000024", "quantity": 1, "discount": "9.99"}],
        "tenders": [{"method": "cash", "amount": amount} for amount in tenders],
        **extra,
    }


def lines_of(number: str) -> list[tuple]:
    return list(
        OrderLine.objects.filter(order__number=number)
        .order_by("line_number")
        .values_list("net", "tax_rate", "tax_amount", "total")
    )


def test_a_till_sale_in_a_tax_inclusive_market_stores_each_lines_tax(taxed_poland, till, shirt, jeans):
    # when
    response = till.post("/api/v1/pos/sales/", sale("110.00"), format="json")

    # then 23% inside 110.00 is 20.57, shared 11.22 + 9.35 over the lines, and the answer shows it per rate
    assert response.status_code == 201, response.json()
    body = response.json()
    assert lines_of(body["number"]) == [
        (Decimal("48.78"), Decimal("23"), Decimal("11.22"), Decimal("60.00")),
        (Decimal("40.65"), Decimal("23"), Decimal("9.35"), Decimal("50.00")),
    ]
    assert (body["total"], body["tax_added"], body["prices_include_tax"]) == ("110.00", "0.00", True)
    assert body["taxes"] == [{"rate": "23.000", "net": "89.43", "tax": "20.57", "gross": "110.00"}]


def test_a_till_sale_in_a_tax_exclusive_market_is_paid_with_the_tax_on_top(net_prices, till, shirt, jeans, store):
    # when the till asks for the prices only, then for the prices and the tax (110.00 x 23% = 25.30)
    short = till.post("/api/v1/pos/sales/", sale("110.00"), format="json")
    paid = till.post("/api/v1/pos/sales/", sale("100.00", "35.30"), format="json")

    # then the first is refused, saying what is due, and nothing was written for it
    assert short.status_code == 400
    assert short.json()["fields"]["tenders"] == [
        "Tenders add up to zł110.00, the lines to zł135.30 with zł25.30 of tax."
    ]
    # and the second is recorded with the tax on top, per line and on the order
    assert paid.status_code == 201, paid.json()
    body = paid.json()
    assert (body["total"], body["tax_added"], body["prices_include_tax"]) == ("135.30", "25.30", False)
    assert lines_of(body["number"]) == [
        (Decimal("60.00"), Decimal("23"), Decimal("13.80"), Decimal("73.80")),
        (Decimal("50.00"), Decimal("23"), Decimal("11.50"), Decimal("61.50")),
    ]
    assert body["taxes"] == [{"rate": "23.000", "net": "110.00", "tax": "25.30", "gross": "135.30"}]
    assert Order.objects.count() == 1
    assert StockLevel.objects.get(variant=shirt, location=store).on_hand == 8


def test_a_till_sale_redeeming_an_offer_is_taxed_after_the_discount(net_prices, till, shirt, jeans, shopper):
    # given a 10% offer for a known shopper: 110.00 - 11.00 = 99.00 net, 22.77 of tax on top
    update_customer_profile(customer=shopper, values={"card_number": "OMNI-000123"})
    assign_offer(offer=OfferFactory(code="ten", channels=[Channel.STORE.value]), customer=shopper)
    body = sale("121.77", customer={"card": "OMNI-000123"}, offer_code="ten")

    # when
    response = till.post("/api/v1/pos/sales/", body, format="json")

    # then
    assert response.status_code == 201, response.json()
    order = Order.objects.get(number=response.json()["number"])
    # (discounts: the jeans' 9.99 off at the till and the offer's 11.00)
    assert (order.discount_total, order.tax_added, order.total) == (
        Decimal("20.99"), Decimal("22.77"), Decimal("121.77")
    )  # fmt: skip
    lines = lines_of(order.number)
    assert sum(tax for _, _, tax, _ in lines) == order.tax_added
    assert sum(net for net, *_ in lines) == Decimal("99.00")


def test_returns_of_a_till_sale_give_back_its_tax_exactly(net_prices, till, shirt, jeans):
    # given a recorded till sale, tax on top (shirts: 73.80 of which 13.80 tax), and Poland's return policy
    make_policy("Standard", market=net_prices)
    assert till.post("/api/v1/pos/sales/", sale("135.30"), format="json").status_code == 201

    # when the shirts come back at the till one by one
    answers = [
        till.post(
            "/api/v1/pos/returns/",
            {"receipt_number": f"RR-{n}", "original_receipt": "R-0001",
             "lines": [{"sku": "SHIRT-M", "quantity": 1, "reason": "wrong_size"}]},
            format="json",
        )
        for n in (1, 2)
    ]  # fmt: skip

    # then each gives back its share with its tax, and the two the line's tax and total to the cent
    assert [a.status_code for a in answers] == [201, 201], [a.json() for a in answers]
    assert [(a.json()["lines"][0]["amount"], a.json()["lines"][0]["tax_amount"]) for a in answers] == [
        ("36.90", "6.90"),
        ("36.90", "6.90"),
    ]
    assert sum(ReturnLine.objects.values_list("tax_amount", flat=True)) == Decimal("13.80")


def test_a_failing_tax_service_refuses_the_receipt_and_writes_nothing(
    taxed_poland, till, shirt, jeans, store, settings
):
    # given an external tax service that does not answer
    settings.TAX_PROVIDER = "retail.tax_providers.TestTaxService"
    settings.TAX_TEST_SERVICE_DOWN = True

    # when a sale and a batch come in
    single = till.post("/api/v1/pos/sales/", sale("110.00"), format="json")
    batch = till.post("/api/v1/pos/sales/batch/", {"receipts": [sale("110.00", receipt="R-0002")]}, format="json")

    # then the sale is refused with a code the till retries on, and nothing was written
    assert single.status_code == 503
    assert single.json()["code"] == "tax_service_unavailable"
    (result,) = batch.json()["results"]
    assert (result["status"], result["error"]["code"]) == ("rejected", "tax_service_unavailable")
    assert not Order.objects.exists()
    assert StockLevel.objects.get(variant=shirt, location=store).on_hand == 10

    # and once the service is back the same receipt goes through
    settings.TAX_TEST_SERVICE_DOWN = False
    assert till.post("/api/v1/pos/sales/", sale("110.00"), format="json").status_code == 201
