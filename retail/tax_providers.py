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

An external provider is asked in a worker thread and given settings.TAX_PROVIDER_TIMEOUT seconds: one
that has not answered by then is `TaxServiceUnavailable`, so a slow service never holds a checkout or a
till (the quote is asked before any row is locked or written). There is no fallback to the rates table:
a deployment plugs a service in because the table does not know the tax (destination rules, exemptions),
so a sale taxed from it could be wrong on the receipt; a retry a minute later is not. A provider reads
what the request carries (its store with its market) and its own service, not the database: in its
thread it would not see the caller's uncommitted rows.
"""

import logging
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as QuoteTimedOut
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Protocol

from django.conf import settings
from django.db import connections
from django.utils import translation
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
    in_process: bool  # True: asked in the caller's thread without a timeout (the rates table); else a service

    def quote(self, request: TaxRequest) -> TaxQuote:
        """Each item's tax; raise TaxNotSetUp or TaxServiceUnavailable (nothing else is expected)."""


class RatesTable:
    """The rates head office keeps in the admin (TaxClass, TaxRate per market and day), read from the
    cache checkout shares (retail.markets.store_tax_rates: one cache round trip, no statement)."""

    name = "rates"
    in_process = True  # head office's own rates, from the cache: nothing to wait for

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
    in_process = False
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
        country = str(request.ship_to.get("country") or request.store.country).upper()
        rates = self.RATES.get(country, self.DEFAULT)
        lines = [TaxableLine(item.amount, rates.get(item.tax_class, rates["standard"])) for item in request.items]
        pricing = request.store.market.prices_include_tax  # the market's pricing, read by quote_tax
        taxed = compute_tax(lines, prices_include_tax=pricing, currency=request.currency)
        return TaxQuote(prices_include_tax=pricing, lines=taxed.lines)


# Threads that wait for external tax services, per process: one stuck past its timeout holds a thread
# until the service lets go; when all are held, the next quote waits in the queue and times out too.
_SERVICE_THREADS = ThreadPoolExecutor(max_workers=8, thread_name_prefix="tax-service")


def _ask_service(provider: TaxProvider, request: TaxRequest, language: str) -> TaxQuote:
    try:
        with translation.override(language):  # its refusals read in the caller's language
            return provider.quote(request)
    finally:
        connections.close_all()  # this thread's own connections, if the provider opened any


def _quote_within_timeout(provider: TaxProvider, request: TaxRequest) -> TaxQuote:
    """The provider's quote from a worker thread, or TaxServiceUnavailable after TAX_PROVIDER_TIMEOUT s."""
    request.store.market  # noqa: B018 - read here, with the caller's connection, never from the worker thread
    answer = _SERVICE_THREADS.submit(_ask_service, provider, request, translation.get_language())
    try:
        return answer.result(timeout=settings.TAX_PROVIDER_TIMEOUT)
    except QuoteTimedOut:
        answer.cancel()  # not started yet (every thread held): never started
        logger.warning(
            "The tax provider %s did not answer %s within %ss.",
            settings.TAX_PROVIDER, request.reference, settings.TAX_PROVIDER_TIMEOUT,
        )  # fmt: skip
        raise TaxServiceUnavailable(_("The tax service did not answer.")) from None


def get_tax_provider() -> TaxProvider:
    return import_string(settings.TAX_PROVIDER)()


def quote_tax(request: TaxRequest) -> TaxQuote:
    """The configured provider's quote, checked: one line per item, in the request's currency, each
    adding up (net + tax = gross) and not negative; a provider answering otherwise is treated as down."""
    provider = get_tax_provider()
    try:
        quote = (
            provider.quote(request)
            if getattr(provider, "in_process", False)
            else _quote_within_timeout(provider, request)
        )
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
