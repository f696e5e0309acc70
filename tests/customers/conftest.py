import pytest

from customers.services import add_list_item, record_purchase
from inventory.services import receive_stock
from tests.customers.factories import CustomerFactory
from tests.inventory.factories import CategoryFactory, ProductFactory, VariantFactory


@pytest.fixture
def catalog(store):
    """Three tops in S/M/L with stock in `store` (none of style C in size L)."""
    tops = CategoryFactory(slug="tops", name="Tops")
    variants = {}
    for style in "ABC":
        product = ProductFactory(name=f"Linen shirt {style}", category=tops)
        for size in "SML":
            variants[f"{style}-{size}"] = VariantFactory(product=product, sku=f"{style}-{size}", size=size)
    receive_stock(location=store, lines=[(sku, 3) for sku in variants if sku != "C-L"], reference="PO-1")
    return variants


def buy(customer, *skus, number, channel="store", store=None, category="tops"):
    lines = [{"sku": sku, "qty": 1, "amount": "40.00", "category": category, "size": sku[-1]} for sku in skus]
    return record_purchase(
        customer=customer, channel=channel, order_number=number, lines=lines, source="test", store=store
    )


@pytest.fixture
def purchase_history(catalog, store):
    """Other shoppers bought A with B, and A with C; returns a shopper who bought A-M and wishes for C-L."""
    for n, other_sku in enumerate(["B-S", "B-L", "C-S"]):
        buy(CustomerFactory(), "A-S", other_sku, number=f"OTHER-{n}")
    shopper = CustomerFactory(first_name="Grace", last_name="Hopper", home_store=store)
    buy(shopper, "A-M", number="MINE-1", store=store)
    add_list_item(customer=shopper, sku="C-L", channel="app")
    return shopper


@pytest.fixture
def eager_celery():
    """Run Celery tasks in-process for this test (the suite's broker is real Redis otherwise)."""
    from retail.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous
