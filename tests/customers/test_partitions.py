"""The timeline tables partitioned by month (customers/partitions.py, docs/deploy.md §6): idempotency
under concurrency through the key table, pruning of the screen's queries, partitions ahead, retention."""

import json
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from customers.models import Interaction, InteractionKey, PurchasedItem
from customers.partitions import (
    INTERACTION,
    ITEM,
    add_months,
    archive_partitions,
    ensure_partitions,
    month_start,
    partition_name,
)
from customers.selectors import TIMELINE_PAGE, timeline_page
from customers.services import ClientEvent, ingest_events, record_interaction
from retail.models import AuditEvent
from tests.customers.conftest import buy
from tests.customers.factories import CustomerFactory
from tests.helpers import race

pytestmark = pytest.mark.django_db


def _this_month():
    return month_start(timezone.now().astimezone(UTC))


def _utc(month, day=15):
    return datetime(month.year, month.month, day, 12, tzinfo=UTC)


def _executed_partitions(sql: str) -> set[str]:
    """The partitions of the interaction table that running `sql` touched (EXPLAIN ANALYZE: a
    partition the Append never reached is "never executed", one pruned away is not in the plan)."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
        plan = cursor.fetchone()[0]
    plan = plan if isinstance(plan, list) else json.loads(plan)
    touched = set()

    def walk(node):
        name = node.get("Relation Name", "")
        if name.startswith(INTERACTION + "_") and node.get("Actual Loops", 0) > 0:
            touched.add(name)
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    return touched


def _planned_partitions(sql: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}")
        text = "\n".join(row[0] for row in cursor.fetchall())
    return set(re.findall(rf"\bon ({INTERACTION}_\w+|{ITEM}_\w+)", text))


@pytest.fixture
def two_years(store):
    """A shopper with 30 events in each of the last 24 months (their own partitions), newest this month."""
    this = _this_month()
    ensure_partitions(since=add_months(this, -24))
    shopper = CustomerFactory(home_store=store)
    now = timezone.now()
    rows = []
    for back in range(24):
        month = add_months(this, -back)
        for i in range(30):
            when = min(now - timedelta(minutes=1), _utc(month, 1 + i % 27)) - timedelta(minutes=i)
            rows.append(
                Interaction(customer=shopper, channel=("app", "web", "store")[i % 3], kind="store_visit",
                            occurred_at=when, source="prune", external_id=f"{back}-{i}", recorded_at=now)
            )  # fmt: skip
    Interaction.objects.bulk_create(rows)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {INTERACTION}")
    return shopper


def _recent(months: int) -> set[str]:
    """The partitions from `months` ago to the newest (the ahead months and `after` included)."""
    this = _this_month()
    names = {f"{INTERACTION}_after"}
    for n in range(-months, 12):
        names.add(partition_name(INTERACTION, add_months(this, n)))
    return names


# --- idempotency under concurrency ----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_same_event_recorded_by_eight_connections_at_once_lands_once():
    # given a shopper, when eight connections record the same (source, external_id) together
    shopper = CustomerFactory()

    def record(i):
        return record_interaction(
            customer=shopper, channel="store", kind="store_visit", source="pos", external_id="VISIT-1",
            subject=f"writer {i}",
        ).pk  # fmt: skip

    results, errors = race(record, 8, expected=Exception)
    # then all of them answer with the one interaction, and one key points at it
    assert not errors and len(set(results)) == 1, (results, errors)
    assert Interaction.objects.filter(source="pos", external_id="VISIT-1").count() == 1
    key = InteractionKey.objects.get(source="pos", external_id="VISIT-1")
    assert key.interaction_id == results[0]


@pytest.mark.django_db(transaction=True)
def test_overlapping_event_batches_posted_together_keep_each_event_once():
    # given four devices of one shopper re-sending overlapping batches at the same moment
    shopper = CustomerFactory()
    when = timezone.now() - timedelta(minutes=5)

    def post(i):
        events = [
            ClientEvent(index=n, id=f"evt-{n}", kind="product_view", channel="app", occurred_at=when, subject="SKU")
            for n in range(i * 5, i * 5 + 20)
        ]
        return ingest_events(events=events, customer=shopper)

    results, errors = race(post, 4, expected=Exception)
    assert not errors, errors
    # then each of the 35 distinct events is accepted by exactly one batch and a duplicate in the others
    accepted = sorted(n for result in results for n in result.accepted)
    assert accepted == list(range(35))
    assert sum(len(r.accepted) + len(r.duplicates) for r in results) == 80
    assert Interaction.objects.filter(customer=shopper).count() == 35 == InteractionKey.objects.count()


def test_a_purchase_recorded_twice_is_one_interaction_with_its_items(store):
    shopper = CustomerFactory()
    first = buy(shopper, "A-1", "A-2", number="W-1")
    again = buy(shopper, "A-1", "A-2", number="W-1")
    assert again.pk == first.pk
    assert PurchasedItem.objects.filter(interaction=first).count() == 2
    # the items are in the interaction's month partition, pointing at it by (id, occurred_at)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT tableoid::regclass::text FROM {ITEM} WHERE interaction_id = %s", [first.pk])
        assert cursor.fetchall() == [(partition_name(ITEM, _this_month()),)]


def test_a_deleted_interaction_frees_its_key():
    shopper = CustomerFactory()
    row = record_interaction(customer=shopper, channel="app", kind="app_open", source="app", external_id="X")
    Interaction.objects.filter(pk=row.pk).delete()
    assert not InteractionKey.objects.filter(source="app", external_id="X").exists()  # ON DELETE CASCADE
    again = record_interaction(customer=shopper, channel="app", kind="app_open", source="app", external_id="X")
    assert again.pk != row.pk


def test_the_cascade_finds_an_interactions_key_by_index_not_by_reading_the_key_table():
    # given the statement PostgreSQL's ON DELETE CASCADE runs for each deleted interaction (a table
    # this small is read whole whatever the indexes, so sequential scans are priced out here)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "EXPLAIN DELETE FROM customers_interactionkey WHERE interaction_id = %s AND occurred_at = %s",
            [1, timezone.now()],
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    # then the key is found through its own index: at the xlarge benchmark (50M keys), without it,
    # each deleted interaction read the whole 3.6 GB key table
    assert "interactionkey_interaction_idx" in plan, plan


# --- pruning --------------------------------------------------------------------------------------


def test_the_first_timeline_page_reads_only_the_recent_months(two_years):
    # when the first page is read (newest first), with and without a channel filter
    for channel in (None, "app"):
        with CaptureQueriesContext(connection) as queries:
            page = timeline_page(two_years, channel=channel)
        assert len(page.rows) == TIMELINE_PAGE
        (sql,) = [q["sql"] for q in queries if f'FROM "{INTERACTION}"' in q["sql"]]
        # then it stops in the newest months: the 20 older ones are never read
        touched = _executed_partitions(sql)
        assert touched and touched <= _recent(3), sorted(touched)
        assert partition_name(INTERACTION, add_months(_this_month(), -10)) not in touched


def test_an_older_page_skips_the_months_after_its_cursor(two_years):
    # given the cursor of a page a year back
    year_ago = Interaction.objects.filter(customer=two_years, occurred_at__lt=timezone.now() - timedelta(days=365))
    cursor_row = year_ago.order_by("-occurred_at", "-id").first()
    from customers.selectors import encode_cursor

    with CaptureQueriesContext(connection) as queries:
        page = timeline_page(two_years, before=unquote(encode_cursor(cursor_row)))  # as the view reads it
    assert len(page.rows) == TIMELINE_PAGE
    (sql,) = [q["sql"] for q in queries if f'FROM "{INTERACTION}"' in q["sql"]]
    # then the newer months are pruned when planning, and reading stops a month or two further back
    cursor_month = month_start(cursor_row.occurred_at.astimezone(UTC))
    planned = _planned_partitions(sql)
    assert partition_name(INTERACTION, _this_month()) not in planned and f"{INTERACTION}_after" not in planned
    assert all(name.endswith("_before") or name <= partition_name(INTERACTION, cursor_month) for name in planned), (
        sorted(planned)
    )
    touched = _executed_partitions(sql)
    assert touched <= {partition_name(INTERACTION, add_months(cursor_month, -n)) for n in range(3)}, sorted(touched)


def test_the_clienteling_screen_timeline_reads_only_the_recent_months(associate_client, two_years):
    # when the associate opens the screen's timeline panel and its "older" page
    url = reverse("customers_portal:timeline", args=[two_years.pk])
    associate_client.get("/portal/")
    with CaptureQueriesContext(connection) as queries:
        response = associate_client.get(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    timeline_sql = [q["sql"] for q in queries if f'FROM "{INTERACTION}"' in q["sql"]]
    # then every statement on the timeline reads the recent months only
    assert timeline_sql
    for sql in timeline_sql:
        assert _executed_partitions(sql) <= _recent(3)


def test_the_tier_spend_reads_only_the_last_twelve_months_of_items(two_years):
    from customers.history import recalculate_tiers
    from customers.services import recalculate_tier

    ensure_partitions(since=add_months(_this_month(), -24))
    buy(two_years, "A-1", number="R-1")
    for run in (lambda: recalculate_tier(customer=two_years), lambda: recalculate_tiers([two_years.pk])):
        with CaptureQueriesContext(connection) as queries:
            run()
        (sql,) = [q["sql"] for q in queries if f'FROM "{ITEM}"' in q["sql"]]
        planned = {name for name in _planned_partitions(sql) if name.startswith(ITEM)}
        # 12 months back plus the ahead months: never the older ones, nor `before`
        assert planned and len(planned) <= 13 + 4, sorted(planned)
        assert f"{ITEM}_before" not in planned
        assert partition_name(ITEM, add_months(_this_month(), -14)) not in planned
        # and the interactions it reads the currency from: the same months, not every partition
        interactions = {name for name in _planned_partitions(sql) if name.startswith(INTERACTION + "_")}
        assert interactions and len(interactions) <= 13 + 4, sorted(interactions)
        assert f"{INTERACTION}_before" not in interactions


# --- months ahead ---------------------------------------------------------------------------------


def test_months_are_created_ahead_and_rows_caught_meanwhile_move_to_theirs():
    # given a purchase dated six months ahead (a till's clock, or beat stopped for months): it is
    # kept, with its item, in the `after` catch-alls
    this = _this_month()
    later = add_months(this, 6)
    row = record_interaction(
        customer=CustomerFactory(), channel="store", kind="purchase", source="t", external_id="later",
        occurred_at=_utc(later), data={"lines": [{"sku": "A-1", "qty": 1, "amount": "10.00"}]},
    )  # fmt: skip

    def homes():
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT tableoid::regclass::text FROM {INTERACTION} WHERE id = %s", [row.pk])
            interaction = cursor.fetchone()[0]
            cursor.execute(f"SELECT tableoid::regclass::text FROM {ITEM} WHERE interaction_id = %s", [row.pk])
            return interaction, cursor.fetchone()[0]

    assert homes() == (f"{INTERACTION}_after", f"{ITEM}_after")
    # when beat creates the months ahead on a later "today"
    created = ensure_partitions(today=add_months(this, 4))
    # then the months up to three after it exist in both tables, and the rows moved to their month
    assert partition_name(INTERACTION, add_months(this, 7)) in created
    assert partition_name(ITEM, add_months(this, 7)) in created
    assert homes() == (partition_name(INTERACTION, later), partition_name(ITEM, later))
    assert InteractionKey.objects.get(source="t", external_id="later").interaction_id == row.pk
    # and running it again changes nothing
    assert ensure_partitions(today=add_months(this, 4)) == []


def test_the_beat_task_and_the_command_create_the_months(capsys):
    from customers.tasks import create_timeline_partitions

    assert create_timeline_partitions() == 0  # the migration made them
    call_command("timeline_partitions", "--since", f"{add_months(_this_month(), -3):%Y-%m}")
    out = capsys.readouterr().out
    assert f"created {partition_name(INTERACTION, add_months(_this_month(), -3))}" in out
    assert f"{INTERACTION}_after" in out


# --- retention ------------------------------------------------------------------------------------


def test_archiving_is_a_dry_run_unless_applied_then_moves_old_months_out_audited(two_years, capsys):
    this = _this_month()
    old = PurchasedItem.objects.count()
    buy(two_years, "A-1", number="NEW-1")
    # given a purchase 20 months ago
    past = record_interaction(
        customer=two_years, channel="store", kind="purchase", source="t", external_id="OLD-1",
        occurred_at=_utc(add_months(this, -20)),
        data={"lines": [{"sku": "A-1", "qty": 1, "amount": "10.00"}]},
    )  # fmt: skip
    before = Interaction.objects.count()
    # when the command runs without --apply: nothing changes
    call_command("archive_timeline", "--older-than-months", "18")
    out = capsys.readouterr().out
    assert "dry run" in out and partition_name(INTERACTION, add_months(this, -20)) in out
    assert Interaction.objects.count() == before
    # when it is applied
    call_command("archive_timeline", "--older-than-months", "18", "--apply")
    # then months older than 18 are in the archive schema, the rest stays, and it is audited
    gone = 30 * 5  # months 19..23 back of the fixture: those ending by the cutoff
    assert Interaction.objects.count() == before - gone - 1
    assert not InteractionKey.objects.filter(source="t", external_id="OLD-1").exists()
    assert PurchasedItem.objects.count() == old + 1
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM archive.{partition_name(INTERACTION, add_months(this, -20))}")
        assert cursor.fetchone()[0] == 31
        cursor.execute(f"SELECT count(*) FROM archive.{partition_name(ITEM, add_months(this, -20))}")
        assert cursor.fetchone()[0] == 1
    event = AuditEvent.objects.get(action="customers.timeline_archived")
    assert event.details["interactions"] == gone + 1
    # and a row older than the cutoff written later lands in the re-created `before` catch-all
    again = record_interaction(
        customer=two_years, channel="app", kind="app_open", source="t", external_id="OLD-1",
        occurred_at=_utc(add_months(this, -20)),
    )  # fmt: skip
    assert again.pk != past.pk


def test_archiving_keeps_at_least_thirteen_months():
    with pytest.raises(ValueError, match="13"):
        archive_partitions(older_than_months=12)
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="at least 13"):
        call_command("archive_timeline", "--older-than-months", "6", "--apply")
