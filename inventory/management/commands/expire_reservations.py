from django.core.management.base import BaseCommand

from inventory.services import expire_due_reservations


class Command(BaseCommand):
    help = "Expire every active reservation past its expiry and give its units back (what the beat task runs)."

    def handle(self, *args, **options):
        expired = expire_due_reservations()
        self.stdout.write(f"Expired {expired} reservation(s).")
