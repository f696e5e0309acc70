"""manage.py import_transactions FILE.csv [--dry-run] [--user EMAIL] [--quiet]

Historical purchases onto customers' timelines (a purchase interaction and its line, which
count for tiers and history), streamed: the file is read twice (check every row and match its
customer and store; then write in batches inside one transaction) and never held in memory.
Progress goes to stderr. Idempotent by transaction_id, or by the row's content when there is
none. Any bad line: every problem is printed with its line number and nothing is written.
"""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from customers.history import TRANSACTION_HELP, import_transactions
from customers.imports import file_opener
from customers.management.commands.import_customers import acting_user, print_report


class Command(BaseCommand):
    help = __doc__ + "\n" + TRANSACTION_HELP

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="CSV file with a header row (UTF-8).")
        parser.add_argument("--dry-run", action="store_true", help="Only check the file; write nothing.")
        parser.add_argument("--user", help="Email of the staff member the import is audited to.")
        parser.add_argument("--quiet", action="store_true", help="No progress lines.")

    def handle(self, *args, file: Path, dry_run: bool, user, quiet: bool, **options):
        if not file.is_file():
            raise CommandError(f"Cannot read {file}: no such file.")
        started = time.perf_counter()

        def progress(phase: str, rows: int) -> None:
            elapsed = max(time.perf_counter() - started, 1e-6)
            self.stderr.write(f"{phase:>9}: {rows:>9,} rows  {elapsed:6.1f} s  {rows / elapsed:>9,.0f} rows/s")

        try:
            report = import_transactions(
                opener=file_opener(file),
                actor=acting_user(user),
                dry_run=dry_run,
                progress=None if quiet else progress,
            )
        except UnicodeDecodeError as exc:
            raise CommandError(f"{file} is not UTF-8 text ({exc}).") from None
        print_report(self, report, file, dry_run)
        elapsed = time.perf_counter() - started
        self.stdout.write(f"{report.rows} row(s) in {elapsed:.1f} s ({report.rows / max(elapsed, 1e-6):,.0f} rows/s).")
