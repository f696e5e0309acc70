"""A background load of the changes that cause webhook events, for the webhooks benchmark (issue 20).

The issue's claim: "1,000 events/s written with the changes that cause them costs checkout <= 10%
p95". `webhooks.checkout_under_events_{off,on}` measure the checkout while this load runs beside
it, in other processes with their own PostgreSQL connections, the same paced changes in both and
events written only in the second (WEBHOOKS_RECORD_EVENTS):

- `tills` (POS): stores' tills upload batches of receipts of 2 lines, one in four naming a
  shopper (order.placed each, stock.changed per SKU and store, loyalty points, timeline);
- `deliveries`: goods received at the stores, a delivery of `DELIVERY_LINES` SKUs at a time
  (stock.changed per SKU and store);
- `profiles`: shoppers' profile changes (customer.updated);
- `publisher`: what the Celery worker does with `webhooks.events` outbox messages once they are
  due: seal the coalesced stock events after their window, fan every event out to the
  subscriptions of its type (Delivery rows), give it its feed position. The HTTP delivery itself
  is not run (the subscriptions' hosts are `.invalid`; no request leaves the machine).

Each role is a child process (`python -m benchmarks.event_load --role ...`) paced to its share of
the target rate, bounded in time (`--seconds`) and count (`--max-ops`); it stops by itself, or on
SIGTERM, and prints what it did as one JSON line. A role that cannot keep up says by how much it
fell behind: the rate achieved is measured, not assumed (events: rows written to webhooks_event
during the run, from the database).

Everything it makes carries the mark BENCHEVT (SKUs, receipt numbers, tills, delivery
references) or the e-mail domain @bench-events.test (shoppers) and is removed by `cleanup()`.
"""

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

MARK = "BENCHEVT"
EMAIL_DOMAIN = "@bench-events.test"
STORES = 4
DELIVERY_LINES = 250
TILL_BATCH = 20
PRICE = Decimal("20.00")
ROLES = ("tills", "deliveries", "profiles", "publisher")
MAX_SECONDS = 600  # a child never runs longer, whatever it is told
READY_TIMEOUT_S = 90


@dataclass(frozen=True)
class Mix:
    """Changes per second for a target of `events_per_s` events (measured shares, see docs/webhooks.md):
    a receipt is an order.placed and about two stock.changed, a delivery line about one
    stock.changed, a profile change one customer.updated."""

    events_per_s: float

    @property
    def receipts_per_s(self) -> float:
        return 0.16 * self.events_per_s

    @property
    def delivery_lines_per_s(self) -> float:
        return 0.52 * self.events_per_s

    @property
    def profile_changes_per_s(self) -> float:
        return 0.04 * self.events_per_s

    def period(self, role: str) -> float:
        """Seconds between two operations of a role."""
        if role == "tills":
            return TILL_BATCH / self.receipts_per_s
        if role == "deliveries":
            return DELIVERY_LINES / self.delivery_lines_per_s
        if role == "profiles":
            return 1 / self.profile_changes_per_s
        return 0.2  # the publisher polls


# --- setup and cleanup, in the benchmark's process ------------------------------------------------


def prepare(*, skus: int, customers: int) -> None:
    """SKUs with deep stock at the last stores by code (not the checkout's), a till per store, shoppers.

    Made with event writing off: the setup is not part of the load."""
    from django.db import transaction
    from django.test import override_settings

    from benchmarks.scenarios.orders import make_stock
    from customers.services.profiles import create_customer
    from retail.models import Store
    from retail.services import issue_pos_device

    stores = list(Store.objects.active().filter(kind=Store.Kind.STORE).order_by("-code")[:STORES])
    if not stores:
        raise LookupError("The webhooks load needs the retail dataset's stores.")
    with transaction.atomic():
        make_stock(stores, mark=MARK, skus=skus, name="Bench events tee", price=PRICE, barcode_prefix="97800")
        for store in stores:
            issue_pos_device(store=store, name=f"{MARK} till")
    with override_settings(WEBHOOKS_RECORD_EVENTS=False):
        for i in range(customers):
            create_customer(first_name="Bench", last_name=f"Events {i}", email=f"shopper{i}{EMAIL_DOMAIN}")


def cleanup() -> None:
    """Remove everything the load made, found by its marks (also what a killed run left)."""
    from django.db import connection, transaction

    from customers.models import Customer
    from retail.models import PosDevice

    with transaction.atomic(), connection.cursor() as cursor:
        customers = list(Customer.objects.filter(email__endswith=EMAIL_DOMAIN).values_list("pk", flat=True))
        devices = list(PosDevice.objects.filter(name=f"{MARK} till").values_list("pk", flat=True))
        cursor.execute(
            "CREATE TEMP TABLE bench_evt_orders ON COMMIT DROP AS SELECT id, number FROM orders_order "
            "WHERE receipt_number LIKE %s",
            [f"{MARK}-%"],
        )
        for sql in (
            "DELETE FROM retail_auditevent WHERE object_type = 'orders.order' AND object_id IN "
            "(SELECT id::text FROM bench_evt_orders)",
            "DELETE FROM orders_statuschange WHERE order_id IN (SELECT id FROM bench_evt_orders)",
            "DELETE FROM orders_payment WHERE order_id IN (SELECT id FROM bench_evt_orders)",
            "DELETE FROM orders_orderline WHERE order_id IN (SELECT id FROM bench_evt_orders)",
            "DELETE FROM orders_fulfillment WHERE order_id IN (SELECT id FROM bench_evt_orders)",
        ):
            cursor.execute(sql)
        for sql in (
            "DELETE FROM customers_purchaseditem WHERE customer_id = ANY(%(c)s)",
            "DELETE FROM customers_interaction WHERE customer_id = ANY(%(c)s)",
            "DELETE FROM customers_pointsentry WHERE account_id IN "
            "(SELECT id FROM customers_loyaltyaccount WHERE customer_id = ANY(%(c)s))",
            "DELETE FROM customers_loyaltyaccount WHERE customer_id = ANY(%(c)s)",
            "DELETE FROM customers_customeridentity WHERE customer_id = ANY(%(c)s)",
            "DELETE FROM customers_consent WHERE customer_id = ANY(%(c)s)",
            "DELETE FROM retail_auditevent WHERE object_type = 'customers.customer' AND object_id = ANY(%(t)s)",
            "DELETE FROM orders_order WHERE id IN (SELECT id FROM bench_evt_orders)",
            "DELETE FROM customers_customer WHERE id = ANY(%(c)s)",
            "DELETE FROM retail_auditevent WHERE action = 'stock.received' AND details->>'reference' LIKE %(m)s",
            "DELETE FROM retail_auditevent WHERE object_type = 'retail.posdevice' AND object_id = ANY(%(d)s)",
            "DELETE FROM retail_posdevice WHERE id = ANY(%(di)s)",
            "DELETE FROM inventory_stockmovement WHERE variant_id IN "
            "(SELECT id FROM inventory_variant WHERE sku LIKE %(m)s)",
            "DELETE FROM inventory_stocklevel WHERE variant_id IN "
            "(SELECT id FROM inventory_variant WHERE sku LIKE %(m)s)",
            "DELETE FROM inventory_variant WHERE sku LIKE %(m)s",
            "DELETE FROM inventory_product WHERE style_code LIKE %(m)s",
            "DELETE FROM inventory_category WHERE slug LIKE %(ml)s",
        ):
            cursor.execute(
                sql,
                {
                    "c": customers,
                    "t": [str(pk) for pk in customers],
                    "d": [str(pk) for pk in devices],
                    "di": devices,
                    "m": f"{MARK}%",
                    "ml": f"{MARK.lower()}%",
                },
            )


def forget_events(*, after_event: int, after_message: int) -> None:
    """Remove the events, deliveries and webhook outbox messages written after these ids."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM webhooks_delivery WHERE event_id > %s", [after_event])
        cursor.execute("DELETE FROM webhooks_event WHERE id > %s", [after_event])
        cursor.execute("DELETE FROM retail_outboxmessage WHERE id > %s AND topic LIKE 'webhooks.%%'", [after_message])


# What the load writes to and deletes from: vacuumed before each round, as autovacuum keeps them in
# production (this machine's PostgreSQL runs with autovacuum off, and the dead rows of earlier
# rounds slow every upsert of an open stock event and every outbox claim of the next ones).
CHURNED_TABLES = (
    "webhooks_event",
    "webhooks_delivery",
    "retail_outboxmessage",
    "retail_auditevent",
    "inventory_stocklevel",
    "inventory_stockmovement",
    "orders_order",
    "orders_orderline",
    "orders_payment",
    "orders_fulfillment",
    "orders_statuschange",
    "customers_customer",
    "customers_interaction",
)


def vacuum() -> None:
    """VACUUM (ANALYZE) the tables the load churns (outside any transaction: autocommit)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {', '.join(CHURNED_TABLES)}")


@dataclass
class Load:
    """The running children of one load."""

    events: bool
    mix: Mix
    seconds: float
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    first_event: int = 0
    first_message: int = 0
    marked: bool = False
    started: float = 0.0
    reports: dict[str, dict] = field(default_factory=dict)

    def mark(self) -> None:
        """Remember the last event and outbox message: what comes after is this run's (`forget_events`)."""
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT coalesce(max(id), 0) FROM webhooks_event")
            self.first_event = cursor.fetchone()[0]
            cursor.execute("SELECT coalesce(max(id), 0) FROM retail_outboxmessage")
            self.first_message = cursor.fetchone()[0]
        self.marked = True

    def start(self, roles=ROLES) -> None:
        from django.conf import settings
        from django.db import connection

        from retail.embedded_db import connection_url

        if not self.marked:
            self.mark()
        env = {
            **os.environ,
            "DATABASE_URL": connection_url(connection.settings_dict),
            "WEBHOOKS_RECORD_EVENTS": "1" if self.events else "0",
        }
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        for role in roles:
            command = [sys.executable, "-m", "benchmarks.event_load", "--role", role,
                       "--events-per-second", str(self.mix.events_per_s), "--seconds", str(self.seconds)]  # fmt: skip
            self.processes[role] = subprocess.Popen(
                command, cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE, text=True, start_new_session=True
            )
        deadline = time.monotonic() + READY_TIMEOUT_S
        for role, process in self.processes.items():
            line = process.stdout.readline()  # "ready", once its Django is set up and its inputs read
            if line.strip() != "ready" or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the {role} writer did not start: {line!r} (exit {process.poll()})")
        self.started = time.monotonic()

    def stop(self) -> dict:
        """Stop every child (SIGTERM, SIGKILL after 20 s) and return what was done, with the rates."""
        wall = time.monotonic() - self.started if self.started else 0.0
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for role, process in self.processes.items():
            try:
                out, _ = process.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                out, _ = process.communicate(timeout=10)
            lines = [line for line in (out or "").splitlines() if line.startswith("{")]
            self.reports[role] = json.loads(lines[-1]) if lines else {"error": f"no report (exit {process.returncode})"}
        return self.summary(wall)

    def summary(self, wall: float) -> dict:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*), coalesce(sum(changes), 0) FROM webhooks_event WHERE id > %s", [self.first_event]
            )
            events, changes = cursor.fetchone()
            cursor.execute("SELECT count(*) FROM webhooks_delivery WHERE event_id > %s", [self.first_event])
            deliveries = cursor.fetchone()[0]
        tills = self.reports.get("tills", {})
        deliveries_made = self.reports.get("deliveries", {})
        profiles = self.reports.get("profiles", {})
        errors = sum(r.get("errors", 0) for r in self.reports.values()) + sum(1 for r in self.reports.values()
                                                                                 if "error" in r)  # fmt: skip
        wall = wall or 1e-9
        return {
            "events": "on" if self.events else "off",
            "seconds": round(wall, 1),
            "events_per_s": round(events / wall, 1),
            "coalesced_changes_per_s": round(changes / wall, 1),
            "deliveries_per_s": round(deliveries / wall, 1),
            "receipts_per_s": round(tills.get("items", 0) / wall, 1),
            "delivery_lines_per_s": round(deliveries_made.get("items", 0) / wall, 1),
            "profile_changes_per_s": round(profiles.get("items", 0) / wall, 1),
            "messages_published": self.reports.get("publisher", {}).get("items", 0),
            "behind_s": round(max((r.get("behind_s", 0.0) for r in self.reports.values()), default=0.0), 2),
            "errors": errors,
            **{
                f"{role}_error": r.get("first_error") or r.get("error")
                for role, r in self.reports.items()
                if r.get("first_error") or r.get("error")
            },
        }


# --- the children ----------------------------------------------------------------------------------


class Stop(Exception):
    pass


@dataclass
class Role:
    name: str
    mix: Mix
    rng: random.Random
    ops: int = 0
    items: int = 0
    errors: int = 0
    first_error: str = ""
    stopping: list = field(default_factory=list)  # SIGTERM appends to it

    def setup(self) -> None:
        from inventory.models import Variant
        from retail.models import PosDevice

        self.skus = list(Variant.objects.filter(sku__startswith=MARK).order_by("pk").values_list("sku", flat=True))
        self.devices = list(PosDevice.objects.filter(name=f"{MARK} till").select_related("store").order_by("pk"))
        self.stores = [d.store for d in self.devices]
        if not self.skus or not self.devices:
            raise LookupError("prepare() has not run: no BENCHEVT SKUs or tills")

    def once(self) -> int:
        """One operation; returns the items it changed (receipts, delivery lines, profiles)."""
        raise NotImplementedError


class Tills(Role):
    def once(self) -> int:
        from orders.services.pos import PosSale, record_pos_sales

        device = self.devices[self.ops % len(self.devices)]
        sales = []
        for n in range(TILL_BATCH):
            a, b = self.rng.sample(self.skus, 2)
            number = self.ops * TILL_BATCH + n
            sales.append(
                PosSale(
                    receipt_number=f"{MARK}-{os.getpid()}-{number:07d}",
                    lines=[{"sku": sku, "quantity": 1, "unit_price": PRICE} for sku in (a, b)],
                    tenders=[{"method": "card", "amount": 2 * PRICE, "brand": "visa", "last4": "4242"}],
                    customer={"email": f"shopper{self.rng.randrange(200)}{EMAIL_DOMAIN}"} if n % 4 == 0 else {},
                )
            )
        results = record_pos_sales(device=device, sales=sales)
        bad = [r for r in results if r.status != "created"]
        if bad:
            raise RuntimeError(f"{len(bad)} receipts not created: {bad[0].status} {bad[0].error}")
        return len(sales)


class Deliveries(Role):
    def once(self) -> int:
        from inventory.services import receive_stock

        store = self.stores[self.ops % len(self.stores)]
        lines = [(sku, 5) for sku in self.rng.sample(self.skus, min(DELIVERY_LINES, len(self.skus)))]
        receive_stock(location=store, lines=lines, reference=f"{MARK}-delivery-{os.getpid()}-{self.ops}")
        return len(lines)


class Profiles(Role):
    def setup(self) -> None:
        from customers.models import Customer

        super().setup()
        self.customers = list(Customer.objects.filter(email__endswith=EMAIL_DOMAIN).order_by("pk"))
        if not self.customers:
            raise LookupError("prepare() has not run: no shoppers")

    def once(self) -> int:
        from customers.models import Customer
        from customers.services.profiles import update_customer_profile

        customer = Customer.objects.get(pk=self.rng.choice(self.customers).pk)
        update_customer_profile(customer=customer, values={"last_name": f"Events {self.ops}"})
        return 1


class Publisher(Role):
    """The Celery worker's part of `webhooks.events`: due messages, oldest first (see retail.outbox)."""

    def once(self) -> int:
        from django.utils import timezone

        from retail.models import OutboxMessage
        from retail.outbox import deliver_outbox_message, lease
        from webhooks.events import EVENTS_TOPIC

        # A message is due when its task would run: at once, or after the coalescing window
        # (available_at is that moment plus the lease, see webhooks.events).
        due = list(
            OutboxMessage.objects.filter(
                topic=EVENTS_TOPIC,
                status=OutboxMessage.Status.PENDING,
                attempts=0,
                available_at__lte=timezone.now() + lease(),
            )
            .order_by("id")
            .values_list("id", flat=True)[:50]
        )
        done = 0
        for message_id in due:
            if self.stopping:
                break
            deliver_outbox_message(message_id=message_id, attempt=0)
            done += 1
        return done


ROLE_CLASSES = {"tills": Tills, "deliveries": Deliveries, "profiles": Profiles, "publisher": Publisher}


def run_role(*, role: str, events_per_s: float, seconds: float, max_ops: int) -> dict:
    mix = Mix(events_per_s)
    worker = ROLE_CLASSES[role](name=role, mix=mix, rng=random.Random(f"{role}-{os.getpid()}"))
    stopping = worker.stopping
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    worker.setup()
    print("ready", flush=True)
    period = mix.period(role)
    started = time.monotonic()
    deadline = started + min(seconds, MAX_SECONDS)
    next_at, behind = started, 0.0
    while not stopping and worker.ops < max_ops and time.monotonic() < deadline:
        try:
            worker.items += worker.once()
        except Exception as exc:  # noqa: BLE001 — counted and reported; the load goes on
            worker.errors += 1
            worker.first_error = worker.first_error or f"{type(exc).__name__}: {exc}"[:300]
        worker.ops += 1
        next_at += period
        lag = time.monotonic() - next_at
        if lag > 0:
            behind = max(behind, lag)
            if lag > period:  # do not run a backlog in a burst: the rate achieved shows the shortfall
                next_at = time.monotonic()
        else:
            time.sleep(-lag)
    return {
        "role": role,
        "ops": worker.ops,
        "items": worker.items,
        "seconds": round(time.monotonic() - started, 2),
        "behind_s": round(behind, 3),
        "errors": worker.errors,
        "first_error": worker.first_error,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.event_load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--role", choices=ROLES, required=True)
    parser.add_argument("--events-per-second", type=float, default=1200)
    parser.add_argument("--seconds", type=float, default=120, help=f"stop after this long (at most {MAX_SECONDS})")
    parser.add_argument("--max-ops", type=int, default=100_000)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retail.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import django

    django.setup()
    report = run_role(role=args.role, events_per_s=args.events_per_second, seconds=args.seconds, max_ops=args.max_ops)
    print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
