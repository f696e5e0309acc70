"""manage.py import_customers FILE.csv [--dry-run] [--user EMAIL]

Creates or updates customers through the customers' services (normalised email, E.164 phone,
card; identities; consents with source "import"). Idempotent: matched by email, else by card, so
importing the same file twice changes nothing. Every line is checked first; any error is printed
with its line number and nothing is written.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from customers.imports import CUSTOMER_HELP, file_opener, import_customers
from retail.models import User


def acting_user(email: str | None) -> User | None:
    if not email:
        return None
    user = User.objects.filter(email__iexact=email, is_active=True).first()
    if user is None:
        raise CommandError(f"No active user {email}.")
    return user


def print_report(command: BaseCommand, report, file: Path, dry_run: bool) -> None:
    if report.errors:
        for error in report.errors:
            command.stderr.write(error)
        raise CommandError(f"{len(report.errors)} error(s) in {file}; nothing was imported.")
    verb = "Checked" if dry_run else "Imported"
    command.stdout.write(
        command.style.SUCCESS(
            f"{verb} {report.rows} row(s): {report.created} created, {report.updated} updated, "
            f"{report.unchanged} unchanged."
        )
    )


class Command(BaseCommand):
    help = __doc__ + "\n" + CUSTOMER_HELP

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="CSV file with a header row (UTF-8).")
        parser.add_argument("--dry-run", action="store_true", help="Only check the file; write nothing.")
        parser.add_argument("--user", help="Email of the staff member the changes are audited to.")

    def handle(self, *args, file: Path, dry_run: bool, user: str | None, **options):
        if not file.is_file():
            raise CommandError(f"Cannot read {file}: no such file.")
        try:
            report = import_customers(opener=file_opener(file), actor=acting_user(user), dry_run=dry_run)
        except UnicodeDecodeError as exc:
            raise CommandError(f"{file} is not UTF-8 text ({exc}).") from None
        print_report(self, report, file, dry_run)
