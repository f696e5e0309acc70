# The cascade from an interaction to its idempotency key looks the key up by (interaction_id,
# occurred_at); without this index every deleted interaction scanned the whole key table.
# Built CONCURRENTLY: on a live table of tens of millions of keys, writers of events keep going.

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("customers", "0015_loyalty_spend_in_currencies"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="interactionkey",
            index=models.Index(fields=["interaction_id", "occurred_at"], name="interactionkey_interaction_idx"),
        ),
    ]
