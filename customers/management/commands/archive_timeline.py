from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from customers.partitions import ARCHIVE_SCHEMA, MIN_RETENTION_MONTHS, archive_partitions, plan_archive
from retail.services import record_audit_event


class Command(BaseCommand):
    help = (
        "Detach the timeline's partitions (interactions and purchased items) older than N months into the "
        f"'{ARCHIVE_SCHEMA}' schema. A dry run unless --apply; the applied run is audited. Take them off the "
        f"server afterwards with pg_dump -t '{ARCHIVE_SCHEMA}.*' and DROP."
    )

    def add_arguments(self, parser):
        parser.add_argument("--older-than-months", type=int, required=True, help=f"at least {MIN_RETENTION_MONTHS}")
        parser.add_argument("--apply", action="store_true", help="detach them (default: only say what would go)")

    def handle(self, *args, older_than_months, apply, **options):
        if older_than_months < MIN_RETENTION_MONTHS:
            raise CommandError(
                f"--older-than-months must be at least {MIN_RETENTION_MONTHS}: loyalty tiers read the last 12 months."
            )
        plan = plan_archive(older_than_months=older_than_months)
        verb = "archiving" if apply else "would archive (dry run; --apply to do it)"
        self.stdout.write(f"cutoff {plan.cutoff:%Y-%m-%d}: {verb} {len(plan.rows)} month(s)")
        for name, rows in plan.rows.items():
            self.stdout.write(f"  {name}: {rows} interactions")
        if not apply or not plan.rows:
            return
        with transaction.atomic():
            plan = archive_partitions(older_than_months=older_than_months)
            record_audit_event(
                actor=None,
                action="customers.timeline_archived",
                object_type="customers.interaction",
                details={
                    "cutoff": plan.cutoff.isoformat(),
                    "schema": ARCHIVE_SCHEMA,
                    "partitions": plan.partitions,
                    "interactions": sum(plan.rows.values()),
                },
            )
        self.stdout.write(self.style.SUCCESS(f"moved {len(plan.partitions)} partitions to schema {ARCHIVE_SCHEMA}"))
