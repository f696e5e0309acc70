"""Reads of the customers app, shaped for the clienteling screen, the search box and the API.

Every function here runs a fixed number of queries whatever the size of a shopper's history.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib.postgres.fields import ArrayField
from django.core.cache import cache
from django.db.models import CharField, Count, JSONField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from customers.errors import CustomerError
from customers.models import (
    Consent,
    Customer,
    CustomerIdentity,
    CustomerList,
    Interaction,
    ListItem,
    LoyaltyTier,
    Note,
    OfferAssignment,
    Tag,
    Task,
)
from customers.services.merge import merged_fields
from customers.timeline_messages import spoken_subject
from inventory import catalog_texts
from inventory.selectors import available_at, product_cards
from retail.domain.channel import TimelineChannel
from retail.errors import NotFound, RetailCode
from retail.models import Market, Store, User
from retail.selectors import store_language
from retail.services import record_audit_event

TIMELINE_PAGE = 25


# --- one profile -----------------------------------------------------------------------------


VIEW_AUDIT_PERIOD = 10 * 60  # one customer.viewed row per associate and shopper in this many seconds


def get_customer_for_staff(
    user: User, customer_id: int, *, header: bool = True, store: Store | None = None, ip: str | None = None
) -> Customer:
    """A profile for a portal view (behind `portal_view`, so `user` works in a store).

    Every associate of the chain may see every shopper; they act only in their own store, which
    the services check. With `header`, everything the clienteling header shows comes in one
    statement (joins, plus consents, tags and the next tier as subqueries: `header_consents`,
    `header_tags`, `header_next_tier`); panels ask for the bare row.
    """
    qs = Customer.objects.filter(pk=customer_id, is_anonymous=False)
    if header:
        # (not merged_into: a merged profile only redirects, and names the survivor with one more read)
        qs = qs.select_related("home_store", "assigned_associate", "loyalty_account__tier", "store_credit").annotate(
            **_header_subqueries()
        )
    customer = qs.first() if user.is_authenticated else None
    if customer is None:
        raise NotFound(_("No such customer."))
    record_customer_viewed(user=user, customer=customer, store=store, ip=ip)
    return customer


# The header's subqueries, written out: built from ArraySubquery/JSONObject expressions the ORM spent
# ~6,000 Python calls resolving and compiling them on every shell (more than the statement costs the
# database); the SQL is the one the ORM wrote. Each is correlated on the outer customer row only.
_HEADER_CONSENTS_SQL = """ARRAY(
    SELECT jsonb_build_object(
        'channel', c.channel, 'granted', c.granted, 'changed_at', c.changed_at, 'source', c.source)
    FROM {consent} c WHERE c.customer_id = {customer}.id ORDER BY c.channel)"""
_HEADER_TAGS_SQL = """ARRAY(
    SELECT t.name FROM {tag} t JOIN {tagged} ct ON ct.tag_id = t.id
    WHERE ct.customer_id = {customer}.id ORDER BY t.name)"""
_HEADER_NEXT_TIER_SQL = """(
    SELECT jsonb_build_object(
        'pk', t.id, 'code', t.code, 'name', t.name, 'translations', t.translations, 'min_spend', t.min_spend::varchar)
    FROM {tier} t
    WHERE t.min_spend > COALESCE((SELECT a.spend_12m FROM {account} a WHERE a.customer_id = {customer}.id), 0)
    ORDER BY t.min_spend LIMIT 1)"""
_HEADER_HOME_CURRENCY_SQL = """(SELECT m.currency FROM {market} m WHERE m.is_home LIMIT 1)"""


def _header_subqueries() -> dict:
    tables = {
        "customer": Customer._meta.db_table,
        "consent": Consent._meta.db_table,
        "tag": Tag._meta.db_table,
        "tagged": Tag.customers.through._meta.db_table,
        "tier": LoyaltyTier._meta.db_table,
        "account": Customer._meta.get_field("loyalty_account").related_model._meta.db_table,
        "market": Market._meta.db_table,
    }

    def raw(sql: str, field):
        return RawSQL(sql.format(**tables), [], output_field=field)  # noqa: S611 - table names, no values

    return {
        "header_consents": raw(_HEADER_CONSENTS_SQL, ArrayField(JSONField())),
        "header_tags": raw(_HEADER_TAGS_SQL, ArrayField(CharField())),
        "header_next_tier": raw(_HEADER_NEXT_TIER_SQL, JSONField()),
        "header_home_currency": raw(_HEADER_HOME_CURRENCY_SQL, CharField()),
    }


def header_next_tier(customer: Customer) -> tuple[LoyaltyTier | None, Decimal | None]:
    """(the tier the shopper reaches next, the spend still needed) from the header read."""
    row = customer.header_next_tier
    if not row:
        return None, None
    tier = LoyaltyTier(
        pk=row["pk"],
        code=row["code"],
        name=row["name"],
        translations=row.get("translations") or {},
        min_spend=Decimal(row["min_spend"]),
    )
    account = getattr(customer, "loyalty_account", None)
    return tier, tier.min_spend - (account.spend_12m if account else Decimal("0"))


def header_spend(customer: Customer) -> dict:
    """The 12-month spend as the header says it, from the header read: in the home market's currency
    (`currency`, the tiers'), with what each other currency added (`others`: [(currency, amount)]) and
    the currencies not counted for want of a rate (`missing`), as the last count found them."""
    account = getattr(customer, "loyalty_account", None)
    detail = (account.spend_detail if account else None) or {}
    home = getattr(customer, "header_home_currency", None) or detail.get("currency") or ""
    by_currency = detail.get("by_currency") or {}
    return {
        "currency": home,
        "others": [(code, Decimal(amount)) for code, amount in sorted(by_currency.items()) if code != home],
        "missing": list(detail.get("missing") or []),
        "day": date.fromisoformat(detail["day"]) if detail.get("day") else None,
    }


def record_customer_viewed(*, user: User, customer: Customer, store: Store | None, ip: str | None) -> bool:
    """Every look at a profile (the shell and each of its panels) is audited here, once per
    associate, shopper and VIEW_AUDIT_PERIOD (the cache remembers the last row; while the cache
    is down every look is written). True when a row was written."""

    if not cache.add(f"customer-viewed:{user.pk}:{customer.pk}", 1, VIEW_AUDIT_PERIOD):
        return False
    record_audit_event(actor=user, action="customer.viewed", obj=customer, store=store, ip_address=ip or None)
    return True


def own_profile(user) -> QuerySet[Customer]:
    """The one rule for "the signed-in shopper's profile": the live profile holding this login.

    A merge moves the login to the kept profile (customers.services.merge), so a merged profile
    never holds one; an erased profile is nobody's. Anonymous callers and staff tokens have none.
    """
    if not isinstance(user, User) or not user.is_authenticated:
        return Customer.objects.none()
    return Customer.objects.filter(user=user, merged_into__isnull=True, erased_at__isnull=True)


def customer_for_user(user) -> Customer | None:
    """The signed-in shopper's live profile, or None (never creates one: reads stay reads). One query."""
    return own_profile(user).first()


def me_for_user(user) -> Customer | None:
    """`customer_for_user` shaped for the profile API: tier, home store, balance, consents and tags read with it."""
    return (
        own_profile(user)
        .select_related("home_store", "loyalty_account__tier", "store_credit")
        .prefetch_related("consents", "tags")
        .first()
    )


def consent_map(customer: Customer) -> dict[str, object]:
    """{"email": Consent|None, "sms": ..., "push": ...} from the header read (or the consents)."""
    rows = getattr(customer, "header_consents", None)
    if rows is None:
        found = {c.channel: c for c in customer.consents.all()}
    else:
        found = {
            r["channel"]: Consent(
                customer=customer,
                channel=r["channel"],
                granted=r["granted"],
                changed_at=parse_datetime(r["changed_at"]),
                source=r["source"],
            )
            for r in rows
        }
    return {channel: found.get(channel) for channel in ("email", "sms", "push")}


def next_tier(spend: float, tiers: list[LoyaltyTier]) -> tuple[LoyaltyTier | None, object]:
    for tier in tiers:
        if tier.min_spend > spend:
            return tier, tier.min_spend - spend
    return None, None


# --- timeline ---------------------------------------------------------------------------------


@dataclass
class TimelinePage:
    rows: list[Interaction]
    next_cursor: str | None


# Kinds whose subject is the SKU the shopper looked at, carted or wished for (events API, lists).
SKU_SUBJECT_KINDS = frozenset(
    {Interaction.Kind.PRODUCT_VIEW, Interaction.Kind.ADD_TO_CART, Interaction.Kind.WISHLIST_ADD}
)
KIND_LABELS = dict(Interaction.Kind.choices)
TIMELINE_FIELDS = (
    *("customer", "channel", "kind", "occurred_at", "subject", "data"),
    *("store", "store__code", "associate", "associate__full_name", "associate__email"),
)
TIMELINE_ITEMS_SHOWN = 3  # items named on a purchase or return row; the rest are counted


def _row_skus(row: Interaction) -> list[str]:
    if row.kind in SKU_SUBJECT_KINDS:
        return [row.subject.strip()]
    lines = (row.data or {}).get("lines") if isinstance(row.data, dict) else None
    if not isinstance(lines, list):
        return []
    return [str(line.get("sku", "")).strip() for line in lines if isinstance(line, dict)]


def name_timeline_products(rows: list[Interaction]) -> None:
    """Give each row `products`: the product cards of the SKUs it names (viewed, carted, wished
    for, bought, returned), with `qty` for lines, named in the reader's language; one statement for the page."""
    cards = product_cards((sku for row in rows for sku in _row_skus(row)), languages=catalog_texts.reading_order())
    for row in rows:
        found = []
        lines = (row.data or {}).get("lines") if row.kind not in SKU_SUBJECT_KINDS else None
        quantities = (
            [line.get("qty") if isinstance(line, dict) else None for line in lines] if isinstance(lines, list) else []
        )
        for index, sku in enumerate(_row_skus(row)):
            card = cards.get(sku)
            if card is not None:
                qty = quantities[index] if index < len(quantities) else None
                found.append({"card": card, "qty": qty if isinstance(qty, int) and qty > 0 else None})
        row.products = found[:TIMELINE_ITEMS_SHOWN]
        row.more_products = max(0, len(found) - TIMELINE_ITEMS_SHOWN)
        row.names_subject = row.kind in SKU_SUBJECT_KINDS and bool(found)  # the SKU subject, named


def encode_cursor(interaction: Interaction) -> str:
    return quote(f"{interaction.occurred_at.isoformat()}_{interaction.pk}")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    when, _sep, pk = (cursor or "").rpartition("_")
    moment = parse_datetime(when) if when else None
    if moment is None or not pk.isdigit():
        raise CustomerError(_("That page of the timeline does not exist."), code=RetailCode.INVALID_CURSOR)
    return moment, int(pk)


def timeline_page(
    customer: Customer, *, channel: str | None = None, before: str | None = None, limit: int = TIMELINE_PAGE
) -> TimelinePage:
    """Newest first, keyset-paginated by (occurred_at, id): page N costs what page 1 costs."""
    # what a row shows (not the store's 20 columns, nor the associate's password hash, 26 times a page)
    qs = Interaction.objects.filter(customer=customer).select_related("store", "associate").only(*TIMELINE_FIELDS)
    if channel:
        qs = qs.filter(channel=channel)
    if before:
        moment, pk = decode_cursor(before)
        qs = qs.filter(Q(occurred_at__lt=moment) | Q(occurred_at=moment, id__lt=pk))
    rows = list(qs.order_by("-occurred_at", "-id")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    name_timeline_products(rows)
    channel_labels = dict(TimelineChannel.choices)  # once per page: the kernel's set, a channel added as data too
    for row in rows:  # from dicts: get_FOO_display() rebuilds its choices dict on every call (2 per row)
        # the time as shown (the store's zone): the row writes <time datetime> and the date from it
        row.occurred_local = timezone.localtime(row.occurred_at)
        row.channel_label = channel_labels.get(row.channel, row.channel)
        row.kind_label = KIND_LABELS.get(row.kind, row.kind)
        row.said = spoken_subject(row)  # a service's sentence in the reader's language, else the subject kept
    return TimelinePage(rows=rows, next_cursor=encode_cursor(rows[-1]) if more and rows else None)


# --- panels -----------------------------------------------------------------------------------


def _own_fields(model) -> list[str]:
    return [f.name for f in model._meta.concrete_fields]


# notes_for / tasks_for read what the panels show of the author or assignee (User.__str__: the
# name, else the email) and of the store (its code), not all their columns (the password hash too).


def notes_for(customer: Customer, *, limit: int = 30) -> list[Note]:
    return list(
        customer.notes.select_related("author", "store")
        .only(*_own_fields(Note), "author__full_name", "author__email", "store__code")
        .order_by("-pinned", "-created_at", "-id")[:limit]
    )


def tasks_for(customer: Customer, *, limit: int = 30) -> list[Task]:
    return list(
        customer.tasks.select_related("assignee", "store")
        .only(*_own_fields(Task), "assignee__full_name", "assignee__email", "store__code")
        .filter(Q(status=Task.Status.OPEN) | Q(completed_at__gte=timezone.now() - timezone.timedelta(days=30)))
        .order_by("status", "due_on", "id")[:limit]
    )


def offers_for(customer: Customer) -> list[OfferAssignment]:
    now = timezone.now()
    return list(
        OfferAssignment.objects.select_related("offer", "redeemed_store")
        .filter(customer=customer)
        .filter(Q(redeemed_at__isnull=False) | Q(offer__valid_until__gt=now, offer__is_active=True))
        .order_by("redeemed_at", "offer__valid_until")[:30]
    )


def lists_with_availability(customer: Customer, *, store: Store | None) -> list[CustomerList]:
    """The shopper's lists; each item carries `.here` = available units in `store` (None: not
    asked). Two queries: the lists, then their items with variant, product and stock here (and one
    for their texts in another language than the catalog's)."""
    items = ListItem.objects.select_related("variant__product").order_by("-added_at", "-id")
    if store is not None:
        items = items.annotate(here=available_at(store))
    lists = CustomerList.objects.filter(customer=customer).prefetch_related(Prefetch("items", queryset=items))
    # the products' names and colours in the associate's language (the API: the caller's): one query more,
    # none for a reader of the catalog's own
    languages = catalog_texts.for_store(store) if store is not None else catalog_texts.reading_order()
    lists = catalog_texts.with_texts(lists, languages, path="items__variant__product__")
    lists = list(lists)
    if store is None:
        for lst in lists:
            for item in lst.items.all():
                item.here = None
    return lists


# --- client books and dashboards ---------------------------------------------------------------


def client_book(*, associate: User | None = None, store: Store | None = None) -> QuerySet[Customer]:
    qs = Customer.objects.live().select_related("loyalty_account__tier", "assigned_associate")
    if associate is not None:
        qs = qs.filter(assigned_associate=associate)
    if store is not None:
        qs = qs.filter(home_store=store)
    return qs.order_by("last_name", "first_name", "id")


def store_today(store: Store) -> date:
    """Today's date on the store's own clock: a task due "today" is due by the store's midnight."""
    try:
        return timezone.now().astimezone(ZoneInfo(store.time_zone)).date()
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.localdate()


def tasks_due(*, store: Store, user: User | None = None, today: date | None = None) -> QuerySet[Task]:
    """Open tasks of the store due by `today` (the store's date), for `user` or nobody in particular."""
    today = today or store_today(store)
    qs = Task.objects.filter(store=store, status=Task.Status.OPEN, due_on__lte=today).select_related(
        "customer", "assignee"
    )
    if user is not None:
        qs = qs.filter(Q(assignee=user) | Q(assignee__isnull=True))
    return qs.order_by("due_on", "id")


# --- merging two profiles (head office) -------------------------------------------------------


def _count(model, **outer) -> Subquery:
    rows = model.objects.filter(**{k: OuterRef(v) for k, v in outer.items()}).order_by().values(*outer)
    return Coalesce(Subquery(rows.annotate(n=Count("pk")).values("n")), Value(0))


def merge_comparison(*, kept: Customer, other: Customer) -> dict:
    """Both profiles side by side for the merge confirmation, and what the kept one ends with.

    {"kept", "other": Customer (with identities, consents, balances and counts), "rows": [{label,
    kept, other, after}]}. Four queries whatever the histories: profiles with their counts,
    identities, consents, tags."""

    profiles = {
        c.pk: c
        for c in Customer.objects.filter(pk__in=[kept.pk, other.pk])
        .select_related("home_store", "assigned_associate", "user", "loyalty_account", "store_credit")
        .annotate(
            timeline_count=_count(Interaction, customer="pk"),
            notes_count=_count(Note, customer="pk"),
            tasks_count=_count(Task, customer="pk"),
            list_items_count=_count(ListItem, customer_list__customer="pk"),
            offers_count=_count(OfferAssignment, customer="pk"),
        )
    }
    kept, other = profiles[kept.pk], profiles[other.pk]
    for c in (kept, other):
        c.identity_rows, c.consent_rows, c.tag_names = [], {}, []
    for identity in CustomerIdentity.objects.filter(customer__in=[kept, other]).order_by("kind", "value"):
        profiles[identity.customer_id].identity_rows.append(f"{identity.get_kind_display()}: {identity.value}")
    for consent in Consent.objects.filter(customer__in=[kept, other]):
        profiles[consent.customer_id].consent_rows[consent.channel] = consent
    for customer_id, name in Tag.customers.through.objects.filter(customer__in=[kept, other]).values_list(
        "customer_id", "tag__name"
    ):
        profiles[customer_id].tag_names.append(name)
    filled = merged_fields(source=other, target=kept)

    def field(label, name, show=lambda c, v: v):
        a, b = show(kept, getattr(kept, name)), show(other, getattr(other, name))
        after = b if name in filled else a
        return {"label": label, "kept": a or "—", "other": b or "—", "after": after or "—", "filled": name in filled}

    def money(c, name):
        account = getattr(c, name, None)
        return account.balance if account else 0

    points = [money(kept, "loyalty_account"), money(other, "loyalty_account")]
    credit = [money(kept, "store_credit"), money(other, "store_credit")]
    accounts = [c.user.email if c.user_id else "" for c in (kept, other)]
    rows = [
        field(_("First name"), "first_name"),
        field(_("Last name"), "last_name"),
        field(_("Email"), "email"),
        field(_("Phone"), "phone"),
        field(_("Loyalty card"), "card_number"),
        field(_("Birthday"), "birthday"),
        field(_("Home store"), "home_store_id", lambda c, v: c.home_store and str(c.home_store)),
        field(
            _("Client book"), "assigned_associate_id", lambda c, v: c.assigned_associate and str(c.assigned_associate)
        ),
        field(_("Language"), "language", lambda c, v: v and c.get_language_display()),
        {
            "label": _("App/web account"),
            "kept": accounts[0] or "—",
            "other": accounts[1] or "—",
            "after": accounts[0] or accounts[1] or "—",
            "filled": bool(accounts[1] and not accounts[0]),
        },
        {"label": _("Points"), "kept": points[0], "other": points[1], "after": sum(points), "filled": bool(points[1])},
        {
            "label": _("Store credit"),
            "kept": credit[0],
            "other": credit[1],
            "after": sum(credit),
            "filled": bool(credit[1]),
        },
    ]
    for label, name, joined in [
        (_("Timeline events"), "timeline_count", False),
        (_("Notes"), "notes_count", False),
        (_("Tasks"), "tasks_count", False),
        (_("List items"), "list_items_count", True),  # the same item on both wishlists is kept once
        (_("Offers"), "offers_count", True),  # an offer both were given is kept once
    ]:
        a, b = getattr(kept, name), getattr(other, name)
        after = f"{a + b}" if not joined else _("up to %(count)s, joined") % {"count": a + b}
        rows.append({"label": label, "kept": a, "other": b, "after": after if b else a, "filled": bool(b)})
    return {"kept": kept, "other": other, "rows": rows, "filled": filled}


def shopper_language(customer: Customer | None, store: Store) -> str:
    """The language a shopper's messages are written in: theirs, else that of the market of the store
    the message is about (an order's pick-up store, a return's desk)."""
    return customer.language if customer is not None and customer.language else store_language(store)
