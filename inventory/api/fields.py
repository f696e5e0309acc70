"""Catalog identifiers as API inputs: what a SKU and a barcode look like (inventory owns them)."""

from django.utils.translation import gettext_lazy

from retail.api.fields import PatternField

# Letters, digits and . _ / + - (as style codes, colours and sizes make them), starting with a letter or digit.
SKU_PATTERN = r"\A[A-Za-z0-9][A-Za-z0-9._/+-]{0,39}\Z"
BARCODE_PATTERN = r"\A[0-9]{8,14}\Z"  # EAN-8, UPC-A, EAN-13, GTIN-14
EXAMPLE_SKU = "TSH-BLU-M"  # examples in the schema; the fuzz run's chain sells it
EXAMPLE_BARCODE = "5012345678900"


class SkuField(PatternField):
    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", "A SKU, e.g. TSH-BLU-M.")
        kwargs.setdefault(
            "error_messages", {"invalid": gettext_lazy("A SKU: letters, digits and . _ / + -, at most 40.")}
        )
        kwargs.setdefault("example", EXAMPLE_SKU)
        super().__init__(SKU_PATTERN, max_length=40, **kwargs)


class BarcodeField(PatternField):
    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", "The printed barcode (EAN/UPC digits).")
        kwargs.setdefault("error_messages", {"invalid": gettext_lazy("A barcode is 8 to 14 digits.")})
        kwargs.setdefault("example", EXAMPLE_BARCODE)
        super().__init__(BARCODE_PATTERN, max_length=14, **kwargs)
