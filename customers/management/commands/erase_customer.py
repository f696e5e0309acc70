from django.core.management.base import BaseCommand, CommandError

from customers.errors import CustomerError
from customers.models import Customer
from customers.services import erase_customer


class Command(BaseCommand):
    help = "Erase a customer's personal data (orders and timeline kept anonymised). Audited."

    def add_arguments(self, parser):
        parser.add_argument("customer_id", type=int)
        parser.add_argument("--reason", required=True, help="e.g. the erasure request reference.")
        parser.add_argument("--yes", action="store_true", help="Do it (without it, only say what would happen).")

    def handle(self, customer_id, reason, yes=False, **options):
        customer = Customer.objects.filter(pk=customer_id).first()
        if customer is None:
            raise CommandError(f"No customer #{customer_id}.")
        if not yes:
            self.stdout.write(f"Would erase {customer} (#{customer.pk}). Run again with --yes to do it.")
            return
        try:
            erase_customer(customer=customer, actor=None, reason=reason)
        except CustomerError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(self.style.SUCCESS(f"Customer #{customer_id} erased."))
