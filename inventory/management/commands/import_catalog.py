"""manage.py import_catalog FILE.csv [--dry-run] [--create-categories]

One row per variant, separated by commas or semicolons. Columns: style_code, name, category (the
path of an existing category, e.g. "Women/Tops"; --create-categories creates missing ones), base_price,
sku; optional: brand, description, image_url, final_sale (yes/no), return_window_days, barcode
(EAN/UPC), size, colour, price_override, active (yes/no, default yes).
Products are matched by style_code and variants by sku, so importing a file twice changes
nothing. Every line is checked first; any error is reported with its line number and nothing
is imported.
"""

from inventory.catalog_import import import_catalog
from inventory.management.commands._csv_import import CsvImportCommand


class Command(CsvImportCommand):
    help = __doc__
    importer = staticmethod(import_catalog)

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--create-categories",
            action="store_true",
            help="Create the categories the file names that do not exist yet (else each is a line error).",
        )

    def importer_options(self, options: dict) -> dict:
        return {"create_categories": options["create_categories"]}
