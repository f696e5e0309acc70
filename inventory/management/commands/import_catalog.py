"""manage.py import_catalog FILE.csv [--dry-run]

One row per variant. Columns: style_code, name, category (path, e.g. "Women/Tops"), base_price,
sku; optional: brand, description, image_url, final_sale (yes/no), return_window_days, barcode
(EAN/UPC), size, colour, price_override, active (yes/no, default yes).
Products are matched by style_code and variants by sku, so importing a file twice changes
nothing. Every line is checked first; any error is reported with its line number and nothing
is imported.
"""

from inventory.catalog import import_catalog
from inventory.management.commands._csv_import import CsvImportCommand


class Command(CsvImportCommand):
    help = __doc__
    importer = staticmethod(import_catalog)
