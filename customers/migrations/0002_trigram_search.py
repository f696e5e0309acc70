"""Trigram search on names."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEX = "customer_search_name_trgm"


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]

    operations = [
        TrigramExtension(),
        migrations.RunSQL(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON customers_customer USING gin (search_name gin_trgm_ops)",
            f"DROP INDEX IF EXISTS {INDEX}",
        ),
    ]
