import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connections
from django.utils import timezone

from customers.errors import CustomerError
from customers.models import Interaction, LoyaltyAccount, OfferAssignment, PointsEntry, StoreCreditAccount
from customers.services import (
    assign_offer,
    assign_offer_to_segment,
    earn_points,
    issue_store_credit,
    redeem_offer,
    redeem_points,
    reverse_points,
    set_consent,
    spend_store_credit,
)
from tests.customers.conftest import buy
from tests.customers.factories import CustomerFactory, OfferFactory, TierFactory


@pytest.mark.django_db
def test_points_ledger_earns_once_per_order_redeems_and_reverses():
    shopper = CustomerFactory()
    # when an order earns points twice (a retry)
    first = earn_points(customer=shopper, amount=Decimal("59.90"), reference="ORD-1")
    again = earn_points(customer=shopper, amount=Decimal("59.90"), reference="ORD-1")
    # then it counted once (1 point per unit without a tier, rounded down)
    assert first.pk == again.pk and first.points == 59
    redeem_points(customer=shopper, points=20, reference="ORD-2")
    # when the first order is returned, the points still there are reversed, never below zero
    reversal = reverse_points(customer=shopper, reference="ORD-1")
    account = LoyaltyAccount.objects.get(customer=shopper)
    assert reversal.points == -39 and account.balance == 0
    assert sum(account.entries.values_list("points", flat=True)) == account.balance
    assert reverse_points(customer=shopper, reference="ORD-1") is None
    # and asking for more than the balance is a clear 409
    with pytest.raises(CustomerError) as err:
        redeem_points(customer=shopper, points=1, reference="ORD-3")
    assert err.value.code == "insufficient_points" and err.value.status == 409


@pytest.mark.django_db
def test_tier_follows_rolling_12_month_spend_and_sets_the_earn_rate():
    TierFactory(code="silver", name="Silver", min_spend=Decimal("100.00"), points_per_unit=Decimal("1.50"))
    shopper = CustomerFactory()
    # when purchases older than a year and recent ones are on the timeline
    old = buy(shopper, "X-1", "X-2", "X-3", number="OLD-1")
    # (its items follow: their foreign key is (interaction, occurred_at), ON UPDATE CASCADE, across partitions)
    Interaction.objects.filter(pk=old.pk).update(occurred_at=timezone.now() - timedelta(days=400))
    buy(shopper, "X-4", number="NEW-1")
    from customers.services import recalculate_tier

    tier = recalculate_tier(customer=shopper)
    # then only the last 12 months count (40.00 < 100)
    assert tier is None
    buy(shopper, "X-5", "X-6", number="NEW-2")
    account = LoyaltyAccount.objects.get(customer=shopper)
    assert account.tier.code == "silver" and account.spend_12m == Decimal("120.00")
    # and points are earned at the tier's rate
    assert earn_points(customer=shopper, amount=Decimal("10.00"), reference="NEW-3").points == 15


@pytest.mark.django_db
def test_offer_rules_and_redeem_once_on_any_channel(store):
    gold = TierFactory()
    offer = OfferFactory(code="gold20", tier=gold, channels=["app", "store"])
    member, golden = CustomerFactory(), CustomerFactory()
    buy(golden, *[f"G-{i}" for i in range(13)], number="BIG-1")  # 520.00 → gold
    # then only the gold shopper gets it from the segment assignment
    assert assign_offer_to_segment(offer=offer) == 1
    with pytest.raises(CustomerError) as err:
        assign_offer(offer=offer, customer=member)
    assert err.value.code == "offer_not_eligible"
    # when it is used on the web (not allowed), then in store
    with pytest.raises(CustomerError) as err:
        redeem_offer(customer=golden, offer_code="gold20", channel="web", currency="EUR", reference="W-1")
    assert err.value.code == "offer_wrong_channel"
    redeem_offer(customer=golden, offer_code="gold20", channel="store", currency="EUR", reference="POS-1", store=store)
    # then a second use, on any channel, is refused, and the timeline shows the redemption
    with pytest.raises(CustomerError) as err:
        redeem_offer(customer=golden, offer_code="gold20", channel="app", currency="EUR", reference="A-1")
    assert err.value.code == "offer_already_redeemed"
    assert golden.interactions.filter(kind="offer_redeemed", store=store).count() == 1


@pytest.mark.django_db
def test_email_offers_only_reach_shoppers_who_agreed():
    offer = OfferFactory(code="news", requires_email_consent=True)
    yes, no = CustomerFactory(), CustomerFactory()
    set_consent(customer=yes, channel="email", granted=True, source="web")
    set_consent(customer=no, channel="email", granted=False, source="web")
    assign_offer_to_segment(offer=offer)
    assert list(OfferAssignment.objects.values_list("customer_id", flat=True)) == [yes.pk]


@pytest.mark.django_db
def test_store_credit_ledger_is_idempotent_and_never_negative():
    shopper = CustomerFactory()
    issue_store_credit(customer=shopper, amount=Decimal("20.00"), reference="RET-1")
    issue_store_credit(customer=shopper, amount=Decimal("20.00"), reference="RET-1")
    spend_store_credit(customer=shopper, amount=Decimal("12.50"), reference="ORD-1")
    with pytest.raises(CustomerError) as err:
        spend_store_credit(customer=shopper, amount=Decimal("7.51"), reference="ORD-2")
    assert err.value.code == "insufficient_store_credit"
    assert StoreCreditAccount.objects.get(customer=shopper).balance == Decimal("7.50")
    with pytest.raises(CustomerError):
        spend_store_credit(customer=shopper, amount=Decimal("-5"), reference="ORD-3")


def _race(n: int, work) -> list:
    """Run `work(i)` in n threads that start together, each on its own database connection."""
    barrier, results = threading.Barrier(n), [None] * n

    def run(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except CustomerError as exc:
            results[i] = exc.code
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_point_spends_never_overdraw_the_account():
    # given 100 points and 8 tills trying to spend 30 each at the same moment
    shopper = CustomerFactory()
    earn_points(customer=shopper, points=100, reference="ORD-0")
    results = _race(8, lambda i: redeem_points(customer=shopper, points=30, reference=f"SPEND-{i}").points)
    # then exactly three succeed and the others get a clean "insufficient points"
    assert sorted(r for r in results if isinstance(r, int)) == [-30, -30, -30]
    assert results.count("insufficient_points") == 5
    account = LoyaltyAccount.objects.get(customer=shopper)
    assert account.balance == 10
    assert sum(PointsEntry.objects.filter(account=account).values_list("points", flat=True)) == 10


@pytest.mark.django_db(transaction=True)
def test_concurrent_store_credit_spends_never_overdraw_the_account():
    shopper = CustomerFactory()
    issue_store_credit(customer=shopper, amount=Decimal("50.00"), reference="RET-0")
    results = _race(
        6, lambda i: str(spend_store_credit(customer=shopper, amount=Decimal("20.00"), reference=f"O-{i}").amount)
    )
    assert results.count("-20.00") == 2 and results.count("insufficient_store_credit") == 4
    assert StoreCreditAccount.objects.get(customer=shopper).balance == Decimal("10.00")


@pytest.mark.django_db(transaction=True)
def test_an_offer_raced_on_several_channels_is_redeemed_once():
    shopper = CustomerFactory()
    OfferFactory(code="once")
    assign_offer(offer=OfferFactory._meta.model.objects.get(code="once"), customer=shopper)
    channels = ["app", "web", "store", "app", "web"]
    results = _race(
        5,
        lambda i: (
            redeem_offer(
                customer=shopper, offer_code="once", channel=channels[i], currency="EUR", reference=f"R-{i}"
            ).pk
        ),
    )
    assert sum(isinstance(r, int) for r in results) == 1
    assert results.count("offer_already_redeemed") == 4
    assert shopper.interactions.filter(kind="offer_redeemed").count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_same_purchase_recorded_concurrently_lands_once():
    from customers.models import Interaction, PurchasedItem

    shopper = CustomerFactory()
    results = _race(4, lambda i: buy(shopper, "X-1", "X-2", number="POS-RACE").pk)
    assert len(set(results)) == 1 and isinstance(results[0], int)
    assert Interaction.objects.filter(source="test", external_id="POS-RACE").count() == 1
    assert PurchasedItem.objects.filter(customer=shopper).count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_new_device_posting_concurrently_gets_one_profile():
    from customers.models import Customer, CustomerIdentity, Interaction
    from customers.services import ClientEvent, ingest_events

    def post(i):
        event = ClientEvent(
            index=0,
            id=f"race-{i}",
            kind="app_open",
            channel="app",
            occurred_at=timezone.now() - timedelta(days=1),
            identities={"app_install": "brand-new-install"},
        )
        return ingest_events(events=[event]).accepted

    results = _race(4, post)
    assert results == [[0]] * 4
    owner = CustomerIdentity.objects.get(kind="app_install", value="brand-new-install").customer
    assert Customer.objects.count() == 1 and owner.is_anonymous
    assert Interaction.objects.filter(customer=owner).count() == 4


@pytest.mark.django_db
def test_points_lapse_after_a_year_without_activity_and_tiers_roll_down():
    from customers.services import expire_inactive_points, recalculate_all_tiers

    TierFactory(code="silver", name="Silver", min_spend=Decimal("50.00"))
    idle, active = CustomerFactory(), CustomerFactory()
    earn_points(customer=idle, points=70, reference="OLD")
    earn_points(customer=active, points=30, reference="NEW")
    LoyaltyAccount.objects.filter(customer=idle).update(last_activity_at=timezone.now() - timedelta(days=400))
    # when the daily jobs run
    assert expire_inactive_points() == 1
    # then the idle account is at zero through an expire entry; the active one is untouched
    idle_account = LoyaltyAccount.objects.get(customer=idle)
    assert idle_account.balance == 0 and idle_account.entries.filter(kind="expire", points=-70).exists()
    assert LoyaltyAccount.objects.get(customer=active).balance == 30
    # and a shopper whose spend has aged past 12 months drops out of the tier
    purchase = buy(active, "S-1", "S-2", number="SPEND-1")
    assert LoyaltyAccount.objects.get(customer=active).tier.code == "silver"
    Interaction.objects.filter(pk=purchase.pk).update(occurred_at=timezone.now() - timedelta(days=366))  # items follow
    recalculate_all_tiers()
    assert LoyaltyAccount.objects.get(customer=active).tier is None


# --- tiers and spend in several currencies (issue 19.2) -------------------------------------------


def _bought(customer, number: str, amount: str, currency: str):
    from customers.services.timeline import record_purchase

    lines = [{"sku": "SHIRT-M", "qty": 1, "amount": amount, "category": "tops", "size": "M"}]
    return record_purchase(customer=customer, channel="store", order_number=number, lines=lines, source="test",
                           currency=currency)  # fmt: skip


@pytest.mark.django_db
def test_a_tier_counts_spend_in_another_currency_converted_at_the_stated_rate(associate_client, store):
    from datetime import date

    from retail.domain.money import format_money
    from retail.exchange_rates import save_exchange_rate
    from retail.models import ExchangeRate

    # given a Silver tier from 150.00 in the home currency (euros), and PLN at 0.2315
    TierFactory(code="silver", name="Silver", min_spend=Decimal("150.00"))
    save_exchange_rate(rate=ExchangeRate(currency="PLN", rate=Decimal("0.2315"), valid_from=date(2026, 1, 1)),
                       actor=None)  # fmt: skip
    shopper = CustomerFactory()
    # when she spends 100.00 EUR and 400.00 PLN
    _bought(shopper, "EUR-1", "100.00", "EUR")
    _bought(shopper, "PLN-1", "400.00", "PLN")
    # then her spend is 100 + 92.60 EUR (never 500), which reaches Silver
    account = LoyaltyAccount.objects.get(customer=shopper)
    assert (account.spend_12m, account.tier.code) == (Decimal("192.60"), "silver")
    assert account.spend_detail["by_currency"] == {"EUR": "100.00", "PLN": "400.00"}
    assert account.spend_detail["missing"] == [] and account.spend_detail["currency"] == "EUR"
    # and the profile says it in euros, with the złoty it includes in złoty
    page = associate_client.get(f"/portal/customers/{shopper.pk}/").content.decode()
    assert format_money(Decimal("192.60"), "EUR") in page and format_money(Decimal("400.00"), "PLN") in page
    assert format_money(Decimal("500.00"), "EUR") not in page


@pytest.mark.django_db
def test_spend_in_a_currency_without_a_rate_is_named_not_counted(associate_client, store):
    # given no PLN rate at all
    TierFactory(code="silver", name="Silver", min_spend=Decimal("150.00"))
    shopper = CustomerFactory()
    # when
    _bought(shopper, "EUR-1", "100.00", "EUR")
    _bought(shopper, "PLN-1", "400.00", "PLN")
    # then the złoty do not count towards the tier, and the account and the profile say why
    account = LoyaltyAccount.objects.get(customer=shopper)
    assert (account.spend_12m, account.tier_id) == (Decimal("100.00"), None)
    assert account.spend_detail["missing"] == ["PLN"]
    page = associate_client.get(f"/portal/customers/{shopper.pk}/").content.decode()
    assert "data-missing-rate" in page and "PLN not counted" in page
