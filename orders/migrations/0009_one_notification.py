"""One Notification model for every service message to a shopper (issue 17.2): a row says what it is
about with a generic `subject` (an Order here; a returns.ReturnRequest from returns' 0010, which
moves ReturnNotification's rows in) and the order or RMA number as `reference`.

Reversible: backwards, `order` is filled again from the rows about orders (returns' 0010 has taken
its rows back by then, as it depends on this one).
"""

import django.db.models.deletion
from django.db import migrations, models


def about_orders(apps, schema_editor):
    Notification = apps.get_model("orders", "Notification")
    if not Notification.objects.exists():
        return
    ContentType = apps.get_model("contenttypes", "ContentType")
    order_type, _ = ContentType.objects.get_or_create(app_label="orders", model="order")
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "UPDATE orders_notification AS n SET subject_type_id = %s, subject_id = n.order_id, reference = o.number "
            "FROM orders_order AS o WHERE o.id = n.order_id",
            [order_type.pk],
        )


def back_to_orders(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    order_type = ContentType.objects.filter(app_label="orders", model="order").first()
    if order_type is None:
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "UPDATE orders_notification SET order_id = subject_id WHERE subject_type_id = %s", [order_type.pk]
        )


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("orders", "0008_orderline_tax"),
    ]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="reference",
            field=models.CharField(default="", help_text="The order or RMA number the message is about.", max_length=40),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="notification",
            name="subject_id",
            field=models.PositiveBigIntegerField(null=True),
        ),
        migrations.AddField(
            model_name="notification",
            name="subject_type",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="contenttypes.contenttype"
            ),
        ),
        migrations.AlterField(
            model_name="notification",
            name="order",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.CASCADE, related_name="notifications", to="orders.order"
            ),
        ),
        migrations.RunPython(about_orders, back_to_orders),
        migrations.AlterField(
            model_name="notification",
            name="subject_id",
            field=models.PositiveBigIntegerField(),
        ),
        migrations.AlterField(
            model_name="notification",
            name="subject_type",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="+", to="contenttypes.contenttype"
            ),
        ),
        migrations.AlterField(
            model_name="notification",
            name="kind",
            field=models.CharField(
                choices=[
                    ("ready", "Ready to collect"),
                    ("reminder", "Pick-up reminder"),
                    ("expired", "Pick-up expired"),
                    ("collected", "Collected (receipt)"),
                    ("shipped", "Shipped"),
                    ("cancelled", "Cancelled"),
                    ("pay_link", "Pay-by-link"),
                    ("received", "Return received"),
                    ("refunded", "Refund issued"),
                    ("exchanged", "Exchange placed"),
                    ("rejected", "Return rejected"),
                ],
                max_length=10,
            ),
        ),
        migrations.RemoveIndex(
            model_name="notification",
            name="notification_order_idx",
        ),
        migrations.RemoveField(
            model_name="notification",
            name="order",
        ),
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(fields=["subject_type", "subject_id", "kind"], name="notification_subject_idx"),
        ),
    ]
