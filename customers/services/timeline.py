"""The timeline: single interactions from services, purchases, and batches of client events."""

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, transaction
from django.db.models import Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.errors import CustomerCode, CustomerError
from customers.models import Channel, Customer, Interaction, InteractionKey, PurchasedItem
from customers.partitions import MIN_RETENTION_MONTHS, add_months, month_start
from customers.services._common import update_rows
from customers.services.loyalty import recalculate_tier
from customers.services.profiles import live_profile, resolve_customer
from customers.timeline_messages import MESSAGE_KEY
from retail.domain.money import money
from retail.errors import ErrorCode, RetailCode
from retail.messages import Message
from retail.models import Store, User

MAX_BATCH = 500
MAX_DATA_BYTES = 4000
# What app and web clients may post themselves; purchases, returns and pick-ups come from orders/POS.
CLIENT_KINDS = frozenset(
    {"product_view", "search", "add_to_cart", "wishlist_add", "app_open", "store_visit", "message_received"}
)
CLIENT_CHANNELS = frozenset({Channel.APP, Channel.WEB, Channel.KIOSK})
LINE_KINDS = {Interaction.Kind.PURCHASE: 1, Interaction.Kind.RETURN: -1}


def _purchase_lines(data: dict) -> list[dict]:
    """Read the `lines` of a purchase/return interaction; CustomerError when malformed."""
    lines = data.get("lines")
    if not isinstance(lines, list) or not lines:
        raise CustomerError(
            _("A purchase needs lines."), code=RetailCode.INVALID, fields={"data.lines": [_("At least one line.")]}
        )
    out = []
    for index, line in enumerate(lines):
        try:
            sku = str(line["sku"]).strip()
            qty = int(line["qty"])
            amount = money(line["amount"])
            assert sku and qty > 0 and amount >= 0
        except (KeyError, TypeError, ValueError, InvalidOperation, AssertionError):
            raise CustomerError(
                _("Each line needs sku, qty > 0 and amount >= 0."),
                code=RetailCode.INVALID,
                fields={f"data.lines.{index}": [_('e.g. {"sku": "TSH-BLU-M", "qty": 1, "amount": "19.99"}')]},
            ) from None
        out.append(
            {
                "sku": sku[:64],
                "qty": qty,
                "amount": amount,
                "category": str(line.get("category", ""))[:60],
                "size": str(line.get("size", ""))[:20],
            }
        )
    return out


def with_message(subject: str, data: dict, message: Message | None) -> tuple[str, dict]:
    """(subject, data) of an interaction that says `message`: kept in data["msg"], worded in the
    project's language as the subject when none is given."""
    if message is None:
        return subject, data
    return subject or message.subject, {**data, MESSAGE_KEY: message.stored}


def _note_channel(customer: Customer, channel: str, occurred_at: datetime) -> None:
    updates = {}
    if channel not in (customer.channels or []):
        customer.channels = sorted({*(customer.channels or []), channel})
        updates["channels"] = customer.channels
    if customer.last_seen_at is None or occurred_at > customer.last_seen_at:
        customer.last_seen_at = occurred_at
        updates["last_seen_at"] = occurred_at
    if updates:
        Customer.objects.filter(pk=customer.pk).update(**updates)


_CLAIM_KEYS_SQL = """
    INSERT INTO customers_interactionkey (source, external_id, interaction_id, occurred_at)
    SELECT k.source, k.external_id, nextval('customers_interaction_id_seq'), k.occurred_at
    FROM unnest(%s::varchar[], %s::varchar[], %s::timestamptz[]) AS k(source, external_id, occurred_at)
    ON CONFLICT DO NOTHING
    RETURNING source, external_id, interaction_id
"""


def claim_keys(keys: list[tuple[str, str, datetime]]) -> dict[tuple[str, str], int]:
    """Claim (source, external_id, occurred_at) keys for interactions about to be written in this
    transaction; returns {(source, external_id): the id the interaction must take} for the new ones.

    A key missing from the answer is taken: its event is recorded already (a concurrent writer of
    the same key is waited for: its commit makes this a conflict, its rollback a claim). The key
    table's foreign key (deferred to the commit) holds the interaction to that id and date.
    """
    if not keys:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM_KEYS_SQL, [list(column) for column in zip(*keys, strict=True)])
        return {(source, external_id): pk for source, external_id, pk in cursor.fetchall()}


def recorded_interaction(*, source: str, external_id: str) -> Interaction | None:
    """The interaction recorded under (source, external_id): one query, pruned to its month."""
    key = InteractionKey.objects.filter(source=source, external_id=external_id)
    return Interaction.objects.filter(
        id=Subquery(key.values("interaction_id")[:1]), occurred_at=Subquery(key.values("occurred_at")[:1])
    ).first()


@transaction.atomic
def record_interaction(
    *,
    customer: Customer,
    channel: str,
    kind: str,
    source: str,
    external_id: str = "",
    occurred_at: datetime | None = None,
    store: Store | None = None,
    associate: User | None = None,
    subject: str = "",
    data: dict | None = None,
    message: Message | None = None,
) -> Interaction:
    """Add one interaction to the timeline; the same (source, external_id) twice is a no-op.

    A sentence about it comes as `message` (customers.timeline_messages.say): kept in `data["msg"]`
    to be worded in the reader's language, and as the subject when none is given.

    For kind purchase/return, `data["lines"]` (sku, qty, amount, optional category/size) also
    becomes PurchasedItem rows (negative for a return) and the loyalty tier is recalculated.
    """
    if channel not in Channel.values:
        raise CustomerError(
            _("Unknown channel %(channel)s.") % {"channel": repr(channel)},
            code=RetailCode.INVALID,
            fields={"channel": [_("Unknown.")]},
        )
    if kind not in Interaction.Kind.values:
        raise CustomerError(
            _("Unknown kind %(kind)s.") % {"kind": repr(kind)},
            code=RetailCode.INVALID,
            fields={"kind": [_("Unknown.")]},
        )
    if customer.erased_at:
        raise CustomerError(_("This customer was erased."), code=CustomerCode.CUSTOMER_ERASED)

    customer = live_profile(customer)
    data = data or {}
    subject, data = with_message(subject, data, message)
    source, external_id = source[:40], (external_id or uuid.uuid4().hex)[:100]
    lines = _purchase_lines(data) if kind in LINE_KINDS else []
    occurred_at = occurred_at or timezone.now()
    interaction = Interaction(
        customer=customer,
        channel=channel,
        kind=kind,
        occurred_at=occurred_at,
        store=store,
        associate=associate,
        subject=subject[:200],
        data=data,
        source=source,
        external_id=external_id,
        recorded_at=timezone.now(),
    )
    # Field checks only: customer, store and associate are instances just read (a `SELECT 1` each
    # through full_clean on the returns desk's hot path), and the database keeps the foreign keys.
    interaction.full_clean(exclude=["customer", "store", "associate"], validate_constraints=False)
    claimed = claim_keys([(source, external_id, occurred_at)])
    if not claimed:  # recorded already, or just now by a concurrent transaction (which we waited for)
        return recorded_interaction(source=source, external_id=external_id)
    interaction.pk = claimed[(source, external_id)]
    interaction.save(force_insert=True)
    if lines:
        sign = LINE_KINDS[kind]
        PurchasedItem.objects.bulk_create(
            PurchasedItem(
                customer=customer,
                interaction=interaction,
                sku=line["sku"],
                category=line["category"],
                size=line["size"],
                quantity=sign * line["qty"],
                amount=sign * line["amount"],
                channel=channel,
                occurred_at=occurred_at,
            )
            for line in lines
        )

        recalculate_tier(customer=customer)
    _note_channel(customer, channel, occurred_at)
    return interaction


@dataclass
class Purchase:
    """A purchase for `record_purchases`: what `record_interaction` takes for kind purchase."""

    customer: Customer
    channel: str
    source: str
    external_id: str
    occurred_at: datetime
    subject: str
    data: dict
    store: Store | None = None
    message: Message | None = None  # as record_interaction's: kept in data["msg"], worded when read


def record_purchases(purchases: list[Purchase]) -> list[Interaction]:
    """Many purchases on their timelines in three statements (interactions, items, profiles).

    For callers that write fresh, already-validated purchases (a till's receipts under new order
    numbers, whose (source, external_id) cannot exist yet: IntegrityError if one does).
    Unlike `record_interaction` the loyalty tier is not recalculated here: the caller books the
    spend (customers.services.loyalty.post_purchase_points). Lines are read as for
    `record_interaction`; a malformed line raises CustomerError.
    """
    if not purchases:
        return []
    now = timezone.now()
    lines = [_purchase_lines(p.data) for p in purchases]
    keys = [(p.source[:40], p.external_id[:100], p.occurred_at) for p in purchases]
    claimed = claim_keys(keys)
    if len(claimed) != len(keys):
        taken = sorted(f"{s}:{e}" for s, e, _ in keys if (s, e) not in claimed)
        raise IntegrityError(f"Interactions recorded already: {', '.join(taken[:5])}")
    interactions = Interaction.objects.bulk_create(
        Interaction(id=claimed[key[:2]], customer=p.customer, channel=p.channel, kind=Interaction.Kind.PURCHASE,
                    occurred_at=p.occurred_at, store=p.store, subject=subject[:200], data=data, source=key[0],
                    external_id=key[1], recorded_at=now)
        for p, key in zip(purchases, keys, strict=True)
        for subject, data in [with_message(p.subject, p.data, p.message)]
    )  # fmt: skip
    PurchasedItem.objects.bulk_create(
        PurchasedItem(customer=p.customer, interaction=interaction, sku=line["sku"], category=line["category"],
                      size=line["size"], quantity=line["qty"], amount=line["amount"], channel=p.channel,
                      occurred_at=p.occurred_at)
        for p, interaction, its_lines in zip(purchases, interactions, lines, strict=True)
        for line in its_lines
    )  # fmt: skip
    changed = {}
    for p in purchases:
        customer = p.customer
        if p.channel not in (customer.channels or []):
            customer.channels = sorted({*(customer.channels or []), p.channel})
            changed[customer.pk] = customer
        if customer.last_seen_at is None or p.occurred_at > customer.last_seen_at:
            customer.last_seen_at = p.occurred_at
            changed[customer.pk] = customer
    if changed:
        update_rows(list(changed.values()), ["channels", "last_seen_at"])
    return interactions


def record_purchase(
    *,
    customer: Customer,
    channel: str,
    order_number: str,
    lines: list[dict],
    source: str,
    store: Store | None = None,
    associate: User | None = None,
    occurred_at: datetime | None = None,
    currency: str = "",
) -> Interaction:
    """A purchase on the timeline, in the shape orders will also write (idempotent by order number)."""
    total = sum((Decimal(str(line["amount"])) for line in lines), Decimal("0.00"))
    return record_interaction(
        customer=customer,
        channel=channel,
        kind=Interaction.Kind.PURCHASE,
        source=source,
        external_id=order_number,
        occurred_at=occurred_at,
        store=store,
        associate=associate,
        subject=order_number,
        data={
            "order_number": order_number,
            "total": str(total),
            "currency": currency,
            "lines": [{**line, "amount": str(line["amount"])} for line in lines],
        },
    )


# --- batches from app and web clients --------------------------------------------------------


@dataclass(frozen=True)
class ClientEvent:
    """One event of a client's batch, already read by the API (types, lengths, choices, RFC 3339 time)."""

    index: int  # its position in the client's batch: answers name it
    id: str
    kind: str
    channel: str
    occurred_at: datetime
    subject: str = ""
    data: dict = field(default_factory=dict)
    identities: dict = field(default_factory=dict)
    store: str | None = None


@dataclass
class EventBatchResult:
    accepted: list[int] = field(default_factory=list)
    duplicates: list[int] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)


def _reject(result: EventBatchResult, index: int, code: ErrorCode, message: str, fields: dict) -> None:
    result.rejected.append({"index": index, "code": code, "message": message, "fields": fields})


# A device's clock may run a little fast.
EVENT_CLOCK_SKEW = timedelta(minutes=5)


def oldest_event_time(now: datetime) -> datetime:
    """The first instant of the oldest month the timeline keeps at its shortest retention (UTC months,
    customers.partitions): an older event would land in a month the archive may already have taken
    away, with its idempotency key (a re-sent copy would then be stored again)."""
    oldest = add_months(month_start(now.astimezone(UTC)), -MIN_RETENTION_MONTHS)
    return datetime(oldest.year, oldest.month, 1, tzinfo=UTC)


def _refusal(event: ClientEvent, *, now: datetime, signed_in: bool) -> tuple[ErrorCode, str, str] | None:
    """(code, field, why) when the timeline does not take this event."""
    if event.occurred_at > now + EVENT_CLOCK_SKEW:
        why = _("This time is in the future; check the device clock.")
        return CustomerCode.OCCURRED_AT_OUT_OF_RANGE, "occurred_at", why
    if event.occurred_at < (oldest := oldest_event_time(now)):
        why = _("Events from before %(day)s are not kept; check the device clock.") % {"day": oldest.date().isoformat()}
        return CustomerCode.OCCURRED_AT_OUT_OF_RANGE, "occurred_at", why
    if not event.identities and not signed_in:
        return RetailCode.INVALID, "identities", "Anonymous events need an app_install or web_cookie identity."
    return None


@transaction.atomic
def ingest_events(*, events: list[ClientEvent], customer: Customer | None = None) -> EventBatchResult:
    """Store a batch of client events; refused ones are reported by their index, the others kept.

    Signed-in (`customer` given): every event lands on that profile and the device identities it
    carries are linked to it (an anonymous device's earlier events are merged in). Anonymous: each
    distinct device identity resolves to its (possibly new, anonymous) profile. Idempotent by
    (events:<channel>, id): a re-sent event is reported under `duplicates`. Refused here: times in
    the future or before the months the timeline keeps (`occurred_at_out_of_range`), anonymous events
    without a device identity, unknown stores.
    """

    now = timezone.now()
    result = EventBatchResult()
    valid: list[ClientEvent] = []
    for event in events:
        refusal = _refusal(event, now=now, signed_in=customer is not None)
        if refusal is None:
            valid.append(event)
        else:
            code, field_name, why = refusal
            _reject(result, event.index, code, f"{field_name}: {why}", {field_name: [why]})
    if not valid:
        return result

    store_codes = {e.store for e in valid if e.store}
    stores = {s.code: s for s in Store.objects.filter(code__in=store_codes)} if store_codes else {}
    owner = live_profile(customer) if customer is not None else None
    profiles: dict[tuple, Customer] = {}
    keep: list[tuple[ClientEvent, Customer]] = []
    for event in valid:
        if event.store and event.store not in stores:
            message = f"store: no store {event.store!r}."
            _reject(result, event.index, RetailCode.UNKNOWN_STORE, message, {"store": ["Unknown store code."]})
            continue
        key = tuple(sorted(event.identities.items()))
        if key not in profiles:
            if owner is not None:
                profiles[key] = resolve_customer(identities=key, customer=owner) if key else owner
            else:
                profiles[key] = resolve_customer(identities=key, create=True)
        keep.append((event, profiles[key]))
    result.rejected.sort(key=lambda r: r["index"])

    rows, in_batch = [], {}
    for event, profile in keep:
        key = (f"events:{event.channel}", event.id)
        if key in in_batch:
            result.duplicates.append(event.index)
            continue
        in_batch[key] = event.index
        rows.append((key, event, profile))
    inserted = _insert_events(rows, now=now, stores=stores)
    for key, event, _row in rows:
        (result.accepted if key in inserted else result.duplicates).append(event.index)
    result.accepted.sort()
    result.duplicates.sort()
    latest: dict[int, tuple[Customer, set, datetime]] = {}
    for key, event, profile in rows:
        if key not in inserted:
            continue
        _, channels, last = latest.get(profile.pk, (profile, set(), event.occurred_at))
        channels.add(event.channel)
        latest[profile.pk] = (profile, channels, max(last, event.occurred_at))
    for profile, channels, last in latest.values():
        for channel in channels:
            _note_channel(profile, channel, last)
    return result


# The keys first (ON CONFLICT DO NOTHING), then the interactions whose key this statement claimed,
# under the id it drew: one statement, and a re-sent event is skipped without an error.
INSERT_INTERACTIONS_SQL = """
    WITH given AS (
        SELECT * FROM unnest(%s::bigint[], %s::varchar[], %s::varchar[], %s::timestamptz[], %s::bigint[],
                             %s::varchar[], %s::jsonb[], %s::varchar[], %s::varchar[], %s::timestamptz[])
            AS g(customer_id, channel, kind, occurred_at, store_id, subject, data, source, external_id, recorded_at)
    ), claimed AS (
        INSERT INTO customers_interactionkey (source, external_id, interaction_id, occurred_at)
        SELECT source, external_id, nextval('customers_interaction_id_seq'), occurred_at FROM given
        ON CONFLICT DO NOTHING
        RETURNING source, external_id, interaction_id
    )
    INSERT INTO customers_interaction
        (id, customer_id, channel, kind, occurred_at, store_id, subject, data, source, external_id, recorded_at)
    SELECT c.interaction_id, g.customer_id, g.channel, g.kind, g.occurred_at, g.store_id, g.subject, g.data,
           g.source, g.external_id, g.recorded_at
    FROM given g JOIN claimed c USING (source, external_id)
    RETURNING id, source, external_id
"""


def _insert_events(rows: list, *, now: datetime, stores: dict) -> set[tuple[str, str]]:
    """Insert the batch, skipping (source, external_id) already stored; returns the keys inserted.

    One statement (INSERT_INTERACTIONS_SQL: the keys ON CONFLICT DO NOTHING, then the rows) does the
    insert and tells which rows were new: no per-row model objects, no separate existence query (this is
    the hot path of event ingestion).
    """
    if not rows:
        return set()
    columns = list(
        zip(
            *[
                (
                    profile.pk,
                    event.channel,
                    event.kind,
                    event.occurred_at,
                    stores[event.store].pk if event.store else None,
                    event.subject,
                    json.dumps(event.data, cls=DjangoJSONEncoder),
                    key[0],
                    key[1],
                    now,
                )
                for key, event, profile in rows
            ],
            strict=True,
        )
    )
    with connection.cursor() as cursor:
        cursor.execute(INSERT_INTERACTIONS_SQL, [list(column) for column in columns])
        return {(source, external_id) for _, source, external_id in cursor.fetchall()}
