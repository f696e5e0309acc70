"""The dataset builders, run at the tiny scale on the test database.

They write with COPY (no save(), no full_clean), so a schema change they do not follow shows up
here: a new NOT NULL column breaks the COPY, a new rule breaks full_clean() on what they wrote.
No timings are asserted (speed is what `make bench` reports).
"""

from collections import Counter
from decimal import Decimal

import pytest
from django.db.models import Count, F, Q, Sum

from benchmarks.build import ensure_dataset
from benchmarks.registry import discover
from benchmarks.scales import get_scale
from customers.models import (
    Consent,
    Customer,
    CustomerIdentity,
    Interaction,
    LoyaltyAccount,
    PointsEntry,
    PurchasedItem,
    SearchName,
    StoreCreditAccount,
)
from customers.normalise import normalise_card, normalise_email, normalise_phone
from customers.services.profiles import refresh_search_name
from inventory.models import Product, Reservation, StockLevel, StockMovement, Variant
from inventory.selectors import ledger_drift, reservation_drift
from orders.models import Fulfillment, Order, OrderLine, Payment
from orders.returns.models import ReturnLine, ReturnRequest
from retail.models import Store

TINY = get_scale("tiny")


@pytest.fixture
def built(db):
    # given the tiny dataset built by every registered builder, in order
    return ensure_dataset(scale=TINY, registry=discover(), log=lambda message: None)


def test_every_builder_runs_in_order_and_leaves_its_marker(built):
    # then retail, inventory, customers, orders and returns were built, in that order
    names = [b.name for b in built]
    assert names.index("retail") < names.index("inventory") < names.index("customers") < names.index("orders")
    assert names.index("orders") < names.index("returns")
    assert all(b.built_now and b.scale == "tiny" for b in built)


def test_what_the_builders_wrote_passes_the_models_validation(built):
    # when a sample of every kind of row is validated as a service would before saving
    for model in (
        Product,
        Variant,
        StockLevel,
        StockMovement,
        Customer,
        CustomerIdentity,
        Consent,
        Interaction,
        LoyaltyAccount,
        Order,
        Fulfillment,
        OrderLine,
        Payment,
        Reservation,
        ReturnRequest,
        ReturnLine,
    ):
        rows = list(model.objects.order_by("pk")[:5])
        # then there are rows and each one is valid (fields, choices, constraints)
        assert rows, f"no {model.__name__} rows"
        for row in rows:
            row.full_clean()


def test_stock_is_ranged_everywhere_it_should_be_and_explained_by_the_ledger(built):
    # then every variant is held by every warehouse and ranged in some stores
    warehouses = Store.objects.filter(kind=Store.Kind.WAREHOUSE).count()
    assert Variant.objects.count() == TINY.count("variants")
    per_variant = Counter(
        StockLevel.objects.filter(location__kind=Store.Kind.WAREHOUSE).values_list("variant_id", flat=True)
    )
    assert set(per_variant.values()) == {warehouses}
    assert StockLevel.objects.filter(location__kind=Store.Kind.STORE).count() >= TINY.count("variants")
    # and the levels equal their ledger and their active reservations (verify_stock_ledger's checks)
    assert ledger_drift() == []
    assert reservation_drift() == []
    assert StockLevel.objects.filter(reserved__gt=0).exists()
    assert not StockLevel.objects.filter(reserved__gt=0).filter(reserved__gt=F("on_hand") - F("safety_stock")).exists()


def test_customers_are_written_the_way_customers_services_write_them(built):
    # then contacts are normalised and each one is also an identity of the same profile
    customers = list(Customer.objects.all())
    assert len(customers) == TINY.count("customers")
    identities = set(CustomerIdentity.objects.values_list("customer_id", "kind", "value"))
    for c in customers:
        assert c.email == normalise_email(c.email)
        assert c.phone == normalise_phone(c.phone)
        assert c.card_number == normalise_card(c.card_number)
        for kind, value in (("email", c.email), ("phone", c.phone), ("card", c.card_number)):
            assert not value or (c.pk, kind, value) in identities
        expected = Customer(first_name=c.first_name, last_name=c.last_name)
        refresh_search_name(expected)
        assert c.search_name == expected.search_name
    # and the search box's distinct names came with the bulk load (the customers table's triggers)
    assert set(SearchName.objects.values_list("name", flat=True)) == {c.search_name for c in customers} - {""}
    # and loyalty balances are the sum of their ledgers
    for account in LoyaltyAccount.objects.annotate(ledger=Sum("entries__points")):
        assert account.balance == (account.ledger or 0)


def test_timelines_use_only_the_channels_their_shopper_used(built):
    # then the behavioural events are the scale's count, plus one purchase per known shopper's order
    behaviour = Interaction.objects.exclude(source__in=["orders", "returns"])
    assert behaviour.count() == TINY.count("interactions")
    assert Interaction.objects.filter(source="orders").count() == Order.objects.filter(customer__isnull=False).count()
    channels = dict(Customer.objects.values_list("pk", "channels"))
    for customer_id, channel in Interaction.objects.values_list("customer_id", "channel"):
        assert channel in channels[customer_id]
    # and purchased items mirror the lines of those orders
    assert (
        PurchasedItem.objects.filter(quantity__gt=0).count()
        == OrderLine.objects.filter(order__customer__isnull=False).count()
    )


def test_orders_add_up_and_multichannel_shoppers_exist(built):
    # then each order's total is its lines' and it is paid once for that total
    assert Order.objects.count() == TINY.count("orders")
    for order in Order.objects.annotate(lines_total=Sum("lines__total")).prefetch_related("payments"):
        assert order.total == order.lines_total
        assert [p.amount for p in order.payments.all()] == [order.total]
    # and ids follow the time orders were placed, as in production
    history = list(Order.objects.exclude(status="open").order_by("pk").values_list("placed_at", flat=True))
    assert history == sorted(history)
    # and some shoppers bought on two channels or more
    multichannel = (
        Order.objects.filter(customer__isnull=False)
        .values("customer_id")
        .annotate(n=Count("channel", distinct=True))
        .filter(n__gte=2)
    )
    assert multichannel.exists()


def test_open_pickups_wait_in_every_state_with_their_stock_reserved(built):
    # then the first pick-up store's queue has open pick-ups in each state
    first = Store.objects.filter(kind=Store.Kind.STORE, pickup_enabled=True, is_active=True).order_by("code").first()
    open_ = Fulfillment.objects.filter(location=first, status__in=Fulfillment.OPEN_STATUSES)
    assert open_.count() >= TINY.count("open_pickups_per_store")
    states = set(Fulfillment.objects.filter(status__in=Fulfillment.OPEN_STATUSES).values_list("status", flat=True))
    assert states == {"placed", "picking", "ready"}
    assert not Fulfillment.objects.filter(status="ready", hold_until__isnull=True).exists()
    # and each open pick-up's units are held by active reservations under its reference
    for f in Fulfillment.objects.filter(status__in=Fulfillment.OPEN_STATUSES).prefetch_related("lines"):
        held = Reservation.objects.filter(reference=f.reservation_reference, status="active").aggregate(
            n=Sum("quantity")
        )["n"]
        assert held == sum(line.quantity for line in f.lines.all())


def test_returns_take_back_lines_of_their_order_and_refunds_reach_the_payment(built):
    # then each return line is a line of the returned order, and refunds went back to where they say
    returns = list(ReturnRequest.objects.prefetch_related("lines__order_line"))
    assert returns
    for request in returns:
        assert all(line.order_line.order_id == request.order_id for line in request.lines.all())
    refunded = ReturnRequest.objects.filter(refund_method="original").aggregate(n=Sum("refunded_to_tenders"))["n"]
    assert (Payment.objects.aggregate(n=Sum("refunded_amount"))["n"] or Decimal("0")) == (refunded or Decimal("0"))
    for account in StoreCreditAccount.objects.annotate(ledger=Sum("entries__amount")):
        assert account.balance == account.ledger
    assert not ReturnRequest.objects.filter(Q(status__in=["refunded", "exchanged"]) & Q(refund_method="")).exists()
    assert PointsEntry.objects.filter(kind="adjust").count() == LoyaltyAccount.objects.filter(balance__gt=0).count()
