"""One-off: the live, unpartitioned timeline tables become month-partitioned ones (docs/deploy.md §6).

Run by migration customers 0013 (everything at once: right for an empty or small table) or ahead
of it by `manage.py partition_timeline` while the shop trades (a large table):

1. prepare: a trigger on the old tables notes the id of every row written from now on; the
   partitioned parents `<table>_new` are made (same columns, primary key (id, occurred_at),
   foreign keys, the indexes under temporary names) with a month partition for every month the
   data spans, three ahead, and the `before`/`after` catch-alls;
2. copy: month by month, one transaction each (resumable: a month already copied is skipped),
   the interactions, their items (dated like their interaction) and the idempotency keys;
3. swap, in one short transaction with a lock timeout: writes to the old tables are blocked
   (reads go on), the months that appeared since and the rows the trigger noted are copied
   again, the old tables are dropped and the new ones take their names.

The SQL is frozen here for the migration; later changes to partition upkeep live in
`customers/partitions.py` (which this module shares the naming with).
"""

import time
from collections.abc import Callable
from datetime import UTC, date, datetime

from django.db import connection, transaction
from django.utils import timezone

from customers.partitions import (
    AHEAD_MONTHS,
    INTERACTION,
    ITEM,
    KEY,
    LOCK_TIMEOUT,
    add_months,
    create_layout,
    is_partitioned,
    month_start,
    partition_name,
)

CHANGES = "customers_timeline_changes"
INTERACTION_COLUMNS = (
    "id, channel, kind, occurred_at, subject, data, source, external_id, recorded_at, associate_id, customer_id, "
    "store_id"
)
ITEM_COLUMNS = "id, sku, category, size, quantity, amount, channel, occurred_at, customer_id, interaction_id"
# an item is dated like its interaction (the composite foreign key and the partition agree)
ITEM_SELECT = (
    "p.id, p.sku, p.category, p.size, p.quantity, p.amount, p.channel, i.occurred_at, p.customer_id, p.interaction_id"
)
# (name, table, definition): Django's names, so that later migrations find them (an index name is
# unique in the schema: `_new` until the swap; a constraint name only in its table)
INDEXES = (
    ("customers_interaction_associate_id_a5fc59d9", INTERACTION, "(associate_id)"),
    ("customers_interaction_customer_id_3eb30ec4", INTERACTION, "(customer_id)"),
    ("customers_interaction_store_id_3203244e", INTERACTION, "(store_id)"),
    ("interaction_channel_idx", INTERACTION, "(customer_id, channel, occurred_at DESC, id DESC)"),
    ("interaction_timeline_idx", INTERACTION, "(customer_id, occurred_at DESC, id DESC)"),
    ("customers_purchaseditem_customer_id_d32cd269", ITEM, "(customer_id)"),
    ("customers_purchaseditem_interaction_id_f80a93e8", ITEM, "(interaction_id)"),
    ("purchased_customer_idx", ITEM, "(customer_id, occurred_at)"),
    ("purchased_sku_idx", ITEM, "(sku, interaction_id)"),
)
FOREIGN_KEYS = (
    (INTERACTION, "customers_interactio_customer_id_3eb30ec4_fk_customers", "(customer_id)",
     "customers_customer (id)", ""),
    (INTERACTION, "customers_interaction_associate_id_a5fc59d9_fk_retail_user_id", "(associate_id)",
     "retail_user (id)", ""),
    (INTERACTION, "customers_interaction_store_id_3203244e_fk_retail_store_id", "(store_id)", "retail_store (id)", ""),
    (ITEM, "customers_purchasedi_customer_id_d32cd269_fk_customers", "(customer_id)", "customers_customer (id)", ""),
    (ITEM, "customers_purchaseditem_interaction_fk", "(interaction_id, occurred_at)",
     f"{INTERACTION}_new (id, occurred_at)", "ON UPDATE CASCADE"),
)  # fmt: skip
KEY_FOREIGN_KEY = (
    f"ALTER TABLE {KEY} ADD CONSTRAINT customers_interactionkey_interaction_fk FOREIGN KEY (interaction_id, "
    f"occurred_at) REFERENCES {INTERACTION} (id, occurred_at) ON DELETE CASCADE ON UPDATE CASCADE "
    "DEFERRABLE INITIALLY DEFERRED"
)

Log = Callable[[str], None]


def _exists(cursor, name: str) -> bool:
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
    return cursor.fetchone()[0]


def _data_months(cursor) -> tuple[date, date]:
    """The first month with data (or this month) and the end of the months to create."""
    this_month = month_start(timezone.now().astimezone(UTC))
    cursor.execute(f"SELECT min(occurred_at), max(occurred_at) FROM {INTERACTION}")
    low, high = cursor.fetchone()
    first = min(month_start(low.astimezone(UTC)), this_month) if low else this_month
    end = add_months(this_month, AHEAD_MONTHS + 1)
    if high and month_start(high.astimezone(UTC)) < add_months(this_month, 24):  # a far-future date: `after` takes it
        end = max(end, add_months(month_start(high.astimezone(UTC)), 1))
    return first, end


def prepare(*, log: Log = print) -> None:
    """Step 1 (idempotent): the change trigger, then the partitioned `_new` tables."""
    with transaction.atomic(), connection.cursor() as cursor:
        # the key table of the model InteractionKey (the migration's CreateModel is state only)
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {KEY} (source varchar(40) NOT NULL, external_id varchar(100) NOT NULL, "
            f"interaction_id bigint NOT NULL, occurred_at timestamptz NOT NULL, "
            f"CONSTRAINT {KEY}_pkey PRIMARY KEY (source, external_id))"
        )
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {CHANGES} (tbl text NOT NULL, id bigint NOT NULL)")
        cursor.execute(
            f"CREATE OR REPLACE FUNCTION {CHANGES}_note() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"INSERT INTO {CHANGES} VALUES (TG_TABLE_NAME, CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END);"
            " RETURN NULL; END $$"
        )
        for table in (INTERACTION, ITEM):
            cursor.execute(f"DROP TRIGGER IF EXISTS {table}_changes ON {table}")
            cursor.execute(
                f"CREATE TRIGGER {table}_changes AFTER INSERT OR UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {CHANGES}_note()"
            )
        if _exists(cursor, f"{INTERACTION}_new"):
            return
        first, end = _data_months(cursor)
        for table in (INTERACTION, ITEM):
            new = f"{table}_new"
            cursor.execute(f"CREATE SEQUENCE {new}_id_seq")
            cursor.execute(
                f"CREATE TABLE {new} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS, "
                f"PRIMARY KEY (id, occurred_at)) PARTITION BY RANGE (occurred_at)"
            )
            cursor.execute(f"ALTER TABLE {new} ALTER id SET DEFAULT nextval('{new}_id_seq')")
        for name, table, definition in INDEXES:
            cursor.execute(f"CREATE INDEX {name}_new ON {table}_new {definition}")
        for table, name, columns, target, action in FOREIGN_KEYS:
            cursor.execute(
                f"ALTER TABLE {table}_new ADD CONSTRAINT {name} FOREIGN KEY {columns} REFERENCES {target} "
                f"{action} DEFERRABLE INITIALLY DEFERRED"
            )
        create_layout(cursor, first=first, end=end, suffix="_new")
    log(f"prepared {INTERACTION}_new and {ITEM}_new: months {first:%Y-%m} to {add_months(end, -1):%Y-%m}")


def _month_ranges(cursor) -> list[tuple[datetime | None, datetime | None, str]]:
    """[low, high) of every partition of the new interaction table, with its name."""
    cursor.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = %s::regclass",
        [f"{INTERACTION}_new"],
    )
    names = sorted(name for (name,) in cursor.fetchall())
    ranges = []
    months = sorted(date(int(n[-7:-3]), int(n[-2:]), 1) for n in names if n[-8:-7] == "y" and n[-3:-2] == "m")
    utc = lambda d: datetime.combine(d, datetime.min.time(), UTC)  # noqa: E731
    if months:
        ranges.append((None, utc(months[0]), f"{INTERACTION}_before"))
        ranges += [(utc(m), utc(add_months(m, 1)), partition_name(INTERACTION, m)) for m in months]
        ranges.append((utc(add_months(months[-1], 1)), None, f"{INTERACTION}_after"))
    return ranges


def _copy_range(cursor, low: datetime | None, high: datetime | None, *, only_new: bool) -> int:
    where, params = [], []
    if low is not None:
        where.append("i.occurred_at >= %s")
        params.append(low)
    if high is not None:
        where.append("i.occurred_at < %s")
        params.append(high)
    clause = " AND ".join(where) or "TRUE"
    if only_new:  # a range copied already: the swap's delta covers what changed in it
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {INTERACTION}_new i WHERE {clause})", params)
        if cursor.fetchone()[0]:
            return 0
    cursor.execute(
        f"INSERT INTO {INTERACTION}_new ({INTERACTION_COLUMNS}) SELECT {INTERACTION_COLUMNS} "
        f"FROM {INTERACTION} i WHERE {clause}",
        params,
    )
    copied = cursor.rowcount
    cursor.execute(
        f"INSERT INTO {ITEM}_new ({ITEM_COLUMNS}) SELECT {ITEM_SELECT} FROM {ITEM} p "
        f"JOIN {INTERACTION} i ON i.id = p.interaction_id WHERE {clause}",
        params,
    )
    cursor.execute(
        f"INSERT INTO {KEY} (source, external_id, interaction_id, occurred_at) "
        f"SELECT source, external_id, id, occurred_at FROM {INTERACTION} i WHERE {clause} ON CONFLICT DO NOTHING",
        params,
    )
    return copied


def copy(*, log: Log = print) -> int:
    """Step 2: every range not copied yet, one transaction each; returns the rows copied."""
    total = 0
    with connection.cursor() as cursor:
        ranges = _month_ranges(cursor)
    for low, high, name in ranges:
        with transaction.atomic(), connection.cursor() as cursor:
            copied = _copy_range(cursor, low, high, only_new=True)
        if copied:
            log(f"  {name}: {copied} interactions")
        total += copied
    return total


def swap(*, log: Log = print) -> None:
    """Step 3, one transaction: block writes, copy what changed since, drop the old, rename the new."""
    started = time.monotonic()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        cursor.execute(f"LOCK TABLE {INTERACTION}, {ITEM} IN EXCLUSIVE MODE")  # reads go on, writes wait
        for low, high, _ in _month_ranges(cursor):
            _copy_range(cursor, low, high, only_new=True)
        cursor.execute(f"SELECT DISTINCT id FROM {CHANGES} WHERE tbl = %s", [INTERACTION])
        interactions = [row[0] for row in cursor.fetchall()]
        cursor.execute(f"SELECT DISTINCT id FROM {CHANGES} WHERE tbl = %s", [ITEM])
        items = [row[0] for row in cursor.fetchall()]
        if interactions or items:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            # rows written since their month was copied: taken again (deleted ones stay deleted)
            cursor.execute(
                f"DELETE FROM {ITEM}_new WHERE id = ANY(%s) OR interaction_id = ANY(%s)", [items, interactions]
            )
            cursor.execute(
                f"DELETE FROM {KEY} k USING {INTERACTION}_new i WHERE i.id = ANY(%s) "
                "AND k.source = i.source AND k.external_id = i.external_id",
                [interactions],
            )
            cursor.execute(f"DELETE FROM {INTERACTION}_new WHERE id = ANY(%s)", [interactions])
            cursor.execute(
                f"INSERT INTO {INTERACTION}_new ({INTERACTION_COLUMNS}) SELECT {INTERACTION_COLUMNS} "
                f"FROM {INTERACTION} WHERE id = ANY(%s)",
                [interactions],
            )
            cursor.execute(
                f"INSERT INTO {KEY} (source, external_id, interaction_id, occurred_at) SELECT source, "
                f"external_id, id, occurred_at FROM {INTERACTION} WHERE id = ANY(%s) ON CONFLICT DO NOTHING",
                [interactions],
            )
            cursor.execute(
                f"INSERT INTO {ITEM}_new ({ITEM_COLUMNS}) SELECT {ITEM_SELECT} FROM {ITEM} p "
                f"JOIN {INTERACTION} i ON i.id = p.interaction_id WHERE p.id = ANY(%s) OR p.interaction_id = ANY(%s)",
                [items, interactions],
            )
        for table in (INTERACTION, ITEM):
            cursor.execute(f"SELECT pg_get_serial_sequence('{table}', 'id')")
            old_sequence = cursor.fetchone()[0]
            cursor.execute(
                f"SELECT setval('{table}_new_id_seq', greatest((SELECT last_value FROM {old_sequence}), "
                f"(SELECT coalesce(max(id), 0) FROM {table}_new), 1))"
            )
        cursor.execute(f"DROP TABLE {ITEM}, {INTERACTION}")
        cursor.execute(f"DROP TABLE {CHANGES}")
        cursor.execute(f"DROP FUNCTION {CHANGES}_note()")
        for table in (INTERACTION, ITEM):
            cursor.execute(f"ALTER TABLE {table}_new RENAME TO {table}")
            cursor.execute(f"ALTER SEQUENCE {table}_new_id_seq RENAME TO {table}_id_seq")
            cursor.execute(f"ALTER SEQUENCE {table}_id_seq OWNED BY {table}.id")
            cursor.execute(f"ALTER TABLE {table} ALTER id SET DEFAULT nextval('{table}_id_seq')")
            cursor.execute(f"ALTER INDEX {table}_new_pkey RENAME TO {table}_pkey")
        for name, _, _ in INDEXES:
            cursor.execute(f"ALTER INDEX {name}_new RENAME TO {name}")
        cursor.execute(KEY_FOREIGN_KEY)
    took = (time.monotonic() - started) * 1000
    log(f"swapped in {took:.0f} ms ({len(interactions)} interactions and {len(items)} items written meanwhile)")


def convert_tables(*, log: Log = print, prepare_only: bool = False) -> None:
    """The whole conversion; a no-op once done. `prepare_only`: steps 1 and 2, no swap."""
    with connection.cursor() as cursor:
        if is_partitioned(cursor):
            log(f"{INTERACTION} is partitioned already")
            return
    prepare(log=log)
    copied = copy(log=log)
    log(f"copied {copied} interactions")
    if not prepare_only:
        swap(log=log)
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {INTERACTION}")
            cursor.execute(f"ANALYZE {ITEM}")
            cursor.execute(f"ANALYZE {KEY}")
