"""Loading millions of rows: secondary indexes and key constraints rebuilt once, after the COPY.

Keeping a B-tree up to date row by row (and queueing one deferred foreign-key check per row and
key until commit) costs several times the COPY itself at 10M rows; building each index with one
sort and checking each foreign key with one join afterwards does not. Everything happens in the
builder's transaction, so a failed build rolls the indexes back with the rows. The definitions
are read from the catalog and re-created verbatim (same names), so the schema afterwards is
exactly what the migrations made.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, models


def _definitions(cursor, table: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
        # conparentid = 0: a partitioned table's own constraints, not the copies PostgreSQL keeps per partition
        " WHERE conrelid = %s::regclass AND contype IN ('f', 'u') AND conparentid = 0 ORDER BY contype DESC, conname",
        [table],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
        " WHERE i.indrelid = %s::regclass AND NOT i.indisprimary"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid)"
        " ORDER BY c.relname",
        [table],
    )
    # a partitioned table's index reads "ON ONLY t" (the parent alone): re-created, it must cover the partitions
    return constraints, [(name, definition.replace(" ON ONLY ", " ON ", 1)) for name, definition in cursor.fetchall()]


@contextmanager
def indexes_after_load(*models_: type[models.Model]) -> Iterator[None]:
    """Drop the tables' secondary indexes, unique and foreign-key constraints; re-create them on exit.

    Use it around the first rows written to those tables in the builder's transaction (ALTER TABLE
    refuses a table with pending deferred checks; the ones already queued are run first here).
    """
    tables = [m._meta.db_table for m in models_]
    saved = []
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # run checks queued so far: no pending events
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        for table in tables:
            constraints, indexes = _definitions(cursor, table)
            saved.append((table, constraints, indexes))
            for name, _ in constraints:
                cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
            for name, _ in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
    yield
    with connection.cursor() as cursor:
        for table, constraints, indexes in saved:
            for _, definition in indexes:
                cursor.execute(definition)
            # unique constraints first (their indexes), then foreign keys: each checked by one join
            for name, definition in constraints:
                cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')


def reset_sequences(*models_: type[models.Model]) -> None:
    """After COPY with explicit ids: the next id the application takes follows the largest one."""
    with connection.cursor() as cursor:
        for model in models_:
            table = model._meta.db_table
            largest = f'COALESCE((SELECT MAX(id) FROM "{table}"), 0) + 1'  # noqa: S608 — a table name
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), {largest}, false)")


def next_id(model: type[models.Model]) -> int:
    """The first id free for rows COPYed with explicit ids (the table may already hold some)."""
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT COALESCE(MAX(id), 0) + 1 FROM "{model._meta.db_table}"')  # noqa: S608 — a table name
        return cursor.fetchone()[0]


def key_interactions(first_id: int) -> int:
    """The idempotency keys (customers_interactionkey) of the interactions COPYed from `first_id` on:
    the application writes the key first; a COPY writes the rows, then their keys in one statement."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO customers_interactionkey (source, external_id, interaction_id, occurred_at)"
            " SELECT source, external_id, id, occurred_at FROM customers_interaction WHERE id >= %s",
            [first_id],
        )
        return cursor.rowcount
