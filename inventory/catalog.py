"""Writes of the catalog: (de)activation, and its CSV export (imports: imports.py and
catalog_import.py; prices: pricing.py)."""

import io

from django.db import transaction
from django.db.models import QuerySet

from inventory.imports import CATALOG_COLUMNS, CATALOG_OPTIONAL, TEXT_LANGUAGES, TEXT_PARTS
from inventory.models import Product, ProductTranslation, Variant
from inventory.models.catalog import WORDED
from retail.models import User
from retail.services import record_audit_event
from retail.spreadsheets import csv_writer


@transaction.atomic
def set_products_active(*, products: QuerySet[Product], active: bool, actor: User | None = None) -> int:
    ids = list(products.values_list("pk", flat=True))
    changed = Product.objects.filter(pk__in=ids).exclude(is_active=active).update(is_active=active)
    record_audit_event(
        actor=actor,
        action="catalog.activated" if active else "catalog.deactivated",
        object_type="inventory.product",
        details={"products": ids[:500], "changed": changed},
    )
    return changed


def export_catalog(*, products: QuerySet[Product]) -> str:
    """The products' variants as a catalog CSV that `import_catalog` reads back unchanged."""
    out = io.StringIO()
    writer = csv_writer(out, lineterminator="\n")
    writer.writerow(CATALOG_COLUMNS + CATALOG_OPTIONAL)
    variants = (
        Variant.objects.filter(product__in=products.values("pk"))
        .select_related("product__category__parent__parent")
        .prefetch_related("product__translations")
        .order_by("product__style_code", "sku")
    )
    for v in variants:
        p = v.product
        path, node = [], p.category
        while node is not None:
            path.insert(0, node.name)
            node = node.parent
        writer.writerow(
            [
                p.style_code,
                p.name,
                "/".join(path),
                p.base_price,
                v.sku,
                p.brand,
                p.description,
                p.image_url,
                "yes" if p.final_sale else "no",
                p.return_window_days if p.return_window_days is not None else "",
                v.barcode or "",
                v.size,
                v.colour,
                v.price_override if v.price_override is not None else "",
                "yes" if v.is_active else "no",
                *_texts(p, v),
            ]
        )
    return out.getvalue()


def _texts(product: Product, variant: Variant) -> list[str]:
    """The product's name and description, and the variant's colour and size, in each other language, in
    CATALOG_TEXT_COLUMNS' order."""
    texts = {t.language: t for t in product.translations.all()}

    def shown(text: ProductTranslation, part: str) -> str:
        if part not in WORDED:
            return getattr(text, part)
        value = getattr(variant, part)
        return (getattr(text, WORDED[part]) or {}).get(value, "") if value else ""

    return [shown(texts[code], part) if code in texts else "" for code in TEXT_LANGUAGES for part in TEXT_PARTS]
