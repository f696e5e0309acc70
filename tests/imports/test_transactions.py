"""import_transactions: historical purchases onto timelines; all or nothing, line-numbered, idempotent."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from customers.history import SOURCE, import_transactions
from customers.imports import text_opener
from customers.models import Customer, Interaction, LoyaltyAccount, PurchasedItem
from customers.services import create_customer, merge_customers, record_purchase
from retail.models import AuditEvent
from tests.customers.factories import TierFactory

pytestmark = pytest.mark.django_db

HEADER = "transaction_id,customer_id,email,card_number,date,quantity,amount,store,channel,sku\n"


def recent(days: int) -> str:
    return (timezone.localdate() - timedelta(days=days)).isoformat()


@pytest.fixture
def people(store):
    ann = create_customer(first_name="Ann", email="ann@example.com", card_number="C100")
    Customer.objects.filter(pk=ann.pk).update(channels=["app"])
    bob = create_customer(first_name="Bob", email="bob@example.com")
    return ann, bob


def test_a_clean_file_becomes_purchases_on_the_timelines(people, store):
    # given
    ann, bob = people
    TierFactory(code="gold", min_spend=Decimal("100.00"))
    text = HEADER + (
        f"T-1,{ann.pk},,,{recent(10)},2,80.00,LON-01,store,SHIRT-M\n"
        f"T-2,,BOB@Example.com,,{recent(400)},1,19.99,,web,\n"
        f"T-3,,,c-100,{recent(3)},1,30.00,,app,\n"
    )
    # when
    report = import_transactions(opener=text_opener(text))
    # then
    assert report.errors == [] and (report.rows, report.created, report.unchanged) == (3, 3, 0)
    purchase = Interaction.objects.get(source=SOURCE, external_id="id:T-1")
    assert (purchase.customer, purchase.kind, purchase.channel, purchase.store) == (ann, "purchase", "store", store)
    assert purchase.data == {
        "order_number": "T-1",
        "total": "80.00",
        "currency": settings.CURRENCY,
        "lines": [{"sku": "SHIRT-M", "qty": 2, "amount": "80.00", "category": "", "size": ""}],
    }
    item = PurchasedItem.objects.get(interaction=purchase)
    assert (item.customer, item.sku, item.quantity, item.amount, item.channel) == (
        ann,
        "SHIRT-M",
        2,
        Decimal("80.00"),
        "store",
    )
    assert PurchasedItem.objects.get(interaction__external_id="id:T-2").sku == "HISTORIC"
    ann.refresh_from_db()
    assert ann.channels == ["app", "store"] and ann.last_seen_at.date() == timezone.localdate() - timedelta(days=3)
    # the last 12 months count for the tier (110.00 for Ann; Bob's purchase is older than a year)
    assert LoyaltyAccount.objects.get(customer=ann).tier.code == "gold"
    assert LoyaltyAccount.objects.get(customer=ann).spend_12m == Decimal("110.00")
    assert not LoyaltyAccount.objects.filter(customer=bob).exists()
    assert AuditEvent.objects.filter(action="customers.transactions_imported").count() == 1


def test_an_imported_row_reads_like_a_purchase_recorded_by_the_service(people):
    # given the same purchase recorded by record_purchase and imported
    ann, _ = people
    when = timezone.now() - timedelta(days=2)
    recorded = record_purchase(customer=ann, channel="web", order_number="W-1", source="test", occurred_at=when,
                               lines=[{"sku": "HISTORIC", "qty": 1, "amount": "12.50", "category": "", "size": ""}],
                               currency="EUR")  # fmt: skip
    import_transactions(opener=text_opener(HEADER + f"W-2,{ann.pk},,,{when.isoformat()},1,12.50,,web,\n"))
    imported = Interaction.objects.get(source=SOURCE)
    # then both have the same shape (only the number differs)
    assert {**imported.data, "order_number": "W-1"} == recorded.data
    assert (imported.kind, imported.channel, imported.occurred_at) == (recorded.kind, recorded.channel, when)


def test_a_malformed_file_writes_nothing_and_names_every_bad_line(people):
    # given a file with good lines and bad ones
    ann, _ = people
    text = HEADER + (
        f"A-1,{ann.pk},,,{recent(5)},1,10.00,,web,\n"  # line 2: fine
        f"A-2,{ann.pk},,,14/03/2025,1,10.00,,web,\n"  # line 3: date
        f"A-3,99999,,,{recent(5)},1,10.00,,web,\n"  # line 4: unknown customer
        f"A-4,{ann.pk},,,{recent(5)},0,-1,,web,\n"  # line 5: quantity and amount
        f"A-5,{ann.pk},,,{recent(5)},1,10.00,,store,\n"  # line 6: store purchase without a store
        f"A-6,{ann.pk},,,{recent(5)},1,10.00,XXX-9,fax,\n"  # line 7: channel; unknown store
        f"A-1,{ann.pk},,,{recent(5)},1,10.00,,web,\n"  # line 8: duplicate id
        f"A-8,,,,{recent(5)},1,10.00,,web,\n"  # line 9: no customer
        f"A-9,{ann.pk},,,{recent(-3)},1,10.00,,web\n"  # line 10: future; 9 cells
    )
    # when
    report = import_transactions(opener=text_opener(text))
    # then nothing is written and each problem names its line
    assert Interaction.objects.count() == 0 and PurchasedItem.objects.count() == 0
    assert report.errors == [
        "line 3: date '14/03/2025' is not a date like 2025-03-14 (or 2025-03-14T10:30:00+00:00)",
        "line 4: no customer with id 99999 (import the customers first)",
        "line 5: quantity '0' must be a whole number from 1 to 100000",
        "line 5: amount '-1' must be 0 or more with at most 2 decimals, e.g. 59.90",
        "line 6: a store purchase needs the store code",
        "line 7: channel 'fax' must be one of app, web, store, phone, kiosk",
        "line 8: transaction_id A-1 is also on line 2",
        "line 9: name the customer: customer_id, email or card_number",
        "line 10: 9 cells but 10 columns",
    ]


def test_unknown_store_and_erased_customer_are_reported(people, store):
    ann, bob = people
    Customer.objects.filter(pk=bob.pk).update(erased_at=timezone.now())
    text = HEADER + f"B-1,{ann.pk},,,{recent(1)},1,5.00,NOPE,store,\nB-2,{bob.pk},,,{recent(1)},1,5.00,,web,\n"
    report = import_transactions(opener=text_opener(text))
    assert report.errors == [
        "line 2: unknown store 'NOPE'",
        f"line 3: no customer with id {bob.pk} (import the customers first)",
    ]
    assert Interaction.objects.count() == 0


def test_a_missing_column_is_refused_before_any_row(people):
    report = import_transactions(opener=text_opener("customer_id,date,amount,channel\n1,2025-01-01,1.00,web\n"))
    assert report.errors == [
        "line 1: missing column(s) quantity; columns are date, quantity, amount, channel, transaction_id, customer_id, "
        "email, card_number, store, sku, category, currency"
    ]


def test_importing_the_same_file_again_changes_nothing(people):
    # given a file without transaction ids, with two identical purchases on one day
    text = "email,date,quantity,amount,channel\n" + (
        f"ann@example.com,{recent(20)},1,9.99,app\n" * 2 + f"bob@example.com,{recent(30)},3,45.00,phone\n"
    )
    first = import_transactions(opener=text_opener(text))
    snapshot = sorted(Interaction.objects.values_list("external_id", "customer_id", "recorded_at"))
    # when the file is imported again (also with its lines in another order)
    again = import_transactions(opener=text_opener(text))
    shuffled = "email,date,quantity,amount,channel\n" + "\n".join(reversed(text.strip().splitlines()[1:])) + "\n"
    third = import_transactions(opener=text_opener(shuffled))
    # then the two equal purchases stay two, and nothing more is written
    assert (first.created, first.unchanged) == (3, 0)
    assert (again.created, again.unchanged) == (0, 3) and (third.created, third.unchanged) == (0, 3)
    assert sorted(Interaction.objects.values_list("external_id", "customer_id", "recorded_at")) == snapshot
    assert PurchasedItem.objects.count() == 3


def test_purchases_of_a_merged_profile_land_on_the_profile_it_was_merged_into(people):
    ann, bob = people
    merge_customers(source=bob, target=ann, reason="same person")
    import_transactions(opener=text_opener(HEADER + f"M-1,{bob.pk},,,{recent(1)},1,5.00,,web,\n"))
    assert Interaction.objects.get(source=SOURCE).customer == ann


def test_a_dry_run_checks_and_writes_nothing(people):
    ann, _ = people
    report = import_transactions(
        opener=text_opener(HEADER + f"D-1,{ann.pk},,,{recent(1)},1,5.00,,web,\n"), dry_run=True
    )
    assert report.errors == [] and report.rows == 1 and Interaction.objects.count() == 0


def test_the_command_streams_a_file_with_progress_and_fails_on_bad_lines(people, csv_file, capsys):
    ann, _ = people
    rows = "".join(f"C-{i},{ann.pk},,,{recent(i % 300 + 1)},1,{i % 50}.25,,app,\n" for i in range(12_000))
    # when
    call_command("import_transactions", str(csv_file(HEADER + rows)))
    # then
    out, err = capsys.readouterr()
    assert "Imported 12000 row(s): 12000 created, 0 updated, 0 unchanged." in out
    assert "checking:    10,000 rows" in err and "importing:    12,000 rows" in err and "rows/s" in err
    assert Interaction.objects.filter(customer=ann).count() == 12_000
    # and a bad file is refused with its lines on stderr
    bad = csv_file(HEADER + f"X-1,{ann.pk},,,yesterday,1,5.00,,web,\n", "bad.csv")
    with pytest.raises(CommandError, match="1 error"):
        call_command("import_transactions", str(bad), "--quiet")
    assert "line 2: date 'yesterday'" in capsys.readouterr().err
    assert Interaction.objects.count() == 12_000


def test_imported_spend_in_another_currency_counts_converted_or_is_named(people, store):
    from retail.exchange_rates import save_exchange_rate
    from retail.models import ExchangeRate

    # given a tier from 100.00 euros, and Ann's 80.00 EUR and 400.00 PLN in the last year
    ann, _bob = people
    TierFactory(code="gold", min_spend=Decimal("100.00"))
    text = "transaction_id,customer_id,date,quantity,amount,channel,currency\n" + (
        f"T-1,{ann.pk},{recent(10)},1,80.00,web,EUR\nT-2,{ann.pk},{recent(9)},1,400.00,web,PLN\n"
    )
    # when there is no PLN rate / then the złoty are named, not counted as euros (80, not 480)
    assert import_transactions(opener=text_opener(text)).errors == []
    account = LoyaltyAccount.objects.get(customer=ann)
    assert (account.spend_12m, account.tier_id, account.spend_detail["missing"]) == (Decimal("80.00"), None, ["PLN"])
    # when head office adds the rate and the file is read again / then 80 + 92.60 reaches gold
    save_exchange_rate(rate=ExchangeRate(currency="PLN", rate=Decimal("0.2315"), valid_from=timezone.localdate()),
                       actor=None)  # fmt: skip
    from customers.history import recalculate_tiers

    recalculate_tiers([ann.pk])
    account.refresh_from_db()
    assert (account.spend_12m, account.tier.code) == (Decimal("172.60"), "gold")
