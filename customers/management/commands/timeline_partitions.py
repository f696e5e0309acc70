from datetime import date

from django.core.management.base import BaseCommand, CommandError

from customers.partitions import AHEAD_MONTHS, ensure_partitions, timeline_partitions


class Command(BaseCommand):
    help = (
        "Create the timeline's monthly partitions ahead (what the daily beat task does) and list them. "
        "--since YYYY-MM also creates the past months down to that one (before loading history)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--ahead", type=int, default=AHEAD_MONTHS, help="months after the current one")
        parser.add_argument("--since", help="first month to hold as its own partition, YYYY-MM")
        parser.add_argument("--list", action="store_true", help="list the partitions only")

    def handle(self, *args, ahead, since, list, **options):
        if not list:
            first = None
            if since:
                try:
                    first = date.fromisoformat(f"{since}-01")
                except ValueError:
                    raise CommandError(f"--since {since!r} is not a month like 2025-01.") from None
            if ahead < 1:
                raise CommandError("--ahead must be at least 1.")
            created = ensure_partitions(ahead=ahead, since=first)
            for name in created:
                self.stdout.write(f"created {name}")
            if not created:
                self.stdout.write("every month is there already")
        for name, bounds, rows in timeline_partitions():
            self.stdout.write(f"{name:40} {bounds:80} ~{rows} rows")
