"""Tax providers (issue 19.3): the rates table by default, an external service by settings.TAX_PROVIDER.
quote_tax checks what any provider answers: a provider that fails, or answers for other lines or with
amounts that do not add up, is `TaxServiceUnavailable`, never a wrong tax on a receipt."""

import time
from datetime import date
from decimal import Decimal

import pytest

from retail.domain.money import Money
from retail.domain.tax import LineTax
from retail.markets import save_market, save_tax_class, save_tax_rate
from retail.models import Market, TaxClass, TaxRate
from retail.models.tax import STANDARD
from retail.tax_providers import (
    RatesTable,
    TaxItem,
    TaxNotSetUp,
    TaxQuote,
    TaxRequest,
    TaxServiceUnavailable,
    TestTaxService,
    get_tax_provider,
    quote_tax,
)
from tests.factories import StoreFactory

pytestmark = pytest.mark.django_db
DAY = date(2026, 12, 4)


class ConnectionLost:
    """An external service whose client raises its own error (a timeout, a refused connection)."""

    name = "connection-lost"

    def quote(self, request):
        raise ConnectionError("connect timeout")


class OtherLines:
    """A service that answers for one line whatever it is asked."""

    name = "other-lines"

    def quote(self, request):
        item = request.items[0]
        untaxed = LineTax(net=item.amount, tax=item.amount * 0, gross=item.amount, rate=Decimal(0))
        return TaxQuote(prices_include_tax=False, lines=(untaxed,))


class NotAddingUp:
    """A service whose net and tax do not make the gross."""

    name = "not-adding-up"

    def quote(self, request):
        lines = tuple(
            LineTax(net=item.amount, tax=Money("1.00", request.currency), gross=item.amount, rate=Decimal(10))
            for item in request.items
        )
        return TaxQuote(prices_include_tax=False, lines=lines)


class SlowService(TestTaxService):
    """The test service behind a slow network: it answers, but only after `DELAY` seconds."""

    name = "slow-service"
    DELAY = 3.0

    def quote(self, request):
        time.sleep(self.DELAY)
        return super().quote(request)


@pytest.fixture
def us_store(db):
    """A store in New York, in a market whose prices exclude tax (shelf prices plus sales tax)."""
    market = save_market(
        market=Market(code="us", name="United States", countries=["US"], currency="USD", default_language="en-gb",
                      prices_include_tax=False),
        actor=None,
    )  # fmt: skip
    return StoreFactory(code="NYC-01", name="SoHo", country="US", market=market)


def request_for(store, *items, ship_to=None) -> TaxRequest:
    return TaxRequest(store=store, day=DAY, currency="USD", items=tuple(items), ship_to=ship_to or {}, reference="T-1")


def usd(amount: str) -> Money:
    return Money(amount, "USD")


def test_the_rates_table_is_the_default_and_taxes_by_the_markets_rates(us_store):
    # given the market's rate of 8.875% for standard goods
    rate = TaxRate(market=us_store.market, tax_class=TaxClass.objects.get(code=STANDARD), rate=Decimal("8.875"),
                   valid_from=date(2020, 1, 1))  # fmt: skip
    save_tax_rate(rate=rate, actor=None)

    # when
    quote = quote_tax(request_for(us_store, TaxItem(usd("19.99"), STANDARD), TaxItem(usd("5.00"), STANDARD)))

    # then 8.875% of 24.99 = 2.22, on top of the prices, shared over the lines
    assert isinstance(get_tax_provider(), RatesTable)
    assert quote.prices_include_tax is False
    assert [(line.net, line.tax, line.gross) for line in quote.lines] == [
        (usd("19.99"), usd("1.78"), usd("21.77")),
        (usd("5.00"), usd("0.44"), usd("5.44")),
    ]
    assert quote.tax_added == Decimal("2.22")


def test_the_rates_table_refuses_a_class_without_a_rate_and_taxes_nothing_without_rates(us_store):
    # given no rate at all: the market taxes nothing
    quote = quote_tax(request_for(us_store, TaxItem(usd("10.00"), STANDARD)))
    assert (quote.lines, quote.tax_added) == (None, Decimal("0.00"))

    # given a standard rate but none for books
    save_tax_class(tax_class=TaxClass(code="books", name="Books"), actor=None)
    rate = TaxRate(market=us_store.market, tax_class=TaxClass.objects.get(code=STANDARD), rate=Decimal("8.875"),
                   valid_from=date(2020, 1, 1))  # fmt: skip
    save_tax_rate(rate=rate, actor=None)
    with pytest.raises(TaxNotSetUp) as refused:
        quote_tax(request_for(us_store, TaxItem(usd("10.00"), STANDARD), TaxItem(usd("10.00"), "books")))
    assert refused.value.tax_classes == ["books"]


def test_an_external_service_plugs_in_by_its_dotted_path(us_store, settings):
    # given the test service in place of the rates table (the market has no rates of its own)
    settings.TAX_PROVIDER = "retail.tax_providers.TestTaxService"

    # when goods and a book are sold in New York, and the same shipped to Canada
    items = (TaxItem(usd("100.00"), STANDARD), TaxItem(usd("20.00"), "books"))
    here = quote_tax(request_for(us_store, *items))
    shipped = quote_tax(request_for(us_store, *items, ship_to={"country": "CA"}))

    # then the service's own rates apply: 8.875% on goods and none on books here, 13% on both in Canada
    assert isinstance(get_tax_provider(), TestTaxService)
    assert [(line.rate, line.tax) for line in here.lines] == [(Decimal("8.875"), usd("8.88")), (Decimal(0), usd("0"))]
    assert [line.tax for line in shipped.lines] == [usd("13.00"), usd("2.60")]
    assert (here.tax_added, shipped.tax_added) == (Decimal("8.88"), Decimal("15.60"))


def test_a_service_that_is_down_or_fails_is_unavailable(us_store, settings):
    settings.TAX_PROVIDER = "retail.tax_providers.TestTaxService"
    settings.TAX_TEST_SERVICE_DOWN = True
    with pytest.raises(TaxServiceUnavailable):
        quote_tax(request_for(us_store, TaxItem(usd("10.00"), STANDARD)))

    settings.TAX_PROVIDER = f"{__name__}.ConnectionLost"
    with pytest.raises(TaxServiceUnavailable, match="did not answer"):
        quote_tax(request_for(us_store, TaxItem(usd("10.00"), STANDARD)))


@pytest.mark.parametrize("provider", ["OtherLines", "NotAddingUp"])
def test_an_answer_that_does_not_fit_the_question_is_unavailable_not_a_wrong_tax(us_store, settings, provider):
    settings.TAX_PROVIDER = f"{__name__}.{provider}"
    with pytest.raises(TaxServiceUnavailable):
        quote_tax(request_for(us_store, TaxItem(usd("10.00"), STANDARD), TaxItem(usd("2.00"), STANDARD)))


def test_a_service_slower_than_the_timeout_is_unavailable_without_waiting_for_it(us_store, settings):
    # given a service that takes 3 s to answer, and a timeout of 0.3 s
    settings.TAX_PROVIDER = f"{__name__}.SlowService"
    settings.TAX_PROVIDER_TIMEOUT = 0.3
    items = (TaxItem(usd("100.00"), STANDARD),)

    # when a sale asks it
    started = time.monotonic()
    with pytest.raises(TaxServiceUnavailable, match="did not answer"):
        quote_tax(request_for(us_store, *items))

    # then the answer is "unavailable" once the timeout is over, not after the service's 3 s
    assert 0.3 <= time.monotonic() - started < 1.5
    # and with a timeout it keeps, the same service's answer is used
    settings.TAX_PROVIDER_TIMEOUT = 5
    assert [line.tax for line in quote_tax(request_for(us_store, *items)).lines] == [usd("8.88")]
