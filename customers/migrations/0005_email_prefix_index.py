"""Type-ahead on a partly typed email (`LIKE 'ada.lov%'`) uses an index whatever the collation."""

from django.db import migrations

INDEX = "customer_email_prefix"


class Migration(migrations.Migration):
    dependencies = [("customers", "0004_task_note_blank_actor")]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON customers_customer (email varchar_pattern_ops)",
            f"DROP INDEX IF EXISTS {INDEX}",
        )
    ]
