import pytest

from inventory import services
from tests.factories import StoreFactory
from tests.inventory.factories import VariantFactory


@pytest.fixture
def variant(db):
    return VariantFactory(sku="SHIRT-NAVY-M", barcode="5012345678900")


@pytest.fixture
def stocked(store, variant):
    """10 units of `variant` at `store`, received through the ledger."""
    services.receive_stock(location=store, lines=[(variant, 10)], reference="PO-1")
    return variant


@pytest.fixture
def make_store(db):
    def make(code, lat, lng, **kwargs):
        return StoreFactory(code=code, name=f"Store {code}", latitude=lat, longitude=lng, **kwargs)

    return make
