"""The clienteling cart reads the units to be had online from SQL written once
(inventory.selectors.available_online_of, issue 16); it must say what available_online() says."""

import pytest
from django.utils import timezone

from inventory import services as inventory
from inventory.selectors import available_online, available_online_of
from orders.models import Cart, CartLine
from retail.models import Store
from tests.factories import StoreFactory, WarehouseFactory

pytestmark = pytest.mark.django_db


def test_available_online_of_is_available_online(store, other_store, shopper, shirt, jeans):
    # given stock at a shipping store, at a store that neither ships nor hands over, and at a closed one
    inventory.receive_stock(location=other_store, lines=[(shirt, 4)], reference="PO-8")
    Store.objects.filter(pk=other_store.pk).update(ships_orders=False, pickup_enabled=False)
    closed = StoreFactory(code="CLO-01")
    inventory.receive_stock(location=closed, lines=[(jeans, 7)], reference="PO-9")
    Store.objects.filter(pk=closed.pk).update(is_active=False)
    warehouse = WarehouseFactory(code="WH-01", ships_orders=True)
    inventory.receive_stock(location=warehouse, lines=[(jeans, 5)], reference="PO-10")
    now = timezone.now()
    cart = Cart.objects.create(customer=shopper, channel="app", created_at=now, updated_at=now)
    for variant in (shirt, jeans):
        CartLine.objects.create(cart=cart, variant=variant, quantity=1, price_when_added=variant.price, added_at=now)
    # when both are read for the cart's lines
    rows = CartLine.objects.annotate(orm=available_online(), written=available_online_of(CartLine))
    # then they agree, line by line
    found = list(rows.values_list("variant__sku", "orm", "written").order_by("variant__sku"))
    assert len(found) == 2 and all(orm == written for _, orm, written in found), found
