import sys

from django.core.management.base import BaseCommand

from customers.ledgers import points_drift, store_credit_drift


class Command(BaseCommand):
    help = (
        "Check that every loyalty points balance and every store credit balance equals the sum of its "
        "ledger entries. Prints each drift and exits with status 1 when there is any."
    )

    def handle(self, *args, **options):
        points, credit = points_drift(), store_credit_drift()
        for row in points:
            self.stdout.write(
                f"DRIFT points of customer #{row['customer_id']}: balance {row['balance']}, "
                f"ledger sums to {row['ledger']}"
            )
        for row in credit:
            self.stdout.write(
                f"DRIFT store credit of customer #{row['customer_id']}: balance {row['balance']}, "
                f"ledger sums to {row['ledger']}"
            )
        if points or credit:
            self.stderr.write(self.style.ERROR(f"{len(points) + len(credit)} account(s) disagree with their ledger."))
            sys.exit(1)
        self.stdout.write(self.style.SUCCESS("Every points and store credit balance equals the sum of its ledger."))
