"""Return windows become rows (policy x channel): each policy's five window columns are copied into
ReturnWindow rows, then dropped. Going back copies the rows into the columns (a channel without a
row gets the column's old default)."""

import django.db.models.deletion
from django.db import migrations, models

import retail.domain.channel

# The columns as they were (frozen history: the channels of 0001, with their defaults).
COLUMNS = {
    "app": ("window_app_days", 30),
    "web": ("window_web_days", 30),
    "store": ("window_store_days", 28),
    "phone": ("window_phone_days", 30),
    "kiosk": ("window_kiosk_days", 30),
}


def columns_to_rows(apps, schema_editor):
    ReturnPolicy = apps.get_model("returns", "ReturnPolicy")
    ReturnWindow = apps.get_model("returns", "ReturnWindow")
    fields = [column for column, _ in COLUMNS.values()]
    rows = [
        ReturnWindow(policy_id=policy["pk"], channel=channel, days=policy[column])
        for policy in ReturnPolicy.objects.values("pk", *fields)
        for channel, (column, _) in COLUMNS.items()
    ]
    ReturnWindow.objects.bulk_create(rows, batch_size=1000)


def rows_to_columns(apps, schema_editor):
    ReturnPolicy = apps.get_model("returns", "ReturnPolicy")
    ReturnWindow = apps.get_model("returns", "ReturnWindow")
    found: dict[int, dict[str, int]] = {}
    for policy_id, channel, days in ReturnWindow.objects.values_list("policy_id", "channel", "days"):
        found.setdefault(policy_id, {})[channel] = days
    for policy in ReturnPolicy.objects.all():
        windows = found.get(policy.pk, {})
        for channel, (column, default) in COLUMNS.items():
            setattr(policy, column, windows.get(channel, default))
        policy.save(update_fields=[column for column, _ in COLUMNS.values()])


class Migration(migrations.Migration):
    dependencies = [
        ("returns", "0007_drop_refunded_order_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="ReturnWindow",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("channel", models.CharField(choices=retail.domain.channel.channel_choices, max_length=16)),
                ("days", models.PositiveSmallIntegerField(verbose_name="window (days)")),
                (
                    "policy",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="windows",
                        to="returns.returnpolicy",
                    ),
                ),
            ],
            options={
                "ordering": ["policy", "channel"],
                "constraints": [
                    models.UniqueConstraint(fields=("policy", "channel"), name="returnwindow_one_per_channel")
                ],
            },
        ),
        migrations.RunPython(columns_to_rows, rows_to_columns),
        migrations.RemoveField(model_name="returnpolicy", name="window_app_days"),
        migrations.RemoveField(model_name="returnpolicy", name="window_kiosk_days"),
        migrations.RemoveField(model_name="returnpolicy", name="window_phone_days"),
        migrations.RemoveField(model_name="returnpolicy", name="window_store_days"),
        migrations.RemoveField(model_name="returnpolicy", name="window_web_days"),
    ]
