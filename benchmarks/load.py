"""`python -m benchmarks.load --scale small|medium|large|xlarge [--duration 60] [--concurrency 8]`

A mixed load over HTTP on loopback: gunicorn serves the bench database with production settings
and C client threads (standard library `http.client`, one keep-alive connection each) send a
weighted mix of app, web, POS and staff-portal requests for a bounded time and count. Prints a
table per request class and writes benchmarks/load-results.json.
"""

import argparse
import http.client
import json
import math
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from benchmarks.harness import percentile

LOAD_RESULTS_PATH = Path(__file__).resolve().parent / "load-results.json"
MARK = "LOADTEST"  # SKUs, styles, device names, receipt numbers and event ids the run makes
EMAIL_DOMAIN = "@bench-load.test"  # users and POS shoppers the run makes
MAX_DURATION_S = 600  # hard caps: a load run is a measurement, never a soak
MAX_REQUESTS = 1_000_000
MAX_CONCURRENCY = 64
START_TIMEOUT_S = 60
QUERIES_HEADER = "X-Load-Queries"
SESSION_PREFIX = "loadtest"
OPEN_PICKUP = ("placed", "picking", "ready")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    from benchmarks.run import DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL
    from benchmarks.scales import SCALES

    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__.split("\n\n")[1])
    parser.add_argument("--scale", choices=list(SCALES), default="small")
    parser.add_argument("--duration", type=float, default=60, help=f"timed seconds (at most {MAX_DURATION_S})")
    parser.add_argument("--warmup", type=float, default=5, help="untimed seconds of the same mix first")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads, one connection each")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default 2 x cores)")
    parser.add_argument("--threads", type=int, default=1, help="threads per worker: >1 uses gthread workers")
    parser.add_argument("--max-requests", type=int, default=200_000, help=f"total cap (at most {MAX_REQUESTS:,})")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--no-query-count", action="store_true", help="serve plain retail.wsgi (no statement count)")
    parser.add_argument("--output", type=Path, help="results file (default benchmarks/load-results.json)")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL))
    args = parser.parse_args(argv)
    if not 0 < args.duration <= MAX_DURATION_S or not 0 <= args.warmup <= 60:
        parser.error(f"--duration must be in (0, {MAX_DURATION_S}] seconds and --warmup in [0, 60]")
    if not 1 <= args.concurrency <= MAX_CONCURRENCY or not 1 <= args.max_requests <= MAX_REQUESTS:
        parser.error(f"--concurrency must be 1-{MAX_CONCURRENCY} and --max-requests 1-{MAX_REQUESTS:,}")
    if (args.workers is not None and args.workers < 1) or args.threads < 1:
        parser.error("--workers and --threads must be at least 1")
    return args


def default_workers() -> int:
    return 2 * (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


# --- the actors: made in the database before the load (untimed), removed after it ----------------


@dataclass
class Actors:
    """Who sends what: tokens, sessions and the ids the request classes pick from."""

    stores: list[str]  # active location codes (the floor)
    points: list[tuple[float, float]]  # near stores, for "near me"
    stock: list[tuple[str, str]]  # (sku, store code) with stock there
    products: list[int]
    terms: list[str]  # product search words
    categories: list[str]
    staff: list[dict]  # {"cookie", "csrf", "store"} one signed-in associate per pick-up store
    shoppers: list[str]  # X-Session-Token of app shoppers (each linked to a dataset customer with orders)
    devices: list[tuple[str, str]]  # (POS device token, its store code)
    load_skus: list[tuple[str, str]]  # (sku, barcode) with deep stock at every staff store
    phones: list[str]
    names: list[str]
    busy: list[int]  # customers with the busiest timelines
    linked_customers: list[int] = field(default_factory=list)
    # what the load changes on those dataset customers, put back afterwards
    loyalty_before: list[dict] = field(default_factory=list)
    audit_from: int = 0


def signed_in_session(user, *, extra: dict | None = None, mfa=None) -> str:
    """A session row with the keys an allauth sign-in leaves (password, then TOTP when `mfa`)."""
    from allauth.account.internal.flows.login import (
        _AUTHENTICATION_METHODS_USER_SESSION_KEY,
        AUTHENTICATION_METHODS_SESSION_KEY,
    )
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    now = time.time()
    records = [{"method": "password", "at": now - 1, "email": user.email}]
    if mfa is not None:
        records.append({"method": "mfa", "at": now, "id": mfa.pk, "type": mfa.type})
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "allauth.account.auth_backends.AuthenticationBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[AUTHENTICATION_METHODS_SESSION_KEY] = records
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)
    for key, value in (extra or {}).items():
        session[key] = value
    # a key of our own (after the data: a key set first is looked up, not found and dropped), so
    # that cleanup finds the run's sessions by prefix without decoding anyone else's
    session._session_key = SESSION_PREFIX + secrets.token_hex(16)
    session.save(must_create=True)
    return session.session_key


def _busiest_customers(rng: random.Random, n: int = 20) -> list[int]:
    """Customers with the most interactions: all rows when the table is small, a 1% block sample else."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'customers_interaction'")
        estimated = (cursor.fetchone() or [0])[0]
        sample = f"TABLESAMPLE SYSTEM (1) REPEATABLE ({rng.randrange(10**6)})" if estimated > 2_000_000 else ""
        cursor.execute(
            f"SELECT i.customer_id FROM customers_interaction i {sample} "  # noqa: S608 — no user input
            "JOIN customers_customer c ON c.id = i.customer_id "
            "WHERE c.merged_into_id IS NULL AND NOT c.is_anonymous "
            "GROUP BY i.customer_id ORDER BY count(*) DESC, i.customer_id LIMIT %s",
            [n],
        )
        return [row[0] for row in cursor.fetchall()]


def prepare_actors(*, concurrency: int, seed: int, log: Callable[[str], None] = print) -> Actors:
    """Make the run's users, sessions, tills and stock; read the ids the mix picks from."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.conf import settings
    from django.db import transaction
    from django.db.models import Count
    from django.middleware.csrf import _get_new_csrf_string
    from django.utils import timezone

    from customers.models import Customer, LoyaltyAccount
    from customers.normalise import format_phone
    from inventory.models import Category, Product, StockLevel, StockMovement, Variant
    from orders.models import Fulfillment, Order
    from retail.models import AuditEvent, Store, StoreMembership, User
    from retail.portal.access import SESSION_KEY as PORTAL_STORE
    from retail.services import issue_pos_device

    rng = random.Random(seed)
    cleanup_actors()
    started = time.perf_counter()
    active = list(Store.objects.active().order_by("code").values_list("code", "latitude", "longitude", "kind"))
    if not active:
        raise LookupError("The load needs the retail dataset's stores.")
    by_open = (
        Fulfillment.objects.filter(kind__in=["pickup", "curbside"], status__in=OPEN_PICKUP, location__is_active=True)
        .values("location_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "location_id")[:4]
    )
    staff_stores = list(Store.objects.filter(pk__in=[row["location_id"] for row in by_open]).order_by("code"))
    if not staff_stores:
        staff_stores = list(Store.objects.active().filter(kind=Store.Kind.STORE, pickup_enabled=True)[:2])
    if not staff_stores:
        raise LookupError("The load needs pick-up stores.")
    stock = list(
        StockLevel.objects.filter(on_hand__gt=10, location__kind=Store.Kind.STORE, location__is_active=True)
        .order_by("pk")
        .values_list("variant__sku", "location__code")[:5000]
    )
    products = list(Product.objects.filter(is_active=True).order_by("pk").values_list("pk", "name")[:2000])
    terms = sorted({w for _, name in products for w in name.split() if len(w) >= 4 and w.isalpha()})
    customers = list(
        Customer.objects.live()
        .exclude(phone="")
        .exclude(email="")
        .order_by("pk")
        .values_list("phone", "first_name", "last_name")[:300]
    )
    with_orders = list(
        Order.objects.filter(customer__isnull=False, customer__user__isnull=True, customer__merged_into__isnull=True)
        .order_by("-pk")
        .values_list("customer_id", flat=True)[:2000]
    )
    with_orders = list(dict.fromkeys(with_orders))[: max(4, min(concurrency * 2, 16))]
    loyalty_before = list(
        LoyaltyAccount.objects.filter(customer_id__in=with_orders).values(
            "customer_id", "balance", "tier_id", "spend_12m", "last_activity_at"
        )
    )
    audit_from = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    with transaction.atomic():
        category, _ = Category.objects.get_or_create(slug=f"{MARK.lower()}-cat", defaults={"name": "Load test"})
        product = Product.objects.create(
            style_code=f"{MARK}-P", name="Load test oxford shirt", category=category, base_price=Decimal("39.90")
        )
        variants = Variant.objects.bulk_create(
            [Variant(product=product, sku=f"{MARK}-{i}", barcode=f"97600000{i:05d}", size="M") for i in range(8)]
        )
        now = timezone.now()
        StockLevel.objects.bulk_create(
            [StockLevel(variant=v, location=s, on_hand=1_000_000) for v in variants for s in staff_stores]
        )
        StockMovement.objects.bulk_create(
            [
                StockMovement(variant=v, location=s, kind="receipt", quantity=1_000_000, balance_after=1_000_000,
                              reference=f"{MARK}:stock", created_at=now)
                for v in variants
                for s in staff_stores
            ]
        )  # fmt: skip
        staff, devices = [], []
        for store in staff_stores:
            user = User.objects.create_user(email=f"load.associate.{store.code.lower()}{EMAIL_DOMAIN}",
                                            full_name=f"{MARK} associate {store.code}")  # fmt: skip
            StoreMembership.objects.create(user=user, store=store, role=StoreMembership.Role.ASSOCIATE)
            TOTP.activate(user, generate_totp_secret())
            key = signed_in_session(user, mfa=Authenticator.objects.get(user=user), extra={PORTAL_STORE: store.pk})
            csrf = _get_new_csrf_string()
            staff.append(
                {
                    "cookie": f"{settings.SESSION_COOKIE_NAME}={key}; {settings.CSRF_COOKIE_NAME}={csrf}",
                    "csrf": csrf,
                    "store": store.code,
                }
            )
            _, token = issue_pos_device(store=store, name=f"{MARK} till")
            devices.append((token, store.code))
        shoppers, linked = [], []
        for i, customer_id in enumerate(with_orders):
            user = User.objects.create_user(email=f"load.shopper.{i}{EMAIL_DOMAIN}", full_name=f"{MARK} shopper {i}")
            Customer.objects.filter(pk=customer_id, user__isnull=True).update(user=user)
            linked.append(customer_id)
            shoppers.append(signed_in_session(user))
    if not shoppers:
        raise LookupError("The load needs customers with orders: the orders dataset was not built.")
    actors = Actors(
        stores=[code for code, *_ in active],
        points=[(float(lat) + rng.uniform(-0.2, 0.2), float(lng)) for _, lat, lng, _ in active[:50]],
        stock=stock,
        products=[pk for pk, _ in products],
        terms=terms[:300] or ["shirt"],
        # not the categories bench scenarios make and remove while they run (benchinv-cat, ...)
        categories=list(
            Category.objects.exclude(slug__startswith="bench")
            .exclude(slug__startswith=MARK.lower())
            .order_by("pk")
            .values_list("slug", flat=True)[:50]
        ),
        staff=staff,
        shoppers=shoppers,
        devices=devices,
        load_skus=[(v.sku, v.barcode) for v in variants],
        phones=[format_phone(phone) for phone, _, _ in customers],
        names=[f"{first} {last[:-1] if len(last) > 4 else last}" for _, first, last in customers if first and last],
        busy=_busiest_customers(rng),
        linked_customers=linked,
        loyalty_before=loyalty_before,
        audit_from=audit_from,
    )
    if not (actors.stock and actors.products and actors.phones and actors.busy):
        raise LookupError("The load needs the inventory and customers datasets (stock, products, customers).")
    log(
        f"actors ready ({time.perf_counter() - started:.1f}s): {len(staff)} associates at "
        f"{', '.join(s.code for s in staff_stores)}, {len(shoppers)} app shoppers, {len(devices)} tills, "
        f"{len(actors.busy)} busy customers"
    )
    return actors


def cleanup_actors(actors: Actors | None = None) -> None:
    """Remove what the run made (its users, sessions, tills, stock, orders, events); bench data only.

    Finds everything by its marks, so it also clears what an interrupted earlier run left. With the
    run's `actors`, also puts back the loyalty accounts of the dataset customers its app shoppers
    were linked to (checkouts recount their 12-month spend and tier) and drops those audit rows.
    """
    from django.contrib.contenttypes.models import ContentType
    from django.contrib.sessions.models import Session
    from django.db import transaction
    from django.db.models import Q

    from customers.models import (
        Customer,
        CustomerIdentity,
        Interaction,
        LoyaltyAccount,
        Note,
        PointsEntry,
        PurchasedItem,
    )
    from inventory.models import Category, Product, Reservation, StockLevel, StockMovement, Variant
    from orders.models import Fulfillment, Notification, Order, OrderLine, Payment, StatusChange
    from retail.models import AuditEvent, IdempotencyKey, OutboxMessage, PosDevice, User

    with transaction.atomic():
        users = list(User.objects.filter(email__endswith=EMAIL_DOMAIN).values_list("pk", flat=True))
        orders = Order.objects.filter(Q(lines__sku__startswith=MARK) | Q(receipt_number__startswith=MARK)).distinct()
        order_ids = list(orders.values_list("pk", flat=True))
        numbers = list(Order.objects.filter(pk__in=order_ids).values_list("number", flat=True))
        OutboxMessage.objects.filter(payload__order_id__in=order_ids).delete()
        AuditEvent.objects.filter(
            Q(actor_id__in=users) | Q(object_type="orders.order", object_id__in=[str(i) for i in order_ids])
        ).delete()
        Notification.objects.filter(
            subject_type=ContentType.objects.get_for_model(Order), subject_id__in=order_ids
        ).delete()  # a cancelled pick-up's message (the cluster rehearsal's mix)
        for model in (StatusChange, Payment, OrderLine):
            model.objects.filter(order_id__in=order_ids).delete()
        Fulfillment.objects.filter(order_id__in=order_ids).delete()
        Order.objects.filter(pk__in=order_ids).delete()
        linked = list(Customer.objects.filter(user_id__in=users).values_list("pk", flat=True))
        made = list(Customer.objects.filter(email__endswith=EMAIL_DOMAIN).values_list("pk", flat=True))
        PurchasedItem.objects.filter(Q(customer_id__in=made) | Q(sku__startswith=MARK)).delete()
        placed = set(numbers)  # the orders' timeline rows are keyed "<number>:<event>"
        order_rows = [
            pk
            for pk, key in Interaction.objects.filter(customer_id__in=linked, source="orders").values_list(
                "pk", "external_id"
            )
            if key.split(":")[0] in placed
        ]
        notes = list(Note.objects.filter(author_id__in=users).values_list("pk", flat=True))
        Interaction.objects.filter(
            Q(customer_id__in=made)
            | Q(pk__in=order_rows)
            | Q(source="notes", external_id__in=[f"note:{pk}" for pk in notes])
            | Q(customer_id__in=linked, external_id__startswith=MARK.lower())
        ).delete()
        Note.objects.filter(pk__in=notes).delete()
        AuditEvent.objects.filter(object_type="customers.customer", object_id__in=[str(pk) for pk in made]).delete()
        if actors is not None:
            _restore_loyalty(actors)
        devices = Q(value__startswith=f"{MARK.lower()}-device")
        CustomerIdentity.objects.filter(Q(customer_id__in=made) | devices).delete()
        PointsEntry.objects.filter(account__customer_id__in=made).delete()
        LoyaltyAccount.objects.filter(customer_id__in=made).delete()
        Customer.objects.filter(pk__in=made).delete()
        Customer.objects.filter(pk__in=linked).update(user=None)
        IdempotencyKey.objects.filter(scope__in=[f"user:{pk}" for pk in users]).delete()
        devices = list(PosDevice.objects.filter(name=f"{MARK} till").values_list("pk", flat=True))
        AuditEvent.objects.filter(object_type="retail.posdevice", object_id__in=[str(pk) for pk in devices]).delete()
        PosDevice.objects.filter(pk__in=devices).delete()
        Session.objects.filter(session_key__startswith=SESSION_PREFIX).delete()
        User.objects.filter(pk__in=users).delete()  # memberships and authenticators cascade
        Reservation.objects.filter(variant__sku__startswith=MARK).delete()
        StockMovement.objects.filter(variant__sku__startswith=MARK).delete()
        StockLevel.objects.filter(variant__sku__startswith=MARK).delete()
        Variant.objects.filter(sku__startswith=MARK).delete()
        Product.objects.filter(style_code__startswith=MARK).delete()
        Category.objects.filter(slug__startswith=MARK.lower()).delete()


def _restore_loyalty(actors: Actors) -> None:
    from customers.models import LoyaltyAccount
    from retail.models import AuditEvent

    kept = {row["customer_id"]: row for row in actors.loyalty_before}
    LoyaltyAccount.objects.filter(customer_id__in=set(actors.linked_customers) - set(kept)).delete()
    for customer_id, row in kept.items():
        LoyaltyAccount.objects.filter(customer_id=customer_id).update(
            **{k: v for k, v in row.items() if k != "customer_id"}
        )
    AuditEvent.objects.filter(
        pk__gt=actors.audit_from,
        action="loyalty.tier_changed",
        object_type="customers.customer",
        object_id__in=[str(pk) for pk in actors.linked_customers],
    ).delete()


# --- the mix --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict
    body: bytes | None = None


@dataclass(frozen=True)
class LoadClass:
    name: str
    weight: int
    description: str
    build: Callable[[random.Random, Actors, str], Request]
    expect: frozenset = frozenset({200})
    body_must_contain: bytes | None = None


JSON = {"Accept": "application/json"}
HTMX = {"HX-Request": "true"}


def get_request(path: str, headers: dict | None = None) -> Request:
    return Request("GET", path, {**JSON, **(headers or {})})


def post_request(path: str, payload: dict, headers: dict | None = None) -> Request:
    return Request(
        "POST", path, {**JSON, "Content-Type": "application/json", **(headers or {})}, json.dumps(payload).encode()
    )


def _portal(rng: random.Random, actors: Actors, path: str, *, htmx: bool = True) -> Request:
    staff = rng.choice(actors.staff)
    return Request("GET", path, {"Cookie": staff["cookie"], "Accept": "text/html", **(HTMX if htmx else {})})


def _q(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


def _events(rng: random.Random, actors: Actors, tag: str) -> Request:
    stamp = datetime.now(UTC).replace(microsecond=0).isoformat()
    shopper = rng.randrange(len(actors.shoppers))
    device = f"{MARK.lower()}-device-{shopper}"  # one app install per shopper: no device shared by two
    events = [
        {
            "id": f"{MARK.lower()}-{tag}-{i}",
            "kind": "product_view",
            "channel": "app",
            "occurred_at": stamp,
            "subject": rng.choice(actors.stock)[0],
            "data": {"list": "home", "position": i},
            "identities": {"app_install": device},
        }
        for i in range(20)
    ]
    return post_request("/api/v1/events/", {"events": events}, {"X-Session-Token": actors.shoppers[shopper]})


def _pos_sale(rng: random.Random, actors: Actors, tag: str) -> Request:
    token, _ = rng.choice(actors.devices)
    (sku, _), (_, barcode) = rng.sample(actors.load_skus, 2)
    sale = {
        "receipt_number": f"{MARK}-{tag}",
        "lines": [{"sku": sku, "quantity": 1}, {"barcode": barcode, "quantity": 2}],
        "tenders": [{"method": "card", "amount": "119.70", "brand": "visa", "last4": "4242"}],
    }
    if rng.random() < 0.5:
        sale["customer"] = {"email": f"load.pos{rng.randrange(50)}{EMAIL_DOMAIN}"}
    return post_request("/api/v1/pos/sales/", sale, {"Authorization": f"Device {token}"})


def checkout_request(rng: random.Random, actors: Actors, tag: str) -> Request:
    skus = [sku for sku, _ in rng.sample(actors.load_skus, 3)]
    order = {
        "channel": "app",
        "lines": [{"sku": sku, "quantity": 1 + i % 2} for i, sku in enumerate(skus)],
        "fulfillment": {"kind": "pickup", "store": rng.choice(actors.staff)["store"]},
        "payments": [{"method": "card", "token": "tok_visa_4242"}],
    }
    return post_request(
        "/api/v1/orders/", order, {"X-Session-Token": rng.choice(actors.shoppers), "Idempotency-Key": str(uuid.uuid4())}
    )


def _note(rng: random.Random, actors: Actors, tag: str) -> Request:
    staff = rng.choice(actors.staff)
    body = f"body={_q(f'Asked about the linen range ({tag})')}&pinned="
    return Request(
        "POST",
        f"/portal/customers/{rng.choice(actors.busy)}/notes/",
        {"Cookie": staff["cookie"], "X-CSRFToken": staff["csrf"], "Origin": staff["origin"], "Accept": "text/html",
         "Content-Type": "application/x-www-form-urlencoded", **HTMX},
        body.encode(),
    )  # fmt: skip


def _near(rng: random.Random, actors: Actors) -> str:
    lat, lng = rng.choice(actors.points)
    return f"{lat:.4f},{lng:.4f}"


# weights per 100 requests: a shop day is mostly app/web browsing; tills and the portal are steady
CLASSES: list[LoadClass] = [
    LoadClass("floor", 4, "GET /api/v1/stores/<code>/ (the floor: one indexed row)",
              lambda r, a, t: get_request(f"/api/v1/stores/{r.choice(a.stores)}/")),
    LoadClass("healthz", 2, "GET /healthz (the load balancer's liveness probe)",
              lambda r, a, t: get_request("/healthz")),
    LoadClass("catalog.search", 14, "GET /api/v1/products/?q=<word> or ?category=<slug>",
              lambda r, a, t: get_request(f"/api/v1/products/?q={_q(r.choice(a.terms))}" if r.random() < 0.7
                                   else f"/api/v1/products/?category={_q(r.choice(a.categories))}")),
    LoadClass("catalog.detail", 14, "GET /api/v1/products/<id>/",
              lambda r, a, t: get_request(f"/api/v1/products/{r.choice(a.products)}/")),
    LoadClass("availability.near", 10, "GET /api/v1/availability/?sku=<sku>&near=<lat,lng>",
              lambda r, a, t: get_request(f"/api/v1/availability/?sku={_q(r.choice(a.stock)[0])}&near={_near(r, a)}")),
    LoadClass("availability.store", 8, "GET /api/v1/availability/?sku=<sku>&store=<code> (a SKU stocked there)",
              lambda r, a, t: get_request("/api/v1/availability/?sku={}&store={}".format(*map(_q, r.choice(a.stock))))),
    LoadClass("app.orders", 6, "GET /api/v1/me/orders/ (X-Session-Token; a shopper with orders)",
              lambda r, a, t: get_request("/api/v1/me/orders/", {"X-Session-Token": r.choice(a.shoppers)})),
    LoadClass("app.lists", 4, "GET /api/v1/me/lists/ (X-Session-Token)",
              lambda r, a, t: get_request("/api/v1/me/lists/", {"X-Session-Token": r.choice(a.shoppers)})),
    LoadClass("app.events", 10, "POST /api/v1/events/: 20 product views from a signed-in app", _events,
              body_must_contain=b'"rejected":[]'),
    LoadClass("app.checkout", 2, "POST /api/v1/orders/: 3 lines for pick-up, card (Idempotency-Key)", checkout_request,
              expect=frozenset({201})),
    LoadClass("pos.sale", 8, "POST /api/v1/pos/sales/: a till's receipt of 2 lines, half with a shopper", _pos_sale,
              expect=frozenset({201})),
    LoadClass("portal.search.phone", 3, "GET /portal/customers/?q=<national phone>&typeahead=1 (htmx)",
              lambda r, a, t: _portal(r, a, f"/portal/customers/?q={_q(r.choice(a.phones))}&typeahead=1")),
    LoadClass("portal.search.name", 3, "GET /portal/customers/?q=<first last, a letter short>&typeahead=1 (htmx)",
              lambda r, a, t: _portal(r, a, f"/portal/customers/?q={_q(r.choice(a.names))}&typeahead=1")),
    LoadClass("portal.shell", 3, "GET /portal/customers/<id>/ (htmx) for customers with the busiest timelines",
              lambda r, a, t: _portal(r, a, f"/portal/customers/{r.choice(a.busy)}/")),
    LoadClass("portal.note", 1, "POST /portal/customers/<id>/notes/ (htmx, CSRF token): an associate's note", _note),
    LoadClass("portal.pickups", 4, "GET /portal/orders/pickups/?tab=... (the store's open pick-ups)",
              lambda r, a, t: _portal(r, a, "/portal/orders/pickups/?tab="
                                      + r.choice(["to_pick", "ready", "picking", "overdue"]), htmx=False)),
    LoadClass("portal.stock", 4, "GET /portal/stock/?q=<sku> (htmx): this store, then the nearest with stock",
              lambda r, a, t: _portal(r, a, f"/portal/stock/?q={_q(r.choice(a.stock)[0])}")),
]  # fmt: skip


# --- gunicorn -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn on 127.0.0.1:<free port> in its own process group; stopped with SIGTERM, then SIGKILL."""

    def __init__(self, *, env: dict, workers: int, threads: int, count_queries: bool, log_path: Path):
        self.port = free_port()
        self.workers, self.threads = workers, threads
        self.worker_class = "gthread" if threads > 1 else "sync"
        self.app = "benchmarks.load_wsgi:application" if count_queries else "retail.wsgi:application"
        self.env, self.log_path = env, log_path
        self.process: subprocess.Popen | None = None

    def describe(self) -> dict:
        return {
            "app": self.app,
            "bind": f"127.0.0.1:{self.port}",
            "workers": self.workers,
            "threads": self.threads,
            "worker_class": self.worker_class,
        }

    def start(self) -> None:
        from django.conf import settings

        gunicorn = Path(sys.executable).with_name("gunicorn")
        # no control socket: its default path is one per user, shared with any other gunicorn
        command = [str(gunicorn), self.app, "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers),
                   "--worker-class", self.worker_class, "--threads", str(self.threads), "--timeout", "60",
                   "--graceful-timeout", "10", "--keep-alive", "5", "--backlog", "512",
                   "--no-control-socket"]  # fmt: skip
        with self.log_path.open("w") as out:
            self.process = subprocess.Popen(
                command, cwd=settings.BASE_DIR, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches the load tool, which stops gunicorn itself
            )  # fmt: skip
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/readyz", headers={"X-Forwarded-Proto": "https"})
                if conn.getresponse().status == 200:
                    conn.close()
                    return
                conn.close()
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn was not ready (/readyz) within {START_TIMEOUT_S}s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=15)
        except ProcessLookupError:
            pass

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text()[-chars:]
        except OSError:
            return ""


# --- the clients ----------------------------------------------------------------------------------


@dataclass
class Sample:
    cls: str
    ms: float
    status: int
    ok: bool
    queries: int | None


class Budget:
    """The total request cap, shared by the client threads."""

    def __init__(self, limit: int):
        self.left = limit
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            if self.left <= 0:
                return False
            self.left -= 1
            return True


RETRYABLE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, http.client.CannotSendRequest)


def _readable(body: bytes) -> str:
    """An error page's text without its markup, styles and scripts (JSON bodies as they are)."""
    text = body.decode(errors="replace")
    if text.lstrip().startswith("<"):
        text = re.sub(r"(?s)<(style|script)\b.*?</\1>|<[^>]+>", " ", text)
    return " ".join(text.split())


class Client(threading.Thread):
    """One keep-alive connection; classes drawn by weight from a generator seeded per thread."""

    classes: list[LoadClass] = CLASSES  # the mix (a subclass may add to it)

    def __init__(self, index: int, *, port: int, actors: Actors, seed: int, until: float, budget: Budget, stop):
        super().__init__(name=f"load-client-{index}", daemon=True)
        self.index, self.port, self.actors = index, port, actors
        self.rng = random.Random(seed * 1_000 + index)
        self.until, self.budget, self.stop = until, budget, stop
        self.samples: list[Sample] = []
        self.error_bodies: dict[str, list[str]] = {}
        self.reconnects = 0
        self.run_tag = secrets.token_hex(3)
        weights = [c.weight for c in self.classes]
        total = sum(weights)
        self.cumulative = [sum(weights[: i + 1]) / total for i in range(len(weights))]

    def _pick(self, n: int) -> LoadClass:
        if self.index == 0 and n <= len(self.classes):
            return self.classes[n - 1]  # thread 0 opens with one of each: even a short run measures every class
        x = self.rng.random()
        for cls, edge in zip(self.classes, self.cumulative, strict=True):
            if x < edge:
                return cls
        return self.classes[-1]

    def _send(self, conn: http.client.HTTPConnection, request: Request) -> tuple[int, bytes, str | None]:
        conn.request(request.method, request.path, body=request.body, headers=request.headers)
        response = conn.getresponse()
        body = response.read()
        return response.status, body, response.getheader(QUERIES_HEADER)

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        n = 0
        # thread 0 sends its one of each class even past the deadline (on a busy machine 3 s did not
        # reach the last classes): a short run still measures every class; the budget still bounds it
        while (
            not self.stop.is_set()
            and (time.monotonic() < self.until or (self.index == 0 and n < len(self.classes)))
            and self.budget.take()
        ):
            n += 1
            cls = self._pick(n)
            request = cls.build(self.rng, self.actors, f"{self.run_tag}-{self.index}-{n}")
            headers = {"X-Forwarded-Proto": "https", "User-Agent": "omnistore-load", **request.headers}
            request = Request(request.method, request.path, headers, request.body)
            started = time.perf_counter_ns()
            try:
                try:
                    status, body, queries = self._send(conn, request)
                except RETRYABLE:
                    # the server closed an idle keep-alive connection: a new one, timed afresh
                    conn.close()
                    self.reconnects += 1
                    started = time.perf_counter_ns()
                    status, body, queries = self._send(conn, request)
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                status, body, queries = 0, repr(exc).encode(), None
            elapsed = (time.perf_counter_ns() - started) / 1e6
            ok = status in cls.expect and (cls.body_must_contain is None or cls.body_must_contain in body)
            if not ok:
                bodies = self.error_bodies.setdefault(cls.name, [])
                if len(bodies) < 3:
                    bodies.append(f"HTTP {status}: {_readable(body)[:300]}")
            self.samples.append(Sample(cls.name, elapsed, status, ok, int(queries) if queries else None))
        conn.close()


def drive(
    *,
    port: int,
    actors: Actors,
    seconds: float,
    concurrency: int,
    max_requests: int,
    seed: int,
    stop,
    client_class=None,
):
    """Run the client threads for `seconds` or `max_requests`; (samples, error bodies, reconnects, wall s).

    `client_class` (a Client subclass) changes how a request is sent: the cluster rehearsal's retries."""
    budget = Budget(max_requests)
    started = time.monotonic()
    clients = [
        (client_class or Client)(
            i, port=port, actors=actors, seed=seed, until=started + seconds, budget=budget, stop=stop
        )
        for i in range(concurrency)
    ]
    for client in clients:
        client.start()
    for client in clients:
        while client.is_alive():
            client.join(timeout=0.5)  # short joins: Ctrl-C is seen at once
    wall = time.monotonic() - started
    samples = [s for c in clients for s in c.samples]
    errors: dict[str, list[str]] = {}
    for c in clients:
        for name, bodies in c.error_bodies.items():
            errors.setdefault(name, []).extend(bodies)
    return samples, {k: v[:3] for k, v in errors.items()}, sum(c.reconnects for c in clients), wall


# --- the report -----------------------------------------------------------------------------------


def _stats(samples: list[Sample], wall: float) -> dict:
    good = [s.ms for s in samples if s.ok]
    queries = [s.queries for s in samples if s.ok and s.queries is not None]

    def ms(q: float) -> float | None:
        return round(percentile(good, q), 3) if good else None

    return {
        "count": len(samples),
        "errors": sum(not s.ok for s in samples),
        "p50_ms": ms(50),
        "p95_ms": ms(95),
        "p99_ms": ms(99),
        "max_ms": round(max(good), 3) if good else None,
        "mean_ms": round(sum(good) / len(good), 3) if good else None,
        "throughput_rps": round(len(samples) / wall, 2) if wall > 0 else None,
        "queries_per_request": (
            {"min": min(queries), "max": max(queries), "mean": round(sum(queries) / len(queries), 2)}
            if queries
            else None
        ),
    }


def summarise(
    samples: list[Sample], errors: dict[str, list[str]], wall: float, mix: list[LoadClass] | None = None
) -> dict:
    classes = []
    for cls in mix or CLASSES:
        mine = [s for s in samples if s.cls == cls.name]
        classes.append(
            {"name": cls.name, "weight": cls.weight, "description": cls.description, **_stats(mine, wall),
             "error_bodies": errors.get(cls.name, [])}
        )  # fmt: skip
    floor = next(c for c in classes if c["name"] == "floor")
    for c in classes:
        c["ratio_p95_to_floor"] = (
            round(c["p95_ms"] / floor["p95_ms"], 2) if c["p95_ms"] and floor["p95_ms"] and not c["errors"] else None
        )
    return {"overall": _stats(samples, wall), "floor_p95_ms": floor["p95_ms"], "classes": classes}


def _fmt(value, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def _queries(q: dict | None) -> str:
    if not q:
        return "-"
    return str(q["min"]) if q["min"] == q["max"] else f"{q['min']}-{q['max']} ({q['mean']:g})"


def format_table(summary: dict) -> str:
    header = ["class", "count", "errors", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "queries", "p95/floor"]
    rows = []
    for c in [*summary["classes"], {"name": "overall", **summary["overall"]}]:
        ratio = "1.00x (floor)" if c["name"] == "floor" and c.get("ratio_p95_to_floor") else None
        rows.append(
            [c["name"], str(c["count"]), str(c["errors"]), _fmt(c["throughput_rps"], 1), _fmt(c["p50_ms"]),
             _fmt(c["p95_ms"]), _fmt(c["p99_ms"]), _fmt(c["max_ms"]), _queries(c["queries_per_request"]),
             ratio or (f"{c['ratio_p95_to_floor']:.2f}x" if c.get("ratio_p95_to_floor") else "-")]
        )  # fmt: skip
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells):
        cells = (c.ljust(w) if i in (0, 8) else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True)))
        return "  ".join(cells).rstrip()

    out = [line(header), line(["-" * w for w in widths]), *[line(r) for r in rows[:-1]]]
    out += [line(["-" * w for w in widths]), line(rows[-1])]
    for c in summary["classes"]:
        for body in c["error_bodies"]:
            out.append(f"ERROR {c['name']}: {body}")
    return "\n".join(out)


# --- the run --------------------------------------------------------------------------------------


@dataclass
class LoadRun:
    summary: dict
    server: dict
    settings: dict
    reconnects: int
    client_cpu_s: float
    wall_s: float

    @property
    def failed(self) -> bool:
        return bool(self.summary["overall"]["errors"]) or any(c["count"] == 0 for c in self.summary["classes"])


def run_load(
    *,
    env: dict,
    duration: float,
    concurrency: int,
    workers: int,
    threads: int = 1,
    warmup: float = 5,
    max_requests: int = 200_000,
    seed: int = 42,
    count_queries: bool = True,
    log_dir: Path | None = None,
    log: Callable[[str], None] = print,
) -> LoadRun:
    """Prepare the actors, start gunicorn with `env`, warm up, drive the load, stop, clean up."""
    import tempfile

    from django.db import connection

    duration = min(duration, MAX_DURATION_S)
    max_requests = min(max_requests, MAX_REQUESTS)
    stop = threading.Event()
    folder = Path(log_dir or tempfile.mkdtemp(prefix="omni-load-"))
    server = Server(env=env, workers=workers, threads=threads, count_queries=count_queries,
                    log_path=folder / "gunicorn.log")  # fmt: skip
    actors = None
    try:
        actors = prepare_actors(concurrency=concurrency, seed=seed, log=log)
        connection.close()  # the parent holds no connection while the load runs
        server.start()
        for staff in actors.staff:  # gunicorn trusts X-Forwarded-Proto from 127.0.0.1: the request is https
            staff["origin"] = f"https://127.0.0.1:{server.port}"
        log(
            f"gunicorn {server.worker_class}, {workers} workers x {threads} threads on 127.0.0.1:{server.port} "
            f"(log: {server.log_path})"
        )
        if warmup > 0:
            drive(port=server.port, actors=actors, seconds=warmup, concurrency=concurrency,
                  max_requests=max_requests, seed=seed + 1, stop=stop)  # fmt: skip
        log(f"load: {concurrency} client threads for {duration:g}s (at most {max_requests:,} requests)")
        cpu = time.process_time()
        samples, errors, reconnects, wall = drive(port=server.port, actors=actors, seconds=duration,
                                                  concurrency=concurrency, max_requests=max_requests, seed=seed,
                                                  stop=stop)  # fmt: skip
        cpu = time.process_time() - cpu
    except KeyboardInterrupt:
        stop.set()
        log("interrupted: stopping gunicorn and removing what the run made")
        raise
    finally:
        stop.set()
        server.stop()
        connection.close()
        cleanup_actors(actors)
    from benchmarks.report import settings_info

    return LoadRun(
        summary=summarise(samples, errors, wall),
        server=server.describe(),
        settings=settings_info(),
        reconnects=reconnects,
        client_cpu_s=round(cpu, 2),
        wall_s=round(wall, 2),
    )


def write_results(path: Path, run: LoadRun, *, machine: dict, dataset: list[dict], extra: dict) -> None:
    from benchmarks.report import dataset_rows

    document = {
        **extra,
        "machine": machine,
        "settings": run.settings,
        "server": run.server,
        "dataset": dataset,
        "dataset_rows_estimated": dataset_rows(),
        "wall_s": run.wall_s,
        "client_cpu_s": run.client_cpu_s,
        "reconnects": run.reconnects,
        **run.summary,
    }
    path.write_text(json.dumps(document, indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    from benchmarks.run import check_bench_database, configure_environment, prepare_database

    args = parse_args(argv)
    cfg = check_bench_database(args.database_url)
    configure_environment(args)

    import django

    django.setup()
    from django.conf import settings

    from benchmarks.build import DatasetMismatch, ensure_dataset
    from benchmarks.registry import discover
    from benchmarks.report import machine_info
    from benchmarks.scales import get_scale

    if settings.DEBUG:
        raise SystemExit("DEBUG is on: the load must run without it.")
    scale = get_scale(args.scale)
    started_at = datetime.now(UTC)
    prepare_database(cfg, rebuild=False)
    try:
        built = ensure_dataset(scale=scale, registry=discover(), seed=args.seed)
    except DatasetMismatch as exc:
        raise SystemExit(
            f"The bench database holds another dataset ({exc}). The load never rebuilds it: run "
            f"`make bench SCALE={scale.name} BENCH_ARGS=--rebuild` first, or point BENCH_DATABASE_URL elsewhere."
        ) from None
    workers = args.workers or default_workers()
    env = dict(os.environ)

    def interrupted(signum, frame):
        raise KeyboardInterrupt  # SIGTERM (a CI cancel, `timeout`) stops and cleans up as Ctrl-C does

    signal.signal(signal.SIGTERM, interrupted)
    load_before = [round(v, 2) for v in os.getloadavg()]  # machine_info's is taken after the run
    try:
        run = run_load(env=env, duration=args.duration, concurrency=args.concurrency, workers=workers,
                       threads=args.threads, warmup=args.warmup, max_requests=args.max_requests, seed=args.seed,
                       count_queries=not args.no_query_count)  # fmt: skip
    except KeyboardInterrupt:
        return 130
    machine = machine_info()
    print()
    print(
        f"Omnistore load over HTTP, scale {scale.name}, {args.concurrency} clients, {run.wall_s:g}s, "
        f"gunicorn {run.server['worker_class']} {run.server['workers']}x{run.server['threads']}, "
        f"{started_at:%Y-%m-%d %H:%M} UTC: {machine['cpu_model']}, {machine['cpu_cores']} cores, "
        f"{machine['ram_gb']} GB RAM, PostgreSQL {machine['postgresql']}, "
        f"load {' '.join(map(str, load_before))} before, "
        f"{' '.join(map(str, machine['load_average_1m_5m_15m'] or []))} after"
    )
    print(format_table(run.summary))
    print(f"client CPU {run.client_cpu_s}s over {run.wall_s}s; keep-alive reconnects {run.reconnects}")
    output = args.output or LOAD_RESULTS_PATH
    write_results(
        output,
        run,
        machine=machine,
        dataset=[b.to_dict() for b in built],
        extra={
            "scale": scale.name,
            "started_at": started_at.isoformat(timespec="seconds"),
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "argv": sys.argv[1:] if argv is None else argv,
            "load_average_before_1m_5m_15m": load_before,
            "load": {
                "duration_s": args.duration,
                "warmup_s": args.warmup,
                "concurrency": args.concurrency,
                "max_requests": args.max_requests,
                "seed": args.seed,
            },
        },
    )
    print(f"\nwrote {output}")
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
