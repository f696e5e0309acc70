"""The CSV import of a market's price list (issue 19.2): the file the list's export writes, edited and
read back. Columns sku, price, and optionally valid_from, valid_to (empty: from now / open),
price_list and currency (when given, they must name the list imported into and its currency, so a
złoty file is not read into a euro list).

Every line is checked first (unknown SKU, a price that is not a price, a period ending before it
starts, two lines of one SKU whose periods overlap); with any error nothing is written and each
problem names its line. Then the prices go through the list's price service (`apply_list_prices`:
the ledger, the audit, the cut around prices they overlap), in one transaction, in bounded queries.
A dry run is the same path stopped before the first write. Importing the same file twice changes
nothing the second time; prices of the list the file leaves out stay as they are.
"""

from datetime import datetime, time

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from inventory.errors import InventoryError
from inventory.imports import ImportReport, RowPlan, price_cell, read_csv
from inventory.market_prices import ListPrice, apply_list_prices, plan_list_prices
from inventory.models import PriceChange, PriceList, Variant
from retail.messages import say
from retail.models import User
from retail.spreadsheets import line_error

PRICE_COLUMNS = ["sku", "price"]
PRICE_OPTIONAL = ["valid_from", "valid_to", "price_list", "currency"]
MAX_ROWS = 100_000
SKU_CHUNK = 5000


def import_list_prices(
    *, price_list: PriceList, text: str, reason: str = "", actor: User | None = None, dry_run: bool = False
) -> ImportReport:
    """Set the prices of a market's list from CSV (see the module). The report counts the lines that
    create a price (none of that variant then), update one, or leave it unchanged, and plans each."""
    report = ImportReport()
    rows, errors = read_csv(text, PRICE_COLUMNS, PRICE_OPTIONAL, report)
    report.rows, report.errors = len(rows), errors
    if errors:
        return report
    if price_list.is_default:
        errors.append(_("The default list's prices are the catalog's own: import them with the catalog file."))
        return report
    if len(rows) > MAX_ROWS:
        errors.append(_("The file has more than %(max)s lines: split it.") % {"max": f"{MAX_ROWS:,}"})
        return report
    entries = _check_rows(price_list, rows, report)
    if not errors:
        _check_periods(entries, errors)
    if errors:
        return report
    prices = [entry for _line, entry in entries]
    try:
        with transaction.atomic():
            if dry_run:
                landed = plan_list_prices(price_list=price_list, prices=prices).prices
            else:
                landed = apply_list_prices(
                    price_list=price_list,
                    prices=prices,
                    actor=actor,
                    reason=reason or say("inventory.price_list_import"),
                    source=PriceChange.Source.IMPORT,
                )
    except InventoryError as exc:  # what the service refuses after the checks: said, not a 500
        errors.append(exc.message)
        return report
    line_of = {id(entry): line for line, entry in entries}
    for planned in sorted(landed, key=lambda p: line_of[id(p.entry)]):
        variant = planned.entry.variant
        report.lines.append(
            RowPlan(
                line=line_of[id(planned.entry)],
                style_code=variant.product.style_code,
                sku=variant.sku,
                action=planned.action,
                changes=_changes(planned, price_list.currency),
            )
        )
    report.created = sum(1 for p in landed if p.action == "create")
    report.updated = sum(1 for p in landed if p.action == "update")
    report.unchanged = sum(1 for p in landed if p.action == "unchanged")
    return report


def _check_rows(price_list: PriceList, rows: list[tuple[int, dict]], report: ImportReport) -> list:
    errors = report.errors
    skus = sorted({row["sku"] for _line, row in rows if row.get("sku")})
    variants: dict[str, Variant] = {}
    for i in range(0, len(skus), SKU_CHUNK):
        found = Variant.objects.filter(sku__in=skus[i : i + SKU_CHUNK]).select_related("product")
        variants.update((v.sku, v) for v in found.only("pk", "sku", "product_id", "product__style_code"))
    entries = []
    for line, row in rows:
        before = len(errors)
        sku = row.get("sku", "")
        variant = variants.get(sku)
        if not sku:
            errors.append(line_error(line, _("sku is empty")))
        elif variant is None:
            errors.append(line_error(line, _("unknown SKU %(sku)r") % {"sku": sku}))
        if not row.get("price"):
            errors.append(line_error(line, _("price is empty")))
            price = None
        else:
            price = price_cell(row["price"], "price", errors, line, decimal_comma=report.delimiter == ";")
        start = _moment(row.get("valid_from", ""), "valid_from", errors, line)
        end = _moment(row.get("valid_to", ""), "valid_to", errors, line)
        if start and end and end <= start:
            errors.append(line_error(line, _("valid_to comes before valid_from")))
        named = row.get("price_list", "")
        if named and named != price_list.code:
            problem = _("the line is for the list %(named)r, not %(code)r this file is imported into")
            errors.append(line_error(line, problem % {"named": named, "code": price_list.code}))
        currency = row.get("currency", "").upper()
        if currency and currency != price_list.currency:
            problem = _("the price is in %(currency)s; the list %(code)s is in %(list_currency)s") % {
                "currency": currency,
                "code": price_list.code,
                "list_currency": price_list.currency,
            }
            errors.append(line_error(line, problem))
        if len(errors) == before:
            entries.append((line, ListPrice(variant, price, start, end)))
    return entries


def _moment(value: str, label: str, errors: list[str], line: int) -> datetime | None:
    """A moment as the export writes it (2026-12-04T09:00:00+00:00), or a day or a time without an
    offset, read in head office's time zone. Empty: None."""
    if not value:
        return None
    try:
        moment = parse_datetime(value)
        if moment is None and (day := parse_date(value)) is not None:
            moment = datetime.combine(day, time.min)
    except ValueError:  # well formed, not a date (2026-13-01)
        moment = None
    if moment is None:
        problem = _("%(label)s %(value)r is not a date and time (write it as 2026-12-04 or 2026-12-04T09:00)")
        errors.append(line_error(line, problem % {"label": label, "value": value}))
        return None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _check_periods(entries: list[tuple[int, ListPrice]], errors: list[str]) -> None:
    """Two lines of one SKU whose periods overlap (an empty valid_from is now): which would win is
    not said, so both are named."""
    now = timezone.now()
    by_variant: dict[int, list[tuple[datetime, datetime | None, int]]] = {}
    for line, entry in entries:
        by_variant.setdefault(entry.variant.pk, []).append((entry.valid_from or now, entry.valid_to, line))
    clashes = []
    for periods in by_variant.values():
        periods.sort(key=lambda p: (p[0], p[2]))
        latest_end, latest_line = None, None
        for start, end, line in periods:
            if latest_line is not None and (latest_end is None or latest_end > start):
                clashes.append((line, latest_line))
            if latest_line is None or (latest_end is not None and (end is None or end > latest_end)):
                latest_end, latest_line = end, line
    sku_of = {line: entry.variant.sku for line, entry in entries}
    for line, other in sorted(clashes):
        problem = _("the period of %(sku)s overlaps its period on line %(other)s; give each its own period")
        errors.append(line_error(line, problem % {"sku": sku_of[line], "other": other}))


def _changes(planned, currency: str) -> list[str]:
    until = date_format(timezone.localtime(planned.end), "DATETIME_FORMAT") if planned.end else _("open")
    period = _("%(start)s until %(end)s") % {
        "start": date_format(timezone.localtime(planned.start), "DATETIME_FORMAT"),
        "end": until,
    }
    if planned.action == "create":
        return [_("%(price)s %(currency)s") % {"price": planned.price, "currency": currency}, period]
    if planned.action == "update" and planned.before is not None and planned.before != planned.price:
        return [
            _("%(before)s → %(price)s %(currency)s")
            % {"before": planned.before, "price": planned.price, "currency": currency},
            period,
        ]
    return [_("%(price)s %(currency)s") % {"price": planned.price, "currency": currency}, period]
