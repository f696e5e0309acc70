"""The catalog CSV import: one row per variant, upserted by style code and SKU.

It names only categories that exist (matched by their names from the top, case and spacing
aside) unless told to create the missing ones, so a typo is a line error, not a new category.
Check, plan and write are one path: a dry run is the import stopped before its first write, and
reports each line as create / update / unchanged with what would change. An optional column the
file leaves out leaves that field as it is; an empty cell in a column it has clears the field. A price it changes (a
style's base price, a variant's own price) is a row of the price ledger, as an edit in the admin.
"""

import difflib
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from inventory.imports import (
    CATALOG_COLUMNS,
    CATALOG_OPTIONAL,
    TEXT_LANGUAGES,
    ImportReport,
    RowPlan,
    bool_cell,
    int_cell,
    price_cell,
    read_csv,
)
from inventory.models import Category, PriceChange, Product, ProductTranslation, Variant
from inventory.models.catalog import WORDED
from inventory.pricing import record_price_edits
from retail.messages import say
from retail.models import User
from retail.services import record_audit_event
from retail.spreadsheets import line_error


def import_catalog(
    *, text: str, actor: User | None = None, dry_run: bool = False, create_categories: bool = False
) -> ImportReport:
    """Upsert products (by style_code) and variants (by sku) from CSV, one row per variant.

    Columns (header row required; commas or semicolons): style_code, name, category (a path such as
    "Women/Tops" naming an existing category; with `create_categories` a missing one is created),
    base_price, sku; optional brand, description, image_url, final_sale, return_window_days,
    barcode, size, colour, price_override, active. Every row is checked and planned first; with
    any error nothing is written and `report.errors` names each line. A dry run returns the same
    report (errors, or each line as create / update / unchanged) and writes nothing.
    """
    report = ImportReport()
    rows, errors = read_csv(text, CATALOG_COLUMNS, CATALOG_OPTIONAL, report)
    report.rows, report.errors = len(rows), errors
    if errors:
        return report
    with transaction.atomic():
        products, variants = _check_catalog(rows, report)
        texts = _check_texts(rows, report)
        categories = _resolve_categories(products, rows, report, create=create_categories)
        if report.errors:
            return report
        plan = _plan_catalog(products, variants, categories, rows, report, texts)
        if dry_run:
            return report
        _write_catalog(plan, categories, actor)
        _write_texts(plan.texts)
        record_audit_event(
            actor=actor,
            action="catalog.imported",
            object_type="inventory.product",
            details={
                "rows": report.rows,
                "created": report.created,
                "updated": report.updated,
                "new_categories": report.new_categories[:100],
            },
        )
    return report


# field -> its optional column: a column the file leaves out leaves that field as it is (a file of
# prices only must not wipe brands and barcodes); an empty cell in a column it has clears it.
OPTIONAL_FIELDS = {"brand": "brand", "description": "description", "image_url": "image_url"}
OPTIONAL_FIELDS |= {"final_sale": "final_sale", "return_window_days": "return_window_days", "barcode": "barcode"}
OPTIONAL_FIELDS |= {"size": "size", "colour": "colour", "price_override": "price_override", "is_active": "active"}


def _check_catalog(rows: list[tuple[int, dict]], report: ImportReport) -> tuple[dict, dict]:
    errors = report.errors
    decimal_comma = report.delimiter == ";"
    absent = {name for name, column in OPTIONAL_FIELDS.items() if rows and column not in rows[0][1]}
    products: dict[str, dict] = {}
    variants: dict[str, dict] = {}
    barcodes: dict[str, str] = {}
    for line, row in rows:
        for column in CATALOG_COLUMNS:
            if not row.get(column):
                errors.append(line_error(line, _("%(column)s is empty") % {"column": column}))
        if any(getattr(e, "line", None) == line for e in errors):
            continue
        style = row["style_code"]
        if slugify(style) != style.lower() or len(style) > 40:
            errors.append(
                line_error(line, _("style_code %(style)r may hold only letters, digits, - and _") % {"style": style})
            )
        product = {
            "name": row["name"][:200],
            "brand": row.get("brand", "")[:80],
            "category": row["category"],
            "base_price": price_cell(row["base_price"], "base_price", errors, line, decimal_comma=decimal_comma),
            "description": row.get("description", ""),
            "image_url": row.get("image_url", ""),
            "final_sale": bool_cell(row.get("final_sale", ""), "final_sale", errors, line, False),
            "return_window_days": int_cell(row.get("return_window_days", ""), "return_window_days", errors, line),
        }
        product = {k: v for k, v in product.items() if k not in absent}
        if style in products and products[style] != product:
            errors.append(line_error(line, _("style %(style)s differs from its earlier line") % {"style": style}))
        products[style] = product
        sku, barcode = row["sku"], row.get("barcode") or None
        if sku in variants:
            errors.append(line_error(line, _("SKU %(sku)s appears twice") % {"sku": sku}))
        if len(sku) > 40:
            errors.append(line_error(line, _("SKU is longer than 40 characters")))
        if barcode:
            if not barcode.isdigit() or len(barcode) not in (8, 12, 13, 14):
                problem = _("barcode %(barcode)r is not an EAN/UPC (8, 12, 13 or 14 digits)")
                errors.append(line_error(line, problem % {"barcode": barcode}))
            if barcodes.setdefault(barcode, sku) != sku:
                problem = _("barcode %(barcode)s is also on SKU %(sku)s") % {
                    "barcode": barcode,
                    "sku": barcodes[barcode],
                }
                errors.append(line_error(line, problem))
        variants[sku] = {
            "style": style,
            "barcode": barcode,
            "size": row.get("size", "")[:20],
            "colour": row.get("colour", "")[:40],
            "price_override": price_cell(
                row.get("price_override", ""),
                "price_override",
                errors,
                line,
                blank_ok=True,
                decimal_comma=decimal_comma,
            ),
            "is_active": bool_cell(row.get("active", ""), "active", errors, line, True),
        }
        variants[sku] = {k: v for k, v in variants[sku].items() if k not in absent}
    if not errors:
        _check_like_the_write(products, variants, rows, errors)
    taken = dict(
        Variant.objects.filter(barcode__in=list(barcodes)).exclude(sku__in=list(variants)).values_list("barcode", "sku")
    )
    for barcode, other in taken.items():
        line = next(n for n, r in rows if r.get("barcode") == barcode)
        errors.append(
            line_error(
                line, _("barcode %(barcode)s already belongs to SKU %(sku)s") % {"barcode": barcode, "sku": other}
            )
        )
    moved = Variant.objects.filter(sku__in=list(variants)).select_related("product")
    for variant in moved:
        if variant.product.style_code != variants[variant.sku]["style"]:
            line = next(n for n, r in rows if r["sku"] == variant.sku)
            problem = _("SKU %(sku)s belongs to style %(style)s")
            errors.append(line_error(line, problem % {"sku": variant.sku, "style": variant.product.style_code}))
    return products, variants


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
        names = _category_names(data["category"])
        slug = "-".join(slugify(name) for name in names)
        if not names or not slug or len(slug) > slug_limit or any(len(n) > name_limit for n in names):
            problem = _("category %(path)r is not a usable path like Women/Tops") % {"path": data["category"]}
            errors.append(line_error(line, problem))
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
            errors.append(line_error(line, f"{field}: {' '.join(messages)}"))  # the column, and Django's words


# --------------------------------------------------------------------------- categories


def _category_names(path: str) -> list[str]:
    return [" ".join(p.split()) for p in path.split("/") if p.strip()]


def _path_key(names: list[str]) -> tuple[str, ...]:
    return tuple(name.casefold() for name in names)


@dataclass
class NewCategory:
    names: list[str]
    slug: str
    parent_key: tuple[str, ...]  # () for a top-level category

    @property
    def label(self) -> str:
        return " / ".join(self.names)


def _resolve_categories(
    products: dict, rows: list[tuple[int, dict]], report: ImportReport, *, create: bool
) -> dict[tuple[str, ...], Category | NewCategory]:
    """Every category path (the file's and their parents) -> the existing Category (matched by its names from the top,
    case and spacing aside, or by its slug), or a NewCategory when `create` allows it; without
    `create` an unknown path is an error on the style's first line, with the closest existing path."""
    existing = {c.pk: c for c in Category.objects.all()}  # head office's tree: tens to hundreds of rows

    def names_of(category: Category) -> list[str]:
        names = []
        while category is not None:
            names.insert(0, category.name)
            category = existing.get(category.parent_id)
        return names

    by_path: dict[tuple[str, ...], Category | NewCategory] = {_path_key(names_of(c)): c for c in existing.values()}
    by_slug: dict[str, Category | NewCategory] = {c.slug: c for c in existing.values()}
    labels = [" / ".join(names_of(c)) for c in existing.values()]
    first_line: dict[str, int] = {}
    for line, row in rows:
        first_line.setdefault(row["style_code"], line)
    resolved: dict[tuple[str, ...], Category | NewCategory] = {}
    for style, data in products.items():
        names = _category_names(data["category"])
        key = _path_key(names)
        if key in resolved or not names:  # an empty path is a line error of the check already
            continue
        slug, parent_key = "", ()
        for depth in range(1, len(names) + 1):
            prefix = _path_key(names[:depth])
            slug = f"{slug}-{slugify(names[depth - 1])}" if slug else slugify(names[depth - 1])
            if prefix not in by_path and slug in by_slug:
                by_path[prefix] = by_slug[slug]
            if prefix not in by_path:
                if not create:
                    label = " / ".join(names)
                    close = difflib.get_close_matches(label, labels, n=1, cutoff=0.75)
                    if close:
                        problem = _(
                            "category %(path)r does not exist. Did you mean %(close)r? Correct it, or import with "
                            "'create missing categories' to add it."
                        ) % {"path": label, "close": close[0]}
                    else:
                        problem = _(
                            "category %(path)r does not exist. Correct it, or import with 'create missing categories' "
                            "to add it."
                        ) % {"path": label}
                    report.errors.append(line_error(first_line[style], problem))
                    break
                by_path[prefix] = by_slug[slug] = NewCategory(names=names[:depth], slug=slug, parent_key=parent_key)
                report.new_categories.append(by_path[prefix].label)
            parent_key = prefix
        else:
            resolved[key] = by_path[key]
    return by_path


# --------------------------------------------------------------------------- plan and write


@dataclass
class CatalogPlan:
    products: dict[str, tuple[Product, dict]]  # style -> (existing or new product, fields to set) when it changes
    variants: list[tuple[Variant | None, str, str, dict]]  # (existing or None, sku, style, fields) when it changes
    # style -> language -> (name, description, {part: {value: name}}) to save, or None: that language's text removed
    texts: dict[str, dict[str, tuple[str, str, dict] | None]] = field(default_factory=dict)


def _check_texts(rows: list[tuple[int, dict]], report: ImportReport) -> dict[str, dict]:
    """The texts of the file's languages per style: name_it / description_it, and colour_it / size_it (the
    name in Italian of the row's variant's colour, size). A language whose name column is left out is left
    as it is; an empty name removes that language's text; an empty colour (size) cell removes that
    colour's (size's) name.
    {style: {code: None (removed) or (name, description or None, {part: {value: name or ""} or None})}}."""
    if not rows:
        return {}
    present = [code for code in TEXT_LANGUAGES if f"name_{code}" in rows[0][1]]
    texts: dict[str, dict] = {}
    words: dict[str, dict[str, dict[str, dict[str, str]]]] = {}  # style -> code -> part -> value -> its name
    for line, row in rows:
        style = row.get("style_code", "")
        mine = {}
        for code in present:
            name, description = row.get(f"name_{code}", ""), row.get(f"description_{code}")
            if not name and description:
                report.errors.append(line_error(line, _("description_%(code)s without name_%(code)s") % {"code": code}))
            mine[code] = (name[:200], description) if name else None
            for part in WORDED:
                value = row.get(part, "")[: Variant._meta.get_field(part).max_length]
                value_name = row.get(f"{part}_{code}")
                if not name and value_name:
                    report.errors.append(
                        line_error(line, _("%(part)s_%(code)s without name_%(code)s") % {"part": part, "code": code})
                    )
                if value_name and not value:
                    report.errors.append(
                        line_error(
                            line, _("%(part)s_%(code)s without the variant's %(part)s") % {"part": part, "code": code}
                        )
                    )
                if name and value and value_name is not None:
                    named = words.setdefault(style, {}).setdefault(code, {}).setdefault(part, {})
                    if named.setdefault(value, value_name[:40]) != value_name[:40]:
                        problem = _("%(part)s %(value)s of style %(style)s has two names in %(part)s_%(code)s")
                        report.errors.append(
                            line_error(line, problem % {"part": part, "value": value, "style": style, "code": code})
                        )
        if style in texts and texts[style] != mine:
            report.errors.append(
                line_error(line, _("the texts of style %(style)s differ from its earlier line") % {"style": style})
            )
        texts[style] = mine
    return {
        style: {
            code: None if text is None else (*text, words.get(style, {}).get(code, {}))
            for code, text in languages.items()
        }
        for style, languages in texts.items()
    }


def _text_changes(texts: dict[str, dict], report_changes: dict[str, list[str]]) -> dict[str, dict]:
    """The texts that differ from the database's, and their differences added to each style's changes.
    A colour (size) the file names is set (or, with an empty cell, removed); the style's others stay."""
    current = {
        (t.product.style_code, t.language): (t.name, t.description, _words(t))
        for t in ProductTranslation.objects.filter(product__style_code__in=list(texts)).select_related("product")
    }
    planned: dict[str, dict] = {}
    for style, languages in texts.items():
        for code, new in languages.items():
            old = current.get((style, code))
            if new is not None:  # no description column: the description stays; colours and sizes are merged
                name, description, named = new
                kept = {part: dict(old[2][part]) if old else {} for part in WORDED}
                for part, names in named.items():
                    for value, value_name in names.items():
                        if value_name:
                            kept[part][value] = value_name
                        else:
                            kept[part].pop(value, None)
                new = (name, description if description is not None else (old[1] if old else ""), kept)
            if new == old or (old is None and new is None):
                continue
            planned.setdefault(style, {})[code] = new
            before, after = (old[0] if old else ""), (new[0] if new else "")
            if old is None or new is None or old[:2] != new[:2]:
                report_changes.setdefault(style, []).append(f"name_{code}: {_shown(before)} → {_shown(after)}")
            for part in WORDED:
                was, now = (old[2][part] if old else {}), (new[2][part] if new else {})
                for value in sorted(set(was) | set(now)):
                    if was.get(value, "") != now.get(value, ""):
                        report_changes.setdefault(style, []).append(
                            f"{part}_{code} ({value}): {_shown(was.get(value, ''))} → {_shown(now.get(value, ''))}"
                        )
    return planned


def _words(text: ProductTranslation) -> dict[str, dict[str, str]]:
    """The translation's names of its variants' colours and sizes: {"colour": {"Grey": "Grigio"}, "size": {}}."""
    return {part: dict(getattr(text, field) or {}) for part, field in WORDED.items()}


def _write_texts(texts: dict[str, dict]) -> None:
    products = dict(Product.objects.filter(style_code__in=list(texts)).values_list("style_code", "pk"))
    for style, languages in texts.items():
        for code, value in languages.items():
            if value is None:
                ProductTranslation.objects.filter(product_id=products[style], language=code).delete()
                continue
            text = ProductTranslation.objects.filter(product_id=products[style], language=code).first()
            text = text or ProductTranslation(product_id=products[style], language=code)
            text.name, text.description, words = value
            for part, names in words.items():
                setattr(text, WORDED[part], names)
            text.full_clean(validate_unique=False)
            text.save()


def _shown(value) -> str:
    if isinstance(value, Category):
        return str(value)
    if isinstance(value, NewCategory):
        return _("%(category)s (new)") % {"category": value.label}
    if isinstance(value, bool):  # final_sale, active: in the reader's words, not Python's True/False
        return _("yes") if value else _("no")
    if value is None:
        return "—"
    return repr(value) if isinstance(value, str) else str(value)


def _differences(obj, fields: dict) -> list[str]:
    changes = []
    for name, new in fields.items():
        old = getattr(obj, name)
        if isinstance(new, (Category, NewCategory)):
            same = isinstance(new, Category) and obj.category_id == new.pk
            old = obj.category
        else:
            same = old == new
        if not same:
            changes.append(f"{name}: {_shown(old)} → {_shown(new)}")
    return changes


def _plan_catalog(
    products: dict, variants: dict, categories: dict, rows, report: ImportReport, texts: dict
) -> CatalogPlan:
    """Each line as create / update / unchanged (into `report`) and what the write must save. The
    only reads are the styles and SKUs of the file, so the dry run and the import agree."""
    current_products = {
        p.style_code: p for p in Product.objects.filter(style_code__in=list(products)).select_related("category")
    }
    current_variants = {v.sku: v for v in Variant.objects.filter(sku__in=list(variants)).select_related("product")}
    plan = CatalogPlan(products={}, variants=[])
    product_changes: dict[str, list[str]] = {}
    for style, data in products.items():
        fields = {**data, "category": categories[_path_key(_category_names(data["category"]))]}
        product = current_products.get(style)
        if product is None:
            plan.products[style] = (Product(style_code=style), fields)
            continue
        product_changes[style] = _differences(product, fields)
        if product_changes[style]:
            plan.products[style] = (product, fields)
    plan.texts = _text_changes(texts, product_changes)
    for line, row in rows:
        sku = row["sku"]
        data = variants[sku]
        style = data["style"]
        fields = {k: v for k, v in data.items() if k != "style"}
        variant = current_variants.get(sku)
        if variant is None:
            action, changes = "create", []
            plan.variants.append((None, sku, style, fields))
        else:
            own = _differences(variant, fields)
            changes = product_changes.get(style, []) + own
            action = "update" if changes else "unchanged"
            if own:
                plan.variants.append((variant, sku, style, fields))
        report.lines.append(RowPlan(line=line, style_code=style, sku=sku, action=action, changes=changes))
    report.created = sum(1 for r in report.lines if r.action == "create")
    report.updated = sum(1 for r in report.lines if r.action == "update")
    report.unchanged = sum(1 for r in report.lines if r.action == "unchanged")
    return plan


def _write_catalog(plan: CatalogPlan, categories: dict, actor: User | None) -> None:
    made: dict[tuple[str, ...], Category] = {}

    def category(value: Category | NewCategory) -> Category:
        if isinstance(value, Category):
            return value
        key = _path_key(value.names)
        if key not in made:
            parent = category(categories[value.parent_key]) if value.parent_key else None
            made[key] = Category(name=value.names[-1], slug=value.slug, parent=parent)
            made[key].full_clean()
            made[key].save()
        return made[key]

    prices = []  # (product, variant or None, old, new) of prices that existed: the price ledger's rows
    saved: dict[str, Product] = {}
    for style, (product, fields) in plan.products.items():
        if product.pk is not None:
            prices.append((product, None, product.base_price, fields["base_price"]))
        for key, value in fields.items():
            setattr(product, key, category(value) if key == "category" else value)
        product.full_clean(validate_unique=False)
        product.save()
        saved[style] = product
    unsaved = {style for variant, _, style, _ in plan.variants if variant is None and style not in saved}
    saved.update({p.style_code: p for p in Product.objects.filter(style_code__in=unsaved)})
    for variant, sku, style, fields in plan.variants:
        if variant is None:
            variant = Variant(sku=sku, product=saved[style])
        else:
            if "price_override" in fields:
                prices.append((variant.product, variant, variant.price_override, fields["price_override"]))
        for key, value in fields.items():
            setattr(variant, key, value)
        variant.full_clean(validate_unique=False)
        variant.save()
    why = say("inventory.catalog_import")
    record_price_edits(changes=prices, source=PriceChange.Source.IMPORT, reason=why, actor=actor)
