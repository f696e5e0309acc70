"""Writes of the catalog: (de)activation and CSV imports of catalog and stock (prices: pricing.py).

Imports validate every row first and write nothing when any row is bad; they are idempotent
(catalog rows are upserted by style code and SKU; stock rows set an absolute counted figure).
"""

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.text import slugify

from inventory.models import Category, Product, StockLevel, Variant
from inventory.operations import MAX_COUNTED, post_stock_count, set_count_quantity, start_stock_count
from retail.models import Store, User
from retail.services import record_audit_event
from retail.spreadsheets import csv_writer, formula_cell

CENT = Decimal("0.01")


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


# --------------------------------------------------------------------------- CSV imports


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)  # "line N: message"


CATALOG_COLUMNS = ["style_code", "name", "category", "base_price", "sku"]
CATALOG_OPTIONAL = [
    "brand",
    "description",
    "image_url",
    "final_sale",
    "return_window_days",
    "barcode",
    "size",
    "colour",
    "price_override",
    "active",
]
STOCK_COLUMNS = ["sku", "location", "on_hand"]
STOCK_OPTIONAL = ["safety_stock"]
_TRUE, _FALSE = {"1", "true", "yes", "y"}, {"", "0", "false", "no", "n"}


def _read(text: str, required: list[str], optional: list[str]) -> tuple[list[tuple[int, dict]], list[str]]:
    try:
        reader = csv.DictReader(io.StringIO(text))
        header = [h.strip() for h in (reader.fieldnames or [])]
        missing = [c for c in required if c not in header]
        if missing:
            return [], [f"line 1: missing column(s) {', '.join(missing)}; expected {', '.join(required + optional)}"]
        unknown = [c for c in header if c not in required + optional]
        if unknown:
            return [], [f"line 1: unknown column(s) {', '.join(unknown)}"]
        rows = []
        for row in reader:
            if None in row:
                return rows, [f"line {reader.line_num}: more cells than columns"]
            cells = {k.strip(): (v or "").strip() for k, v in row.items()}
            if column := formula_cell(cells):
                return rows, [
                    f"line {reader.line_num}: {column} starts with =, +, -, or @: a spreadsheet would run it"
                    " as a formula. Remove that character."
                ]
            rows.append((reader.line_num, cells))
    except csv.Error as exc:
        return [], [f"line {reader.line_num}: not valid CSV ({exc})"]
    if not rows:
        return [], ["the file has no data rows"]
    return rows, []


MAX_PRICE = Decimal("100000000")  # DecimalField(max_digits=10, decimal_places=2)


def _decimal(value: str, label: str, errors: list[str], line: int, *, blank_ok: bool = False) -> Decimal | None:
    if not value and blank_ok:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        errors.append(f"line {line}: {label} {value!r} is not a number")
        return None
    # NaN, Infinity and 1e999 are Decimals too: compared or quantized they raise, stored they overflow
    if not number.is_finite() or abs(number) >= MAX_PRICE:
        errors.append(f"line {line}: {label} {value!r} is not a price (0 to {MAX_PRICE - CENT})")
        return None
    if number < 0 or number != number.quantize(CENT):
        errors.append(f"line {line}: {label} must be 0 or more with at most 2 decimals")
        return None
    return number


def _bool(value: str, label: str, errors: list[str], line: int, default: bool) -> bool:
    low = value.lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return default if low == "" else False
    errors.append(f"line {line}: {label} must be yes/no, not {value!r}")
    return default


def _int(value: str, label: str, errors: list[str], line: int, *, blank: int | None = None) -> int | None:
    if not value:
        return blank
    if not (value.isascii() and value.isdigit()) or len(value) > 9:  # "²" is a digit to isdigit()
        errors.append(f"line {line}: {label} must be a whole number 0 or more, not {value!r}")
        return None
    return int(value)


def import_catalog(*, text: str, actor: User | None = None, dry_run: bool = False) -> ImportReport:
    """Upsert products (by style_code) and variants (by sku) from CSV, one row per variant.

    Columns (header row required): style_code, name, category (a path such as "Women/Tops"; missing
    categories are created), base_price, sku; optional brand, description, image_url, final_sale,
    return_window_days, barcode, size, colour, price_override, active. Every row is checked first;
    with any error nothing is written and `report.errors` names each line.
    """
    rows, errors = _read(text, CATALOG_COLUMNS, CATALOG_OPTIONAL)
    report = ImportReport(rows=len(rows), errors=errors)
    if errors:
        return report
    products: dict[str, dict] = {}
    variants: dict[str, dict] = {}
    barcodes: dict[str, str] = {}
    for line, row in rows:
        for column in CATALOG_COLUMNS:
            if not row.get(column):
                errors.append(f"line {line}: {column} is empty")
        if any(e.startswith(f"line {line}:") for e in errors):
            continue
        style = row["style_code"]
        if slugify(style) != style.lower() or len(style) > 40:
            errors.append(f"line {line}: style_code {style!r} may hold only letters, digits, - and _")
        product = {
            "name": row["name"][:200],
            "brand": row.get("brand", "")[:80],
            "category": row["category"],
            "base_price": _decimal(row["base_price"], "base_price", errors, line),
            "description": row.get("description", ""),
            "image_url": row.get("image_url", ""),
            "final_sale": _bool(row.get("final_sale", ""), "final_sale", errors, line, False),
            "return_window_days": _int(row.get("return_window_days", ""), "return_window_days", errors, line),
        }
        if style in products and products[style] != product:
            errors.append(f"line {line}: style {style} differs from its earlier line")
        products[style] = product
        sku, barcode = row["sku"], row.get("barcode") or None
        if sku in variants:
            errors.append(f"line {line}: SKU {sku} appears twice")
        if len(sku) > 40:
            errors.append(f"line {line}: SKU is longer than 40 characters")
        if barcode:
            if not barcode.isdigit() or len(barcode) not in (8, 12, 13, 14):
                errors.append(f"line {line}: barcode {barcode!r} is not an EAN/UPC (8, 12, 13 or 14 digits)")
            if barcodes.setdefault(barcode, sku) != sku:
                errors.append(f"line {line}: barcode {barcode} is also on SKU {barcodes[barcode]}")
        variants[sku] = {
            "style": style,
            "barcode": barcode,
            "size": row.get("size", "")[:20],
            "colour": row.get("colour", "")[:40],
            "price_override": _decimal(row.get("price_override", ""), "price_override", errors, line, blank_ok=True),
            "is_active": _bool(row.get("active", ""), "active", errors, line, True),
        }
    if not errors:
        _check_like_the_write(products, variants, rows, errors)
    taken = dict(
        Variant.objects.filter(barcode__in=list(barcodes)).exclude(sku__in=list(variants)).values_list("barcode", "sku")
    )
    for barcode, other in taken.items():
        line = next(n for n, r in rows if r.get("barcode") == barcode)
        errors.append(f"line {line}: barcode {barcode} already belongs to SKU {other}")
    moved = Variant.objects.filter(sku__in=list(variants)).select_related("product")
    for variant in moved:
        if variant.product.style_code != variants[variant.sku]["style"]:
            line = next(n for n, r in rows if r["sku"] == variant.sku)
            errors.append(f"line {line}: SKU {variant.sku} belongs to style {variant.product.style_code}")
    if errors or dry_run:
        return report
    with transaction.atomic():
        _write_catalog(products, variants, report)
        record_audit_event(
            actor=actor,
            action="catalog.imported",
            object_type="inventory.product",
            details={"rows": report.rows, "created": report.created, "updated": report.updated},
        )
    return report


def _check_like_the_write(products: dict, variants: dict, rows, errors: list[str]) -> None:
    """The model validation _write_catalog runs (full_clean), run in the check, so a dry run that
    passes means the import passes (URLs, lengths, ranges, category paths)."""
    line_of_style = {}
    for n, r in rows:
        line_of_style.setdefault(r["style_code"], n)
    line_of_sku = {r["sku"]: n for n, r in rows}
    slug_limit = Category._meta.get_field("slug").max_length
    name_limit = Category._meta.get_field("name").max_length
    for style, data in products.items():
        line = line_of_style[style]
        names = [p.strip() for p in data["category"].split("/") if p.strip()]
        slug = "-".join(slugify(name) for name in names)
        if not names or not slug or len(slug) > slug_limit or any(len(n) > name_limit for n in names):
            errors.append(f"line {line}: category {data['category']!r} is not a usable path like Women/Tops")
        fields = {k: v for k, v in data.items() if k != "category"}
        _full_clean(Product(style_code=style, **fields), line, errors, exclude=["category"])
    for sku, data in variants.items():
        fields = {k: v for k, v in data.items() if k != "style"}
        _full_clean(Variant(sku=sku, **fields), line_of_sku[sku], errors, exclude=["product"])


def _full_clean(obj, line: int, errors: list[str], *, exclude: list[str]) -> None:
    try:
        obj.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.append(f"line {line}: {field}: {' '.join(messages)}")


def _category(path: str, cache: dict[str, Category]) -> Category:
    parent = None
    slug = ""
    for name in [p.strip() for p in path.split("/") if p.strip()]:
        slug = f"{slug}-{slugify(name)}" if slug else slugify(name)
        if slug not in cache:
            cache[slug], _ = Category.objects.get_or_create(slug=slug, defaults={"name": name, "parent": parent})
        parent = cache[slug]
    return parent


def _write_catalog(products: dict, variants: dict, report: ImportReport) -> None:
    categories: dict[str, Category] = {}
    existing = {p.style_code: p for p in Product.objects.filter(style_code__in=list(products))}
    saved: dict[str, Product] = {}
    for style, data in products.items():
        data = {**data, "category": _category(data["category"], categories)}
        product = existing.get(style) or Product(style_code=style)
        before = {k: getattr(product, k, None) for k in data} if product.pk else None
        for key, value in data.items():
            setattr(product, key, value)
        product.full_clean(validate_unique=False)
        if before != data:
            product.save()
        saved[style] = product
    current = {v.sku: v for v in Variant.objects.filter(sku__in=list(variants))}
    for sku, data in variants.items():
        fields = {k: v for k, v in data.items() if k != "style"}
        variant = current.get(sku)
        if variant is None:
            variant = Variant(sku=sku, product=saved[data["style"]], **fields)
            variant.full_clean(validate_unique=False)
            variant.save()
            report.created += 1
        elif any(getattr(variant, k) != v for k, v in fields.items()):
            for key, value in fields.items():
                setattr(variant, key, value)
            variant.full_clean(validate_unique=False)
            variant.save()
            report.updated += 1
        else:
            report.unchanged += 1


def export_catalog(*, products: QuerySet[Product]) -> str:
    """The products' variants as a catalog CSV that `import_catalog` reads back unchanged."""
    out = io.StringIO()
    writer = csv_writer(out, lineterminator="\n")
    writer.writerow(CATALOG_COLUMNS + CATALOG_OPTIONAL)
    variants = (
        Variant.objects.filter(product__in=products.values("pk"))
        .select_related("product__category__parent__parent")
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
            ]
        )
    return out.getvalue()


def import_stock(*, text: str, actor: User | None = None, dry_run: bool = False) -> ImportReport:
    """Set counted stock from CSV: columns sku, location (store code), on_hand; optional safety_stock.

    Each location's rows are posted as one stock count (`count` movements for the differences,
    last_counted_at stamped), so running the same file twice changes nothing the second time.
    Every row is checked first; with any error nothing is written.
    """
    rows, errors = _read(text, STOCK_COLUMNS, STOCK_OPTIONAL)
    report = ImportReport(rows=len(rows), errors=errors)
    if errors:
        return report
    skus = set(Variant.objects.filter(sku__in=[r["sku"] for _, r in rows]).values_list("sku", flat=True))
    stores = {s.code: s for s in Store.objects.active().filter(code__in=[r["location"] for _, r in rows])}
    plan: dict[str, dict[str, tuple[int, int | None]]] = {}
    for line, row in rows:
        if row["sku"] not in skus:
            errors.append(f"line {line}: unknown SKU {row['sku']!r}")
        if row["location"] not in stores:
            errors.append(f"line {line}: unknown location {row['location']!r}")
        on_hand = _int(row["on_hand"], "on_hand", errors, line)
        if not row["on_hand"]:
            errors.append(f"line {line}: on_hand is empty")
        safety = _int(row.get("safety_stock", ""), "safety_stock", errors, line)
        for label, number in (("on_hand", on_hand), ("safety_stock", safety)):
            if number is not None and number > MAX_COUNTED:  # what the count posting refuses
                errors.append(f"line {line}: {label} is at most {MAX_COUNTED:,}")
        if row["sku"] in plan.get(row["location"], {}):
            errors.append(f"line {line}: {row['sku']} at {row['location']} appears twice")
        plan.setdefault(row["location"], {})[row["sku"]] = (on_hand, safety)
    if errors or dry_run:
        return report
    with transaction.atomic():
        for code, lines in sorted(plan.items()):
            store = stores[code]
            current = dict(
                StockLevel.objects.filter(location=store, variant__sku__in=list(lines)).values_list(
                    "variant__sku", "on_hand"
                )
            )
            changed = {sku: q for sku, (q, _) in lines.items() if current.get(sku) != q}
            report.unchanged += len(lines) - len(changed)
            if changed:
                count = start_stock_count(location=store, actor=actor, note="CSV stock import")
                for sku, quantity in changed.items():
                    set_count_quantity(count=count, variant=sku, quantity=quantity)
                post_stock_count(count=count, actor=actor)
                report.updated += sum(1 for sku in changed if sku in current)
                report.created += sum(1 for sku in changed if sku not in current)
            for sku, (_, safety) in lines.items():
                if safety is not None:
                    StockLevel.objects.filter(location=store, variant__sku=sku).exclude(safety_stock=safety).update(
                        safety_stock=safety
                    )
    return report
