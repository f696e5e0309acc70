"""Markets and their tax rates (issue 19), the writes and reads: head office saves markets, tax
classes and rates (audited); a sale asks which market it belongs to and the market's rates on a day."""

import secrets
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import FilteredRelation, Q

from retail.models import Market, Store, TaxClass, TaxRate, User
from retail.models.markets import home_market_id
from retail.services import record_audit_event


@transaction.atomic
def save_market(*, market: Market, actor: User | None, changed: list[str] | None = None) -> Market:
    """Save a market; making it home retires the home market before (the database allows one).

    Takes every market's row lock (primary-key order) first, so two saves cannot both pass the check
    that a country is in one market only."""
    list(Market.objects.select_for_update().order_by("pk").values_list("pk", flat=True))
    market.full_clean()
    if market.is_home:
        Market.objects.filter(is_home=True).exclude(pk=market.pk).update(is_home=False)
    market.save()
    record_audit_event(
        actor=actor,
        action="market.saved",
        obj=market,
        details={"code": market.code, "currency": market.currency, "home": market.is_home, "changed": changed or []},
    )
    return market


def home_market() -> Market:
    return Market.objects.get(pk=home_market_id())


def home_currency(*, using: str = DEFAULT_DB_ALIAS) -> str:
    """The home market's currency: head office's reporting currency, and every fallback's. One query
    (the home market is made from settings on a fresh database, on the primary)."""
    found = Market.objects.using(using).filter(is_home=True).values_list("currency", flat=True).first()
    if found is None:
        found = Market.objects.using(DEFAULT_DB_ALIAS).get(pk=home_market_id()).currency
    return found


def market_currency(*, currency: str | None = "", store: Store | None = None, market: Market | None = None) -> str:
    """The one rule for the currency of a sale, a balance or a figure that does not say its own: `currency`
    when given, else the market's (`market`, or the store's market), else the home market's.

    Reads nothing when the currency is given (or the market is at hand), one query for the home market's;
    a store's market is read with the store if the caller selected it (`select_related("market")`)."""
    code = (currency or "").strip().upper()
    if code:
        return code
    if market is None and store is not None:
        market = store.market
    if market is not None:
        return market.currency
    return home_currency()


def market_for_sale(*, store: Store | None = None, channel: str = "", country: str = "") -> Market:
    """The market a sale belongs to: its store's, else the active market that lists the online
    channel and covers the shopper's country, else one that lists the channel, else the home market."""
    if store is not None:
        return store.market
    markets = list(Market.objects.filter(is_active=True, online_channels__contains=[channel]).order_by("code"))
    country = country.strip().upper()
    return (
        next((m for m in markets if country and country in m.countries), None)
        or next((m for m in markets if m.is_home), None)
        or (markets[0] if markets else home_market())
    )


def serves_country(country: str) -> bool:
    """Whether the chain ships to `country`: an active market covers it, or the home market names no
    country at all (a chain with one market and no country list ships anywhere from home). One query."""
    country = country.strip().upper()
    covering = Q(countries__contains=[country]) | Q(is_home=True, countries=[])
    return Market.objects.filter(covering, is_active=True).exists()


@transaction.atomic
def save_tax_class(*, tax_class: TaxClass, actor: User | None, changed: list[str] | None = None) -> TaxClass:
    tax_class.full_clean()
    tax_class.save()
    record_audit_event(
        actor=actor, action="tax_class.saved", obj=tax_class, details={"code": tax_class.code, "changed": changed or []}
    )
    return tax_class


@transaction.atomic
def save_tax_rate(*, rate: TaxRate, actor: User | None, changed: list[str] | None = None) -> TaxRate:
    """Save a market's rate for a class over its days. Two rates of a class never cover one day in
    a market: checked here under the market's row lock, and by the database's exclusion constraint."""
    Market.objects.select_for_update().filter(pk=rate.market_id).first()
    rate.full_clean()
    rate.save()
    record_audit_event(
        actor=actor,
        action="tax_rate.saved",
        obj=rate,
        details={
            "market": rate.market.code,
            "class": rate.tax_class.code,
            "rate": str(rate.rate),
            "valid_from": rate.valid_from.isoformat(),
            "valid_to": rate.valid_to.isoformat() if rate.valid_to else None,
            "changed": changed or [],
        },
    )
    return rate


def tax_rates_on(*, market: Market, day: date) -> dict[str, Decimal]:
    """The market's rate per tax class code on `day` (a class without a rate that day is absent)."""
    rows = (
        TaxRate.objects.filter(market=market, valid_from__lte=day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=day))
        .values_list("tax_class__code", "rate")
    )
    return dict(rows)


@dataclass(frozen=True)
class StoreRates:
    """A store's market's tax on a day: its code, whether its prices include tax, and the rate per
    class code (empty when the market has no rate that day: it taxes nothing)."""

    market: str
    prices_include_tax: bool
    rates: dict[str, Decimal]


TAX_RATES_GENERATION = "tax-rates:generation"
TAX_RATES_SECONDS = 600


def store_tax_rates(*, store: Store, day: date) -> StoreRates:
    """The rates of the store's market on `day` (checkout asks once per order). A market without any
    rate that day gives no rates: it has no tax set up, and its sales record none.

    Cached per store and day, read in one cache round trip instead of a statement per checkout; any
    saved or deleted rate, class, market or store forgets every entry (`forget_tax_rates`)."""
    key = f"tax-rates:v2:{store.pk}:{day.isoformat()}"  # v2: StoreRates names its market
    found = cache.get_many([key, TAX_RATES_GENERATION])
    generation = found.get(TAX_RATES_GENERATION, "")
    cached = found.get(key)
    if cached is not None and cached[0] == generation:
        return cached[1]
    rates = _read_store_tax_rates(store=store, day=day)
    cache.set(key, (generation, rates), TAX_RATES_SECONDS)
    return rates


def forget_tax_rates(**kwargs) -> None:
    """Receiver of post_save / post_delete of TaxRate, TaxClass, Market and Store: a new generation now,
    and again once the change is committed (a reader between the two cached what it saw before)."""

    def new_generation():
        cache.set(TAX_RATES_GENERATION, secrets.token_hex(8), None)

    new_generation()
    transaction.on_commit(new_generation)


def _read_store_tax_rates(*, store: Store, day: date) -> StoreRates:
    """One statement: the store's market, with its rates of the day (none: a row of NULLs, outer-joined)."""
    on_day = Q(tax_rates__valid_from__lte=day) & (Q(tax_rates__valid_to__isnull=True) | Q(tax_rates__valid_to__gt=day))
    rows = list(
        Market.objects.filter(stores=store)
        .annotate(day_rates=FilteredRelation("tax_rates", condition=on_day))
        .order_by()
        .values_list("code", "prices_include_tax", "day_rates__tax_class__code", "day_rates__rate")
    )
    code, included = rows[0][:2]
    return StoreRates(market=code, prices_include_tax=included, rates={c: r for *_, c, r in rows if c is not None})
