"""The catalog and its stock: `products` styles in `variants` SKUs, stocked the way a chain ranges them.

Every variant is held by every warehouse and ranged in ~30% of the stores (a different draw per
SKU); 5% of store levels are sold out, 7% down to the last few, the rest 6-30 units; warehouses
hold 30-120. Each level with stock is explained by one receipt in the ledger equal to `on_hand`,
so `manage.py verify_stock_ledger` passes on the bench database. Names, categories, colours,
sizes and prices are the demo seed's (inventory/seed.py), so screens look like the demo's.
"""

import random
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from benchmarks.bulk import analyze, copy_rows
from benchmarks.context import DatasetContext
from benchmarks.datasets._loading import indexes_after_load, next_id, reset_sequences
from benchmarks.registry import dataset
from inventory.models import Category, Product, StockLevel, StockMovement, Variant
from inventory.seed import ADJECTIVES, BED_SIZES, BRANDS, COLOURS, NOUNS, PRICES, SIZES, TREE, ean13
from retail.models import Store
from retail.models.tax import STANDARD

PRODUCT_FIELDS = [
    *("id", "style_code", "name", "brand", "category", "description", "base_price", "attributes", "image_url"),
    *("is_active", "final_sale", "return_window_days", "created_at", "updated_at", "tax_class"),
]
MATERIALS = ["cotton", "linen", "wool", "recycled polyester", "stoneware"]
STORE_RANGE = 0.30  # share of stores that range a given SKU
# Model names make 20,000 styles distinguishable ("Relaxed linen shirt Arlo"), as real catalogs do.
SYLLABLES = ["ar", "lo", "bre", "ka", "mi", "no", "ve", "sa", "ti", "ro", "el", "da", "fin", "ju", "os", "ra"]
MODEL_NAMES = sorted({(a + b).capitalize() for a in SYLLABLES for b in SYLLABLES if a != b})


def _categories() -> list[tuple[Category, str]]:
    """The seed's tree (top level with its return window, then the leaves): [(leaf, top name)]."""
    leaves = []
    for top, children in TREE.items():
        parent = Category.objects.create(name=top, slug=top.lower(), return_window_days=30 if top != "Home" else 60)
        for child in children:
            slug = f"{top.lower()}-{child.lower().replace(' ', '-')}"
            leaves.append((Category.objects.create(name=child, slug=slug, parent=parent), top))
    return leaves


def _options(top: str, child: str) -> list[tuple[str, str]]:
    sizes = SIZES.get(top) or (BED_SIZES if child == "Bedding" else [""])
    return [(colour, size) for colour in COLOURS for size in sizes]


def _levels(seed: int, variants: range, stores: list[int], warehouses: list[int], now):
    """(variant, location, on_hand, safety_stock, last_counted_at, received_at) for every level.

    Drawn from its own generator so the levels and their receipts can be streamed in two passes;
    dates come from precomputed pools (a few microseconds a row matter at 6.5M rows).
    """
    rng = random.Random(seed)
    random_, sample = rng.random, rng.sample
    ranged = max(1, round(len(stores) * STORE_RANGE))
    counted = [now - timedelta(days=d, minutes=m) for d in range(91) for m in (0, 95, 210, 330, 475)]
    received = [now - timedelta(days=20 + d) for d in range(101)]
    for variant in variants:
        for location in sorted(sample(stores, ranged)):
            roll = random_()
            if roll < 0.05:
                on_hand = 0
            elif roll < 0.12:
                on_hand = 1 + int(random_() * 3)
            else:
                on_hand = 6 + int(random_() * 25)
            last_count = counted[int(random_() * len(counted))] if roll < 0.6 else None
            yield variant, location, on_hand, 1 if random_() < 0.2 else 0, last_count, received[int(roll * 100)]
        for location in warehouses:
            roll = random_()
            last_count = counted[int(random_() * len(counted))] if roll < 0.6 else None
            yield variant, location, 30 + int(random_() * 91), 0, last_count, received[int(roll * 100)]


@dataset(order=20)
def build(ctx: DatasetContext) -> None:
    """Categories, products, variants, stock levels (30% of stores + every warehouse) and their receipts."""
    rng, now = ctx.rng, timezone.now()
    n_products, n_variants = ctx.count("products"), ctx.count("variants")
    locations = Store.objects.active()
    stores = list(locations.filter(kind=Store.Kind.STORE).order_by("pk").values_list("pk", flat=True))
    warehouses = list(locations.filter(kind=Store.Kind.WAREHOUSE).order_by("pk").values_list("pk", flat=True))
    if not stores:
        raise LookupError("The inventory builder needs the retail builder's stores.")

    leaves = _categories()
    first_product, first_variant = next_id(Product), next_id(Variant)
    products, variants = [], []  # (id, leaf, top, base price) / (id, product id, sku, barcode, size, colour, ...)
    per_product = n_variants // n_products
    for p in range(n_products):
        leaf, top = leaves[p % len(leaves)]
        low, high = PRICES[top]
        products.append((first_product + p, leaf, top, Decimal(rng.randrange(low, high)) + Decimal("0.99")))
    for v in range(n_variants):
        p = min(v // per_product, n_products - 1)
        pid, leaf, top, price = products[p]
        options = _options(top, leaf.name)
        colour, size = options[(v - p * per_product + p) % len(options)]
        style = f"{top[0]}{leaf.name[:2].upper()}-{p + 1:05d}"
        variants.append(
            (
                first_variant + v,
                pid,
                f"{style}-{colour[:3].upper()}{'-' + size.upper().replace(' ', '') if size else ''}",
                ean13(f"2{v + 1:011d}"),
                size,
                colour,
                (price - Decimal("5.00")) if size in ("XS", "XXL") and price > 20 else None,
                rng.random() > 0.01,
            )
        )

    with indexes_after_load(Product, Variant, StockLevel, StockMovement):
        copy_rows(
            Product,
            PRODUCT_FIELDS,
            (
                (
                    pid,
                    f"{top[0]}{leaf.name[:2].upper()}-{pid - first_product + 1:05d}",
                    f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS[leaf.name]).lower()} {rng.choice(MODEL_NAMES)}",
                    rng.choice(BRANDS),
                    leaf.pk,
                    f"A {leaf.name.lower()} staple from our {top.lower()} range.",
                    price,
                    {"material": rng.choice(MATERIALS)},
                    f"https://img.omnistore.example/{top.lower()}/{pid:06d}.jpg",
                    True,
                    rng.random() < 0.04,
                    14 if rng.random() < 0.03 else None,
                    now,
                    now,
                    STANDARD,  # COPY skips the model's default: the tax kernel's class (issue 19.3)
                )
                for pid, leaf, top, price in products
            ),
        )
        copy_rows(
            Variant, ["id", "product", "sku", "barcode", "size", "colour", "price_override", "is_active"], variants
        )
        ids = range(first_variant, first_variant + n_variants)
        seed = rng.randrange(2**32)
        levels = copy_rows(
            StockLevel,
            ["variant", "location", "on_hand", "reserved", "safety_stock", "last_counted_at"],
            (
                (v, loc, q, 0, safety, counted)
                for v, loc, q, safety, counted, _ in _levels(seed, ids, stores, warehouses, now)
            ),
        )
        receipts = copy_rows(
            StockMovement,
            ["variant", "location", "kind", "quantity", "balance_after", "reference", "note", "created_at"],
            (
                (v, loc, "receipt", q, q, "bench:opening-stock", "", received)
                for v, loc, q, _, _, received in _levels(seed, ids, stores, warehouses, now)
                if q
            ),
        )
    reset_sequences(Product, Variant)
    analyze(Category, Product, Variant, StockLevel, StockMovement)
    ctx.log(f"  {n_products} products, {n_variants} variants, {levels} stock levels, {receipts} receipts")
