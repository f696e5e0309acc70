"""Trigram index for the name search of the stock lookup and the products API (PostgreSQL only).

Django's `icontains` on PostgreSQL is `UPPER(name::text) LIKE UPPER('%...%')`, so the index is on
that expression; the SQLite demo scans, which is fine at its size.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEX = "product_name_upper_trgm"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS {INDEX} ON inventory_product USING gin ((UPPER("name"::text)) gin_trgm_ops)'
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("inventory", "0001_initial")]

    operations = [
        TrigramExtension(),
        migrations.RunPython(create_index, drop_index),
    ]
