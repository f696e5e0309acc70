import sys

from django.core.management.base import BaseCommand, CommandError

from inventory.selectors import ledger_drift, reservation_drift
from retail.models import Store


class Command(BaseCommand):
    help = (
        "Check that every stock level equals the sum of its ledger movements, and that its reserved "
        "figure equals its active reservations. "
        "Prints each drift and exits with status 1 when there is any."
    )

    def add_arguments(self, parser):
        parser.add_argument("--location", help="Only this location code.")

    def handle(self, *args, location=None, **options):
        store = None
        if location:
            store = Store.objects.filter(code=location).first()
            if store is None:
                raise CommandError(f"Unknown location {location!r}.")
        drift = ledger_drift(location=store)
        for row in drift:
            self.stdout.write(
                f"DRIFT {row['sku']} @ {row['location']}: level {row['on_hand']}, ledger sums to {row['ledger']}"
            )
        held = reservation_drift(location=store)
        for row in held:
            self.stdout.write(
                f"DRIFT {row['sku']} @ {row['location']}: reserved {row['reserved']}, "
                f"active reservations hold {row['held']}"
            )
        drift += held
        if drift:
            self.stderr.write(self.style.ERROR(f"{len(drift)} stock level(s) disagree with the ledger."))
            sys.exit(1)
        self.stdout.write(self.style.SUCCESS("Every stock level equals the sum of its ledger and of its reservations."))
