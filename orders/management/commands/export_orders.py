"""manage.py export_orders [--since YYYY-MM-DD] [--until YYYY-MM-DD] [--channel C ...] [--store CODE ...] [-o FILE]

Orders placed in [since, until] (dates in the shop's time zone, both included), one row per
order: number, placed_at, channel, store, status, customer_id, contact, totals, offer, points,
receipt_number. Streamed from the database in chunks; written to FILE or stdout. Audited.
"""

import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from orders.exports import ORDER_COLUMNS, order_rows
from orders.models import Order
from retail.models import Store
from retail.replica import reporting, reporting_db
from retail.services import record_audit_event
from retail.spreadsheets import csv_writer


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date like 2026-01-31.") from None


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--since", type=_day, help="First day included.")
        parser.add_argument("--until", type=_day, help="Last day included.")
        parser.add_argument("--channel", nargs="*", default=[], choices=Order.Channel.values)
        parser.add_argument("--store", nargs="*", default=[], help="Selling/fulfilling store codes.")
        parser.add_argument("-o", "--output", type=Path, help="Write to this file instead of stdout.")

    def handle(self, *args, since, until, channel, store, output: Path | None, **options):
        with reporting():  # the replica when one is configured and fresh enough (retail/replica.py)
            orders = Order.objects.using(reporting_db())
        if since:
            orders = orders.filter(placed_at__gte=timezone.make_aware(datetime.combine(since, time.min)))
        if until:
            end = timezone.make_aware(datetime.combine(until + timedelta(days=1), time.min))
            orders = orders.filter(placed_at__lt=end)
        if channel:
            orders = orders.filter(channel__in=channel)
        if store:
            unknown = sorted(set(store) - set(Store.objects.filter(code__in=store).values_list("code", flat=True)))
            if unknown:
                raise CommandError(f"Unknown store(s): {', '.join(unknown)}.")
            orders = orders.filter(store__code__in=store)
        stream = output.open("w", newline="", encoding="utf-8") if output else sys.stdout
        count = 0
        try:
            writer = csv_writer(stream)
            writer.writerow(ORDER_COLUMNS)
            for row in order_rows(orders):
                writer.writerow(row)
                count += 1
        finally:
            if output:
                stream.close()
        record_audit_event(actor=None, action="orders.exported", object_type="orders.order",
                           details={"rows": count, "via": "command"})  # fmt: skip
        if output:
            self.stderr.write(f"Wrote {count} order(s) to {output}.")
