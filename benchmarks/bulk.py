"""Fast inserts for dataset builders: COPY through psycopg for millions of rows."""

from collections.abc import Iterable, Sequence

from django.db import connection, models
from psycopg import sql
from psycopg.types.json import Jsonb

# Callable defaults whose value is the same for every row; any other callable (a uuid, now()) is not filled.
CONSTANT_FACTORIES = (dict, list)


def copy_rows(model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence]) -> int:
    """COPY `rows` (tuples in the order of `fields`, model field names) into the model's table.

    Bypasses save(), signals and validation: builders make data that is valid by construction.
    Primary keys come from the table's sequence unless "id" is one of the fields. dicts and
    lists go to JSON columns. A NOT NULL field left out gets what save() would give it (its constant
    `default=`, an empty dict or list for `default=dict`/`list`, "" for a text field without one):
    COPY fills only database defaults, so a field added to a model later would otherwise break every build.
    Returns the number of rows written.
    """
    opts = model._meta
    columns = [opts.get_field(name).column for name in fields]
    left_out = [
        f for f in opts.concrete_fields
        if f.name not in fields and not f.primary_key and not f.null
        and not (f.has_default() and callable(f.default) and f.default not in CONSTANT_FACTORIES)
        and f.db_default is models.NOT_PROVIDED and not f.generated
    ]  # fmt: skip
    defaults = [(f.column, f.get_default()) for f in left_out]
    defaults = [(column, value) for column, value in defaults if value is not None]
    columns += [column for column, _ in defaults]
    constants = [value for _, value in defaults]
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(opts.db_table), sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    )
    written = 0
    connection.ensure_connection()
    with connection.connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([Jsonb(v) if isinstance(v, dict | list) else v for v in (*row, *constants)])
            written += 1
    return written


def analyze(*models_: type[models.Model]) -> None:
    """Refresh planner statistics after a bulk load, as autovacuum would later."""
    with connection.cursor() as cursor:
        for model in models_:
            cursor.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(model._meta.db_table)).as_string())
