"""ReturnNotification's rows move into orders' one Notification model (issue 17.2), about their
ReturnRequest (generic subject) with its RMA number as reference; then the table goes.

Reversible: backwards, the table comes back and the rows about returns move back into it.
"""

from django.db import migrations


def into_orders(apps, schema_editor):
    ReturnNotification = apps.get_model("returns", "ReturnNotification")
    if not ReturnNotification.objects.exists():
        return
    ContentType = apps.get_model("contenttypes", "ContentType")
    return_type, _ = ContentType.objects.get_or_create(app_label="returns", model="returnrequest")
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO orders_notification (subject_type_id, subject_id, reference, kind, channel, recipient, "
            "status, message_key, created_at) "
            "SELECT %s, n.request_id, r.rma_number, n.kind, n.channel, n.recipient, n.status, n.message_key, "
            "n.created_at FROM returns_returnnotification AS n JOIN returns_returnrequest AS r ON r.id = n.request_id "
            "ORDER BY n.id",
            [return_type.pk],
        )


def back_to_returns(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    return_type = ContentType.objects.filter(app_label="returns", model="returnrequest").first()
    if return_type is None:
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO returns_returnnotification (request_id, kind, channel, recipient, status, message_key, "
            "created_at) SELECT subject_id, kind, channel, recipient, status, message_key, created_at "
            "FROM orders_notification WHERE subject_type_id = %s ORDER BY id",
            [return_type.pk],
        )
        cursor.execute("DELETE FROM orders_notification WHERE subject_type_id = %s", [return_type.pk])


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("orders", "0009_one_notification"),
        ("returns", "0009_channels_from_the_kernel"),
    ]

    operations = [
        migrations.RunPython(into_orders, back_to_returns),
        migrations.RemoveConstraint(
            model_name="returnnotification",
            name="returnnotification_once_per_channel",
        ),
        migrations.DeleteModel(
            name="ReturnNotification",
        ),
    ]
