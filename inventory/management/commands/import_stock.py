"""manage.py import_stock FILE.csv [--dry-run]

Columns: sku, location (store code, e.g. LON-01), on_hand (the counted units); optional
safety_stock. Each location's rows are posted as one stock count: the difference to the current
level becomes a `count` movement in the ledger and last_counted_at is stamped, so importing a
file twice changes nothing. Every line is checked first; any error is reported with its line
number and nothing is imported.
"""

from inventory.imports import import_stock
from inventory.management.commands._csv_import import CsvImportCommand


class Command(CsvImportCommand):
    help = __doc__
    importer = staticmethod(import_stock)
