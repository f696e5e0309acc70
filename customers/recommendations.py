"""Recommendations for the clienteling screen: "bought together" and "more in your size", only with
stock in the associate's store; bounded reads whatever the size of the purchase history (three queries)."""

from dataclasses import dataclass

from django.db import connection

from customers.models import (
    Customer,
    ListItem,
    PurchasedItem,
)
from inventory import catalog_texts
from retail.models import Store

Variant = ListItem._meta.get_field("variant").related_model  # inventory's model, reached through our FK
Product = Variant._meta.get_field("product").related_model


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
               pr.created_at, sl.available
        FROM scored s
        JOIN {product} pr ON pr.id = s.product_id
        JOIN {category} c ON c.id = pr.category_id
        JOIN {variant} v ON v.product_id = pr.id
        JOIN {level} sl ON sl.variant_id = v.id AND sl.location_id = %(store)s
        LEFT JOIN wanted w ON w.slug = c.slug
        WHERE pr.is_active AND v.is_active AND sl.available > 0
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
               sl.available
        FROM newest n
        JOIN wanted w ON w.slug = n.slug
        JOIN {variant} v ON v.product_id = n.id AND v.size = w.size
        JOIN {level} sl ON sl.variant_id = v.id AND sl.location_id = %(store)s
        WHERE v.is_active AND sl.available > 0
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
    picks = {
        "together": [_recommendation(r, "bought together") for r in together],
        "size": [_recommendation(r, "in your size") for r in in_size],
    }
    products = [pick.variant.product for kind in picks.values() for pick in kind]
    catalog_texts.attach_texts(products, catalog_texts.for_store(store))  # one query more in another language
    return picks
