"""Bulk writes for the demo seed: new model instances through COPY, several times cheaper than bulk_create.

bulk_create builds an INSERT with every value as a parameter (per row, per field); COPY streams the
rows. Like bulk_create it bypasses save() and signals; unlike it, the ids come from the table's
sequence first (one statement), so related instances made next can point at them.
"""

from collections.abc import Sequence

from django.db import connection, models
from psycopg import sql


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """`count` new primary keys from the table's own sequence (what an INSERT would have taken)."""
    meta = model._meta
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def copy_models(objs: Sequence[models.Model]) -> None:
    """INSERT new instances of one model with COPY; their pks are set, as bulk_create sets them.

    Every concrete field but a generated one is written with its prepared value (defaults were filled when the instance
    was made; auto_now fields are not touched: set them). Foreign keys to instances saved since they
    were assigned are picked up first, as bulk_create does.
    """
    if not objs:
        return
    model = type(objs[0])
    meta = model._meta
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="copy_models")
    for obj, pk in zip(objs, reserve_ids(model, len(objs)), strict=True):
        obj.pk = pk
        obj._state.adding, obj._state.db = False, connection.alias
    fields = [f for f in meta.concrete_fields if not f.generated]  # the database writes generated columns
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(meta.db_table), sql.SQL(", ").join(sql.Identifier(f.column) for f in fields)
    )
    prepare = [(f.attname, f.get_db_prep_save) for f in fields]
    connection.ensure_connection()
    with connection.connection.cursor() as cursor, cursor.copy(statement) as copy:
        for obj in objs:
            copy.write_row([get(getattr(obj, name), connection) for name, get in prepare])
