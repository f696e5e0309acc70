"""Factories for catalog rows; stock is always put in through the services (so the ledger sums)."""

from decimal import Decimal

import factory

from inventory.models import Category, Product, Variant


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    style_code = factory.Sequence(lambda n: f"ST-{n:05d}")
    name = factory.Sequence(lambda n: f"Linen shirt {n}")
    brand = "Omni"
    category = factory.SubFactory(CategoryFactory)
    base_price = Decimal("39.00")


class VariantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Variant

    product = factory.SubFactory(ProductFactory)
    sku = factory.Sequence(lambda n: f"SKU-{n:06d}")
    barcode = factory.Sequence(lambda n: f"500{n:010d}")
    size = "M"
    colour = "Navy"


def enter_market_prices(market, *variants, price=None):
    """Enter prices for `variants` on `market`'s list from now (the catalog's own amount unless `price`):
    a market in another currency than the default list sells nothing without them."""
    from inventory.market_prices import ListPrice, list_for_market, set_list_prices

    prices = [ListPrice(v, Decimal(price) if price is not None else v.price) for v in variants]
    set_list_prices(price_list=list_for_market(market=market), prices=prices, reason="test prices")
