from django.core.management.base import BaseCommand

from customers.timeline_conversion import convert_tables


class Command(BaseCommand):
    help = (
        "Convert the unpartitioned timeline tables to monthly partitions while the shop trades "
        "(docs/deploy.md section 6). --prepare: make the partitioned copies and copy month by month, "
        "no swap (then `migrate` swaps in one short transaction); without it: everything, swap included."
    )

    def add_arguments(self, parser):
        parser.add_argument("--prepare", action="store_true", help="copy only; the migration swaps")

    def handle(self, *args, prepare, **options):
        convert_tables(log=self.stdout.write, prepare_only=prepare)
