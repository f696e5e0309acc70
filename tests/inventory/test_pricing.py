"""Prices (issue 16): endings, bulk changes with a preview, schedules that start and end by
themselves, and the append-only ledger of every change."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from inventory import pricing
from inventory.errors import InventoryError
from inventory.models import PriceChange, PriceList, PriceSchedule, Product, Variant
from retail.models import AuditEvent
from tests.factories import UserFactory
from tests.inventory.factories import ProductFactory, VariantFactory

D = Decimal


@pytest.mark.parametrize(
    ("price", "ending", "expected"),
    [
        ("36.00", ".99", "35.99"),
        ("27.50", ".99", "27.99"),
        ("27.48", ".99", "26.99"),
        ("27.49", ".99", "27.99"),  # a tie goes up
        ("27.44", ".95", "26.95"),
        ("27.46", ".95", "27.95"),
        ("0.40", ".99", "0.99"),
        ("27.50", "whole", "28.00"),
        ("27.49", "whole", "27.00"),
        ("0.40", "whole", "1.00"),
        ("0", "whole", "0.00"),
        ("27.499", "", "27.50"),
        ("35.99", ".99", "35.99"),
    ],
)
def test_price_endings_go_to_the_nearest_price_with_that_ending(price, ending, expected):
    assert pricing.with_ending(D(price), ending) == D(expected)


@given(st.decimals(min_value=D("0.01"), max_value=D("99999"), places=2), st.sampled_from([".99", ".95"]))
def test_an_ending_is_always_that_ending_and_at_most_half_a_unit_away(price, ending):
    result = pricing.with_ending(price, ending)
    assert result % 1 == D(f"0{ending}")
    assert abs(result - price) <= D("0.50") or result == D(f"0{ending}")


def test_an_unknown_ending_or_percent_is_refused():
    with pytest.raises(InventoryError) as err:
        pricing.with_ending(D("10"), ".49")
    assert err.value.code == "invalid_price_ending"
    for percent in ["0", "-95", "600", "NaN", "1e999", "abc"]:
        with pytest.raises(InventoryError) as err:
            pricing.changed_price(D("10"), percent=pricing._percent(percent), ending="")
        assert err.value.code == "invalid_percent"


@pytest.fixture
def merch(db):
    return UserFactory(email="mia@omnistore.test", full_name="Mia Merch", is_staff=True)


@pytest.fixture
def coat(db):
    product = ProductFactory(style_code="CT-1", name="Wool coat", base_price=D("120.00"))
    VariantFactory(product=product, sku="CT-1-M")
    VariantFactory(product=product, sku="CT-1-XL", price_override=D("130.00"))
    return product


@pytest.fixture
def tee(db):
    return ProductFactory(style_code="TS-1", name="Pocket tee", base_price=D("19.99"))


def test_the_preview_says_was_and_now_for_every_price_in_two_queries(coat, tee, django_assert_num_queries):
    products = Product.objects.filter(pk__in=[coat.pk, tee.pk])
    with django_assert_num_queries(2):
        plan = pricing.plan_price_change(products=products, percent=D("-20"), ending=".99")
    rows = [(p.product.style_code, p.variant.sku if p.variant else None, p.was, p.now) for p in plan]
    assert rows == [
        ("CT-1", None, D("120.00"), D("95.99")),
        ("CT-1", "CT-1-XL", D("130.00"), D("103.99")),
        ("TS-1", None, D("19.99"), D("15.99")),
    ]
    # more products, the same two queries
    ProductFactory.create_batch(20)
    with django_assert_num_queries(2):
        pricing.plan_price_change(products=Product.objects.all(), percent=D("10"), ending="")


def test_a_bulk_change_writes_what_was_previewed_with_a_ledger_row_per_price(coat, tee, merch):
    products = Product.objects.filter(pk__in=[coat.pk, tee.pk])
    preview = pricing.plan_price_change(products=products, percent=D("-20"), ending=".99")
    # when the merchandiser applies the preview they saw
    result = pricing.change_prices(
        products=products, percent=D("-20"), ending=".99", reason="Winter sale", actor=merch,
        expected=pricing.fingerprint(preview),
    )  # fmt: skip
    # then the prices are the preview's, and the ledger says who, why and how, price by price
    assert (result.products, result.prices) == (2, 3)
    assert Product.objects.get(pk=coat.pk).base_price == D("95.99")
    assert Variant.objects.get(sku="CT-1-XL").price == D("103.99")
    assert Variant.objects.get(sku="CT-1-M").price == D("95.99")  # follows the base price
    ledger = list(PriceChange.objects.order_by("pk").values_list("variant__sku", "old_price", "new_price"))
    assert ledger == [
        (None, D("120.00"), D("95.99")),
        ("CT-1-XL", D("130.00"), D("103.99")),
        (None, D("19.99"), D("15.99")),
    ]
    assert set(PriceChange.objects.values_list("source", "reason", "actor")) == {("bulk", "Winter sale", merch.pk)}
    assert PriceChange.objects.first().price_list == PriceList.objects.get(is_default=True)
    assert AuditEvent.objects.get(action="catalog.prices_changed").details["prices"] == 3


def test_a_price_that_moved_since_the_preview_stops_the_change(coat, tee, merch):
    products = Product.objects.filter(pk__in=[coat.pk, tee.pk])
    seen = pricing.fingerprint(pricing.plan_price_change(products=products, percent=D("10"), ending=""))
    Product.objects.filter(pk=tee.pk).update(base_price=D("24.99"))
    with pytest.raises(InventoryError) as err:
        pricing.change_prices(products=products, percent=D("10"), reason="x", actor=merch, expected=seen)
    assert err.value.code == "prices_moved"
    assert Product.objects.get(pk=coat.pk).base_price == D("120.00") and not PriceChange.objects.exists()


def test_the_ledger_is_append_only_in_python_and_in_the_database(coat, merch):
    pricing.change_prices(products=Product.objects.filter(pk=coat.pk), percent=D("5"), reason="x", actor=merch)
    row = PriceChange.objects.first()
    with pytest.raises(ValueError, match="append-only"):
        row.save()
    with pytest.raises(ValueError, match="append-only"):
        row.delete()
    for sneaky in (lambda: PriceChange.objects.update(reason="nothing happened"), PriceChange.objects.all().delete):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            sneaky()
    assert PriceChange.objects.filter(reason="x").count() == 2


# --------------------------------------------------------------------------- schedules


def _schedule(products, *, hours=(1, 49), percent="-25", ending=".99", actor=None, name="Weekend sale"):
    now = timezone.now()
    return pricing.schedule_price_change(
        products=products, percent=D(percent), ending=ending, starts_at=now + timedelta(hours=hours[0]),
        ends_at=now + timedelta(hours=hours[1]) if hours[1] else None, name=name, reason="Clear winter stock",
        actor=actor,
    )  # fmt: skip


def test_a_scheduled_change_starts_and_ends_by_itself(coat, tee, merch):
    # given a weekend sale scheduled for tomorrow
    schedule = _schedule(Product.objects.filter(pk__in=[coat.pk, tee.pk]), actor=merch)
    assert schedule.status == "scheduled" and schedule.lines.count() == 3
    # when beat runs before it starts, nothing changes
    assert pricing.run_price_schedules() == {"started": 0, "ended": 0}
    assert Product.objects.get(pk=coat.pk).base_price == D("120.00")
    # when beat runs once its start has come, the sale prices are on
    assert pricing.run_price_schedules(now=schedule.starts_at) == {"started": 1, "ended": 0}
    assert (Product.objects.get(pk=coat.pk).base_price, Variant.objects.get(sku="CT-1-XL").price) == (
        D("89.99"),
        D("97.99"),
    )
    # (beat running twice changes nothing more)
    assert pricing.run_price_schedules(now=schedule.starts_at + timedelta(minutes=1)) == {"started": 0, "ended": 0}
    # when its end has come, the prices it replaced are back
    assert pricing.run_price_schedules(now=schedule.ends_at) == {"started": 0, "ended": 1}
    assert (Product.objects.get(pk=coat.pk).base_price, Variant.objects.get(sku="CT-1-XL").price) == (
        D("120.00"),
        D("130.00"),
    )
    schedule.refresh_from_db()
    assert schedule.status == "ended" and set(schedule.lines.values_list("outcome", flat=True)) == {"put back"}
    # and the ledger tells the story: on at the start, off at the end, in the merchandiser's name
    story = list(
        PriceChange.objects.filter(product=coat, variant=None)
        .order_by("pk")
        .values_list("source", "old_price", "new_price", "actor")
    )
    assert story == [
        ("schedule_start", D("120.00"), D("89.99"), merch.pk),
        ("schedule_end", D("89.99"), D("120.00"), merch.pk),
    ]
    assert set(PriceChange.objects.values_list("schedule", flat=True)) == {schedule.pk}


def test_a_price_changed_while_a_schedule_runs_is_not_overwritten_at_its_end(coat, merch):
    schedule = _schedule(Product.objects.filter(pk=coat.pk), actor=merch)
    pricing.run_price_schedules(now=schedule.starts_at)
    # when someone types another base price for the coat while the sale runs
    Product.objects.filter(pk=coat.pk).update(base_price=D("99.00"))
    pricing.record_price_edits(
        changes=[(coat, None, D("89.99"), D("99.00"))], source="edit", reason="typo", actor=merch
    )
    pricing.run_price_schedules(now=schedule.ends_at)
    # then their price stays; the variant's own price, untouched since, goes back
    assert Product.objects.get(pk=coat.pk).base_price == D("99.00")
    assert Variant.objects.get(sku="CT-1-XL").price_override == D("130.00")
    outcomes = dict(schedule.lines.values_list("variant__sku", "outcome"))
    assert outcomes == {None: "left at 99.00: changed while it ran", "CT-1-XL": "put back"}


def test_a_schedule_missed_by_beat_starts_and_ends_in_one_run_and_a_permanent_one_stays(coat, tee, merch):
    missed = _schedule(Product.objects.filter(pk=coat.pk), actor=merch)
    forever = _schedule(Product.objects.filter(pk=tee.pk), hours=(2, None), percent="10", ending="", name="New prices")
    assert pricing.run_price_schedules(now=missed.ends_at + timedelta(days=3)) == {"started": 2, "ended": 1}
    assert Product.objects.get(pk=coat.pk).base_price == D("120.00")
    assert Product.objects.get(pk=tee.pk).base_price == D("21.99")
    forever.refresh_from_db()
    assert forever.status == "ended" and forever.lines.get().outcome == "set for good"


def test_overlapping_schedules_are_refused_and_bad_periods_named(coat, tee, merch):
    _schedule(Product.objects.filter(pk=coat.pk), actor=merch)
    with pytest.raises(InventoryError) as err:
        _schedule(Product.objects.filter(pk__in=[coat.pk, tee.pk]), hours=(30, 60), name="Another")
    assert err.value.code == "schedule_overlaps" and "CT-1" in err.value.message
    _schedule(Product.objects.filter(pk=coat.pk), hours=(50, 70), name="After it")  # after the first ends: fine
    for hours, code in [((-3, -1), "invalid_schedule"), ((5, 2), "invalid_schedule")]:
        with pytest.raises(InventoryError) as err:
            _schedule(Product.objects.filter(pk=tee.pk), hours=hours)
        assert err.value.code == code
    with pytest.raises(InventoryError) as err:
        _schedule(Product.objects.filter(pk=tee.pk), name=" ")
    assert err.value.code == "invalid_schedule"
    assert PriceSchedule.objects.count() == 2


def test_cancelling_before_the_start_changes_nothing_and_during_it_puts_prices_back(coat, tee, merch):
    later = _schedule(Product.objects.filter(pk=tee.pk), actor=merch)
    pricing.cancel_price_schedule(schedule=later, actor=merch)
    assert pricing.run_price_schedules(now=later.starts_at) == {"started": 0, "ended": 0}
    assert Product.objects.get(pk=tee.pk).base_price == D("19.99")
    running = _schedule(Product.objects.filter(pk=coat.pk), hours=(1, 5), actor=merch, name="Flash sale")
    pricing.run_price_schedules(now=running.starts_at)
    pricing.cancel_price_schedule(schedule=running, actor=merch)
    assert Product.objects.get(pk=coat.pk).base_price == D("120.00")
    with pytest.raises(InventoryError) as err:
        pricing.cancel_price_schedule(schedule=running, actor=merch)
    assert err.value.code == "schedule_over"
    actions = sorted(AuditEvent.objects.filter(action__startswith="catalog.prices").values_list("action", flat=True))
    assert actions == [
        "catalog.prices_schedule_cancelled",
        "catalog.prices_schedule_ended",
        "catalog.prices_schedule_started",
        "catalog.prices_scheduled",
        "catalog.prices_scheduled",
    ]


def test_beat_runs_the_schedules_every_minute(coat, merch):
    from inventory import tasks

    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == tasks.run_price_schedules.name)
    assert entry["schedule"] <= 60
    schedule = _schedule(Product.objects.filter(pk=coat.pk), hours=(0.0005, 3), actor=merch)
    while timezone.now() < schedule.starts_at:  # under two seconds
        pass
    assert tasks.run_price_schedules.apply().get() == {"started": 1, "ended": 0}
    assert Product.objects.get(pk=coat.pk).base_price == D("89.99")
