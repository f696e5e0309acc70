"""What a variant costs in a market at a moment (issue 19), and the writes of a market list's prices.

A market sells at its own list's price for the variant at that moment (`VariantPrice`, in the
market's currency). A variant without one sells at the default list's price (the catalog's own,
`Variant.price`) only when the default list is in the market's currency; otherwise it is not sold
in that market (`not_sold_in_market`), never at a number in another currency.

Lock order for a list's prices: the price list row, then the variants by primary key (`set_list_prices`).
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from itertools import pairwise

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, DecimalField, Exists, F, FilteredRelation, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.errors import InventoryCode, InventoryError
from inventory.models import PriceChange, PriceList, Variant, VariantPrice
from retail.domain.money import Money, money
from retail.errors import RetailCode
from retail.messages import Message, text_and_message
from retail.models import Market, User
from retail.services import record_audit_event

MAX_PRICE = Decimal("99999999.99")


@dataclass(frozen=True)
class MarketPricing:
    """The prices of some variants in one market at one moment: `prices[variant_id]` is a Money in
    the market's currency; a variant absent from it is not sold in that market."""

    market: Market
    currency: str
    prices: dict[int, Money]
    price_list_id: int | None  # the market's own list, if it has one

    def get(self, variant_id: int) -> Money | None:
        return self.prices.get(variant_id)

    def require(self, variants: Iterable[Variant]) -> dict[int, Money]:
        """The prices of `variants`, or not_sold_in_market naming those the market does not sell."""
        variants = list(variants)
        missing = [v for v in variants if v.pk not in self.prices]
        if missing:
            skus = ", ".join(sorted(v.sku for v in missing))
            raise InventoryError(
                _("Not sold in %(name)s (%(currency)s): %(skus)s. Remove it, or shop in its own market.")
                % {"name": self.market.name, "currency": self.currency, "skus": skus},
                code=InventoryCode.NOT_SOLD_IN_MARKET,
                fields={"sku": [f"{v.sku}: no price in {self.currency}." for v in missing]},
            )
        return {v.pk: self.prices[v.pk] for v in variants}


def market_prices(*, variants: Iterable[Variant], market: Market, at: datetime | None = None) -> MarketPricing:
    """The price of each of `variants` in `market` at `at` (now). One query whatever the number of
    variants (the market's list and the default list, with the list prices valid then); the default
    list's prices are read from the variants themselves, so give them with `select_related("product")`."""
    at = at or timezone.now()
    variants = list(variants)
    ids = sorted({v.pk for v in variants})
    valid = Q(prices__variant_id__in=ids, prices__valid_from__lte=at) & (
        Q(prices__valid_to__isnull=True) | Q(prices__valid_to__gt=at)
    )
    rows = list(
        PriceList.objects.filter(Q(market_id=market.pk) | Q(is_default=True))
        .annotate(valid_price=FilteredRelation("prices", condition=valid))
        .order_by()
        .values_list("pk", "currency", "is_default", "market_id", "valid_price__variant_id", "valid_price__price")
    )
    currency = market.currency
    default_currency = next((row[1] for row in rows if row[2]), settings.CURRENCY)
    own = next((row for row in rows if row[3] == market.pk), None)
    listed: dict[int, Decimal] = {}
    if own is not None and own[1] == currency:  # a list left in a former currency of its market sells nothing
        listed = {row[4]: row[5] for row in rows if row[0] == own[0] and row[4] is not None}
    prices: dict[int, Money] = {}
    for variant in variants:
        if variant.pk in listed:
            prices[variant.pk] = Money(listed[variant.pk], currency)
        elif default_currency == currency:
            prices[variant.pk] = Money(variant.price, currency)
    return MarketPricing(market=market, currency=currency, prices=prices, price_list_id=own[0] if own else None)


def price_expression(
    *, market: Market | None = None, at: datetime | None = None, variant: str = "", market_id=None, currency=None
) -> Coalesce:
    """The same price as `market_prices`, as an SQL expression to annotate rows with (a variant's
    price in `market` at `at`, NULL when it is not sold there): lists and carts stay one query.
    `variant` is the path to the variant from the rows annotated ("" for variants, "variant" for lines);
    instead of `market`, `market_id` and `currency` may be expressions (e.g. OuterRef of a cart's)."""
    at = at or timezone.now()
    if market is not None:
        market_id, currency = market.pk, market.currency
    prefix = f"{variant}__" if variant else ""
    listed = VariantPrice.objects.filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=at),
        variant_id=OuterRef(f"{variant}_id" if variant else "pk"),
        price_list__market_id=market_id,
        price_list__currency=currency,
        valid_from__lte=at,
    ).values("price")[:1]
    default = PriceList.objects.filter(is_default=True)
    catalog_sells = Exists(default.filter(currency=currency))
    if not isinstance(currency, str) or currency == settings.CURRENCY:
        # no default list row (deleted): the catalog's prices are in the deployment's currency
        here = F(currency.name) if isinstance(currency, OuterRef) else currency  # outside the subqueries
        same = Exact(Value(settings.CURRENCY), Value(here) if isinstance(here, str) else here)
        catalog_sells = catalog_sells | (~Exists(default) & same)
    catalog = Coalesce(F(f"{prefix}price_override"), F(f"{prefix}product__base_price"))
    amount = DecimalField(max_digits=10, decimal_places=2)
    return Coalesce(
        Subquery(listed, output_field=amount),
        Case(When(catalog_sells, then=catalog), default=Value(None), output_field=amount),
        output_field=amount,
    )


def price_in_market(*, variant: Variant, market: Market, at: datetime | None = None) -> Money:
    """The price of one variant in a market at a moment, or not_sold_in_market."""
    return market_prices(variants=[variant], market=market, at=at).require([variant])[variant.pk]


def price_rows(*, price_lists: list[PriceList]):
    """Every price of these lists as CSV rows (list code, currency, SKU, price, from, to): a market's
    list prices with their periods, the default list's the catalog's own (no period). Streamed."""
    for price_list in price_lists:
        if price_list.is_default:
            variants = Variant.objects.select_related("product").order_by("sku")
            for v in variants.iterator(chunk_size=2000):
                yield [price_list.code, price_list.currency, v.sku, v.price, "", ""]
            continue
        rows = price_list.prices.select_related("variant").order_by("variant__sku", "valid_from")
        for row in rows.iterator(chunk_size=2000):
            yield [price_list.code, price_list.currency, row.variant.sku, row.price, row.valid_from.isoformat(),
                   row.valid_to.isoformat() if row.valid_to else ""]  # fmt: skip


# --------------------------------------------------------------------------- writes


def _price(value) -> Decimal:
    try:
        price = money(Decimal(str(value)))
    except (InvalidOperation, TypeError, ValueError):
        price = None
    if price is None or not price.is_finite() or price < 0 or price > MAX_PRICE:
        raise InventoryError(
            _("A price is an amount from 0 to %(max_price)s, e.g. 129.00.") % {"max_price": MAX_PRICE},
            code=RetailCode.INVALID,
            fields={"price": [_("Not a price.")]},
        )
    return price


@transaction.atomic
def save_price_list(*, price_list: PriceList, actor: User | None, changed: list[str] | None = None) -> PriceList:
    """Save a list (a market's list is in the market's currency; one list per market)."""
    price_list.full_clean()
    price_list.save()
    record_audit_event(
        actor=actor,
        action="price_list.saved",
        obj=price_list,
        details={"code": price_list.code, "currency": price_list.currency, "market": price_list.market_id,
                 "changed": changed or []},
    )  # fmt: skip
    return price_list


def list_for_market(*, market: Market, actor: User | None = None) -> PriceList:
    """The market's own price list, made (empty, in its currency) if it has none yet."""
    found = PriceList.objects.filter(market=market).first()
    if found is not None:
        return found
    with transaction.atomic():
        Market.objects.select_for_update().filter(pk=market.pk).first()
        found = PriceList.objects.filter(market=market).first()
        if found is None:
            code = f"market-{market.code}"[:20]
            found = save_price_list(
                price_list=PriceList(code=code, name=market.name, currency=market.currency, market=market), actor=actor
            )
    return found


@dataclass(frozen=True)
class ListPrice:
    """One price to set on a list: the variant, the amount, and from when until when (now, open)."""

    variant: Variant
    price: Decimal
    valid_from: datetime | None = None
    valid_to: datetime | None = None


def _period_and_price(entry: ListPrice, now: datetime) -> tuple[datetime, datetime | None, Decimal]:
    start, end = entry.valid_from or now, entry.valid_to
    if end is not None and end <= start:
        raise InventoryError(
            _("%(sku)s: the end comes after the start.") % {"sku": entry.variant.sku},
            code=RetailCode.INVALID,
            fields={"valid_to": [_("The end comes after the start.")]},
        )
    return start, end, _price(entry.price)


def _overlaps(start: datetime, end: datetime | None, other_start: datetime, other_end: datetime | None) -> bool:
    return (other_end is None or other_end > start) and (end is None or other_start < end)


def _outside(start: datetime, end: datetime | None, periods: list[tuple[datetime, datetime | None]]):
    """The parts of [start, end) (end None: open) that none of `periods` (sorted, apart) covers."""
    pieces, cursor = [], start
    for s, e in periods:
        if end is not None and s >= end:
            break
        if e is not None and e <= cursor:
            continue
        if s > cursor:
            pieces.append((cursor, s))
        if e is None:
            return pieces
        cursor = max(cursor, e)
    if end is None or cursor < end:
        pieces.append((cursor, end))
    return pieces


@dataclass(frozen=True)
class PlannedListPrice:
    """One price given, as it lands: `action` is "create" (no price of the variant then), "update" or
    "unchanged" (the list has that price over that whole period already); `before` the price at its start."""

    entry: ListPrice
    start: datetime
    end: datetime | None
    price: Decimal
    before: Decimal | None
    action: str


@dataclass(frozen=True)
class ListPricePlan:
    prices: list[PlannedListPrice]
    remove: list[int]  # VariantPrice rows the new prices overlap ...
    add: list[VariantPrice]  # ... put back as their parts outside them, with the new prices

    def count(self, action: str) -> int:
        return sum(1 for p in self.prices if p.action == action)


def _list_price(price_list: PriceList, variant_id: int, price: Decimal, start, end) -> VariantPrice:
    return VariantPrice(price_list=price_list, variant_id=variant_id, price=price, valid_from=start, valid_to=end)


READ_CHUNK = 5000  # variant ids per IN (...) when reading a big file's prices


def plan_list_prices(*, price_list: PriceList, prices: list[ListPrice], now: datetime | None = None) -> ListPricePlan:
    """What setting `prices` on the list does, written nowhere (a dry run reads this; `set_list_prices`
    writes it under its locks). A price overlapping the list's prices of its variant cuts them around it
    (a price covering the whole period keeps what is before and after). Two of `prices` of one variant
    covering the same moment are refused (`price_periods_overlap`): which would win is not said.
    One query per 5,000 variants, whatever the number of prices."""
    now = now or timezone.now()
    given = [(entry, *_period_and_price(entry, now)) for entry in prices]
    by_variant: dict[int, list] = defaultdict(list)
    for item in given:
        by_variant[item[0].variant.pk].append(item)
    for items in by_variant.values():
        items.sort(key=lambda item: item[1])
        for earlier, later in pairwise(items):  # (entry, start, end, price), by start
            if earlier[2] is None or earlier[2] > later[1]:
                raise InventoryError(
                    _("%(sku)s: two of the prices given apply at %(moment)s; give each its own period.")
                    % {"sku": later[0].variant.sku, "moment": timezone.localtime(later[1]).isoformat()},
                    code=InventoryCode.PRICE_PERIODS_OVERLAP,
                    fields={"valid_from": [_("Overlaps another price of this variant given with it.")]},
                )
    existing: dict[int, list[VariantPrice]] = defaultdict(list)
    if given:
        earliest = min(item[1] for item in given)
        ids = sorted(by_variant)
        for i in range(0, len(ids), READ_CHUNK):
            rows = VariantPrice.objects.filter(price_list=price_list, variant_id__in=ids[i : i + READ_CHUNK])
            rows = rows.filter(Q(valid_to__isnull=True) | Q(valid_to__gt=earliest)).order_by("variant_id", "valid_from")
            for row in rows:
                existing[row.variant_id].append(row)
    planned, remove, add = [], [], []
    for variant_id, items in by_variant.items():
        rows, cuts = existing[variant_id], []
        for entry, start, end, price in items:
            overlapping = [r for r in rows if _overlaps(start, end, r.valid_from, r.valid_to)]
            before = next((r.price for r in overlapping if r.valid_from <= start), None)
            same = (
                len(overlapping) == 1
                and overlapping[0].price == price
                and overlapping[0].valid_from <= start
                and (overlapping[0].valid_to is None or (end is not None and overlapping[0].valid_to >= end))
            )
            action = "unchanged" if same else "update" if overlapping else "create"
            planned.append(PlannedListPrice(entry, start, end, price, before, action))
            if not same:
                cuts.append((start, end))
                add.append(_list_price(price_list, variant_id, price, start, end))
        cuts.sort(key=lambda period: period[0])
        for row in rows:
            if any(_overlaps(s, e, row.valid_from, row.valid_to) for s, e in cuts):
                remove.append(row.pk)
                kept = _outside(row.valid_from, row.valid_to, cuts)
                add.extend(_list_price(price_list, variant_id, row.price, s, e) for s, e in kept)
    return ListPricePlan(prices=planned, remove=remove, add=add)


def set_list_prices(
    *,
    price_list: PriceList,
    prices: list[ListPrice],
    actor: User | None = None,
    reason: "str | Message",
    source: str = PriceChange.Source.EDIT,
) -> int:
    """Set variants' prices on a market's list, each over a period (from now, open, unless said): a
    future price is entered ahead, a price for a weekend keeps the one after it. Every price set is
    a row of the price ledger; one audit line for the lot. Returns the number of prices changed.
    Bounded queries whatever the number of prices (`plan_list_prices`, then one delete and inserts by
    the thousand): a file of 10,000 prices is one call.

    Takes the list's row lock, then the variants' by primary key (two edits of one list queue)."""
    landed = apply_list_prices(price_list=price_list, prices=prices, actor=actor, reason=reason, source=source)
    return sum(1 for p in landed if p.action != "unchanged")


@transaction.atomic
def apply_list_prices(
    *,
    price_list: PriceList,
    prices: list[ListPrice],
    actor: User | None = None,
    reason: "str | Message",
    source: str = PriceChange.Source.EDIT,
) -> list[PlannedListPrice]:
    """`set_list_prices`, answering each price given as it landed (an import reports them). `reason`:
    the words typed, or the system's message (an import without one)."""
    if not isinstance(reason, Message):
        reason = (reason or "").strip()
    if not reason:
        raise InventoryError(
            _("Say why the prices change."), code=RetailCode.INVALID, fields={"reason": [_("Required.")]}
        )
    price_list = PriceList.objects.select_for_update().get(pk=price_list.pk)
    if price_list.is_default:
        raise InventoryError(
            _("The default list's prices are the catalog's own: change them on the products or with a bulk change."),
            code=InventoryCode.DEFAULT_LIST_PRICES,
        )
    ids = sorted({p.variant.pk for p in prices})
    list(Variant.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))
    now = timezone.now()
    plan = plan_list_prices(price_list=price_list, prices=prices, now=now)
    try:
        with transaction.atomic():  # the overlap constraint is the last word: its refusal is an answer, not a 500
            for i in range(0, len(plan.remove), READ_CHUNK):
                VariantPrice.objects.filter(pk__in=plan.remove[i : i + READ_CHUNK]).delete()
            VariantPrice.objects.bulk_create(plan.add, batch_size=1000)
    except IntegrityError as exc:
        raise InventoryError(
            _(
                "Another price of one of these variants on this list applies at some of these times (it was entered "
                "meanwhile); nothing was changed. Check the list's prices and try again."
            ),
            code=InventoryCode.PRICE_PERIODS_OVERLAP,
        ) from exc
    changed = [p for p in plan.prices if p.action != "unchanged"]
    reason_text, message = text_and_message(reason, 200)
    ledger = [
        PriceChange(
            price_list=price_list,
            product_id=p.entry.variant.product_id,
            variant=p.entry.variant,
            old_price=p.before if p.before != p.price else None,
            new_price=p.price,
            source=source,
            reason=reason_text,
            message=message,
            actor=actor,
            created_at=now,
            valid_from=p.entry.valid_from,
            valid_to=p.entry.valid_to,
        )
        for p in changed
    ]
    PriceChange.objects.bulk_create(ledger, batch_size=1000)
    if ledger:
        record_audit_event(
            actor=actor,
            action="price_list.prices_set",
            obj=price_list,
            details={"code": price_list.code, "prices": len(ledger), "reason": reason_text, "source": source},
        )
    return plan.prices
