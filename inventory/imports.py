"""CSV imports of head office's files: reading (header, separator, cells) and the stock import.

Imports validate every row first and write nothing when any row is bad; they are idempotent
(catalog rows are upserted by style code and SKU, see catalog_import.py; stock rows set an
absolute counted figure). A file separated by semicolons is read as such (sniffed from its header).
"""

import csv
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from inventory.counts import IMPORT_NOTE
from inventory.models import StockLevel, Variant
from inventory.operations import MAX_COUNTED, post_stock_count, set_count_quantity, start_stock_count
from retail.domain.money import is_whole_minor_units
from retail.models import Store, User
from retail.spreadsheets import formula_cell, formula_error, line_error

CENT = Decimal("0.01")


@dataclass
class RowPlan:
    """What an import does (or, checked only, would do) with one line of the file."""

    line: int
    style_code: str
    sku: str
    action: str  # "create", "update" or "unchanged"
    changes: list[str] = field(default_factory=list)  # "name: 'Pocket tee' → 'Pocket T-shirt'"


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)  # "line N: message" (line_error), in the importer's language
    lines: list[RowPlan] = field(default_factory=list)
    new_categories: list[str] = field(default_factory=list)  # "Men / Outerwear", created or to create
    delimiter: str = ","

    @property
    def delimiter_name(self) -> str:
        return str(DELIMITER_NAMES[self.delimiter])


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
# The catalog's texts in the other languages (issue 19.1): name_it, description_it, colour_it and size_it (the
# row's variant's colour and size in that language), name_pl, ...
TEXT_LANGUAGES = [code for code, _ in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
TEXT_PARTS = ("name", "description", "colour", "size")
CATALOG_TEXT_COLUMNS = [f"{part}_{code}" for code in TEXT_LANGUAGES for part in TEXT_PARTS]
CATALOG_OPTIONAL += CATALOG_TEXT_COLUMNS
STOCK_COLUMNS = ["sku", "location", "on_hand"]
STOCK_OPTIONAL = ["safety_stock"]
_TRUE, _FALSE = {"1", "true", "yes", "y"}, {"", "0", "false", "no", "n"}
DELIMITER_NAMES = {
    ",": gettext_lazy("comma-separated"),
    ";": gettext_lazy("semicolon-separated"),
    "\t": gettext_lazy("tab-separated"),
}


def sniff_delimiter(text: str, columns: list[str]) -> str:
    """The separator under which the header row names the most known columns (a spreadsheet saved
    in a locale with a decimal comma writes semicolons); a comma when no separator names any."""
    header = text.lstrip("\ufeff").split("\n", 1)[0]
    known = set(columns)

    def named(sep: str) -> int:
        return sum(1 for h in header.split(sep) if h.strip().strip('"').lower() in known)

    return max(DELIMITER_NAMES, key=lambda sep: (named(sep), sep == ","))


def read_csv(
    text: str, required: list[str], optional: list[str], report: ImportReport
) -> tuple[list[tuple[int, dict]], list[str]]:
    report.delimiter = sniff_delimiter(text, required + optional)
    try:
        reader = csv.DictReader(io.StringIO(text), delimiter=report.delimiter)
        header = [h.strip().lower() for h in (reader.fieldnames or [])]
        missing = [c for c in required if c not in header]
        if missing:
            problem = _(
                "missing column(s) %(missing)s; expected %(columns)s, separated by commas or semicolons (read as a "
                "%(kind)s file)"
            ) % {
                "missing": ", ".join(missing),
                "columns": ", ".join(required + optional),
                "kind": report.delimiter_name,
            }
            return [], [line_error(1, problem)]
        unknown = [c for c in header if c not in required + optional]
        if unknown:
            return [], [line_error(1, _("unknown column(s) %(unknown)s") % {"unknown": ", ".join(unknown)})]
        rows = []
        for row in reader:
            if None in row:
                return rows, [line_error(reader.line_num, _("more cells than columns"))]
            cells = {k.strip().lower(): (v or "").strip() for k, v in row.items()}
            if column := formula_cell(cells):
                return rows, [line_error(reader.line_num, formula_error(column))]
            rows.append((reader.line_num, cells))
    except csv.Error as exc:
        return [], [line_error(reader.line_num, _("not valid CSV (%(problem)s)") % {"problem": exc})]
    if not rows:
        return [], [_("the file has no data rows")]
    return rows, []


MAX_PRICE = Decimal("100000000")  # DecimalField(max_digits=10, decimal_places=2)


_DECIMAL_COMMA = re.compile(r"\d+,\d{1,2}")


def price_cell(
    value: str, label: str, errors: list[str], line: int, *, blank_ok: bool = False, decimal_comma: bool = False
) -> Decimal | None:
    """A price; "19,99" too in a semicolon-separated file (where the comma is the decimal mark)."""
    if not value and blank_ok:
        return None
    if decimal_comma and _DECIMAL_COMMA.fullmatch(value):
        value = value.replace(",", ".")
    try:
        number = Decimal(value)
    except InvalidOperation:
        if "," in value:
            problem = _("%(column)s %(value)r is not a number (write it with a decimal point, e.g. 19.99)")
        else:
            problem = _("%(column)s %(value)r is not a number")
        errors.append(line_error(line, problem % {"column": label, "value": value}))
        return None
    # NaN, Infinity and 1e999 are Decimals too: compared or quantized they raise, stored they overflow
    if not number.is_finite() or abs(number) >= MAX_PRICE:
        problem = _("%(column)s %(value)r is not a price (0 to %(max)s)")
        errors.append(line_error(line, problem % {"column": label, "value": value, "max": MAX_PRICE - CENT}))
        return None
    if number < 0 or not is_whole_minor_units(number):
        errors.append(line_error(line, _("%(column)s must be 0 or more with at most 2 decimals") % {"column": label}))
        return None
    return number


def bool_cell(value: str, label: str, errors: list[str], line: int, default: bool) -> bool:
    low = value.lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return default if low == "" else False
    errors.append(line_error(line, _("%(column)s must be yes/no, not %(value)r") % {"column": label, "value": value}))
    return default


def int_cell(value: str, label: str, errors: list[str], line: int, *, blank: int | None = None) -> int | None:
    if not value:
        return blank
    if not (value.isascii() and value.isdigit()) or len(value) > 9:  # "²" is a digit to isdigit()
        problem = _("%(column)s must be a whole number 0 or more, not %(value)r")
        errors.append(line_error(line, problem % {"column": label, "value": value}))
        return None
    return int(value)


def import_stock(*, text: str, actor: User | None = None, dry_run: bool = False) -> ImportReport:
    """Set counted stock from CSV: columns sku, location (store code), on_hand; optional safety_stock.

    Each location's rows are posted as one stock count (`count` movements for the differences,
    last_counted_at stamped), so running the same file twice changes nothing the second time.
    Every row is checked first; with any error nothing is written.
    """
    report = ImportReport()
    rows, errors = read_csv(text, STOCK_COLUMNS, STOCK_OPTIONAL, report)
    report.rows, report.errors = len(rows), errors
    if errors:
        return report
    skus = set(Variant.objects.filter(sku__in=[r["sku"] for _, r in rows]).values_list("sku", flat=True))
    stores = {s.code: s for s in Store.objects.active().filter(code__in=[r["location"] for _, r in rows])}
    plan: dict[str, dict[str, tuple[int, int | None]]] = {}
    for line, row in rows:
        if row["sku"] not in skus:
            errors.append(line_error(line, _("unknown SKU %(sku)r") % {"sku": row["sku"]}))
        if row["location"] not in stores:
            errors.append(line_error(line, _("unknown location %(code)r") % {"code": row["location"]}))
        on_hand = int_cell(row["on_hand"], "on_hand", errors, line)
        if not row["on_hand"]:
            errors.append(line_error(line, _("on_hand is empty")))
        safety = int_cell(row.get("safety_stock", ""), "safety_stock", errors, line)
        for label, number in (("on_hand", on_hand), ("safety_stock", safety)):
            if number is not None and number > MAX_COUNTED:  # what the count posting refuses
                problem = _("%(column)s is at most %(max)s") % {"column": label, "max": f"{MAX_COUNTED:,}"}
                errors.append(line_error(line, problem))
        if row["sku"] in plan.get(row["location"], {}):
            problem = _("%(sku)s at %(code)s appears twice") % {"sku": row["sku"], "code": row["location"]}
            errors.append(line_error(line, problem))
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
                count = start_stock_count(location=store, actor=actor, note=IMPORT_NOTE)
                for sku, quantity in changed.items():
                    set_count_quantity(count=count, variant=sku, quantity=quantity)
                post_stock_count(count=count, actor=actor)
                report.updated += sum(1 for sku in changed if sku in current)
                report.created += sum(1 for sku in changed if sku not in current)
            for sku, (_counted, safety) in lines.items():
                if safety is not None:
                    StockLevel.objects.filter(location=store, variant__sku=sku).exclude(safety_stock=safety).update(
                        safety_stock=safety
                    )
    return report
