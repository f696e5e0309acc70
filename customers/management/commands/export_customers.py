"""manage.py export_customers --marketing | --service --user EMAIL [-o FILE.csv]

--marketing: only live customers with an email address who said yes to email marketing
(consent rows, never assumed), with what a mailing needs. --service: every live customer with
contact details, balances and consents, for customer service; it needs --user, a staff member
holding customers.change_customer (customer service or admin). Streamed from the database in
chunks; written to FILE or stdout. Every export is audited.
"""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from customers.exports import MARKETING_COLUMNS, SERVICE_COLUMNS, ExportRefused, check_export_permission, customer_rows
from customers.management.commands.import_customers import acting_user
from customers.models import Customer
from retail.replica import reporting, reporting_db
from retail.services import record_audit_event
from retail.spreadsheets import csv_writer


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        kind = parser.add_mutually_exclusive_group(required=True)
        kind.add_argument("--marketing", action="store_true", help="Consenting customers only (email marketing).")
        kind.add_argument("--service", action="store_true", help="Everybody, full details (needs --user).")
        parser.add_argument("--user", help="Email of the staff member exporting (required for --service).")
        parser.add_argument("-o", "--output", type=Path, help="Write to this file instead of stdout.")

    def handle(self, *args, marketing: bool, service: bool, user, output: Path | None, **options):
        actor = acting_user(user)
        if service or actor is not None:
            try:
                check_export_permission(actor, marketing=marketing)
            except ExportRefused as exc:
                raise CommandError(str(exc)) from None
        stream = output.open("w", newline="", encoding="utf-8") if output else sys.stdout
        try:
            writer = csv_writer(stream)
            writer.writerow(MARKETING_COLUMNS if marketing else SERVICE_COLUMNS)
            count = 0
            with reporting():  # the replica when one is configured and fresh enough (retail/replica.py)
                customers = Customer.objects.using(reporting_db())
            for row in customer_rows(customers, marketing=marketing):
                writer.writerow(row)
                count += 1
        finally:
            if output:
                stream.close()
        record_audit_event(
            actor=actor,
            action="customers.exported",
            object_type="customers.customer",
            details={"kind": "marketing" if marketing else "service", "rows": count, "via": "command"},
        )
        if output:
            self.stderr.write(f"Wrote {count} customer(s) to {output}.")
