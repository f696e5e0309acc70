"""Bulk imports (issue 8): historical transactions and customers from CSV, as the commands run them.

Target from the issue: 100,000 transactions in under a minute on PostgreSQL. Each call imports a
fresh file (new transaction ids, so every row is written, not skipped as already imported) of
`ROWS[scale]` rows through `import_transactions` (both passes: check every row, then write);
the p95 target is the issue's rate (0.6 ms a row), and setup logs rows/s per call. Files are
written in setup (not timed); imported rows are deleted afterwards.
"""

import csv
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from benchmarks.context import ScenarioContext
from benchmarks.registry import scenario
from customers.history import SOURCE, import_transactions
from customers.imports import file_opener, import_customers
from customers.models import Consent, Customer, CustomerIdentity, Interaction, PurchasedItem
from retail.models import AuditEvent, Store

ROWS = {"tiny": 1_000, "small": 20_000}  # medium and large: 100,000
CUSTOMER_ROWS = {"tiny": 50}  # others: 1,000
CALLS = 3
MARK = "@bench-import.test"


def _rows(scale_name: str) -> int:
    return ROWS.get(scale_name, 100_000)


def _customers(ctx: ScenarioContext, wanted: int) -> tuple[list[tuple[int, str]], list[int]]:
    """(id, email) of existing live customers; makes some (returned for deletion) when there are none."""
    found = list(Customer.objects.live().exclude(email="").order_by("pk").values_list("pk", "email")[:wanted])
    if found:
        return found, []
    now = timezone.now()
    made = Customer.objects.bulk_create(
        [Customer(email=f"c{i}{MARK}", created_at=now, updated_at=now) for i in range(min(wanted, 2000))]
    )
    CustomerIdentity.objects.bulk_create(
        [CustomerIdentity(customer=c, kind="email", value=c.email, created_at=now) for c in made]
    )
    return [(c.pk, c.email) for c in made], [c.pk for c in made]


def _write_file(path: Path, ctx: ScenarioContext, run: str, n: int, people: list, stores: list[str]) -> None:
    rng = ctx.rng
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["transaction_id", "customer_id", "email", "date", "quantity", "amount", "store", "channel"])
        for i in range(n):
            pk, email = people[rng.randrange(len(people))]
            channel = rng.choice(("app", "web", "store", "store", "phone", "kiosk"))
            by_email = i % 3 == 0
            writer.writerow(
                [
                    f"{run}-{i}",
                    "" if by_email else pk,
                    email if by_email else "",
                    f"{rng.randint(2024, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                    rng.randint(1, 4),
                    Decimal(rng.randint(500, 25_000)) / 100,
                    rng.choice(stores) if channel == "store" else "",
                    channel,
                ]
            )


@scenario(
    name="imports.transactions",
    calls=CALLS,
    warmup=0,
    target_p95_ms=0.6 * 100_000,
    items_per_call=_rows,
    item="rows",
    fixed_calls=True,
)
def transactions(ctx: ScenarioContext):
    """manage.py import_transactions of 100,000 new rows (20,000 at small scale): check + write; p95 <= 60 s."""
    n = _rows(ctx.scale.name)
    people, made = _customers(ctx, 20_000)
    stores = list(Store.objects.filter(kind=Store.Kind.STORE).order_by("code").values_list("code", flat=True)[:50])
    if not stores:
        raise LookupError("The imports scenario needs the retail dataset's stores.")
    run = f"bench-{timezone.now():%Y%m%d%H%M%S}"
    folder = tempfile.TemporaryDirectory(prefix="omni-import-bench-")
    files = []
    for k in range(CALLS):
        path = Path(folder.name) / f"tx-{k}.csv"
        _write_file(path, ctx, f"{run}-{k}", n, people, stores)
        files.append(path)
    todo = iter(files)

    def call():
        started = time.perf_counter()
        report = import_transactions(opener=file_opener(next(todo)))
        elapsed = time.perf_counter() - started
        if report.errors or report.created != n:
            raise AssertionError(f"import wrote {report.created} of {n} rows: {report.errors[:3]}")
        ctx.log(f"imports.transactions: {n:,} rows in {elapsed:.1f} s = {n / elapsed:,.0f} rows/s")

    yield call
    folder.cleanup()
    imported = Interaction.objects.filter(source=SOURCE, external_id__startswith=f"id:{run}-")
    PurchasedItem.objects.filter(interaction__in=imported).delete()
    imported.delete()
    AuditEvent.objects.filter(action="customers.transactions_imported").delete()
    if made:
        CustomerIdentity.objects.filter(customer_id__in=made).delete()
        Customer.objects.filter(pk__in=made).delete()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_interaction")


def _customer_rows(scale_name: str) -> int:
    return CUSTOMER_ROWS.get(scale_name, 1000)


@scenario(
    name="imports.customers",
    calls=CALLS,
    warmup=0,
    max_queries=12,  # one batch of new customers: 8 queries (was ~7 a row through the services)
    items_per_call=_customer_rows,
    item="rows",
    fixed_calls=True,
)
def customers(ctx: ScenarioContext):
    """manage.py import_customers of 1,000 new customers (email, card, consent), written in bulk."""
    n = _customer_rows(ctx.scale.name)
    run = f"{timezone.now():%H%M%S}"
    folder = tempfile.TemporaryDirectory(prefix="omni-import-bench-")
    files = []
    for k in range(CALLS):
        path = Path(folder.name) / f"customers-{k}.csv"
        with path.open("w", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["email", "phone", "card_number", "first_name", "last_name", "email_consent"])
            for i in range(n):
                writer.writerow(
                    [f"i{run}-{k}-{i}{MARK}", "", f"BI{run}{k}{i:04d}", "Bench", f"Import{i}", "yes" if i % 2 else "no"]
                )
        files.append(path)
    todo = iter(files)

    def call():
        started = time.perf_counter()
        report = import_customers(opener=file_opener(next(todo)))
        if report.errors or report.created != n:
            raise AssertionError(f"import made {report.created} of {n} customers: {report.errors[:3]}")
        ctx.log(f"imports.customers: {n:,} rows = {n / (time.perf_counter() - started):,.0f} rows/s")

    yield call
    folder.cleanup()
    ids = list(Customer.objects.filter(email__endswith=MARK, email__startswith=f"i{run}-").values_list("pk", flat=True))
    Consent.objects.filter(customer_id__in=ids).delete()
    CustomerIdentity.objects.filter(customer_id__in=ids).delete()
    AuditEvent.objects.filter(Q(object_type="customers.customer", object_id__in=[str(i) for i in ids])).delete()
    Customer.objects.filter(pk__in=ids).delete()
