"""Stock as CSV rows, streamed from the database (the admin action and `manage.py export_stock`)."""

from collections.abc import Iterator

from django.db.models import QuerySet

from inventory.models import StockLevel

# The first four columns are what `import_stock` reads back (drop the others to re-import a count).
STOCK_EXPORT_COLUMNS = [
    "sku",
    "location",
    "on_hand",
    "safety_stock",
    "reserved",
    "available",
    "style_code",
    "product",
    "last_counted_at",
]


def stock_rows(levels: QuerySet[StockLevel] | None = None, *, chunk_size: int = 2000) -> Iterator[tuple]:
    """One tuple per stock level (SKU x location), ordered by location then SKU; one query, streamed."""
    levels = StockLevel.objects.all() if levels is None else levels
    rows = levels.order_by("location__code", "variant__sku").values_list(
        "variant__sku",
        "location__code",
        "on_hand",
        "safety_stock",
        "reserved",
        "available",
        "variant__product__style_code",
        "variant__product__name",
        "last_counted_at",
    )
    for row in rows.iterator(chunk_size=chunk_size):
        counted = row[-1]
        yield (*row[:-1], counted.isoformat() if counted else "")
