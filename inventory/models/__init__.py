from inventory.models.catalog import Category, CategoryTranslation, Product, ProductTranslation, Variant
from inventory.models.operations import StockCount, StockCountLine, Transfer, TransferLine
from inventory.models.prices import PriceChange, PriceList, PriceSchedule, PriceScheduleLine, VariantPrice
from inventory.models.stock import Reservation, StockLevel, StockMovement

__all__ = [
    "Category",
    "CategoryTranslation",
    "PriceChange",
    "PriceList",
    "PriceSchedule",
    "PriceScheduleLine",
    "Product",
    "ProductTranslation",
    "Reservation",
    "StockCount",
    "StockCountLine",
    "StockLevel",
    "StockMovement",
    "Transfer",
    "TransferLine",
    "Variant",
    "VariantPrice",
]
