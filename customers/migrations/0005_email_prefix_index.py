"""Type-ahead on a partly typed email (`LIKE 'ada.lov%'`) uses an index whatever the collation."""

from django.db import migrations

INDEX = "customer_email_prefix"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON customers_customer (email varchar_pattern_ops)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("customers", "0004_task_note_blank_actor")]

    operations = [migrations.RunPython(create_index, drop_index)]
