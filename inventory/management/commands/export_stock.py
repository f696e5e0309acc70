"""manage.py export_stock [--location CODE ...] [-o FILE.csv]

Every stock level (SKU x location): sku, location, on_hand, safety_stock, reserved, available,
style_code, product, last_counted_at. Streamed from the database in chunks; written to FILE or
stdout. The first four columns are what `import_stock` reads back.
"""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from inventory.exports import STOCK_EXPORT_COLUMNS, stock_rows
from inventory.models import StockLevel
from retail.models import Store
from retail.replica import reporting, reporting_db
from retail.spreadsheets import csv_writer


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--location", nargs="*", default=[], help="Only these store/warehouse codes.")
        parser.add_argument("-o", "--output", type=Path, help="Write to this file instead of stdout.")

    def handle(self, *args, location: list[str], output: Path | None, **options):
        with reporting():  # the replica when one is configured and fresh enough (retail/replica.py)
            levels = StockLevel.objects.using(reporting_db())
        if location:
            known = set(Store.objects.filter(code__in=location).values_list("code", flat=True))
            unknown = sorted(set(location) - known)
            if unknown:
                raise CommandError(f"Unknown location(s): {', '.join(unknown)}.")
            levels = levels.filter(location__code__in=location)
        stream = output.open("w", newline="", encoding="utf-8") if output else sys.stdout
        count = 0
        try:
            writer = csv_writer(stream)
            writer.writerow(STOCK_EXPORT_COLUMNS)
            for row in stock_rows(levels):
                writer.writerow(row)
                count += 1
        finally:
            if output:
                stream.close()
        if output:
            self.stderr.write(f"Wrote {count} stock level(s) to {output}.")
