"""Reads of catalog and stock, shaped for the API, the portal and the orders app.

Availability rows are dicts: {sku, variant_id, location (code), location_id, location_name,
on_hand, reserved, safety_stock, available, last_counted_at, count_age_days, distance_km?,
location_store}; `location_store` is the location as a Store holding what its click-and-collect
promise reads (retail.promise), read in the same statement as the levels.
`available` is StockLevel's generated column (inventory/models/stock.py) and distances
with retail.geo.distance_km (or its SQL text, distance_sql, on the hot nearest-stock path), so
filtering and ordering by them happen in the database.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection
from django.db.models import (
    DEFERRED,
    CharField,
    F,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory import catalog_texts
from inventory.errors import InventoryCode, InventoryError
from inventory.ledger import Line, resolve_lines, variants_for_codes
from inventory.market_prices import price_expression
from inventory.models import (
    Category,
    Product,
    ProductTranslation,
    Reservation,
    StockLevel,
    StockMovement,
    Transfer,
    TransferLine,
    Variant,
)
from inventory.models.catalog import WORDED
from retail.geo import POINT_SQL, distance_km, distance_sql
from retail.models import Market, Store

LOW_STOCK_THRESHOLD = 3  # available units at or below which a store should reorder or transfer

_ROW_FIELDS = (
    "variant_id",
    "location_id",
    "on_hand",
    "reserved",
    "safety_stock",
    "last_counted_at",
    "sku",
    "location_code",
    "location_name",
    "available",
)
# The location's columns its click-and-collect promise reads (retail.promise.promise_for): each row
# carries them, so the API does not read the stores again for the promise (availability.near was 3
# statements instead of 2 once it answered the promise, availability.store 4 instead of 3).
_PROMISE_FIELDS = ("kind", "pickup_enabled", "picking_minutes", "opening_hours", "time_zone")
_PROMISE_VALUES = {f"location_{name}": F(f"location__{name}") for name in _PROMISE_FIELDS}


def available_at(location: Store, *, variant: str = "variant_id") -> Coalesce:
    """Units for sale at `location` of the variant the outer query names in its field `variant`
    (0 where it never was stocked, or the location is closed): a correlated subquery, so a list
    of items reads its stock in the same statement."""
    level = StockLevel.objects.filter(variant_id=OuterRef(variant), location=location, location__is_active=True)
    return Coalesce(Subquery(level.values("available")[:1]), Value(0), output_field=IntegerField())


def available_online(*, variant: str = "variant_id") -> Coalesce:
    """Units for sale online of the outer query's variant: summed over the active locations that
    ship orders or hand over pick-ups (one correlated subquery, as `available_at`)."""
    levels = StockLevel.objects.filter(variant_id=OuterRef(variant), location__is_active=True).filter(
        Q(location__ships_orders=True) | Q(location__pickup_enabled=True)
    )
    summed = levels.order_by().values("variant_id").annotate(units=Sum("available")).values("units")
    return Coalesce(Subquery(summed), Value(0), output_field=IntegerField())


# available_online() as the ORM writes it, for a screen that asks for it on every load (the
# clienteling cart): building and compiling the subquery cost ~3,000 Python calls a time.
_AVAILABLE_ONLINE_SQL = """COALESCE((
    SELECT SUM(l.available) FROM {level} l JOIN {store} s ON l.location_id = s.id
    WHERE s.is_active AND l.variant_id = {outer}.{column} AND (s.ships_orders OR s.pickup_enabled)
    GROUP BY l.variant_id), 0)"""


def available_online_of(model, *, variant: str = "variant") -> RawSQL:
    """`available_online()` for rows of `model` (not joined twice in the query), whose foreign key
    `variant` is the variant: the same SQL, written once instead of built per query."""
    sql = _AVAILABLE_ONLINE_SQL.format(
        level=StockLevel._meta.db_table,
        store=Store._meta.db_table,
        outer=connection.ops.quote_name(model._meta.db_table),
        column=connection.ops.quote_name(model._meta.get_field(variant).column),
    )
    return RawSQL(sql, [], output_field=IntegerField())  # noqa: S611 - table and column names, no values


def _levels(*, sku: bool = True) -> QuerySet[StockLevel]:
    """Level rows with their location; with `sku`, the variant joined for its SKU (callers that hold
    the variants already leave it out: the planner, underestimating the levels of a style, hashed the
    whole variant table for that join, 16 ms at medium's 15k variants)."""
    qs = StockLevel.objects.annotate(
        location_code=F("location__code"),
        location_name=F("location__name"),
    )
    if sku:
        qs = qs.annotate(sku=F("variant__sku"))
    return qs.filter(location__is_active=True)


def count_age_days(last_counted_at: datetime | None, now: datetime | None = None) -> int | None:
    if last_counted_at is None:
        return None
    return max(0, ((now or timezone.now()) - last_counted_at).days)


def _row(values: dict, now: datetime) -> dict:
    row = {
        "sku": values["sku"],
        "variant_id": values["variant_id"],
        "location": values["location_code"],
        "location_id": values["location_id"],
        "location_name": values["location_name"],
        "on_hand": values["on_hand"],
        "reserved": values["reserved"],
        "safety_stock": values["safety_stock"],
        "available": values["available"],
        "last_counted_at": values["last_counted_at"],
        "count_age_days": count_age_days(values["last_counted_at"], now),
    }
    if "distance" in values:
        row["distance_km"] = round(values["distance"], 2)
    if "location_kind" in values:
        row["location_store"] = _store_of(values)
    return row


def _store_of(values: dict) -> Store:
    """The row's location as a Store of the columns read (the others deferred, as `.only()` leaves them:
    `Store(...)` would work out the defaults of the rest, the home market's a query per row)."""
    loaded = {
        "id": values["location_id"],
        "code": values["location_code"],
        "name": values["location_name"],
        **{name: values[f"location_{name}"] for name in _PROMISE_FIELDS},
    }
    fields = Store._meta.concrete_fields
    return Store.from_db(connection.alias, list(loaded), [loaded.get(f.attname, DEFERRED) for f in fields])


@dataclass(frozen=True)
class ProductCard:
    """How a SKU is shown to people: the style's name, the variant's colour and size, its picture."""

    sku: str
    name: str
    colour: str
    size: str
    image_url: str

    @property
    def label(self) -> str:
        return " ".join(part for part in (self.colour, self.size) if part)


def product_cards(skus: Iterable[str], *, languages: tuple[str, ...] = ()) -> dict[str, ProductCard]:
    """{sku: ProductCard} for the SKUs that exist (others are left out), in one statement; none
    when no SKU is given. Screens that list SKUs (the timeline) name them with it, in the first of
    `languages` the name is translated into (subqueries of the same statement), else the catalog's."""
    skus = sorted({s for s in skus if isinstance(s, str) and s})
    if not skus:
        return {}
    name, colour, size = F("product__name"), F("colour"), F("size")
    if catalog_texts.product_texts(languages):
        texts = [ProductTranslation.objects.filter(product=OuterRef("product_id"), language=code) for code in languages]
        name = Coalesce(*(Subquery(text.values("name")) for text in texts), F("product__name"))
        colour, size = (_worded(texts, part) for part in ("colour", "size"))
    rows = (
        Variant.objects.filter(sku__in=skus)
        .annotate(shown_name=name, shown_colour=colour, shown_size=size)
        .values_list("sku", "shown_name", "shown_colour", "shown_size", "product__image_url")
    )
    return {row[0]: ProductCard(*row) for row in rows}


def _worded(texts: list[QuerySet], part: str) -> Coalesce:
    """The variant's `part` (colour, size) named in the first of `texts` that names it, else its own: its key
    in the translation's colours / sizes (Product.word_name)."""
    field = WORDED[part]
    named = Func(F(field), OuterRef(part), function="jsonb_extract_path_text", output_field=CharField())
    return Coalesce(*(Subquery(text.annotate(named=named).values("named")) for text in texts), F(part))


def variants_by_sku(skus: Iterable[str]) -> dict[str, Variant]:
    """{sku: Variant} for the SKUs that exist; raises `unknown_sku` naming the others."""
    skus = sorted({s.strip() for s in skus if s and s.strip()})
    if not skus:
        raise InventoryError(
            _("Give at least one SKU."), code=InventoryCode.UNKNOWN_SKU, fields={"sku": [_("Required.")]}
        )
    found = {v.sku: v for v in Variant.objects.filter(sku__in=skus).select_related("product")}
    unknown = [s for s in skus if s not in found]
    if unknown:
        raise InventoryError(
            _("Unknown SKU: %(value)s.") % {"value": ", ".join(unknown)},
            code=InventoryCode.UNKNOWN_SKU,
            fields={"sku": unknown},
            extra={"skus": unknown},
        )
    return found


def availability_at_location(*, skus: "Iterable[str] | dict[str, Variant]", location: Store) -> list[dict]:
    """One row per SKU at one location (a SKU never stocked there shows zeros).

    `skus` are SKU strings (one query to find them, `unknown_sku` for any that do not exist), or
    a {sku: Variant} dict the caller already holds (no lookup). Then one query for the levels.
    """
    variants = skus if isinstance(skus, dict) else variants_by_sku(skus)
    now = timezone.now()
    rows = {
        v["variant_id"]: {**_row(v, now), "location_store": location}
        for v in _levels()
        .filter(location=location, variant_id__in=[v.pk for v in variants.values()])
        .values(*_ROW_FIELDS)
    }
    out = []
    for sku, variant in sorted(variants.items()):
        out.append(
            rows.get(variant.pk)
            or {
                "sku": sku,
                "variant_id": variant.pk,
                "location": location.code,
                "location_id": location.pk,
                "location_name": location.name,
                "on_hand": 0,
                "reserved": 0,
                "safety_stock": 0,
                "available": 0,
                "last_counted_at": None,
                "count_age_days": None,
                "location_store": location,
            }
        )
    return out


def availability_everywhere(*, skus: Iterable[str], in_stock_only: bool = False) -> list[dict]:
    """Rows for every active location holding a level of those SKUs, by SKU then location code."""
    variants = variants_by_sku(skus)
    qs = _levels().filter(variant_id__in=[v.pk for v in variants.values()])
    if in_stock_only:
        qs = qs.filter(available__gt=0)
    now = timezone.now()
    rows = qs.annotate(**_PROMISE_VALUES).order_by("sku", "location_code").values(*_ROW_FIELDS, *_PROMISE_VALUES)
    return [_row(v, now) for v in rows]


def nearest_availability(
    *, skus: Iterable[str], lat: float, lng: float, limit: int = 5, min_available: int = 1
) -> list[dict]:
    """For each SKU, the `limit` nearest active locations with at least `min_available` units,
    nearest first. One query: distance and a per-SKU rank are computed by the database.

    Written as SQL: the ORM form (haversine expression + window + QUALIFY) cost ~8 ms of Python
    to compile per call against ~0.3 ms to run, on the API's most frequent question."""
    variants = variants_by_sku(skus)
    level, store, variant = StockLevel._meta.db_table, Store._meta.db_table, Variant._meta.db_table
    distance = distance_sql("s.latitude", "s.longitude")
    sql = f"""
        SELECT * FROM (
            SELECT sl.variant_id, sl.location_id, sl.on_hand, sl.reserved, sl.safety_stock, sl.last_counted_at,
                   v.sku, s.code AS location_code, s.name AS location_name, sl.available,
                   {", ".join(f"s.{name} AS location_{name}" for name in _PROMISE_FIELDS)},
                   {distance} AS distance,
                   row_number() OVER (PARTITION BY sl.variant_id ORDER BY {distance}, s.code) AS rank
              FROM {level} sl
              JOIN {variant} v ON v.id = sl.variant_id
              JOIN {store} s ON s.id = sl.location_id
             CROSS JOIN {POINT_SQL}
             WHERE sl.variant_id = ANY(%s) AND s.is_active AND sl.available >= %s
        ) ranked
        WHERE rank <= %s
        ORDER BY sku, distance, location_code
    """  # noqa: S608 — table and column names are ours; every value is a parameter
    with connection.cursor() as cursor:
        cursor.execute(sql, [lat, lng, [v.pk for v in variants.values()], min_available, limit])
        names = [c.name for c in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    now = timezone.now()
    hours = Store._meta.get_field("opening_hours")
    for row in rows:  # jsonb comes back as text from a raw query; the field decodes it as the ORM would
        row["location_opening_hours"] = hours.from_db_value(row["location_opening_hours"], None, connection)
    return [_row(row, now) for row in rows]


# --------------------------------------------------------------------------- routing


@dataclass
class Allocation:
    location: Store
    lines: dict[str, int]  # sku -> units taken here
    distance_km: float | None = None


@dataclass
class RoutingPlan:
    """The answer of `route_lines`: where to take each unit from.

    mode: "pickup" or "ship". complete: every unit is allocated. split: more than one location.
    alternatives: for a pick-up the chosen store cannot fill, nearest pick-up stores that can.
    shortfall: {sku: units no location can give}.
    """

    mode: str
    allocations: list[Allocation] = field(default_factory=list)
    alternatives: list[Allocation] = field(default_factory=list)
    shortfall: dict[str, int] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return bool(self.allocations) and not self.shortfall

    @property
    def split(self) -> bool:
        return len(self.allocations) > 1


def _stock_matrix(
    variants: dict[Variant, int], candidates: QuerySet[Store], point: tuple[float, float] | None
) -> list[tuple[Store, float | None, dict[str, int]]]:
    """[(store, distance, {sku: available})] for candidate stores holding any of the SKUs, nearest
    first (by code when no point is known). Two queries whatever the number of stores."""
    stores = candidates
    if point is not None:
        stores = stores.annotate(distance_km=distance_km(*point)).order_by("distance_km", "code")
    else:
        stores = stores.order_by("code")
    stores = list(stores)
    sku_of = {v.pk: v.sku for v in variants}
    stock: dict[int, dict[str, int]] = {}
    for variant_id, location_id, available in (
        StockLevel.objects.filter(variant_id__in=sku_of, location__in=[s.pk for s in stores])
        .filter(available__gt=0)
        .values_list("variant_id", "location_id", "available")
    ):
        stock.setdefault(location_id, {})[sku_of[variant_id]] = available
    return [(s, getattr(s, "distance_km", None), stock[s.pk]) for s in stores if s.pk in stock]


def _fills(wanted: dict[str, int], available: dict[str, int]) -> bool:
    return all(available.get(sku, 0) >= quantity for sku, quantity in wanted.items())


def route_lines(
    lines: Iterable[Line],
    pickup_store: Store | None = None,
    near: tuple[float, float] | None = None,
    *,
    alternatives: int = 3,
    market: Market | None = None,
) -> RoutingPlan:
    """Best location(s) for a set of lines ([(sku or Variant, qty)], duplicates summed).

    Pick-up: the chosen store when it can fill every line, else up to `alternatives` nearest
    pick-up stores that can (from the chosen store, or `near`), in the chosen store's market (another
    market sells in another currency, so the order could not move there). Ship: the nearest
    ships_orders location to `near` that fills every line, else a split, nearest first, taking what
    each has; whatever nobody has is the shortfall. With `market` (checkout always gives the order's),
    only that market's locations ship: a parcel never crosses a border the order did not choose.
    Read-only: reserve_stock makes the promise.
    """
    variants = resolve_lines(lines, require_active=True)
    wanted = {v.sku: q for v, q in variants.items()}
    if pickup_store is not None:
        point = (float(pickup_store.latitude), float(pickup_store.longitude))
        candidates = Store.objects.active().filter(pickup_enabled=True, market_id=pickup_store.market_id)
        matrix = _stock_matrix(variants, candidates, point)
        plan = RoutingPlan(mode="pickup")
        for store, distance, available in matrix:
            if not _fills(wanted, available):
                continue
            if store.pk == pickup_store.pk:
                plan.allocations = [Allocation(store, dict(wanted), 0.0)]
            elif len(plan.alternatives) < alternatives:
                plan.alternatives.append(Allocation(store, dict(wanted), distance))
        if not plan.allocations:
            plan.shortfall = dict(wanted)
        return plan

    shippers = Store.objects.active().filter(ships_orders=True)
    if market is not None:
        shippers = shippers.filter(market=market)
    matrix = _stock_matrix(variants, shippers, near)
    plan = RoutingPlan(mode="ship")
    for store, distance, available in matrix:
        if _fills(wanted, available):
            plan.allocations = [Allocation(store, dict(wanted), distance)]
            return plan
    remaining = dict(wanted)
    for store, distance, available in matrix:
        take = {sku: min(q, available.get(sku, 0)) for sku, q in remaining.items() if available.get(sku, 0) > 0}
        if take:
            plan.allocations.append(Allocation(store, take, distance))
            for sku, q in take.items():
                remaining[sku] -= q
            remaining = {sku: q for sku, q in remaining.items() if q > 0}
        if not remaining:
            break
    plan.shortfall = remaining
    return plan


# --------------------------------------------------------------------------- catalog


def category_and_descendant_ids(category: Category) -> list[int]:
    """The category and everything below it (one query over the whole tree, which is small)."""
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in Category.objects.values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    out, todo = [], [category.pk]
    while todo:
        pk = todo.pop()
        out.append(pk)
        todo.extend(children.get(pk, []))
    return out


def search_products(
    *,
    query: str = "",
    category: Category | None = None,
    active_only: bool = True,
    languages: tuple[str, ...] = (),
    market: Market | None = None,
) -> QuerySet:
    """Products by name (the catalog's, or its translation in one of `languages`), brand, style code, or
    any variant's SKU or barcode; variants prefetched, and the texts in `languages` (catalog_texts).
    With `market`, each variant carries `market_price`: its price there now (None: not sold there)."""
    qs = Product.objects.select_related("category")
    if active_only:
        qs = qs.filter(is_active=True)
    query = (query or "").strip()
    if query:
        matching = Variant.objects.filter(Q(sku__iexact=query) | Q(barcode=query)).values("product_id")
        found = Q(name__icontains=query) | Q(brand__icontains=query) | Q(style_code__iexact=query) | Q(pk__in=matching)
        if languages:
            texts = ProductTranslation.objects.filter(language__in=languages, name__icontains=query)
            found |= Q(pk__in=texts.values("product_id"))
        qs = qs.filter(found)
    if category is not None:
        qs = qs.filter(category_id__in=category_and_descendant_ids(category))
    variants = Variant.objects.order_by("sku")
    if active_only:
        variants = variants.filter(is_active=True)
    if market is not None:
        variants = variants.annotate(market_price=price_expression(market=market))
    qs = qs.prefetch_related(Prefetch("variants", queryset=variants))
    return catalog_texts.with_texts(qs, languages, category=True)


# --------------------------------------------------------------------------- portal


@dataclass
class LookupResult:
    query: str
    exact: Variant | None  # the scanned/typed SKU or barcode, when it was one
    variants: list[Variant]  # with .here (dict row) and .nearby (list of rows) attached
    truncated: bool = False
    other_markets: bool = False  # nearby rows include other markets' locations


def _nearby_levels(variant_ids: list[int], *, store: Store, nearby: int, other_markets: bool = False) -> list[dict]:
    """For each variant, the `nearby` closest other active locations with units available (closest
    first, ties by level id), in the store's market unless `other_markets` (each row names its market).
    Written as SQL like `nearest_availability`: the ORM form (haversine expression + window + QUALIFY)
    cost more Python to compile than the query takes to run."""
    level, location, market = StockLevel._meta.db_table, Store._meta.db_table, Market._meta.db_table
    distance = distance_sql("s.latitude", "s.longitude")
    sql = f"""
        SELECT * FROM (
            SELECT sl.variant_id, sl.location_id, sl.on_hand, sl.reserved, sl.safety_stock, sl.last_counted_at,
                   s.code AS location_code, s.name AS location_name, sl.available,
                   m.code AS market_code, m.currency AS market_currency, s.market_id <> %s AS abroad,
                   {distance} AS distance,
                   row_number() OVER (PARTITION BY sl.variant_id ORDER BY {distance}, sl.id) AS rank
              FROM {level} sl
              JOIN {location} s ON s.id = sl.location_id
              JOIN {market} m ON m.id = s.market_id
             CROSS JOIN {POINT_SQL}
             WHERE sl.variant_id = ANY(%s) AND s.is_active AND sl.location_id <> %s AND sl.available > 0
               AND (%s OR s.market_id = %s)
        ) ranked
        WHERE rank <= %s
        ORDER BY variant_id, distance
    """  # noqa: S608 — table and column names are ours; every value is a parameter
    params = [store.market_id, float(store.latitude), float(store.longitude), variant_ids, store.pk,
              other_markets, store.market_id, nearby]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [c.name for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def stock_lookup(
    *, query: str, store: Store, nearby: int = 5, max_variants: int = 25, other_markets: bool = False
) -> LookupResult:
    """What the associate asked for (scan or typing): this store first, then nearby stores of its
    market (another market's stock sells in another currency and crosses a border to get here; shown
    only with `other_markets`, each row naming its market).

    A SKU or barcode shows that variant and its siblings (other sizes/colours of the style);
    text searches names (the catalog's, and in the associate's language). Four queries whatever the
    number of stores and SKUs, five when the names are read in a language of their own.
    """
    query = (query or "").strip()
    if not query:
        return LookupResult(query="", exact=None, variants=[], other_markets=other_markets)
    exact = variants_for_codes([query]).get(query)
    languages = catalog_texts.for_store(store)
    base = Variant.objects.select_related("product").filter(is_active=True, product__is_active=True)
    if exact is not None:
        qs = base.filter(product_id=exact.product_id)
    else:
        # Every word somewhere in the name, in any order: "camicia lino" finds "Camicia di lino Nordic".
        words = query.split()
        found = Q(*(Q(product__name__icontains=w) for w in words)) | Q(product__style_code__iexact=query)
        if catalog_texts.product_texts(languages):  # names in the associate's language too
            texts = ProductTranslation.objects.filter(Q(*(Q(name__icontains=w) for w in words)), language__in=languages)
            found |= Q(product_id__in=texts.values("product_id"))
        qs = base.filter(found)
    qs = catalog_texts.with_texts(qs, languages, path="product__")
    variants = list(qs.order_by("product__name", "product_id", "colour", "sku")[: max_variants + 1])
    truncated = len(variants) > max_variants
    variants = variants[:max_variants]
    if exact is not None:
        variants.sort(key=lambda v: v.pk != exact.pk)
    stock_here_and_nearby(variants, store=store, nearby=nearby, other_markets=other_markets)
    return LookupResult(query=query, exact=exact, variants=variants, truncated=truncated, other_markets=other_markets)


def stock_here_and_nearby(
    variants: list[Variant], *, store: Store, nearby: int = 5, other_markets: bool = False
) -> list[Variant]:
    """Sets `here` (this store's availability row, or None) and `nearby` (the `nearby` closest
    other locations with units, closest first, in the store's market unless `other_markets`) on each
    variant. Two queries (none without variants)."""
    ids = [v.pk for v in variants]
    skus = {v.pk: v.sku for v in variants}
    fields = [f for f in _ROW_FIELDS if f != "sku"]  # the variants are in hand: no join for their SKU
    now = timezone.now()
    here, near = {}, {}
    if ids:
        here = {
            r["variant_id"]: _row({**r, "sku": skus[r["variant_id"]]}, now)
            for r in _levels(sku=False).filter(location=store, variant_id__in=ids).values(*fields)
        }
        for r in _nearby_levels(ids, store=store, nearby=nearby, other_markets=other_markets):
            row = _row({**r, "sku": skus[r["variant_id"]]}, now)
            row.update(market=r["market_code"], currency=r["market_currency"], abroad=r["abroad"])
            near.setdefault(r["variant_id"], []).append(row)
    for v in variants:
        v.here = here.get(v.pk)
        v.nearby = near.get(v.pk, [])
    return variants


def low_stock_at(*, store: Store, limit: int = 8, threshold: int = LOW_STOCK_THRESHOLD) -> tuple[int, list[StockLevel]]:
    """(how many SKUs, the lowest `limit`) of active SKUs this store stocks with few units left."""
    qs = StockLevel.objects.filter(location=store, variant__is_active=True, variant__product__is_active=True).filter(
        available__lte=threshold
    )
    total = qs.count()
    rows = qs.select_related("variant__product").order_by("available", "variant__sku")
    rows = list(catalog_texts.with_texts(rows, catalog_texts.for_store(store), path="variant__product__")[:limit])
    return total, rows


def incoming_transfers(*, store: Store) -> QuerySet[Transfer]:
    return (
        Transfer.objects.filter(to_location=store, status=Transfer.Status.SHIPPED)
        .select_related("from_location")
        .order_by("shipped_at", "pk")
    )


def get_incoming_transfer(*, store: Store, transfer_id: int) -> Transfer | None:
    """A shipped transfer to this store (access checked in the query), lines and SKUs prefetched."""
    return (
        incoming_transfers(store=store)
        .filter(pk=transfer_id)
        .prefetch_related(
            Prefetch("lines", queryset=TransferLine.objects.select_related("variant__product").order_by("pk")),
            *catalog_texts.product_texts(catalog_texts.for_store(store), path="lines__variant__product__"),
        )
        .first()
    )


# --------------------------------------------------------------------------- ledger


def ledger_drift(*, location: Store | None = None) -> list[dict]:
    """Levels whose on_hand differs from the sum of their movements (and ledgers with no level).

    Two aggregate queries; an empty list means the ledger explains every unit.
    """
    levels = StockLevel.objects.all()
    movements = StockMovement.objects.all()
    if location is not None:
        levels, movements = levels.filter(location=location), movements.filter(location=location)
    sums = {
        (r["variant_id"], r["location_id"]): r["total"]
        for r in movements.values("variant_id", "location_id").annotate(total=Coalesce(Sum("quantity"), 0))
    }
    drift = []
    for variant_id, location_id, sku, code, on_hand in levels.values_list(
        "variant_id", "location_id", "variant__sku", "location__code", "on_hand"
    ):
        total = sums.pop((variant_id, location_id), 0)
        if total != on_hand:
            drift.append({"sku": sku, "location": code, "on_hand": on_hand, "ledger": total})
    for (variant_id, location_id), total in sums.items():
        if total:
            drift.append({"sku": variant_id, "location": location_id, "on_hand": None, "ledger": total})
    return drift


def reservation_drift(*, location: Store | None = None) -> list[dict]:
    """Levels whose `reserved` differs from the sum of their active reservations."""
    levels = StockLevel.objects.all()
    active = Reservation.objects.filter(status=Reservation.Status.ACTIVE)
    if location is not None:
        levels, active = levels.filter(location=location), active.filter(location=location)
    held = {
        (r["variant_id"], r["location_id"]): r["total"]
        for r in active.values("variant_id", "location_id").annotate(total=Sum("quantity"))
    }
    drift = []
    for variant_id, location_id, sku, code, reserved in levels.filter(reserved__gt=0).values_list(
        "variant_id", "location_id", "variant__sku", "location__code", "reserved"
    ):
        total = held.pop((variant_id, location_id), 0)
        if total != reserved:
            drift.append({"sku": sku, "location": code, "reserved": reserved, "held": total})
    for (variant_id, location_id), total in held.items():  # promised, but the level says 0
        drift.append({"sku": variant_id, "location": location_id, "reserved": 0, "held": total})
    return drift
