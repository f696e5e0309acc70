"""Trigram index for the name search of the stock lookup and the products API.

Django's `icontains` on PostgreSQL is `UPPER(name::text) LIKE UPPER('%...%')`, so the index is on
that expression.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEX = "product_name_upper_trgm"


class Migration(migrations.Migration):
    dependencies = [("inventory", "0001_initial")]

    operations = [
        TrigramExtension(),
        migrations.RunSQL(
            f'CREATE INDEX IF NOT EXISTS {INDEX} ON inventory_product USING gin ((UPPER("name"::text)) gin_trgm_ops)',
            f"DROP INDEX IF EXISTS {INDEX}",
        ),
    ]
