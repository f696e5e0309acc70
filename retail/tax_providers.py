"""Tax providers (issue 19.3): who says what tax a sale's lines owe. Checkout, assisted orders and the
till ask `quote_tax`; it asks the configured provider (settings.TAX_PROVIDER, a dotted path):

- `RatesTable` (the default): the rates head office keeps per market, class and day (retail.markets),
  computed by the kernel (retail.domain.tax: per rate, allocated, the lines' taxes sum to the order's).
- an external tax service (a US sales-tax engine, a B2B VAT service): a class with the same `quote`,
  answering per line. `TestTaxService` is one, deterministic and without network, for the demo and tests.

The market decides whether its prices include tax (`Market.prices_include_tax`); a provider says how
much of each line (or on top of it) is tax. What was quoted is stored on the lines: returns reverse it
from there (retail.domain.tax.reverse_units) and never ask a provider again.

A provider that cannot answer raises `TaxServiceUnavailable` (callers answer 503
`tax_service_unavailable`, nothing kept); one that can answer but has no rate for an item's class
raises `TaxNotSetUp` (409 `tax_unavailable`: head office must set it up).
"""

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from retail.domain.money import Money
from retail.domain.tax import LineTax, TaxableLine, compute_tax
from retail.markets import store_tax_rates
from retail.models import Store

logger = logging.getLogger(__name__)
RATE_PLACES = Decimal("0.001")  # what an order line keeps of a rate (8.875%: a US city's sales tax)


class TaxProviderError(Exception):
    """A quote could not be given; `message` is for the person at the till or checkout."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class TaxNotSetUp(TaxProviderError):
    """The market taxes sales but not these classes yet (no rate for them on the day)."""

    def __init__(self, message: str, *, tax_classes: Sequence[str]):
        super().__init__(message)
        self.tax_classes = sorted(tax_classes)


class TaxServiceUnavailable(TaxProviderError):
    """The tax service did not answer (down, timed out, refused us): try again later."""


@dataclass(frozen=True)
class TaxItem:
    """A line to tax: its amount after its share of the discounts (gross where the market's prices
    include tax, else net), its product's tax class, and for a service that wants them the SKU and units."""

    amount: Money
    tax_class: str
    sku: str = ""
    quantity: int = 1


@dataclass(frozen=True)
class TaxRequest:
    """What is sold, where and when: the store (its market decides whether prices include tax), the
    store's local day, the currency, the lines, and where a ship order goes (a destination-based service
    taxes by it). `reference` is the order's number: a service records its transaction by it."""

    store: Store
    day: date
    currency: str
    items: tuple[TaxItem, ...]
    ship_to: Mapping = field(default_factory=dict)
    reference: str = ""


@dataclass(frozen=True)
class TaxQuote:
    """The answer: the market's `prices_include_tax`, and each item's net, rate and tax in the order
    given (`lines` is None when the market taxes nothing: no rate set up; its sales record none)."""

    prices_include_tax: bool
    lines: tuple[LineTax, ...] | None

    @property
    def tax_added(self) -> Decimal:
        """What the shopper pays on top of the prices: the tax where prices exclude it, else 0."""
        if self.prices_include_tax or not self.lines:
            return Decimal("0.00")
        return sum((line.tax.amount for line in self.lines), Decimal("0.00"))


class TaxProvider(Protocol):
    name: str

    def quote(self, request: TaxRequest) -> TaxQuote:
        """Each item's tax; raise TaxNotSetUp or TaxServiceUnavailable (nothing else is expected)."""


class RatesTable:
    """The rates head office keeps in the admin (TaxClass, TaxRate per market and day), read from the
    cache checkout shares (retail.markets.store_tax_rates: one cache round trip, no statement)."""

    name = "rates"

    def quote(self, request: TaxRequest) -> TaxQuote:
        setup = store_tax_rates(store=request.store, day=request.day)
        if not setup.rates:
            return TaxQuote(prices_include_tax=setup.prices_include_tax, lines=None)
        missing = {item.tax_class for item in request.items} - set(setup.rates)
        if missing:
            raise TaxNotSetUp(
                _("no tax rate for %(value)s") % {"value": ", ".join(sorted(missing))}, tax_classes=missing
            )
        lines = [TaxableLine(item.amount, setup.rates[item.tax_class]) for item in request.items]
        taxed = compute_tax(lines, prices_include_tax=setup.prices_include_tax, currency=request.currency)
        return TaxQuote(prices_include_tax=setup.prices_include_tax, lines=taxed.lines)


class TestTaxService:
    """A stand-in for an external sales-tax service (no network, deterministic): it keeps its own rates
    per destination (the ship-to country, else the store's) and class, as such services do, and is
    "down" while settings.TAX_TEST_SERVICE_DOWN is true. Its answers go through the kernel, like the
    rates table's, so line taxes still sum to the order's."""

    name = "test-service"
    __test__ = False  # not a pytest test class
    # {country: {tax class: percent}}; a class it does not list is taxed at "standard".
    RATES: Mapping[str, Mapping[str, Decimal]] = {
        "US": {"standard": Decimal("8.875"), "books": Decimal("0"), "food": Decimal("0")},
        "CA": {"standard": Decimal("13")},
    }
    DEFAULT = {"standard": Decimal("20")}

    def quote(self, request: TaxRequest) -> TaxQuote:
        if getattr(settings, "TAX_TEST_SERVICE_DOWN", False):
            raise TaxServiceUnavailable(_("The tax service did not answer."))
        setup = store_tax_rates(store=request.store, day=request.day)  # only for the market's pricing
        country = str(request.ship_to.get("country") or request.store.country).upper()
        rates = self.RATES.get(country, self.DEFAULT)
        lines = [TaxableLine(item.amount, rates.get(item.tax_class, rates["standard"])) for item in request.items]
        taxed = compute_tax(lines, prices_include_tax=setup.prices_include_tax, currency=request.currency)
        return TaxQuote(prices_include_tax=setup.prices_include_tax, lines=taxed.lines)


def get_tax_provider() -> TaxProvider:
    return import_string(settings.TAX_PROVIDER)()


def quote_tax(request: TaxRequest) -> TaxQuote:
    """The configured provider's quote, checked: one line per item, in the request's currency, each
    adding up (net + tax = gross) and not negative; a provider answering otherwise is treated as down."""
    try:
        quote = get_tax_provider().quote(request)
    except TaxProviderError:
        raise
    except Exception:  # a service's own client error (timeout, refused connection): down, for the caller
        logger.exception("The tax provider %s failed on %s.", settings.TAX_PROVIDER, request.reference)
        raise TaxServiceUnavailable(_("The tax service did not answer.")) from None
    if quote.lines is None:
        return quote
    if len(quote.lines) != len(request.items):
        raise TaxServiceUnavailable(_("The tax service answered for other lines than asked."))
    for item, line in zip(request.items, quote.lines, strict=True):
        expected = line.gross if quote.prices_include_tax else line.net
        if (
            expected != item.amount
            or line.net + line.tax != line.gross
            or line.tax.amount < 0
            or line.net.amount < 0
            or not 0 <= line.rate <= 100
            or line.rate.scaleb(3) % 1 != 0  # at most three places, as TaxRate keeps
        ):
            raise TaxServiceUnavailable(_("The tax service's answer does not add up."))
    return quote
