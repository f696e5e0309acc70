"""Orders over two years on every channel, with lines, fulfilments and returns (COPY, no services).

`orders` orders placed over the 730 days before the build, in every selling store: channel mix
store 40% / app 25% / web 22% / phone 7% / kiosk 6%; 85% by a known customer; 1-3 lines; app and
web orders are pick-ups (60%, of which 88% collected, 8% expired, 4% cancelled) or shipped, the
others carried out of the store; 4% of orders cancelled, 1% of lines short-picked; 6% of
completed orders partly returned (refunded to card or store credit, or exchanged).

It reads the variants and customers that earlier builders made; when there are none (no
inventory or customers builder yet) it makes its own small catalog (stocked everywhere, each
level explained by a receipt in the ledger) and `customers` shoppers, marked `BO-` / `@bench-orders`.
Returns live in orders/returns (app label `returns`); they are built here because each one
points at the order line it takes back.
"""

from datetime import timedelta
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from benchmarks.bulk import analyze, copy_rows
from benchmarks.context import DatasetContext
from benchmarks.registry import dataset
from customers.models import Customer
from inventory.models import Category, Product, StockLevel, StockMovement, Variant
from orders.models import Fulfillment, Order, OrderLine
from orders.returns.models import ReturnLine, ReturnRequest
from retail.models import Store

CHANNELS = ["store", "app", "web", "phone", "kiosk"]
CHANNEL_WEIGHTS = [40, 25, 22, 7, 6]
REASONS = ["wrong_size", "changed_mind", "not_as_described", "defective", "arrived_damaged", "wrong_item", "late"]
REASON_WEIGHTS = [38, 25, 12, 10, 5, 5, 5]
DAYS = 730
OWN_VARIANTS = 600


def _next_id(model) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT COALESCE(MAX(id), 0) + 1 FROM "{model._meta.db_table}"')  # noqa: S608 — a table name
        return cursor.fetchone()[0]


def _reset_sequence(*models) -> None:
    with connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), (SELECT MAX(id) FROM \"{table}\"))"  # noqa: S608
            )


def _own_catalog(ctx: DatasetContext, locations: list[int]) -> None:
    now = timezone.now()
    category, _ = Category.objects.get_or_create(slug="bo-apparel", defaults={"name": "Bench apparel"})
    products = Product.objects.bulk_create(
        [
            Product(style_code=f"BO-{i:05d}", name=f"Bench style {i}", category=category, base_price=Decimal("39.00"))
            for i in range(OWN_VARIANTS // 6)
        ]
    )
    Variant.objects.bulk_create(
        [
            Variant(product=products[i // 6], sku=f"BO-{i:06d}", barcode=f"96{i:011d}", size="SMLXL"[i % 5])
            for i in range(OWN_VARIANTS)
        ],
        batch_size=2000,
    )
    variants = list(Variant.objects.filter(sku__startswith="BO-").values_list("id", flat=True))
    rng = ctx.rng
    levels = [(v, loc, rng.choice([0, 0, 1, 2, 4, 8, 12, 20])) for v in variants for loc in locations]
    copy_rows(
        StockLevel,
        ["variant", "location", "on_hand", "reserved", "safety_stock"],
        ((v, loc, q, 0, 0) for v, loc, q in levels),
    )
    copy_rows(
        StockMovement,
        ["variant", "location", "kind", "quantity", "balance_after", "reference", "note", "created_at"],
        ((v, loc, "receipt", q, q, "BO-opening", "", now) for v, loc, q in levels if q),
    )
    ctx.log(f"  own catalog: {len(variants)} variants stocked at {len(locations)} locations")


def _own_customers(ctx: DatasetContext, count: int) -> None:
    now = timezone.now()
    copy_rows(
        Customer,
        [
            "first_name",
            "last_name",
            "email",
            "phone",
            "card_number",
            "important_dates",
            "preferred_sizes",
            "is_anonymous",
            "search_name",
            "channels",
            "created_at",
            "updated_at",
        ],
        (
            (
                f"Bench{i}",
                f"Shopper{i % 997}",
                f"c{i}@bench-orders.test",
                "",
                "",
                [],
                {},
                False,
                f"bench{i} shopper{i % 997}",
                [],
                now,
                now,
            )
            for i in range(count)
        ),
    )
    ctx.log(f"  own customers: {count}")


@dataset(order=40)
def build(ctx: DatasetContext) -> None:
    """Orders with lines and fulfilments over two years, and their returns."""
    rng = ctx.rng
    n = ctx.count("orders")
    stores = list(Store.objects.filter(kind=Store.Kind.STORE).order_by("code").values_list("id", flat=True))
    if not stores:
        raise LookupError("The orders builder needs the retail builder's stores.")
    if not Variant.objects.exists():
        _own_catalog(ctx, list(Store.objects.values_list("id", flat=True)))
    if not Customer.objects.exists():
        _own_customers(ctx, ctx.count("customers"))
    variants = list(Variant.objects.order_by("pk").values_list("id", "sku")[:5000])
    customers = list(Customer.objects.filter(is_anonymous=False).order_by("pk").values_list("id", flat=True))
    now = timezone.now().replace(microsecond=0)
    order_id, fulfillment_id = _next_id(Order), _next_id(Fulfillment)
    line_id, request_id = _next_id(OrderLine), _next_id(ReturnRequest)

    # One compact plan per order; the COPY passes below read it.
    plans = []
    for i in range(n):
        channel = rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0]
        placed = now - timedelta(seconds=rng.randrange(DAYS * 86400))
        cancelled = rng.random() < 0.04
        if channel in ("app", "web"):
            kind = "pickup" if rng.random() < 0.6 else "ship"
        elif channel == "phone":
            kind = "ship"
        else:
            kind = "carry_out"
        lines = [
            (rng.choice(variants), q := rng.choice((1, 1, 1, 2, 3)), Decimal(rng.randrange(900, 12000)) / 100 * q)
            for _ in range(rng.choice((1, 1, 2, 2, 3)))
        ]
        r = rng.random()
        if cancelled:
            status, f_status = "cancelled", "cancelled"
        elif placed > now - timedelta(days=2):
            status, f_status = "open", "placed"
        elif kind == "pickup":
            f_status = "collected" if r < 0.88 else ("expired" if r < 0.96 else "cancelled")
            status = "completed" if f_status == "collected" else "cancelled"
        else:
            status, f_status = "completed", "shipped" if kind == "ship" else "collected"
        plans.append(
            (
                order_id + i,
                fulfillment_id + i,
                channel,
                rng.choice(stores),
                rng.choice(customers) if customers and rng.random() < 0.85 else None,
                placed,
                cancelled,
                kind,
                [(v, q, t.quantize(Decimal("0.01"))) for v, q, t in lines],
                r,
                status,
                f_status,
            )
        )

    def order_rows():
        for oid, _fid, channel, store, customer, placed, _cancelled, _kind, lines, _r, status, _fs in plans:
            total = sum(t for _, _, t in lines)
            yield (
                oid,
                f"BO{oid:010d}",
                customer,
                channel,
                store,
                status,
                "",
                "",
                "",
                "EUR",
                total,
                Decimal("0.00"),
                total,
                "",
                Decimal("0.00"),
                0,
                Decimal("0.00"),
                0,
                "",
                placed,
                placed,
                None if status == "open" else placed + timedelta(hours=2),
            )

    copy_rows(
        Order,
        [
            "id",
            "number",
            "customer",
            "channel",
            "store",
            "status",
            "contact_name",
            "email",
            "phone",
            "currency",
            "subtotal",
            "discount_total",
            "total",
            "offer_code",
            "offer_discount",
            "points_redeemed",
            "points_discount",
            "points_earned",
            "receipt_number",
            "placed_at",
            "updated_at",
            "closed_at",
        ],
        order_rows(),
    )

    def fulfillment_rows():
        for oid, fid, _channel, store, _customer, placed, _cancelled, kind, _lines, r, _os, status in plans:
            ready = picking = None
            if kind == "pickup" and status in ("collected", "expired"):
                picking = placed + timedelta(minutes=20 + int(r * 100) % 90)
                ready = picking + timedelta(minutes=15 + int(r * 1000) % 300)
            closed = None if status == "placed" else placed + timedelta(days=1)
            yield (
                fid,
                oid,
                kind,
                store,
                status,
                f"order:{oid}",
                "",
                "",
                "",
                ready + timedelta(days=7) if ready else None,
                "",
                {},
                "",
                "",
                "",
                placed,
                picking,
                ready,
                closed,
            )

    copy_rows(
        Fulfillment,
        [
            "id",
            "order",
            "kind",
            "location",
            "status",
            "reservation_reference",
            "pickup_code",
            "qr_token",
            "proxy_name",
            "hold_until",
            "arrival_note",
            "shipping_address",
            "tracking_number",
            "collected_by_name",
            "verification",
            "created_at",
            "picking_started_at",
            "ready_at",
            "closed_at",
        ],
        fulfillment_rows(),
    )

    returned = []  # (request id, order, line id, variant, quantity, amount, placed, channel, store, r)

    def line_rows():
        lid = line_id
        for oid, fid, channel, store, _customer, placed, cancelled, kind, lines, r, status, _fs in plans:
            for number, ((variant, sku), quantity, total) in enumerate(lines, start=1):
                short = 1 if (kind == "pickup" and quantity > 1 and r > 0.99 and not cancelled) else 0
                yield (
                    lid,
                    oid,
                    fid,
                    number,
                    variant,
                    sku,
                    "Bench style",
                    "",
                    "",
                    "",
                    quantity,
                    (total / quantity).quantize(Decimal("0.01")),
                    Decimal("0.00"),
                    total,
                    0,
                    short,
                )
                if number == 1 and status == "completed" and r < 0.06 and placed < now - timedelta(days=3):
                    returned.append((oid, lid, variant, sku, total / quantity, placed, channel, store, r))
                lid += 1

    copy_rows(
        OrderLine,
        [
            "id",
            "order",
            "fulfillment",
            "line_number",
            "variant",
            "sku",
            "name",
            "size",
            "colour",
            "category",
            "quantity",
            "unit_price",
            "discount",
            "total",
            "picked_quantity",
            "cancelled_quantity",
        ],
        line_rows(),
    )

    def request_rows():
        for k, (oid, _lid, _variant, _sku, amount, placed, channel, store, r) in enumerate(returned):
            refund = Decimal(amount).quantize(Decimal("0.01"))
            method = "mail" if channel in ("app", "web") and r < 0.03 else "in_store"
            refund_method = ("original", "store_credit", "exchange")[int(r * 1000) % 3]
            received = placed + timedelta(days=3 + int(r * 10_000) % 20)
            status = "refunded" if refund_method != "exchange" else "exchanged"
            yield (
                request_id + k,
                f"BR{request_id + k:010d}",
                f"bo{request_id + k:030d}",
                oid,
                status,
                method,
                "store" if method == "in_store" else channel,
                False,
                store,
                store,
                "",
                refund,
                Decimal("0.00"),
                Decimal("0.00"),
                refund,
                refund_method,
                refund if refund_method == "original" else Decimal("0.00"),
                refund if refund_method == "store_credit" else Decimal("0.00"),
                Decimal("0.00"),
                0,
                [],
                False,
                "",
                "",
                received,
                received,
                received,
                received,
            )

    copy_rows(
        ReturnRequest,
        [
            "id",
            "rma_number",
            "qr_token",
            "order",
            "status",
            "method",
            "channel",
            "receiptless",
            "started_store",
            "store",
            "receipt_number",
            "goods_total",
            "fees_total",
            "clawback_total",
            "refund_total",
            "refund_method",
            "refunded_to_tenders",
            "refunded_to_credit",
            "exchange_charged",
            "points_reversed",
            "summary",
            "approval_required",
            "approval_reason",
            "note",
            "created_at",
            "received_at",
            "closed_at",
            "updated_at",
        ],
        request_rows(),
    )
    copy_rows(
        ReturnLine,
        [
            "request",
            "order_line",
            "variant",
            "sku",
            "name",
            "quantity",
            "reason",
            "reason_note",
            "condition",
            "disposition",
            "unit_basis",
            "amount",
            "fee",
            "verdict",
            "explanation",
        ],
        (
            (
                request_id + k,
                lid,
                variant,
                sku,
                "Bench style",
                1,
                rng.choices(REASONS, REASON_WEIGHTS)[0],
                "",
                "new",
                "restock",
                Decimal("0.00"),
                Decimal(amount).quantize(Decimal("0.01")),
                Decimal("0.00"),
                "eligible",
                "bench",
            )
            for k, (_oid, lid, variant, sku, amount, *_rest) in enumerate(returned)
        ),
    )
    _reset_sequence(Order, Fulfillment, OrderLine, ReturnRequest)
    analyze(Order, Fulfillment, OrderLine, ReturnRequest, ReturnLine)
    ctx.log(f"  {n} orders, {len(returned)} returns")
