"""Import of historical transactions (`manage.py import_transactions`): purchases made before
Omnistore, onto the customers' timelines.

A historical row becomes what `record_purchase` writes for a purchase: an `Interaction` of kind
purchase (source "import:transactions", idempotent by external id) with one `PurchasedItem` line,
then the customer's channels, last-seen time and loyalty tier. It does not become an `Order`:
an order is an order-engine record (lines tied to catalog variants, fulfilments, payments, a
return window) and a summary row (quantity, amount, no SKU, no payment) has none of that; making
fake ones would let shoppers "return" history and skew pick-up and returns figures.

The file is streamed twice and never held in memory: pass 1 checks every row and resolves the
customers and stores it names in bulk, chunk by chunk (errors are "line N: ..."); only when the
whole file is clean, pass 2 writes it in batches inside one transaction (one statement per batch,
the idempotency keys first ON CONFLICT DO NOTHING, like event ingestion).
"""

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.imports import CENT, HeaderError, ImportReport, Opener, Progress, read_rows
from customers.models import Customer, CustomerIdentity, Interaction
from customers.models.loyalty import LoyaltyAccount, LoyaltyTier
from customers.normalise import normalise_card, normalise_email
from customers.services.loyalty import converted_spend, spend_by_currency
from customers.services.profiles import live_profile
from customers.services.timeline import INSERT_INTERACTIONS_SQL
from customers.timeline_messages import MESSAGE_KEY
from retail.domain.channel import Channel
from retail.domain.money import is_whole_minor_units
from retail.exchange_rates import rates_on
from retail.markets import home_currency
from retail.messages import Message, say
from retail.models import AuditEvent, Store, User
from retail.services import record_audit_event
from retail.spreadsheets import line_error

REQUIRED = ["date", "quantity", "amount", "channel"]
OPTIONAL = ["transaction_id", "customer_id", "email", "card_number", "store", "sku", "category", "currency"]
SOURCE = "import:transactions"
# Whole sentences per way of naming the customer, so each language words "email" and "card" itself.
NO_CUSTOMER = {
    "id": gettext_lazy("no customer with id %(value)s (import the customers first)"),
    "email": gettext_lazy("no customer with email %(value)s (import the customers first)"),
    "card": gettext_lazy("no customer with card %(value)s (import the customers first)"),
}
HISTORIC_SKU = "HISTORIC"
CHUNK = 5000
TRANSACTION_HELP = (
    "Required: date (YYYY-MM-DD, read as noon in the shop's time zone, or an ISO time), quantity (whole "
    "number > 0), amount (paid, >= 0, at most 2 decimals), channel (app, web, store, phone, kiosk); and the "
    "customer by customer_id, email or card_number (one is enough; the customer must exist). Optional: "
    "transaction_id (the source system's id; without it a row is identified by its content), store (a store "
    f"code; required for channel store), sku (default {HISTORIC_SKU}), category, currency (default "
    f"{settings.CURRENCY}).\nEach row becomes a purchase on the customer's timeline, counted for tiers."
)


@dataclass(slots=True)
class _Txn:
    line: int
    external_id: str
    customer_ref: tuple[str, str]
    occurred_at: datetime
    quantity: int
    amount: Decimal
    channel: str
    store: str
    sku: str
    category: str
    currency: str


class _Parser:
    """Checks rows; caches what repeats (dates, emails) so a large file parses quickly."""

    def __init__(self, report: ImportReport):
        self.report = report
        self.now = timezone.now()
        self.tz = timezone.get_current_timezone()
        self.dates: dict[str, datetime | None] = {}
        self.emails: dict[str, str | None] = {}
        self.seen: dict[str, int] = {}

    def _date(self, raw: str) -> datetime | None:
        if raw not in self.dates:
            value = None
            try:
                if len(raw) == 10:
                    value = datetime.combine(date.fromisoformat(raw), clock(12), tzinfo=self.tz)
                else:
                    value = parse_datetime(raw)
                    if value is not None and timezone.is_naive(value):
                        value = timezone.make_aware(value, self.tz)
            except ValueError:
                value = None
            self.dates[raw] = value
        return self.dates[raw]

    def _email(self, raw: str) -> str | None:
        if raw not in self.emails:
            try:
                self.emails[raw] = normalise_email(raw)
            except ValidationError:
                self.emails[raw] = None
        return self.emails[raw]

    def parse(self, line: int, row: dict) -> _Txn | None:
        report, errors = self.report, len(self.report.errors)
        if "__error__" in row:
            report.error(line, row["__error__"])
            return None
        ref: tuple[str, str] | None = None
        if row.get("customer_id"):
            if row["customer_id"].isdigit():
                ref = ("id", row["customer_id"])
            else:
                report.error(line, _("customer_id %(value)r is not a number") % {"value": row["customer_id"]})
        elif row.get("email"):
            email = self._email(row["email"])
            if email:
                ref = ("email", email)
            else:
                report.error(line, _("email %(value)r is not an email address") % {"value": row["email"]})
        elif row.get("card_number"):
            ref = ("card", normalise_card(row["card_number"]))
        else:
            report.error(line, _("name the customer: customer_id, email or card_number"))
        occurred_at = self._date(row["date"])
        if occurred_at is None:
            report.error(
                line,
                _("date %(value)r is not a date like 2025-03-14 (or 2025-03-14T10:30:00+00:00)")
                % {"value": row["date"]},
            )
        elif occurred_at > self.now:
            report.error(line, _("date %(value)s is in the future") % {"value": row["date"]})
        quantity = int(row["quantity"]) if row["quantity"].isdigit() and len(row["quantity"]) < 7 else 0
        if not 0 < quantity <= 100_000:
            report.error(
                line, _("quantity %(value)r must be a whole number from 1 to 100000") % {"value": row["quantity"]}
            )
        try:
            amount = Decimal(row["amount"])
            if not amount.is_finite() or amount < 0 or amount >= 10**9 or not is_whole_minor_units(amount):
                raise InvalidOperation
        except InvalidOperation:
            amount = CENT
            report.error(
                line,
                _("amount %(value)r must be 0 or more with at most 2 decimals, e.g. 59.90") % {"value": row["amount"]},
            )
        channel = row["channel"].lower()
        if channel not in Channel.values:
            report.error(
                line,
                _("channel %(value)r must be one of %(channels)s")
                % {"value": row["channel"], "channels": ", ".join(Channel.values)},
            )
        store = row.get("store", "")
        if channel == Channel.STORE and not store:
            report.error(line, _("a store purchase needs the store code"))
        sku = row.get("sku") or HISTORIC_SKU
        if len(sku) > 64:
            report.error(line, _("sku is longer than 64 characters"))
        currency = (row.get("currency") or settings.CURRENCY).upper()
        if len(currency) != 3 or not currency.isalpha():
            report.error(line, _("currency %(value)r is not a 3-letter code") % {"value": currency})
        transaction_id = row.get("transaction_id", "")
        if len(transaction_id) > 80:
            report.error(line, _("transaction_id is longer than 80 characters"))
        if len(report.errors) != errors:
            return None
        if transaction_id:
            external_id = f"id:{transaction_id}"
            if self.seen.setdefault(external_id, line) != line:
                report.error(
                    line,
                    _("transaction_id %(value)s is also on line %(other)s")
                    % {"value": transaction_id, "other": self.seen[external_id]},
                )
                return None
        else:
            # Content plus the occurrence number among identical rows: stable when rows are
            # re-ordered or the file is exported again, and two equal purchases stay two.
            parts = (*ref, occurred_at.isoformat(), str(quantity), str(amount), channel, store, sku, currency)
            content = "|".join(parts)
            digest = hashlib.sha256(content.encode()).hexdigest()[:40]
            occurrence = self.seen.get(digest, 0) + 1
            self.seen[digest] = occurrence
            external_id = f"row:{digest}:{occurrence}"
        return _Txn(line, external_id, ref, occurred_at, quantity, amount, channel, store, sku,
                    row.get("category", "")[:60], currency)  # fmt: skip


def _chunks(opener: Opener, report: ImportReport, progress: Progress | None, phase: str) -> Iterator[list[_Txn]]:
    parser = _Parser(report)
    chunk: list[_Txn] = []
    rows = 0
    for rows, (line, row) in enumerate(read_rows(opener, required=REQUIRED, optional=OPTIONAL), start=1):
        txn = parser.parse(line, row)
        if txn is not None:
            chunk.append(txn)
        if rows % CHUNK == 0:
            yield chunk
            chunk = []
            if progress:
                progress(phase, rows)
    report.rows = rows
    yield chunk
    if progress and rows % CHUNK:
        progress(phase, rows)


def _resolve_customers(refs: set[tuple[str, str]]) -> dict[tuple[str, str], int | None]:
    """(kind, value) -> the primary key of the live profile, or None (unknown, erased or anonymous)."""
    found: dict[tuple[str, str], Customer] = {}
    ids = [int(value) for kind, value in refs if kind == "id"]
    for customer in Customer.objects.filter(pk__in=ids).only("id", "merged_into", "erased_at", "is_anonymous"):
        found[("id", str(customer.pk))] = customer
    for kind in ("email", "card"):
        values = [value for k, value in refs if k == kind]
        if values:
            identities = CustomerIdentity.objects.filter(kind=kind, value__in=values).select_related("customer")
            for identity in identities.only(
                "value", "customer__id", "customer__merged_into", "customer__erased_at", "customer__is_anonymous"
            ):
                found[(kind, identity.value)] = identity.customer
    resolved: dict[tuple[str, str], int | None] = dict.fromkeys(refs)
    for key, customer in found.items():
        if customer.merged_into_id:
            customer = live_profile(customer)
        if not customer.erased_at and not customer.is_anonymous:
            resolved[key] = customer.pk
    return resolved


def import_transactions(
    *,
    opener: Opener,
    actor: User | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Check the whole file, then (if clean and not a dry run) write it; see the module docstring."""
    report = ImportReport()
    customers: dict[tuple[str, str], int | None] = {}
    stores: dict[str, int | None] = {}
    try:
        for chunk in _chunks(opener, report, progress, "checking"):
            new_refs = {t.customer_ref for t in chunk} - customers.keys()
            if new_refs:
                customers.update(_resolve_customers(new_refs))
            new_codes = {t.store for t in chunk if t.store} - stores.keys()
            if new_codes:
                known = dict(Store.objects.filter(code__in=new_codes).values_list("code", "pk"))
                stores.update({code: known.get(code) for code in new_codes})
            for txn in chunk:
                if customers[txn.customer_ref] is None:
                    kind, value = txn.customer_ref
                    report.error(txn.line, NO_CUSTOMER[kind] % {"value": value})
                if txn.store and stores[txn.store] is None:
                    report.error(txn.line, _("unknown store %(code)r") % {"code": txn.store})
    except HeaderError as exc:
        report.errors.append(str(exc))
        return report
    report.errors.sort(key=lambda e: e.line if getattr(e, "line", None) is not None else 1e12)
    if not report.rows and not report.errors:
        report.errors.append(line_error(2, _("the file has no data rows")))
    if report.errors or dry_run:
        return report
    with transaction.atomic():
        touched: dict[int, tuple[set, datetime]] = {}
        for chunk in _chunks(opener, report, progress, "importing"):
            _write(chunk, customers, stores, report, touched)
        _after_purchases(touched)
        record_audit_event(
            actor=actor,
            action="customers.transactions_imported",
            object_type="customers.interaction",
            details={"rows": report.rows, "created": report.created, "unchanged": report.unchanged},
        )
    return report


def _interaction_values(txn: _Txn, historical: Message) -> tuple[str, dict]:
    """A purchase without its number says `historical` ("Historical purchase"), worded when read."""
    number = txn.external_id.removeprefix("id:")
    amount = str(txn.amount)
    line = {"sku": txn.sku, "qty": txn.quantity, "amount": amount, "category": txn.category, "size": ""}
    data = {"order_number": number, "total": amount, "currency": txn.currency, "lines": [line]}
    if txn.external_id.startswith("id:"):
        return number, data
    return historical.subject, {**data, MESSAGE_KEY: historical.stored}


_INSERT_ITEMS = """
    INSERT INTO customers_purchaseditem
        (customer_id, interaction_id, sku, category, size, quantity, amount, channel, occurred_at)
    SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::varchar[], %s::varchar[], %s::varchar[], %s::int[],
                         %s::numeric[], %s::varchar[], %s::timestamptz[])
"""


def _write(chunk: list[_Txn], customers: dict, stores: dict, report: ImportReport, touched: dict) -> None:
    if not chunk:
        return
    now = timezone.now()
    historical = say("customers.historical_purchase")
    columns: list[list] = [[] for _ in range(10)]
    for txn in chunk:
        subject, data = _interaction_values(txn, historical)
        for column, value in zip(columns, (
            customers[txn.customer_ref], txn.channel, Interaction.Kind.PURCHASE, txn.occurred_at,
            stores.get(txn.store), subject, json.dumps(data), SOURCE, txn.external_id, now,
        ), strict=True):  # fmt: skip
            column.append(value)
    with connection.cursor() as cursor:
        cursor.execute(INSERT_INTERACTIONS_SQL, columns)
        inserted = {external_id: pk for pk, _, external_id in cursor.fetchall()}
        fresh = [t for t in chunk if t.external_id in inserted]
        if fresh:
            cursor.execute(
                _INSERT_ITEMS,
                [
                    [customers[t.customer_ref] for t in fresh],
                    [inserted[t.external_id] for t in fresh],
                    [t.sku for t in fresh],
                    [t.category for t in fresh],
                    [""] * len(fresh),
                    [t.quantity for t in fresh],
                    [t.amount for t in fresh],
                    [t.channel for t in fresh],
                    [t.occurred_at for t in fresh],
                ],
            )
    report.created += len(fresh)
    report.unchanged += len(chunk) - len(fresh)
    for txn in fresh:
        pk = customers[txn.customer_ref]
        channels, last = touched.get(pk, (set(), txn.occurred_at))
        channels.add(txn.channel)
        touched[pk] = (channels, max(last, txn.occurred_at))


def _after_purchases(touched: dict[int, tuple[set, datetime]]) -> None:
    """What record_interaction does after each purchase, once per customer: the channels and
    last-seen time on the profile, then the tier from the last 12 months' spend."""
    ids = sorted(touched)
    for start in range(0, len(ids), 2000):
        changed = []
        for customer in Customer.objects.filter(pk__in=ids[start : start + 2000]).only("channels", "last_seen_at"):
            channels, last = touched[customer.pk]
            known = set(customer.channels or [])
            if channels <= known and customer.last_seen_at is not None and customer.last_seen_at >= last:
                continue
            customer.channels = sorted(known | channels)
            customer.last_seen_at = max(last, customer.last_seen_at or last)
            changed.append(customer)
        Customer.objects.bulk_update(changed, ["channels", "last_seen_at"], batch_size=1000)
    since = timezone.now() - timedelta(days=365)
    recalculate_tiers([pk for pk in ids if touched[pk][1] >= since])


def recalculate_tiers(customer_ids: list[int]) -> None:
    """`recalculate_tier` for many customers in a few queries per thousand: accounts created when
    missing and locked in primary-key order, spend summed by one GROUP BY, changed accounts
    updated in bulk, and each tier change audited as the service does."""
    tiers = list(LoyaltyTier.objects.order_by("-min_spend"))
    now = timezone.now()
    since = now - timedelta(days=365)
    home = home_currency()
    events = []
    for start in range(0, len(customer_ids), 2000):
        chunk = customer_ids[start : start + 2000]
        LoyaltyAccount.objects.bulk_create(
            [LoyaltyAccount(customer_id=pk, created_at=now) for pk in chunk], ignore_conflicts=True
        )
        accounts = list(LoyaltyAccount.objects.select_for_update().filter(customer_id__in=chunk).order_by("pk"))
        spend = spend_by_currency(chunk, since=since, home=home)  # each currency apart, as recalculate_tier
        held = {code for mine in spend.values() for code in mine} - {home}
        rates = rates_on(currencies=held, day=timezone.localdate(), reporting=home) if held else {}
        changed = []
        for account in accounts:
            total, detail = converted_spend(spend.get(account.customer_id, {}), home=home, rates=rates)
            tier = next((t for t in tiers if t.min_spend <= total), None)
            tier_id = tier.pk if tier else None
            if account.tier_id == tier_id and account.spend_12m == total and account.spend_detail == detail:
                continue
            if account.tier_id != tier_id:
                events.append(
                    AuditEvent(actor=None, actor_label="system", action="loyalty.tier_changed",
                               object_type="customers.customer", object_id=str(account.customer_id), occurred_at=now,
                               details={"tier": tier.code if tier else None})
                )  # fmt: skip
            account.tier, account.spend_12m, account.spend_detail = tier, total, detail
            changed.append(account)
        LoyaltyAccount.objects.bulk_update(changed, ["tier", "spend_12m", "spend_detail"], batch_size=1000)
    AuditEvent.objects.bulk_create(events, batch_size=2000)
