"""Returns of ~8% of completed orders: one unit of the first line, in a store or by mail.

Picked deterministically among orders completed at least 5 days before the build; 85% refunded
(70% to the original payment, the rest as store credit), 5% exchanged, 3% rejected, and 7% still
open (requested online and not yet received, or received and waiting). Shoppers who shop in
stores return in a store (often another one than where they bought), app and web shoppers also
by mail to a warehouse. A refund to the card raises the order's payment `refunded_amount` (and
marks it refunded when all of it went back); a store-credit refund issues credit in the shopper's
ledger. Every completed return of a known shopper is a `return` on their timeline (as the
returns desk writes it) with negative `PurchasedItem` lines.

Not replayed: restocking into the stock ledger (the inventory builder's opening receipts stand
for the stock as it is at build time) and loyalty point reversals (historic orders earned none).
"""

from datetime import timedelta
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from benchmarks.bulk import analyze, copy_rows
from benchmarks.context import DatasetContext
from benchmarks.datasets._loading import key_interactions, next_id, reset_sequences
from benchmarks.registry import dataset
from customers.models import Interaction, PurchasedItem, StoreCreditAccount, StoreCreditEntry
from orders.models import Payment
from orders.numbers import ALPHABET
from orders.returns.models import FAULT_REASONS, ReturnLine, ReturnRequest
from retail.domain.money import money
from retail.models import Store

SHARE_PER_MILLE = 80
REASONS = ["wrong_size", "changed_mind", "not_as_described", "defective", "arrived_damaged", "wrong_item", "late"]
REASON_WEIGHTS = [38, 25, 12, 10, 5, 5, 5]
OUTCOMES = [("refunded", 85), ("exchanged", 5), ("rejected", 3), ("requested", 4), ("received", 3)]
MAIL_FEE = Decimal("3.95")
BOUGHT = {"app": "in the app", "web": "online", "phone": "by phone", "kiosk": "at a kiosk"}
REQUEST_FIELDS = [
    *("id", "rma_number", "qr_token", "order", "customer", "status", "method", "channel", "receiptless"),
    *("started_store", "store", "receipt_number", "submission_key", "goods_total", "fees_total", "clawback_total"),
    *("refund_total", "refund_method", "refunded_to_tenders", "refunded_to_credit", "exchange_charged"),
    *("points_reversed", "summary", "approval_required", "approval_reason", "note", "received_by"),
    *("created_at", "received_at", "closed_at", "updated_at", "currency"),
]
LINE_FIELDS = [
    *("request", "order_line", "variant", "sku", "name", "quantity", "reason", "reason_note", "condition"),
    *("disposition", "unit_basis", "amount", "fee", "verdict", "explanation"),
]


def rma_number(request_id: int) -> str:
    """RMA-XXXX-XXXX from the id through a bijection of 40 bits (unique, random-looking)."""
    n = (request_id * 0x2545F491 + 0x1B873593) % (1 << 40)
    raw = "".join(ALPHABET[(n >> (5 * k)) & 31] for k in range(8))
    return f"RMA-{raw[:4]}-{raw[4:]}"


def _candidates(now) -> list[tuple]:
    """First lines of ~8% of the orders completed 5+ days ago, with what a return needs of them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT o.id, o.number, o.customer_id, o.channel, o.store_id, o.placed_at, s.name,"
            " COALESCE(c.channels ? 'store', o.channel IN ('store', 'kiosk')),"
            " l.id, l.variant_id, l.sku, l.name, l.quantity, l.total, l.category, l.size, o.currency"
            " FROM orders_order o JOIN orders_orderline l ON l.order_id = o.id AND l.line_number = 1"
            " JOIN retail_store s ON s.id = o.store_id"
            " LEFT JOIN customers_customer c ON c.id = o.customer_id"
            " WHERE o.status = 'completed' AND o.placed_at < %s AND (o.id * 7919 + 13) %% 1000 < %s"
            " ORDER BY o.id",
            [now - timedelta(days=5), SHARE_PER_MILLE],
        )
        return cursor.fetchall()


@dataset(order=50)
def build(ctx: DatasetContext) -> None:
    """Returns of ~8% of completed orders with refunds, exchanges, store credit and timeline entries."""
    rng, now = ctx.rng, timezone.now().replace(microsecond=0)
    active = Store.objects.active()
    stores = list(active.filter(kind=Store.Kind.STORE, accepts_returns=True).values_list("pk", "name"))
    depots = list(active.filter(kind=Store.Kind.WAREHOUSE, accepts_returns=True).values_list("pk", "name"))
    depots = depots or stores
    if not stores:
        raise LookupError("The returns builder needs the retail builder's stores.")
    outcomes, weights = zip(*OUTCOMES, strict=True)
    first_request, first_interaction = next_id(ReturnRequest), next_id(Interaction)
    requests, lines, refunds, credits, timeline = [], [], [], [], []
    for k, (oid, number, customer, channel, store, placed, store_name, in_stores, *line) in enumerate(_candidates(now)):
        line_id, variant, sku, name, quantity, total, category, size, currency = line
        rid, rma = first_request + k, rma_number(first_request + k)
        status = rng.choices(outcomes, weights)[0]
        mail = channel in ("app", "web") and (not in_stores or rng.random() < 0.3)
        if mail:
            receiving, receiving_name = rng.choice(depots)
        elif channel == "store" and rng.random() < 0.6:
            receiving, receiving_name = store, store_name
        else:
            receiving, receiving_name = rng.choice(stores)
        reason = rng.choices(REASONS, REASON_WEIGHTS)[0]
        unit = money(total / quantity)
        created = min(
            now - timedelta(hours=1), placed + timedelta(days=rng.randint(2, 25), minutes=rng.randint(0, 600))
        )
        done = status in ("refunded", "exchanged")
        received = None
        if status != "requested":
            received = min(now, created + timedelta(days=rng.randint(2, 6) if mail else 0))
        closed = received if status in ("refunded", "exchanged", "rejected") else None
        goods = unit if done else Decimal("0.00")
        fee = MAIL_FEE if done and mail and reason not in FAULT_REASONS and goods > MAIL_FEE * 2 else Decimal("0.00")
        refund = goods - fee
        method = ""
        if status == "refunded":
            method = "original" if rng.random() < 0.78 else "store_credit"
        elif status == "exchanged":
            method = "exchange"
        to_card = refund if method == "original" else Decimal("0.00")
        to_credit = refund if method == "store_credit" else Decimal("0.00")
        requests.append(
            (
                *(rid, rma, f"{rng.getrandbits(128):032x}", oid, customer, status, "mail" if mail else "in_store"),
                *("store" if not mail else channel, False, None if mail else receiving, receiving, "", ""),
                *(goods, fee, Decimal("0.00"), refund, method, to_card, to_credit, Decimal("0.00"), 0, "[]", False),
                *("", "", None, created, received, closed, closed or received or created, currency),
            )
        )
        lines.append(
            (
                *(rid, line_id, variant, sku, name, 1, reason, "", "new" if reason not in FAULT_REASONS else "damaged"),
                *("restock" if reason not in FAULT_REASONS else "damaged", unit, unit, fee, "eligible"),
                "Within the return window." if status != "rejected" else "Outside the return window.",
            )
        )
        if to_card:
            refunds.append((oid, to_card))
        if to_credit and customer:
            credits.append((customer, to_credit, rma, receiving, closed))
        if done and customer:
            where = "by mail" if mail else f"in {receiving_name}"
            bought = f"in {store_name}" if channel == "store" else BOUGHT.get(channel, channel)
            data = {
                "rma": rma,
                "order_number": number,
                "bought_on": channel,
                "refund": str(refund),
                "refund_method": method,
                "lines": [{"sku": sku, "qty": 1, "amount": str(unit), "category": category, "size": size}],
            }
            timeline.append(
                (
                    *(first_interaction + len(timeline), customer, "store" if not mail else channel, "return"),
                    *(closed, receiving, None, f"Bought {bought}, returned {where} ({rma})", data, "returns"),
                    *(f"{rma}:done", closed, sku, category, size, unit),
                )
            )

    copy_rows(ReturnRequest, REQUEST_FIELDS, requests)
    copy_rows(ReturnLine, LINE_FIELDS, lines)
    copy_rows(
        Interaction,
        [
            *("id", "customer", "channel", "kind", "occurred_at", "store", "associate", "subject", "data", "source"),
            *("external_id", "recorded_at"),
        ],
        (row[:12] for row in timeline),
    )
    key_interactions(first_interaction)
    copy_rows(
        PurchasedItem,
        ["customer", "interaction", "sku", "category", "size", "quantity", "amount", "channel", "occurred_at"],
        ((row[1], row[0], row[12], row[13], row[14], -1, -row[15], row[2], row[4]) for row in timeline),
    )
    _refund_payments(refunds)
    _issue_credit(credits, now)
    reset_sequences(ReturnRequest, Interaction)
    analyze(ReturnRequest, ReturnLine, Payment, Interaction, PurchasedItem, StoreCreditAccount, StoreCreditEntry)
    ctx.log(f"  {len(requests)} returns, {len(refunds)} refunds to the payment, {len(credits)} to store credit")


def _refund_payments(refunds: list[tuple[int, Decimal]]) -> None:
    """Payment.refunded_amount += what went back to it; fully refunded payments say so."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE bench_refund (order_id bigint, amount numeric(12, 2)) ON COMMIT DROP")
        with connection.connection.cursor() as raw, raw.copy("COPY bench_refund FROM STDIN") as copy:
            for row in refunds:
                copy.write_row(row)
        cursor.execute(
            "UPDATE orders_payment p SET refunded_amount = LEAST(p.captured_amount, p.refunded_amount + r.amount),"
            " status = CASE WHEN p.refunded_amount + r.amount >= p.captured_amount THEN 'refunded' ELSE p.status END"
            " FROM bench_refund r WHERE p.order_id = r.order_id AND p.status = 'captured'"
        )
        cursor.execute("DROP TABLE bench_refund")


def _issue_credit(credits: list[tuple], now) -> None:
    """Store credit issued by returns: an account per shopper (kept if there is one), one entry each."""
    customers = sorted({c[0] for c in credits})
    existing = dict(StoreCreditAccount.objects.filter(customer_id__in=customers).values_list("customer_id", "pk"))
    first = next_id(StoreCreditAccount)
    fresh = [c for c in customers if c not in existing]
    copy_rows(
        StoreCreditAccount,
        ["id", "customer", "balance", "created_at"],
        ((first + k, customer, Decimal("0.00"), now) for k, customer in enumerate(fresh)),
    )
    account = existing | {customer: first + k for k, customer in enumerate(fresh)}
    reset_sequences(StoreCreditAccount)
    copy_rows(
        StoreCreditEntry,
        ["account", "kind", "amount", "reference", "actor", "store", "created_at"],
        ((account[c], "issue", amount, f"return:{rma}", None, store, when) for c, amount, rma, store, when in credits),
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE customers_storecreditaccount a SET balance = e.total"
            " FROM (SELECT account_id, SUM(amount) AS total FROM customers_storecreditentry GROUP BY account_id) e"
            " WHERE a.id = e.account_id"
        )
