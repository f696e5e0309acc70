"""The demo seed: orders on every channel, pick-ups in every state per store, ledgers intact."""

import pytest
from django.core.management import call_command

from orders.models import Fulfillment, Order
from retail.models import Store

pytestmark = pytest.mark.django_db


def test_the_demo_seed_gives_history_and_open_pickups_and_keeps_the_stock_ledger(capsys):
    # when the whole demo is seeded (tiny scale)
    call_command("seed_demo", "--seed", "7", "--scale", "tiny")
    # then there are orders on every channel
    assert set(Order.objects.values_list("channel", flat=True)) == {"app", "web", "store", "phone", "kiosk"}
    # and every pick-up store has pick-ups to pick, picking, ready, overdue-to-pick, past hold and expired
    for store in Store.objects.filter(kind="store", pickup_enabled=True):
        statuses = set(
            Fulfillment.objects.filter(location=store, kind__in=["pickup", "curbside"]).values_list("status", flat=True)
        )
        assert {"placed", "picking", "ready", "expired", "cancelled", "collected"} <= statuses, store.code
    # and the stock ledger still explains every level
    call_command("verify_stock_ledger")
    assert "Every stock level equals the sum of its ledger" in capsys.readouterr().out
