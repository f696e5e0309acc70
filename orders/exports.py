"""Orders as CSV rows, streamed from the database (the admin action and `manage.py export_orders`)."""

from collections.abc import Iterator

from django.db.models import QuerySet

from orders.models import Order

ORDER_COLUMNS = ["number", "placed_at", "channel", "store", "status", "customer_id", "contact_name", "email",
                 "subtotal", "discount_total", "total", "currency", "offer_code", "points_redeemed", "points_earned",
                 "receipt_number"]  # fmt: skip


def order_rows(orders: QuerySet[Order] | None = None, *, chunk_size: int = 2000) -> Iterator[tuple]:
    """One tuple per order in ORDER_COLUMNS order, oldest first; one query, read in chunks."""
    orders = Order.objects.all() if orders is None else orders
    fields = ["store__code" if c == "store" else c for c in ORDER_COLUMNS]
    for row in orders.order_by("placed_at", "pk").values_list(*fields).iterator(chunk_size=chunk_size):
        yield (row[0], row[1].isoformat(), *row[2:])
