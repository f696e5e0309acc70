from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from customers.errors import CustomerError
from retail.errors import ErrorCode, RetailCode


def validation_to_error(exc: ValidationError, *, code: ErrorCode = RetailCode.INVALID) -> CustomerError:
    """A Django ValidationError as the app's domain error (fields kept for the API and forms)."""
    fields = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
    first = next(iter(fields.values()))[0]
    return CustomerError(first, code=code, fields=fields)


def update_rows(objs: list, fields: list[str]) -> None:
    """Save `fields` of many rows of one model in one `UPDATE ... FROM (VALUES ...)`.

    What `bulk_update` does, without its CASE WHEN per row and field, whose expressions cost more
    Python time than the statement itself on a batch hot path (a till's upload).
    """
    if not objs:
        return
    meta = type(objs[0])._meta
    pk, columns = meta.pk, [meta.get_field(name) for name in fields]
    casts = [pk.db_type(connection), *(field.db_type(connection) for field in columns)]
    row = "(" + ", ".join(f"%s::{cast}" for cast in casts) + ")"
    params = []
    for obj in objs:
        params.append(obj.pk)
        params.extend(field.get_db_prep_save(getattr(obj, field.attname), connection) for field in columns)
    names = ", ".join(f'"{c}"' for c in [pk.column, *(field.column for field in columns)])
    sets = ", ".join(f'"{field.column}" = v."{field.column}"' for field in columns)
    table, key = meta.db_table, pk.column
    values = ", ".join([row] * len(objs))
    sql = f'UPDATE "{table}" SET {sets} FROM (VALUES {values}) AS v({names}) WHERE "{table}"."{key}" = v."{key}"'  # noqa: S608 — names from the model, values bound
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def post_money_entry(entry, *, account, also_update: tuple[str, ...] = ()):
    """Append `entry` (unsaved: kind, amount, reference, actor, store) to a money ledger (gift card,
    store credit) and move its account's balance by the entry's amount.

    The caller holds the account's row lock; the database CHECKs the balance non-negative.
    `also_update`: other fields of the account the caller changed with this entry.
    """
    entry.reference = entry.reference[:100]
    entry.created_at = timezone.now()
    # its account, actor and store are rows the caller holds: no query each to prove they exist
    entry.full_clean(exclude=[f.name for f in entry._meta.fields if f.is_relation], validate_constraints=False)
    entry.save()
    account.balance += entry.amount
    account.save(update_fields=["balance", *also_update])
    return entry
