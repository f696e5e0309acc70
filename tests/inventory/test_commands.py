from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from inventory import services
from inventory.models import Product, Reservation, StockLevel, Variant
from inventory.selectors import ledger_drift
from inventory.tasks import expire_due_reservations
from retail.seeding import SeedContext, seed_steps

pytestmark = pytest.mark.django_db


def test_verify_stock_ledger_passes_then_reports_drift(store, stocked, capsys):
    call_command("verify_stock_ledger")
    assert "Every stock level equals the sum of its ledger and of its reservations" in capsys.readouterr().out
    # given a level changed behind the ledger's back
    StockLevel.objects.filter(variant=stocked).update(on_hand=12)
    # when / then
    with pytest.raises(SystemExit) as exc:
        call_command("verify_stock_ledger")
    assert exc.value.code == 1
    assert f"DRIFT {stocked.sku} @ LON-01: level 12, ledger sums to 10" in capsys.readouterr().out


def test_expiry_task_and_command_give_units_back(store, stocked, capsys):
    (reservation,) = services.reserve_stock(lines=[(stocked, 2)], location=store, reference="cart:1")
    Reservation.objects.filter(pk=reservation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert expire_due_reservations.apply().get() == 1
    call_command("expire_reservations")
    assert "Expired 0 reservation(s)." in capsys.readouterr().out
    assert StockLevel.objects.get(variant=stocked).reserved == 0


def test_beat_runs_the_expiry_every_minute():
    entry = settings.CELERY_BEAT_SCHEDULE["inventory-expire-reservations"]
    assert entry == {"task": "inventory.tasks.expire_due_reservations", "schedule": 60.0}


def test_seed_builds_a_believable_catalog_with_an_exact_ledger():
    # given the stores step, then ours, at the demo's scale
    ctx = SeedContext(seed=7, scale="small", log=lambda _: None)
    for step in seed_steps():
        if step.order <= 20:
            step.func(ctx)
    # then
    assert Product.objects.count() >= 300
    assert Variant.objects.count() >= 1500
    assert {s.code for s in ctx.made["stores"]} <= set(StockLevel.objects.values_list("location__code", flat=True))
    assert StockLevel.objects.filter(on_hand=0).exists()
    assert StockLevel.objects.filter(on_hand__gt=0, on_hand__lte=3).exists()
    assert ledger_drift() == []


def test_verify_stock_ledger_reports_reserved_drift(store, stocked, capsys):
    services.reserve_stock(lines=[(stocked, 2)], location=store, reference="order:1")
    StockLevel.objects.filter(variant=stocked).update(reserved=5)
    with pytest.raises(SystemExit):
        call_command("verify_stock_ledger", "--location", "LON-01")
    assert f"DRIFT {stocked.sku} @ LON-01: reserved 5, active reservations hold 2" in capsys.readouterr().out
