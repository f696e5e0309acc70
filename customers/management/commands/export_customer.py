import json
import sys

from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder

from customers.models import Customer
from customers.services import export_customer_data


class Command(BaseCommand):
    help = "Write everything held about a customer as JSON (a subject access request). Audited."

    def add_arguments(self, parser):
        parser.add_argument("customer_id", type=int)
        parser.add_argument("--output", "-o", help="File to write (default: standard output).")

    def handle(self, customer_id, output=None, **options):
        customer = Customer.objects.filter(pk=customer_id).first()
        if customer is None:
            raise CommandError(f"No customer #{customer_id}.")
        data = json.dumps(export_customer_data(customer=customer, actor=None), cls=DjangoJSONEncoder, indent=2)
        if output:
            with open(output, "w", encoding="utf-8") as fh:
                fh.write(data)
            self.stderr.write(f"Customer #{customer_id} exported to {output}.")
        else:
            sys.stdout.write(data + "\n")
