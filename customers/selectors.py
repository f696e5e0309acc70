"""Reads of the customers app, shaped for the clienteling screen, the search box and the API.

Every function here runs a fixed number of queries whatever the size of a shopper's history.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.search import TrigramSimilarity
from django.core.cache import cache
from django.db import connection
from django.db.models import CharField, Count, F, JSONField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Coalesce, JSONObject
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from customers.errors import CustomerCode, CustomerError
from customers.models import (
    Consent,
    Customer,
    CustomerIdentity,
    CustomerList,
    Interaction,
    ListItem,
    LoyaltyTier,
    Note,
    OfferAssignment,
    PurchasedItem,
    SearchName,
    Tag,
    Task,
)
from customers.services.merge import merged_fields
from inventory.selectors import available_at, product_cards
from retail.domain.codes import read_code
from retail.errors import NotFound
from retail.models import Store, User
from retail.services import record_audit_event

TIMELINE_PAGE = 25
Variant = ListItem._meta.get_field("variant").related_model  # inventory's model, reached through our FK
Product = Variant._meta.get_field("product").related_model


# --- one profile -----------------------------------------------------------------------------


VIEW_AUDIT_PERIOD = 10 * 60  # one customer.viewed row per associate and shopper in this many seconds


def get_customer_for_staff(
    user: User, customer_id: int, *, header: bool = True, store: Store | None = None, ip: str | None = None
) -> Customer:
    """A profile for a portal view (behind `portal_view`, so `user` works in a store).

    Every associate of the chain may see every shopper; they act only in their own store, which
    the services check. With `header`, everything the clienteling header shows comes in one
    statement (joins, plus consents, tags and the next tier as subqueries: `header_consents`,
    `header_tags`, `header_next_tier`); panels ask for the bare row.
    """
    qs = Customer.objects.filter(pk=customer_id, is_anonymous=False)
    if header:
        qs = qs.select_related(
            "home_store", "assigned_associate", "loyalty_account__tier", "store_credit", "merged_into"
        ).annotate(**_header_subqueries())
    customer = qs.first() if user.is_authenticated else None
    if customer is None:
        raise NotFound("No such customer.")
    record_customer_viewed(user=user, customer=customer, store=store, ip=ip)
    return customer


def _header_subqueries() -> dict:
    consent = JSONObject(channel="channel", granted="granted", changed_at="changed_at", source="source")
    spend = Coalesce(OuterRef("loyalty_account__spend_12m"), Value(Decimal("0")))
    tier = JSONObject(pk="pk", code="code", name="name", min_spend=Cast("min_spend", CharField()))
    return {
        "header_consents": ArraySubquery(
            Consent.objects.filter(customer=OuterRef("pk")).order_by("channel").values(row=consent)
        ),
        "header_tags": ArraySubquery(Tag.objects.filter(customers=OuterRef("pk")).order_by("name").values("name")),
        "header_next_tier": Subquery(
            LoyaltyTier.objects.filter(min_spend__gt=spend).order_by("min_spend").values(row=tier)[:1],
            output_field=JSONField(),
        ),
    }


def header_next_tier(customer: Customer) -> tuple[LoyaltyTier | None, Decimal | None]:
    """(the tier the shopper reaches next, the spend still needed) from the header read."""
    row = customer.header_next_tier
    if not row:
        return None, None
    tier = LoyaltyTier(pk=row["pk"], code=row["code"], name=row["name"], min_spend=Decimal(row["min_spend"]))
    account = getattr(customer, "loyalty_account", None)
    return tier, tier.min_spend - (account.spend_12m if account else Decimal("0"))


def record_customer_viewed(*, user: User, customer: Customer, store: Store | None, ip: str | None) -> bool:
    """Every look at a profile (the shell and each of its panels) is audited here, once per
    associate, shopper and VIEW_AUDIT_PERIOD (the cache remembers the last row; while the cache
    is down every look is written). True when a row was written."""

    if not cache.add(f"customer-viewed:{user.pk}:{customer.pk}", 1, VIEW_AUDIT_PERIOD):
        return False
    record_audit_event(actor=user, action="customer.viewed", obj=customer, store=store, ip_address=ip or None)
    return True


def customer_for_user(user: User) -> Customer | None:
    return (
        Customer.objects.select_related("home_store", "loyalty_account__tier", "store_credit")
        .prefetch_related("consents", "tags")
        .filter(user=user, merged_into__isnull=True, erased_at__isnull=True)
        .first()
    )


def consent_map(customer: Customer) -> dict[str, object]:
    """{"email": Consent|None, "sms": ..., "push": ...} from the header read (or the consents)."""
    rows = getattr(customer, "header_consents", None)
    if rows is None:
        found = {c.channel: c for c in customer.consents.all()}
    else:
        found = {
            r["channel"]: Consent(
                customer=customer,
                channel=r["channel"],
                granted=r["granted"],
                changed_at=parse_datetime(r["changed_at"]),
                source=r["source"],
            )
            for r in rows
        }
    return {channel: found.get(channel) for channel in ("email", "sms", "push")}


def next_tier(spend: float, tiers: list[LoyaltyTier]) -> tuple[LoyaltyTier | None, object]:
    for tier in tiers:
        if tier.min_spend > spend:
            return tier, tier.min_spend - spend
    return None, None


# --- timeline ---------------------------------------------------------------------------------


@dataclass
class TimelinePage:
    rows: list[Interaction]
    next_cursor: str | None


# Kinds whose subject is the SKU the shopper looked at, carted or wished for (events API, lists).
SKU_SUBJECT_KINDS = frozenset(
    {Interaction.Kind.PRODUCT_VIEW, Interaction.Kind.ADD_TO_CART, Interaction.Kind.WISHLIST_ADD}
)
TIMELINE_ITEMS_SHOWN = 3  # items named on a purchase or return row; the rest are counted


def _row_skus(row: Interaction) -> list[str]:
    if row.kind in SKU_SUBJECT_KINDS:
        return [row.subject.strip()]
    lines = (row.data or {}).get("lines") if isinstance(row.data, dict) else None
    if not isinstance(lines, list):
        return []
    return [str(line.get("sku", "")).strip() for line in lines if isinstance(line, dict)]


def name_timeline_products(rows: list[Interaction]) -> None:
    """Give each row `products`: the product cards of the SKUs it names (viewed, carted, wished
    for, bought, returned), with `qty` for lines; one statement for the whole page."""
    cards = product_cards(sku for row in rows for sku in _row_skus(row))
    for row in rows:
        found = []
        lines = (row.data or {}).get("lines") if row.kind not in SKU_SUBJECT_KINDS else None
        quantities = (
            [line.get("qty") if isinstance(line, dict) else None for line in lines] if isinstance(lines, list) else []
        )
        for index, sku in enumerate(_row_skus(row)):
            card = cards.get(sku)
            if card is not None:
                qty = quantities[index] if index < len(quantities) else None
                found.append({"card": card, "qty": qty if isinstance(qty, int) and qty > 0 else None})
        row.products = found[:TIMELINE_ITEMS_SHOWN]
        row.more_products = max(0, len(found) - TIMELINE_ITEMS_SHOWN)
        row.names_subject = row.kind in SKU_SUBJECT_KINDS and bool(found)  # the SKU subject, named


def encode_cursor(interaction: Interaction) -> str:
    return quote(f"{interaction.occurred_at.isoformat()}_{interaction.pk}")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    when, _, pk = (cursor or "").rpartition("_")
    moment = parse_datetime(when) if when else None
    if moment is None or not pk.isdigit():
        raise CustomerError("That page of the timeline does not exist.", code=CustomerCode.INVALID_CURSOR)
    return moment, int(pk)


def timeline_page(
    customer: Customer, *, channel: str | None = None, before: str | None = None, limit: int = TIMELINE_PAGE
) -> TimelinePage:
    """Newest first, keyset-paginated by (occurred_at, id): page N costs what page 1 costs."""
    qs = Interaction.objects.filter(customer=customer).select_related("store", "associate")
    if channel:
        qs = qs.filter(channel=channel)
    if before:
        moment, pk = decode_cursor(before)
        qs = qs.filter(Q(occurred_at__lt=moment) | Q(occurred_at=moment, id__lt=pk))
    rows = list(qs.order_by("-occurred_at", "-id")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    name_timeline_products(rows)
    return TimelinePage(rows=rows, next_cursor=encode_cursor(rows[-1]) if more and rows else None)


# --- panels -----------------------------------------------------------------------------------


def notes_for(customer: Customer, *, limit: int = 30) -> list[Note]:
    return list(customer.notes.select_related("author", "store").order_by("-pinned", "-created_at", "-id")[:limit])


def tasks_for(customer: Customer, *, limit: int = 30) -> list[Task]:
    return list(
        customer.tasks.select_related("assignee", "store")
        .filter(Q(status=Task.Status.OPEN) | Q(completed_at__gte=timezone.now() - timezone.timedelta(days=30)))
        .order_by("status", "due_on", "id")[:limit]
    )


def offers_for(customer: Customer) -> list[OfferAssignment]:
    now = timezone.now()
    return list(
        OfferAssignment.objects.select_related("offer", "redeemed_store")
        .filter(customer=customer)
        .filter(Q(redeemed_at__isnull=False) | Q(offer__valid_until__gt=now, offer__is_active=True))
        .order_by("redeemed_at", "offer__valid_until")[:30]
    )


def lists_with_availability(customer: Customer, *, store: Store | None) -> list[CustomerList]:
    """The shopper's lists; each item carries `.here` = available units in `store` (None: not
    asked). Two queries: the lists, then their items with variant, product and stock here."""
    items = ListItem.objects.select_related("variant__product").order_by("-added_at", "-id")
    if store is not None:
        items = items.annotate(here=available_at(store))
    lists = list(CustomerList.objects.filter(customer=customer).prefetch_related(Prefetch("items", queryset=items)))
    if store is None:
        for lst in lists:
            for item in lst.items.all():
                item.here = None
    return lists


@dataclass
class Recommendation:
    variant: object
    available: int
    reason: str


def _sizes(customer: Customer, bought: list[dict]) -> dict[str, str]:
    """Preferred size per category: the profile's, else the size bought most in that category."""
    counted: dict[str, dict[str, int]] = {}
    for row in bought:
        # the catalog's slug when the SKU is still known; else what the sale recorded
        category = row.get("category_slug") or row["category"]
        if category and row["size"]:
            counted.setdefault(category, {}).setdefault(row["size"], 0)
            counted[category][row["size"]] += 1
    sizes = {cat: max(by_size, key=by_size.get) for cat, by_size in counted.items()}
    return {**sizes, **(customer.preferred_sizes or {})}


# "Bought together" reads a bounded sample of other shoppers' baskets whatever the size of the
# purchase history: the styles of the shopper's newest purchases seed it, and for each SKU of a
# seed style only its newest baskets are read (through purchased_sku_idx, newest recorded first).
RECENT_PURCHASES = 100  # the shopper's newest purchase lines: what they own, their sizes
SEED_STYLES = 12  # the newest distinct styles among them seed "bought together"
BASKETS_PER_SKU = 8  # newest other baskets read per SKU of a seed style (<= ~500 baskets in all)
CO_BOUGHT = 60  # SKUs ranked by how many of those baskets hold them
SIZE_STYLES = 100  # newest styles of the shopper's categories looked at for "in your size"

_CO_BOUGHT_SQL = """
WITH seed AS (
    SELECT v.sku FROM {variant} v WHERE v.product_id = ANY(%(seeds)s::bigint[])
), baskets AS (
    SELECT DISTINCT b.interaction_id
    FROM seed CROSS JOIN LATERAL (
        SELECT p.interaction_id FROM {item} p
        WHERE p.sku = seed.sku AND p.quantity > 0 AND p.customer_id <> %(me)s
        ORDER BY p.interaction_id DESC
        LIMIT %(per_sku)s
    ) b
), lines AS (
    SELECT p.sku, COUNT(*) AS n
    FROM baskets JOIN {item} p ON p.interaction_id = baskets.interaction_id
    WHERE p.quantity > 0
    GROUP BY p.sku
    ORDER BY n DESC, p.sku
)
-- the SKUs looked up best first until `limit` pass (~120 of ~700 at large), not every SKU then ranked
SELECT v.product_id, l.sku, l.n
FROM lines l CROSS JOIN LATERAL (
    SELECT v.product_id FROM {variant} v
    WHERE v.sku = l.sku AND v.is_active AND NOT (v.product_id = ANY(%(owned)s::bigint[]))
) v
ORDER BY l.n DESC, l.sku
LIMIT %(limit)s
"""


def _co_bought(customer: Customer, seeds: list[int], owned: set[int]) -> dict[int, int]:
    """{style: baskets holding any of its SKUs}, summed over the CO_BOUGHT SKUs most often in the
    newest baskets of other shoppers holding a seed style's SKU."""
    score: dict[int, int] = {}
    sql = _CO_BOUGHT_SQL.format(variant=Variant._meta.db_table, item=PurchasedItem._meta.db_table)
    params = {
        "seeds": seeds,
        "me": customer.pk,
        "per_sku": BASKETS_PER_SKU,
        "owned": list(owned),
        "limit": CO_BOUGHT,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    for product_id, _sku, n in rows:
        score[product_id] = score.get(product_id, 0) + n
    return score


# The picks, with the stock here joined in: per style the variant the panel shows
# (in the shopper's size for a category they have one in, else sizeless; any size elsewhere), the
# `limit` best-scored styles bought together, then the newest styles of their categories in their
# size not already picked. At most 2 x `limit` rows come back, not every candidate variant.
_PICKS_SQL = """
WITH scored AS (
    SELECT * FROM unnest(%(scored)s::bigint[], %(scores)s::int[]) AS s(product_id, score)
), wanted AS (
    SELECT * FROM unnest(%(slugs)s::text[], %(sizes)s::text[]) AS w(slug, size)
), together AS (
    SELECT * FROM (
        SELECT DISTINCT ON (v.product_id) v.id, v.product_id, v.sku, v.size, pr.name, s.score,
               pr.created_at, sl.on_hand - sl.reserved - sl.safety_stock AS available
        FROM scored s
        JOIN {product} pr ON pr.id = s.product_id
        JOIN {category} c ON c.id = pr.category_id
        JOIN {variant} v ON v.product_id = pr.id
        JOIN {level} sl ON sl.variant_id = v.id AND sl.location_id = %(store)s
        LEFT JOIN wanted w ON w.slug = c.slug
        WHERE pr.is_active AND v.is_active AND sl.on_hand - sl.reserved - sl.safety_stock > 0
          AND (w.slug IS NULL OR v.size = '' OR v.size = w.size)
        ORDER BY v.product_id, (w.slug IS NOT NULL AND v.size = ''), v.sku
    ) t
    ORDER BY score DESC, product_id
    LIMIT %(limit)s
), newest AS (  -- product_newest_idx read backwards until enough styles of their categories
    SELECT pr.id, pr.name, pr.created_at, c.slug
    FROM {product} pr JOIN {category} c ON c.id = pr.category_id
    WHERE pr.is_active AND c.slug = ANY(%(slugs)s::text[]) AND NOT (pr.id = ANY(%(owned)s::bigint[]))
    ORDER BY pr.created_at DESC, pr.id DESC
    LIMIT %(styles)s
), in_size AS (
    SELECT * FROM (
        SELECT DISTINCT ON (n.id) v.id, n.id AS product_id, v.sku, v.size, n.name, 0 AS score, n.created_at,
               sl.on_hand - sl.reserved - sl.safety_stock AS available
        FROM newest n
        JOIN wanted w ON w.slug = n.slug
        JOIN {variant} v ON v.product_id = n.id AND v.size = w.size
        JOIN {level} sl ON sl.variant_id = v.id AND sl.location_id = %(store)s
        WHERE v.is_active AND sl.on_hand - sl.reserved - sl.safety_stock > 0
          AND n.id NOT IN (SELECT product_id FROM together)
        ORDER BY n.id, v.sku
    ) t
    ORDER BY created_at DESC, sku
    LIMIT %(limit)s
)
SELECT 'together', * FROM together
UNION ALL
SELECT 'size', * FROM in_size
"""

_BOUGHT_SQL = """
SELECT p.sku, p.category, p.size, v.product_id, c.slug
FROM (
    SELECT sku, category, size, occurred_at FROM {item}
    WHERE customer_id = %s AND quantity > 0
    ORDER BY occurred_at DESC
    LIMIT %s
) p
LEFT JOIN {variant} v ON v.sku = p.sku
LEFT JOIN {product} pr ON pr.id = v.product_id
LEFT JOIN {category} c ON c.id = pr.category_id
ORDER BY p.occurred_at DESC
"""


def _tables() -> dict[str, str]:
    return {
        "item": PurchasedItem._meta.db_table,
        "variant": Variant._meta.db_table,
        "product": Product._meta.db_table,
        "category": Product._meta.get_field("category").related_model._meta.db_table,
        "level": Variant._meta.get_field("stock_levels").related_model._meta.db_table,
    }


def _bought(customer: Customer) -> list[dict]:
    """The shopper's newest purchase lines with their style and the catalog's category slug (one join)."""
    with connection.cursor() as cursor:
        cursor.execute(_BOUGHT_SQL.format(**_tables()), [customer.pk, RECENT_PURCHASES])
        rows = cursor.fetchall()
    keys = ("sku", "category", "size", "product_id", "category_slug")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def _recommendation(row: tuple, reason: str) -> Recommendation:
    variant_id, product_id, sku, size, name, _score, _created, available = row
    variant = Variant(id=variant_id, product_id=product_id, sku=sku, size=size)
    variant.product = Product(id=product_id, name=name)
    return Recommendation(variant=variant, available=available, reason=reason)


def recommendations_for(customer: Customer, *, store: Store, limit: int = 6) -> dict[str, list[Recommendation]]:
    """ "Bought together" (what other shoppers bought in the same baskets as this shopper) and "more
    in your size" (new styles of the categories they buy, in their size), only with stock in `store`.

    Bounded at any size of history: the shopper's newest purchase lines (newest-first index), a
    fixed sample of other baskets (per-SKU LIMIT through the (sku, interaction) index, never a
    scan of all co-purchases), then one statement that picks a variant in stock here per style (at
    most 2 x `limit` rows); three queries.
    """
    bought = _bought(customer)
    owned = {row["product_id"] for row in bought if row["product_id"] is not None}
    seeds = list(dict.fromkeys(row["product_id"] for row in bought if row["product_id"] is not None))[:SEED_STYLES]
    sizes = _sizes(customer, bought)
    if not seeds and not sizes:
        return {"together": [], "size": []}
    score = _co_bought(customer, seeds, owned) if seeds else {}
    if not store.is_active:  # stock is only counted in active locations
        return {"together": [], "size": []}
    params = {
        "scored": list(score),
        "scores": list(score.values()),
        "slugs": list(sizes),
        "sizes": [str(size) for size in sizes.values()],
        "owned": list(owned),
        "store": store.pk,
        "limit": limit,
        "styles": SIZE_STYLES,
    }
    with connection.cursor() as cursor:
        cursor.execute(_PICKS_SQL.format(**_tables()), params)
        rows = cursor.fetchall()
    together = sorted((r[1:] for r in rows if r[0] == "together"), key=lambda r: (-r[5], r[1]))
    in_size = sorted((r[1:] for r in rows if r[0] == "size"), key=lambda r: r[2])
    in_size.sort(key=lambda r: r[6], reverse=True)  # newest first, then SKU (a stable sort)
    return {
        "together": [_recommendation(r, "bought together") for r in together],
        "size": [_recommendation(r, "in your size") for r in in_size],
    }


# --- search -----------------------------------------------------------------------------------


@dataclass
class SearchHit:
    customer: Customer
    matched: str  # phone / email / card / name
    score: float


SEARCH_CAP = 100  # matches counted for the search page; beyond, the associate is asked to narrow it
SEARCH_PAGE = 20


@dataclass(frozen=True)
class SearchPage:
    hits: list[SearchHit]  # this page's
    total: int  # how many shoppers match, counted up to SEARCH_CAP
    more: bool  # more than SEARCH_CAP match: the page asks for more of the name, a phone or an email
    page: int
    pages: int


def search_customer_page(
    query: str, *, page: int = 1, per_page: int = SEARCH_PAGE, cap: int = SEARCH_CAP
) -> SearchPage:
    """The search page: how many shoppers match and one page of them, never silently the first ten.

    The same search as the type-ahead, asked for `cap` + 1 shoppers: the count is exact up to `cap`
    and "more than `cap`" past it, and the statements are the same whatever the number of matches.
    """
    found = search_customers(query, limit=cap + 1)
    more, found = len(found) > cap, found[:cap]
    pages = max(1, -(-len(found) // per_page))
    page = min(max(1, page), pages)
    start = (page - 1) * per_page
    return SearchPage(hits=found[start : start + per_page], total=len(found), more=more, page=page, pages=pages)


def search_customers(query: str, *, limit: int = 10) -> list[SearchHit]:
    """One box: phone in any format, email, card number or name (trigram-ranked).

    Exact identity matches come first, then names by similarity. Anonymous, merged and erased
    profiles are never returned.
    """
    code = read_code(query)
    q = code.text
    if len(q) < 2:
        return []
    live = Customer.objects.live().select_related("home_store", "loyalty_account__tier")
    hits: list[SearchHit] = []
    identity_q = Q()
    if "@" in q:
        identity_q |= Q(identities__kind="email", identities__value=q.lower())
    digits = sum(ch.isdigit() for ch in q)
    if digits >= 6:
        if code.phone:
            identity_q |= Q(identities__kind="phone", identities__value=code.phone)
        identity_q |= Q(identities__kind="card", identities__value=code.card)
    if identity_q:
        # one read: the identities (their unique (kind, value) index) joined to the live profiles
        found = live.filter(identity_q).annotate(matched=F("identities__kind"))[:limit]
        for customer in {c.pk: c for c in found}.values():
            hits.append(SearchHit(customer=customer, matched=customer.matched, score=2.0))
    if "@" in q and not hits:
        for customer in live.filter(email__startswith=q.lower()).order_by("email")[:limit]:
            hits.append(SearchHit(customer=customer, matched="email", score=1.5))
    letters = sum(ch.isalpha() for ch in q)
    if letters >= 2 and "@" not in q and len(hits) < limit:
        hits += _search_names(live.exclude(pk__in=[h.customer.pk for h in hits]), q.lower(), limit - len(hits))
    return hits[:limit]


TRGM_WORD_THRESHOLD = str(getattr(settings, "CUSTOMERS_NAME_MATCH_THRESHOLD", 0.5))


NAME_CANDIDATES = 30  # distinct names ranked per typo step (a name with no live shopper yields none)

# Step 1: any 50 distinct names where every typed word starts a word (unordered: the GIN index
# stops early), the best of them by whole words typed, then length; up to ten live shoppers each.
_PREFIX_NAMES_SQL = """
SELECT c.id FROM (
    SELECT m.name, (SELECT count(*) FROM unnest(%s::text[]) w WHERE w = ANY(string_to_array(m.name, ' '))) AS whole
    FROM (SELECT n.name FROM {names} n WHERE {matched} LIMIT %s) m
    ORDER BY whole DESC, length(m.name), m.name
    LIMIT %s
) n CROSS JOIN LATERAL (
    SELECT c.id FROM {customers} c
    WHERE c.search_name = n.name AND NOT c.is_anonymous AND c.merged_into_id IS NULL AND c.erased_at IS NULL
    LIMIT %s
) c
ORDER BY n.whole DESC, length(n.name), n.name, c.id
LIMIT %s
"""

_FUZZY_NAMES_SQL = """
SELECT c.id FROM (
    SELECT n.name, similarity(n.name, %s) AS score FROM {names} n WHERE {matched}
    ORDER BY score DESC, n.name
    LIMIT %s
) n CROSS JOIN LATERAL (
    SELECT c.id FROM {customers} c
    WHERE c.search_name = n.name AND NOT c.is_anonymous AND c.merged_into_id IS NULL AND c.erased_at IS NULL
    LIMIT %s
) c
ORDER BY n.score DESC, n.name, c.id
LIMIT %s
"""


def _search_names(qs: QuerySet, q: str, limit: int) -> list[SearchHit]:
    """Names in steps that each cost about the same whatever the number of shoppers.

    1. Every typed word starts a word of the name ("jo smi" finds John Smith): a regular
       expression the GIN index of the distinct names serves, read unordered (50 names whatever
       the number of Smiths) and ordered: whole-word matches first, then shorter names.
    2. Typos: every word is similar to a word of the name (word similarity >= 0.5, so "smiht"
       finds Smith).
    3. Still nothing: the whole name by trigram similarity (>= 0.3), which catches a typo in a
       short word ("jhon smith", "lucia pael").
    Steps 2 and 3 rank the distinct names (`SearchName`, its own GIN index) rather than the
    shoppers, so a common first name is a few hundred names, not every Lucia of the chain; then
    up to ten live shoppers of each of the best names (customer_live_name_idx, a LIMIT that
    stops early even for the 10,000 Lucia Patels of a large chain), ordered by similarity of
    the whole name, name, id. Which ten of many shoppers with one identical name come is not
    defined (it was the lowest ids: that read every shopper of the name).
    """

    words = q.split()
    whole = sorted(set(words))
    tables = {"names": SearchName._meta.db_table, "customers": Customer._meta.db_table}
    prefixed = " AND ".join(["n.name ~ %s"] * len(words))
    starts = RawSQL(  # noqa: S611 - table names from the models, every value a parameter
        _PREFIX_NAMES_SQL.format(matched=prefixed, **tables),
        [whole, *[r"(^| )" + re.escape(word) for word in words], limit * 5, limit, limit * 2, limit * 2],
    )
    found = list(qs.filter(pk__in=starts).order_by())
    found.sort(key=lambda c: (-len(set(whole) & set(c.search_name.split())), len(c.search_name), c.search_name, c.pk))
    hits = [SearchHit(customer=c, matched="name", score=1.0) for c in found[:limit]]
    if len(hits) >= limit:
        return hits
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('pg_trgm.word_similarity_threshold', %s, false)", [TRGM_WORD_THRESHOLD])
    each_word = (" AND ".join(["%s <%% n.name"] * len(words)), words)
    whole_name = ("n.name %% %s", [q])
    for matched, params in (each_word, whole_name):
        taken = [h.customer.pk for h in hits]
        wanted = limit - len(hits)
        best = RawSQL(  # noqa: S611 - table names from the models, every value a parameter
            _FUZZY_NAMES_SQL.format(matched=matched, **tables),
            [q, *params, max(NAME_CANDIDATES, limit), wanted + len(taken), wanted + len(taken)],
        )
        fuzzy = list(
            qs.filter(pk__in=best)
            .exclude(pk__in=taken)
            .annotate(score=TrigramSimilarity("search_name", q))
            .order_by("-score", "search_name", "id")[:wanted]
        )
        hits += [SearchHit(customer=c, matched="name", score=float(c.score)) for c in fuzzy]
        if hits or len(words) == 1:
            break
    return hits


# --- client books and dashboards ---------------------------------------------------------------


def client_book(*, associate: User | None = None, store: Store | None = None) -> QuerySet[Customer]:
    qs = Customer.objects.live().select_related("loyalty_account__tier", "assigned_associate")
    if associate is not None:
        qs = qs.filter(assigned_associate=associate)
    if store is not None:
        qs = qs.filter(home_store=store)
    return qs.order_by("last_name", "first_name", "id")


def store_today(store: Store) -> date:
    """Today's date on the store's own clock: a task due "today" is due by the store's midnight."""
    try:
        return timezone.now().astimezone(ZoneInfo(store.time_zone)).date()
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.localdate()


def tasks_due(*, store: Store, user: User | None = None, today: date | None = None) -> QuerySet[Task]:
    """Open tasks of the store due by `today` (the store's date), for `user` or nobody in particular."""
    today = today or store_today(store)
    qs = Task.objects.filter(store=store, status=Task.Status.OPEN, due_on__lte=today).select_related(
        "customer", "assignee"
    )
    if user is not None:
        qs = qs.filter(Q(assignee=user) | Q(assignee__isnull=True))
    return qs.order_by("due_on", "id")


# --- merging two profiles (head office) -------------------------------------------------------


def _count(model, **outer) -> Subquery:
    rows = model.objects.filter(**{k: OuterRef(v) for k, v in outer.items()}).order_by().values(*outer)
    return Coalesce(Subquery(rows.annotate(n=Count("pk")).values("n")), Value(0))


def merge_comparison(*, kept: Customer, other: Customer) -> dict:
    """Both profiles side by side for the merge confirmation, and what the kept one ends with.

    {"kept", "other": Customer (with identities, consents, balances and counts), "rows": [{label,
    kept, other, after}]}. Four queries whatever the histories: profiles with their counts,
    identities, consents, tags."""

    profiles = {
        c.pk: c
        for c in Customer.objects.filter(pk__in=[kept.pk, other.pk])
        .select_related("home_store", "assigned_associate", "user", "loyalty_account", "store_credit")
        .annotate(
            timeline_count=_count(Interaction, customer="pk"),
            notes_count=_count(Note, customer="pk"),
            tasks_count=_count(Task, customer="pk"),
            list_items_count=_count(ListItem, customer_list__customer="pk"),
            offers_count=_count(OfferAssignment, customer="pk"),
        )
    }
    kept, other = profiles[kept.pk], profiles[other.pk]
    for c in (kept, other):
        c.identity_rows, c.consent_rows, c.tag_names = [], {}, []
    for identity in CustomerIdentity.objects.filter(customer__in=[kept, other]).order_by("kind", "value"):
        profiles[identity.customer_id].identity_rows.append(f"{identity.get_kind_display()}: {identity.value}")
    for consent in Consent.objects.filter(customer__in=[kept, other]):
        profiles[consent.customer_id].consent_rows[consent.channel] = consent
    for customer_id, name in Tag.customers.through.objects.filter(customer__in=[kept, other]).values_list(
        "customer_id", "tag__name"
    ):
        profiles[customer_id].tag_names.append(name)
    filled = merged_fields(source=other, target=kept)

    def field(label, name, show=lambda c, v: v):
        a, b = show(kept, getattr(kept, name)), show(other, getattr(other, name))
        after = b if name in filled else a
        return {"label": label, "kept": a or "—", "other": b or "—", "after": after or "—", "filled": name in filled}

    def money(c, name):
        account = getattr(c, name, None)
        return account.balance if account else 0

    points = [money(kept, "loyalty_account"), money(other, "loyalty_account")]
    credit = [money(kept, "store_credit"), money(other, "store_credit")]
    accounts = [c.user.email if c.user_id else "" for c in (kept, other)]
    rows = [
        field("First name", "first_name"),
        field("Last name", "last_name"),
        field("Email", "email"),
        field("Phone", "phone"),
        field("Loyalty card", "card_number"),
        field("Birthday", "birthday"),
        field("Home store", "home_store_id", lambda c, v: c.home_store and str(c.home_store)),
        field("Client book", "assigned_associate_id", lambda c, v: c.assigned_associate and str(c.assigned_associate)),
        {
            "label": "App/web account",
            "kept": accounts[0] or "—",
            "other": accounts[1] or "—",
            "after": accounts[0] or accounts[1] or "—",
            "filled": bool(accounts[1] and not accounts[0]),
        },
        {"label": "Points", "kept": points[0], "other": points[1], "after": sum(points), "filled": bool(points[1])},
        {
            "label": "Store credit",
            "kept": credit[0],
            "other": credit[1],
            "after": sum(credit),
            "filled": bool(credit[1]),
        },
    ]
    for label, name, joined in [
        ("Timeline events", "timeline_count", False),
        ("Notes", "notes_count", False),
        ("Tasks", "tasks_count", False),
        ("List items", "list_items_count", True),  # the same item on both wishlists is kept once
        ("Offers", "offers_count", True),  # an offer both were given is kept once
    ]:
        a, b = getattr(kept, name), getattr(other, name)
        after = f"{a + b}" if not joined else f"up to {a + b}, joined"
        rows.append({"label": label, "kept": a, "other": b, "after": after if b else a, "filled": bool(b)})
    return {"kept": kept, "other": other, "rows": rows, "filled": filled}
