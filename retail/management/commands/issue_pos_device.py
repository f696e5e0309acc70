from django.core.management.base import BaseCommand, CommandError

from retail.errors import RetailError
from retail.models import Store
from retail.services import issue_pos_device


class Command(BaseCommand):
    help = "Issue an API token for a till (printed once; only its hash is stored)."

    def add_arguments(self, parser):
        parser.add_argument("store_code")
        parser.add_argument("name")

    def handle(self, *args, store_code, name, **options):
        store = Store.objects.filter(code=store_code).first()
        if store is None:
            raise CommandError(f"No store with code {store_code!r}.")
        try:
            device, token = issue_pos_device(store=store, name=name)
        except RetailError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"Device {device} token (shown once): {token}")
