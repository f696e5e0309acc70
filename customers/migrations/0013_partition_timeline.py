"""Interactions and purchased items partitioned by month (docs/deploy.md §6).

Not atomic: the conversion copies month by month, one transaction each, then swaps the tables in
one short transaction (customers/timeline_conversion.py). On a large table run
`manage.py partition_timeline --prepare` first, while the shop trades; this migration then only
copies what changed since and swaps.
"""

import django.db.models.deletion
from django.db import migrations, models


def convert(apps, schema_editor):
    from customers.timeline_conversion import convert_tables

    convert_tables(log=lambda line: None)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("customers", "0012_customer_language"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="InteractionKey",
                    fields=[
                        (
                            "pk",
                            models.CompositePrimaryKey(
                                "source", "external_id", blank=True, editable=False, primary_key=True, serialize=False
                            ),
                        ),
                        ("source", models.CharField(max_length=40)),
                        ("external_id", models.CharField(max_length=100)),
                        ("interaction_id", models.BigIntegerField()),
                        ("occurred_at", models.DateTimeField()),
                    ],
                ),
                migrations.RemoveConstraint(model_name="interaction", name="interaction_source_external_unique"),
                migrations.AlterField(
                    model_name="purchaseditem",
                    name="interaction",
                    field=models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="items",
                        to="customers.interaction",
                    ),
                ),
            ],
            # the key table is made by the conversion (`partition_timeline --prepare` may have made it
            # before this migration runs); the old tables, with their unique constraint and foreign key,
            # are dropped by the swap
            database_operations=[migrations.RunPython(convert, migrations.RunPython.noop, elidable=False)],
        ),
    ]
