import sys

from django.core.management.base import BaseCommand

from customers.services.giftcards import gift_card_drift


class Command(BaseCommand):
    help = (
        "Check that every gift card's balance equals the sum of its ledger entries. "
        "Prints each drift and exits with status 1 when there is any."
    )

    def handle(self, *args, **options):
        drift = gift_card_drift()
        for row in drift:
            self.stdout.write(
                f"DRIFT gift card #{row['pk']} (····{row['last4']}): balance {row['balance']}, "
                f"ledger sums to {row['ledger']}"
            )
        if drift:
            self.stderr.write(self.style.ERROR(f"{len(drift)} gift card(s) disagree with the ledger."))
            sys.exit(1)
        self.stdout.write(self.style.SUCCESS("Every gift card balance equals the sum of its ledger."))
