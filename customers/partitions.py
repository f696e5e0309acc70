"""The timeline's two big tables, range-partitioned by month of `occurred_at` (docs/deploy.md §6).

`customers_interaction` and `customers_purchaseditem` are partitioned alike: one partition per
calendar month (UTC) named `<table>_y2026m12`, and two catch-alls that keep every insert working
whatever its date: `<table>_before` (MINVALUE up to the first month) and `<table>_after` (the
month after the last one up to MAXVALUE). Range catch-alls rather than a DEFAULT partition: with a
DEFAULT partition PostgreSQL no longer treats the partitions as ordered, and the timeline's
"newest first, 26 rows" then probes every month instead of stopping in the recent ones.

PostgreSQL wants the partition key in every unique constraint, so:
- both primary keys are (id, occurred_at) (Django still sees `id`: the sequence keeps it unique);
- the idempotency of (source, external_id) lives in `customers_interactionkey`, inserted first
  (ON CONFLICT) in the transaction that writes the interaction;
- a purchased item points at its interaction by (interaction_id, occurred_at): same month.

Months are created ahead by `ensure_partitions` (beat, daily; `manage.py timeline_partitions`);
old ones are detached into the `archive` schema by `archive_partitions`
(`manage.py archive_timeline`). `convert_tables` is the one-off conversion of live,
unpartitioned tables (migration customers 0013, `manage.py partition_timeline`).
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from django.db import connection, transaction
from django.utils import timezone

INTERACTION = "customers_interaction"
ITEM = "customers_purchaseditem"
KEY = "customers_interactionkey"
TABLES = (INTERACTION, ITEM)  # the referenced table first
AHEAD_MONTHS = 3  # months created after the current one
ARCHIVE_SCHEMA = "archive"
MIN_RETENTION_MONTHS = 13  # tiers read the last 12 months of purchased items
LOCK_TIMEOUT = "5s"  # DDL waits at most this long behind running queries, then gives up (retried later)

_MONTH = re.compile(r"_y(\d{4})m(\d{2})$")

Log = Callable[[str], None]


def month_start(moment: datetime | date) -> date:
    return date(moment.year, moment.month, 1)


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def partition_name(table: str, month: date) -> str:
    return f"{table}_y{month.year:04d}m{month.month:02d}"


def _bound(month: date) -> str:
    return f"'{month.isoformat()} 00:00:00+00'"


def _months(cursor, table: str) -> list[date]:
    """The monthly partitions of `table`, oldest first."""
    cursor.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = %s::regclass",
        [table],
    )
    found = []
    for (name,) in cursor.fetchall():
        match = _MONTH.search(name)
        if match:
            found.append(date(int(match[1]), int(match[2]), 1))
    return sorted(found)


def is_partitioned(cursor, table: str = INTERACTION) -> bool:
    cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [table])
    row = cursor.fetchone()
    return bool(row) and row[0] == "p"


def _create_months(cursor, table: str, months: list[date], *, parent: str = "") -> None:
    for month in months:
        cursor.execute(
            f'CREATE TABLE IF NOT EXISTS "{partition_name(table, month)}" PARTITION OF "{parent or table}" '
            f"FOR VALUES FROM ({_bound(month)}) TO ({_bound(add_months(month, 1))})"
        )


def _create_catchalls(
    cursor, table: str, first: date, end: date, *, before: bool = True, after: bool = True, parent: str = ""
) -> None:
    if before:
        cursor.execute(
            f'CREATE TABLE "{table}_before" PARTITION OF "{parent or table}" '
            f"FOR VALUES FROM (MINVALUE) TO ({_bound(first)})"
        )
    if after:
        cursor.execute(
            f'CREATE TABLE "{table}_after" PARTITION OF "{parent or table}" '
            f"FOR VALUES FROM ({_bound(end)}) TO (MAXVALUE)"
        )


def create_layout(cursor, *, first: date, end: date, suffix: str = "") -> None:
    """Monthly partitions for [first, end) and the two catch-alls, on freshly made parents
    (`<table><suffix>`: the partitions are named for the table they will serve)."""
    months, month = [], first
    while month < end:
        months.append(month)
        month = add_months(month, 1)
    for table in TABLES:
        _create_months(cursor, table, months, parent=table + suffix)
        _create_catchalls(cursor, table, first, end, parent=table + suffix)


# --- months ahead ------------------------------------------------------------------------------


def _rebuild_catchall(cursor, which: str, *, bound: date, months: list[date]) -> int:
    """Re-create the `before` or `after` catch-alls of both tables to end or start at `bound`, with
    the monthly partitions in `months` beside it; the rows they held are put back (routed to their
    month). Takes ACCESS EXCLUSIVE on the parents for a moment (the catch-alls are normally empty)."""
    cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # ALTER TABLE refuses pending deferred checks
    for table in TABLES:
        cursor.execute(f'LOCK TABLE "{table}" IN ACCESS EXCLUSIVE MODE')
    held_i, held_p = f"{INTERACTION}_{which}", f"{ITEM}_{which}"
    cursor.execute(f'CREATE TEMP TABLE _held_i ON COMMIT DROP AS SELECT * FROM "{held_i}"')
    moved = cursor.rowcount
    cursor.execute(f'CREATE TEMP TABLE _held_p ON COMMIT DROP AS SELECT * FROM "{held_p}"')
    cursor.execute(
        f"CREATE TEMP TABLE _held_k ON COMMIT DROP AS SELECT k.* FROM {KEY} k JOIN _held_i i "
        "ON k.interaction_id = i.id AND k.occurred_at = i.occurred_at"
    )
    # emptied in reference order (the keys go with their interactions: ON DELETE CASCADE), then dropped
    cursor.execute(f'DELETE FROM "{held_p}"')
    cursor.execute(f'DELETE FROM "{held_i}"')
    for name, table in ((held_p, ITEM), (held_i, INTERACTION)):
        cursor.execute(f'ALTER TABLE "{table}" DETACH PARTITION "{name}"')
        cursor.execute(f'DROP TABLE "{name}"')
    for table in TABLES:
        _create_months(cursor, table, months)
        _create_catchalls(cursor, table, bound, bound, before=which == "before", after=which == "after")
    if moved:
        cursor.execute(f"INSERT INTO {INTERACTION} SELECT * FROM _held_i")
        cursor.execute(f"INSERT INTO {ITEM} SELECT * FROM _held_p")
        cursor.execute(f"INSERT INTO {KEY} SELECT * FROM _held_k")
    for name in ("_held_i", "_held_p", "_held_k"):
        cursor.execute(f"DROP TABLE {name}")
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # as Django declares them, for the rest of the transaction
    return moved


def _span(start: date, end: date) -> list[date]:
    months = []
    while start < end:
        months.append(start)
        start = add_months(start, 1)
    return months


def ensure_partitions(*, ahead: int = AHEAD_MONTHS, since: date | None = None, today: date | None = None) -> list[str]:
    """Monthly partitions up to `ahead` months after the current one (and back to the month of
    `since`, for loading history); returns those created.

    Idempotent; run daily by beat so that a month exists long before its first row. Rows that
    landed in a catch-all meanwhile (beat stopped, a far-future date) move to their month.
    """
    today = today or timezone.now().astimezone(UTC).date()
    wanted_end = add_months(month_start(today), ahead + 1)
    created = []
    with transaction.atomic(), connection.cursor() as cursor:
        months = _months(cursor, INTERACTION)
        if not months:  # not partitioned (yet)
            return []
        end = add_months(months[-1], 1)
        if end < wanted_end:
            created += _span(end, wanted_end)
            _rebuild_catchall(cursor, "after", bound=wanted_end, months=_span(end, wanted_end))
        if since is not None and month_start(since) < months[0]:
            created += _span(month_start(since), months[0])
            _rebuild_catchall(cursor, "before", bound=month_start(since), months=_span(month_start(since), months[0]))
    return [partition_name(table, month) for month in sorted(created) for table in TABLES]


# --- retention -----------------------------------------------------------------------------------


@dataclass
class ArchivePlan:
    cutoff: date  # partitions wholly before this month go
    partitions: list[str] = field(default_factory=list)  # in both tables
    rows: dict[str, int] = field(default_factory=dict)  # interactions per month partition ("before" too)
    applied: bool = False


def plan_archive(*, older_than_months: int, today: date | None = None) -> ArchivePlan:
    """What `archive_partitions` would detach: the months ending before the cutoff, and the
    `before` catch-all when it ends by then (row counts are exact: one count per partition)."""
    today = today or timezone.now().astimezone(UTC).date()
    cutoff = add_months(month_start(today), -older_than_months)
    plan = ArchivePlan(cutoff=cutoff)
    with connection.cursor() as cursor:
        months = _months(cursor, INTERACTION)
        first = months[0] if months else None
        old = [m for m in months if add_months(m, 1) <= cutoff]
        names = [partition_name(INTERACTION, m) for m in old]
        if first is not None and first <= cutoff:
            names.insert(0, f"{INTERACTION}_before")
        for name in names:
            cursor.execute(f'SELECT count(*) FROM "{name}"')
            plan.rows[name] = cursor.fetchone()[0]
            plan.partitions += [name, name.replace(INTERACTION, ITEM, 1)]
    return plan


def archive_partitions(*, older_than_months: int, today: date | None = None) -> ArchivePlan:
    """Detach the partitions of both tables older than the cutoff into the `archive` schema.

    In one transaction: the archived interactions' idempotency keys are deleted, each partition
    is detached, stripped of its foreign keys (an archive must not hold a customer or a live
    interaction in place) and moved to `archive.<name>`; the `before` catch-all is re-created to
    end at the first month kept. `pg_dump -t 'archive.*'` then takes them off the server.
    """
    if older_than_months < MIN_RETENTION_MONTHS:
        raise ValueError(f"Keep at least {MIN_RETENTION_MONTHS} months: loyalty tiers read the last 12.")
    plan = plan_archive(older_than_months=older_than_months, today=today)
    if not plan.rows:
        return plan
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # ALTER TABLE refuses pending deferred checks
        cursor.execute(f'CREATE SCHEMA IF NOT EXISTS "{ARCHIVE_SCHEMA}"')
        for table in TABLES:
            cursor.execute(f'LOCK TABLE "{table}" IN ACCESS EXCLUSIVE MODE')
        for name in plan.rows:  # the archived interactions' keys: a re-sent event is new again
            cursor.execute(
                f'DELETE FROM {KEY} k USING "{name}" i WHERE k.source = i.source AND k.external_id = i.external_id'
            )
        kept = [m for m in _months(cursor, INTERACTION) if add_months(m, 1) > plan.cutoff]
        for table in (ITEM, INTERACTION):  # the referencing side first
            for name in plan.partitions:
                if not name.startswith(table + "_"):
                    continue
                cursor.execute(f'ALTER TABLE "{table}" DETACH PARTITION "{name}"')
                cursor.execute(
                    # conparentid = 0: the table's own; the copies per referenced partition go with them
                    "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f'"
                    " AND conparentid = 0",
                    [name],
                )
                for (constraint,) in cursor.fetchall():
                    cursor.execute(f'ALTER TABLE "{name}" DROP CONSTRAINT "{constraint}"')
                cursor.execute(f'DROP TABLE IF EXISTS "{ARCHIVE_SCHEMA}"."{name}"')
                cursor.execute(f'ALTER TABLE "{name}" SET SCHEMA "{ARCHIVE_SCHEMA}"')
        first_kept = kept[0] if kept else plan.cutoff
        for table in TABLES:
            cursor.execute("SELECT to_regclass(%s)", [f"{table}_before"])
            if cursor.fetchone()[0] is None:
                _create_catchalls(cursor, table, first_kept, first_kept, after=False)
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # as Django declares them, for the rest of the transaction
    plan.applied = True
    return plan


def timeline_partitions() -> list[tuple[str, str, int]]:
    """(partition, bounds, estimated rows) of the interaction table, oldest first: for the command."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid), greatest(c.reltuples, 0)::bigint"
            " FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = %s::regclass"
            " ORDER BY c.relname LIKE '%%_before' DESC, c.relname LIKE '%%_after', c.relname",
            [INTERACTION],
        )
        return cursor.fetchall()
