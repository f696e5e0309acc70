"""Profiles, identities, consents and client books."""

from collections.abc import Iterable
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.errors import CustomerCode, CustomerError
from customers.events import record_customer_created, record_customer_updated
from customers.models import Consent, Customer, CustomerIdentity, Tag
from customers.normalise import normalise_card, normalise_email, normalise_identity, normalise_phone
from customers.services._common import validation_to_error
from retail.errors import RetailCode
from retail.markets import home_market
from retail.models import Market, Store, User
from retail.services import record_audit_event

# When identities of one event point at different known profiles, the strongest one wins.
IDENTITY_PRIORITY = ["pos_customer_id", "card", "email", "phone", "app_install", "web_cookie"]
CONTACT_IDENTITY = {"email": "email", "phone": "phone", "card_number": "card"}
PROFILE_FIELDS = {
    "first_name",
    "last_name",
    "email",
    "phone",
    "card_number",
    "birthday",
    "important_dates",
    "home_store",
    "preferred_sizes",
    "language",
}


# The reason of the merges joining a device's profiles when it signs in: English like a log, read back in the
# reader's language by customers.services.linking.merge_reason_read.
DEVICE_LINKED = "device linked"


def refresh_search_name(customer: Customer) -> None:
    customer.search_name = " ".join(f"{customer.first_name} {customer.last_name}".lower().split())[:170]


EARLIEST_BIRTHDAY = date(1900, 1, 1)


def clean_profile_values(values: dict, *, region: str | None = None) -> dict:
    """`values` normalised; a phone typed without its country code is read as one of `region` (the
    profile's home store's country), else of settings.PHONE_REGION."""
    cleaned = dict(values)
    try:
        if "email" in cleaned:
            cleaned["email"] = normalise_email(cleaned["email"] or "")
        if "phone" in cleaned:
            cleaned["phone"] = normalise_phone(cleaned["phone"] or "", region=region)
        if "card_number" in cleaned:
            cleaned["card_number"] = normalise_card(cleaned["card_number"] or "")
    except ValidationError as exc:
        field, code = (
            ("phone", CustomerCode.INVALID_PHONE)
            if exc.code == "invalid_phone"
            else ("email", CustomerCode.INVALID_EMAIL)
        )
        raise CustomerError(exc.messages[0], code=code, fields={field: exc.messages}) from None
    sizes = cleaned.get("preferred_sizes")
    if sizes is not None and (
        not isinstance(sizes, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in sizes.items())
    ):
        raise CustomerError(
            _("Sizes are a category → size map."),
            code=RetailCode.INVALID,
            fields={"preferred_sizes": [_('e.g. {"shoes": "42"}')]},
        )
    birthday = cleaned.get("birthday")
    if birthday is not None and not (EARLIEST_BIRTHDAY <= birthday <= timezone.localdate()):
        raise CustomerError(
            _("A birthday is a day that has passed, from 1900 on: %(value)s is not one.") % {"value": birthday},
            code=RetailCode.INVALID,
            fields={"birthday": [_("A past day, from 1900 on.")]},
        )
    dates = cleaned.get("important_dates")
    if dates is not None:
        if not isinstance(dates, list):
            raise CustomerError(
                _("Important dates are a list."), code=RetailCode.INVALID, fields={"important_dates": [_("A list.")]}
            )
        for item in dates:
            try:
                date.fromisoformat(item["date"])
                assert isinstance(item.get("label"), str) and item["label"]
            except (KeyError, TypeError, ValueError, AssertionError):
                raise CustomerError(
                    _("Each important date needs a label and a date (YYYY-MM-DD)."),
                    code=RetailCode.INVALID,
                    fields={"important_dates": [_('e.g. [{"label": "Anniversary", "date": "2020-06-14"}]')]},
                ) from None
    return cleaned


def sync_contact_identities(customer: Customer, fields=tuple(CONTACT_IDENTITY)) -> None:
    """Email, phone and card on the profile are also identities; taken ones are refused."""
    now = timezone.now()
    for field in fields:
        kind = CONTACT_IDENTITY[field]
        value = getattr(customer, field)
        if not value:
            continue
        owner = CustomerIdentity.objects.filter(kind=kind, value=value).values_list("customer_id", flat=True).first()
        if owner is None:
            CustomerIdentity.objects.create(customer=customer, kind=kind, value=value, created_at=now)
        elif owner != customer.pk:
            raise CustomerError(
                _("Another customer already has this %(kind)s. Open that profile or merge the two.") % {"kind": kind},
                code=CustomerCode.DUPLICATE_IDENTITY,
                fields={field: [_("Already used by another customer.")]},
                extra={"customer_id": owner},
            )


def contact_clashes(values: dict, *, customer_id: int | None = None) -> dict[str, int]:
    """{field: the other profile's id} for each contact in `values` (email, phone, card_number,
    normalised) that another profile than `customer_id` holds as an identity: what
    sync_contact_identities would refuse, asked before a form is saved."""
    wanted = {(CONTACT_IDENTITY[f], v): f for f, v in values.items() if f in CONTACT_IDENTITY and v}
    if not wanted:
        return {}
    query = Q()
    for kind, value in wanted:
        query |= Q(kind=kind, value=value)
    held = CustomerIdentity.objects.filter(query).exclude(customer_id=customer_id)
    return {wanted[(kind, value)]: owner for kind, value, owner in held.values_list("kind", "value", "customer_id")}


def new_customer(
    *,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    phone: str = "",
    card_number: str = "",
    birthday: date | None = None,
    important_dates: list | None = None,
    home_store: Store | None = None,
    preferred_sizes: dict | None = None,
    language: str = "",
    user: User | None = None,
    assigned_associate: User | None = None,
    now=None,
) -> Customer:
    """The unsaved profile create_customer writes: contacts normalised, names stripped, search_name filled.

    Also used by the bulk customer import, so both paths store exactly the same values.
    """
    values = clean_profile_values(
        {
            "email": email,
            "phone": phone,
            "card_number": card_number,
            "preferred_sizes": preferred_sizes or {},
            "important_dates": important_dates or [],
            "birthday": birthday,
        },
        region=home_store.country if home_store else None,
    )
    now = now or timezone.now()
    customer = Customer(
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        home_store=home_store,
        language=language or "",
        user=user,
        assigned_associate=assigned_associate,
        created_at=now,
        updated_at=now,
        **values,
    )
    refresh_search_name(customer)
    return customer


@transaction.atomic
def create_customer(
    *,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    phone: str = "",
    card_number: str = "",
    birthday: date | None = None,
    important_dates: list | None = None,
    home_store: Store | None = None,
    preferred_sizes: dict | None = None,
    language: str = "",
    user: User | None = None,
    assigned_associate: User | None = None,
    actor: User | None = None,
    store: Store | None = None,
) -> Customer:
    customer = new_customer(
        first_name=first_name,
        last_name=last_name,
        email=email,
        phone=phone,
        card_number=card_number,
        birthday=birthday,
        important_dates=important_dates,
        home_store=home_store,
        preferred_sizes=preferred_sizes,
        language=language,
        user=user,
        assigned_associate=assigned_associate,
        now=timezone.now(),
    )
    try:
        customer.full_clean()
    except ValidationError as exc:
        raise validation_to_error(exc) from None
    customer.save()
    sync_contact_identities(customer)
    record_audit_event(actor=actor, action="customer.created", obj=customer, store=store)
    record_customer_created(customer)
    return customer


@transaction.atomic
def update_customer_profile(
    *,
    customer: Customer,
    values: dict,
    actor: User | None = None,
    store: Store | None = None,
    claim_identities: bool = True,
) -> Customer:
    """Change profile fields (names, contact, birthday, dates, sizes, home store).

    Staff (who see the shopper) make changed contacts identities of the profile; a shopper's own
    change (`claim_identities=False`) is a contact only until proven (customers.services.linking):
    typing a number must neither find nor claim a profile.
    """
    unknown = set(values) - PROFILE_FIELDS
    if unknown:
        raise CustomerError(
            _("Cannot change %(value)s.") % {"value": ", ".join(sorted(unknown))}, code=RetailCode.INVALID
        )
    if customer.erased_at:
        raise CustomerError(_("This customer was erased."), code=CustomerCode.CUSTOMER_ERASED)
    home = values.get("home_store", customer.home_store) if values.get("phone") else None
    values = clean_profile_values(values, region=getattr(home, "country", None))
    changed = []
    for field, value in values.items():
        if getattr(customer, field) != value:
            setattr(customer, field, value)
            changed.append(field)
    if not changed:
        return customer
    refresh_search_name(customer)
    customer.updated_at = timezone.now()
    try:
        customer.full_clean()
    except ValidationError as exc:
        raise validation_to_error(exc) from None
    customer.save()
    if claim_identities:
        sync_contact_identities(customer, [f for f in CONTACT_IDENTITY if f in changed])
    record_audit_event(
        actor=actor, action="customer.updated", obj=customer, store=store, details={"fields": sorted(changed)}
    )
    record_customer_updated(customer, changed)
    return customer


@transaction.atomic
def set_consent(*, customer: Customer, channel: str, granted: bool, source: str, actor: User | None = None) -> Consent:
    """Record the shopper's yes/no to marketing on `channel`; every change is audited."""
    if channel not in Consent.Channel.values:
        raise CustomerError(
            _("Consent channels are %(value)s.") % {"value": ", ".join(Consent.Channel.values)},
            code=RetailCode.INVALID,
            fields={"channel": [_("Unknown.")]},
        )
    if not source:
        raise CustomerError(
            _("Say where the consent was given."), code=RetailCode.INVALID, fields={"source": [_("Required.")]}
        )
    consent = Consent.objects.filter(customer=customer, channel=channel).first()
    if consent is not None and consent.granted == granted:
        return consent
    consent = consent or Consent(customer=customer, channel=channel)
    consent.granted, consent.changed_at, consent.source = granted, timezone.now(), source[:40]
    consent.full_clean()
    consent.save()
    record_audit_event(
        actor=actor,
        action="customer.consent_changed",
        obj=customer,
        details={"channel": channel, "granted": granted, "source": source},
    )
    return consent


@transaction.atomic
def set_customer_tags(
    *, customer: Customer, names: Iterable[str] = (), tags: Iterable[Tag] = (), actor: User | None = None
) -> list[Tag]:
    """The shopper's tags become `names` (typed: made slugs, created when new) plus `tags` (rows
    picked from the list, kept as they are); audited."""
    slugs = sorted({n.strip().lower().replace(" ", "-") for n in names if n and n.strip()})
    chosen = {tag.pk: tag for tag in tags}
    for slug in slugs:
        tag = Tag(name=slug)
        try:
            tag.full_clean(validate_unique=False)
        except ValidationError:
            raise CustomerError(
                _("%(slug)s is not a usable tag.") % {"slug": repr(slug)},
                code=RetailCode.INVALID,
                fields={"tags": [_("Letters, digits, -")]},
            ) from None
        tag = Tag.objects.get_or_create(name=slug)[0]
        chosen[tag.pk] = tag
    result = sorted(chosen.values(), key=lambda tag: tag.name)
    customer.tags.set(result)
    record_audit_event(
        actor=actor, action="customer.tags_set", obj=customer, details={"tags": [tag.name for tag in result]}
    )
    return result


@transaction.atomic
def assign_associate(*, customer: Customer, associate: User | None, actor: User | None = None) -> Customer:
    """Put the shopper in `associate`'s client book (None: back to the store's pool)."""
    customer.assigned_associate = associate
    customer.updated_at = timezone.now()
    customer.save(update_fields=["assigned_associate", "updated_at"])
    record_audit_event(
        actor=actor,
        action="customer.associate_assigned",
        obj=customer,
        details={"associate": associate.pk if associate else None},
    )
    return customer


@transaction.atomic
def set_customer_login(*, customer: Customer, user: User | None, actor: User | None = None) -> Customer:
    """Head office links a login (app/web account) to this profile, or unlinks it (None); audited.
    A login has one profile: one linked elsewhere is refused (`login_taken`)."""
    if user is not None and Customer.objects.filter(user=user).exclude(pk=customer.pk).exists():
        raise CustomerError(
            _("This login belongs to another customer. Open that profile or merge the two."),
            code=CustomerCode.DUPLICATE_IDENTITY,
            fields={"user": [_("Already linked to another customer.")]},
        )
    previous = customer.user_id
    customer.user = user
    customer.updated_at = timezone.now()
    customer.save(update_fields=["user", "updated_at"])
    record_audit_event(
        actor=actor,
        action="customer.login_set",
        obj=customer,
        details={"user": user.pk if user else None, "previous": previous},
    )
    return customer


@transaction.atomic
def reassign_client_book(*, from_associate: User, to_associate: User, store: Store, actor: User | None = None) -> int:
    """Hand over a client book (e.g. when an associate leaves); only to a member of the same store."""
    if not to_associate.memberships.filter(store=store).exists():
        raise CustomerError(
            _("%(to_associate)s does not work at %(code)s.") % {"to_associate": to_associate, "code": store.code},
            code=RetailCode.NOT_STORE_MEMBER,
            fields={"to_associate": [_("Pick a colleague of this store.")]},
        )
    moved = Customer.objects.filter(assigned_associate=from_associate).update(
        assigned_associate=to_associate, updated_at=timezone.now()
    )
    record_audit_event(
        actor=actor,
        action="customer.client_book_reassigned",
        store=store,
        object_type="retail.user",
        object_id=from_associate.pk,
        details={"to": to_associate.pk, "customers": moved},
    )
    return moved


# --- identity resolution -------------------------------------------------------------------


def _normalised_pairs(identities) -> list[tuple[str, str]]:
    items = identities.items() if isinstance(identities, dict) else identities
    pairs, errors = [], {}
    for kind, value in items:
        if kind not in CustomerIdentity.Kind.values:
            errors[kind] = ["Unknown identity kind."]
            continue
        try:
            normalised = normalise_identity(kind, value)
        except ValidationError as exc:
            errors[kind] = exc.messages
            continue
        if normalised:
            pairs.append((kind, normalised))
    if errors:
        raise CustomerError(_("An identity could not be read."), code=CustomerCode.INVALID_IDENTITY, fields=errors)
    return sorted(set(pairs), key=lambda p: IDENTITY_PRIORITY.index(p[0]))


def known_customers_for(identity_sets: list) -> list[Customer | None]:
    """The live, known profile holding every identity of each set, found in one query for all sets.

    A till's hot path: None for a set that names nobody yet, names an anonymous, erased or merged
    profile, or names two profiles; the caller then goes through `resolve_customer`, which
    creates, links and merges as usual. Sets that cannot be read are None too (resolve reports why).
    """
    pairs_per_set: list[list[tuple[str, str]] | None] = []
    for identities in identity_sets:
        try:
            pairs_per_set.append(_normalised_pairs(identities) if identities else None)
        except CustomerError:
            pairs_per_set.append(None)
    wanted = {p for pairs in pairs_per_set if pairs for p in pairs}
    if not wanted:
        return [None] * len(identity_sets)
    # kind IN (...) AND value IN (...) on the (kind, value) unique index; pairs not asked are dropped
    rows = CustomerIdentity.objects.filter(kind__in={k for k, _ in wanted}, value__in={v for _, v in wanted})
    held = {(i.kind, i.value): i.customer for i in rows.select_related("customer") if (i.kind, i.value) in wanted}
    found: list[Customer | None] = []
    for pairs in pairs_per_set:
        owners = {held[p].pk: held[p] for p in pairs or () if p in held}
        owner = next(iter(owners.values()), None)
        usable = (
            pairs
            and len(owners) == 1
            and all(p in held for p in pairs)
            and not (owner.is_anonymous or owner.erased_at or owner.merged_into_id)
        )
        found.append(owner if usable else None)
    return found


def live_profile(customer: Customer) -> Customer:
    """Follow merges to the profile that now holds the data."""
    seen = set()
    while customer.merged_into_id and customer.pk not in seen:
        seen.add(customer.pk)
        customer = Customer.objects.get(pk=customer.merged_into_id)
    return customer


def resolve_customer(
    *,
    identities,
    create: bool = True,
    customer: Customer | None = None,
    actor: User | None = None,
) -> Customer | None:
    """The profile these identities belong to; unknown identities are attached to it.

    `identities`: {"email": ..., "app_install": ...} or [(kind, value), ...]; values are
    normalised here. With `customer` given (a signed-in shopper), the identities are linked to
    that profile. Anonymous device profiles met on the way are merged into the result (their
    earlier events join the real timeline). Identities already held by another known profile are
    left there: two real people are never merged automatically. Returns None when nothing
    matches and `create` is False.
    """
    pairs = _normalised_pairs(identities)
    if not pairs and customer is None:
        raise CustomerError(_("Send at least one identity."), code=CustomerCode.IDENTITY_REQUIRED)
    for attempt in range(2):
        try:
            with transaction.atomic():
                return _resolve(pairs, create=create, customer=customer, actor=actor)
        except IntegrityError:
            if attempt:  # someone else created the same identity twice in a row: give up cleanly
                raise CustomerError(_("Please retry."), code=CustomerCode.IDENTITY_CONFLICT) from None
    return None  # pragma: no cover


def _resolve(pairs, *, create: bool, customer: Customer | None, actor) -> Customer | None:
    query = Q()
    for kind, value in pairs:
        query |= Q(kind=kind, value=value)
    held = {}
    if pairs:
        for identity in CustomerIdentity.objects.filter(query).select_related("customer"):
            held[(identity.kind, identity.value)] = live_profile(identity.customer)
    owners = [held[p] for p in pairs if p in held]
    known = [c for c in owners if not c.is_anonymous and not c.erased_at]
    anonymous = [c for c in owners if c.is_anonymous]
    strong = [p for p in pairs if p[0] not in CustomerIdentity.DEVICE_KINDS]

    if customer is not None:
        target = live_profile(customer)
    elif known:
        target = known[0]
    elif anonymous:
        target = anonymous[0]
    elif not create:
        return None
    else:
        now = timezone.now()
        target = Customer.objects.create(is_anonymous=not strong, created_at=now, updated_at=now)

    from customers.services.merge import merge_customers  # merge builds on profiles

    for other in {c.pk: c for c in anonymous if c.pk != target.pk}.values():
        merge_customers(source=other, target=target, actor=actor, reason=DEVICE_LINKED)

    now = timezone.now()
    CustomerIdentity.objects.bulk_create(
        [
            CustomerIdentity(customer=target, kind=k, value=v, created_at=now, last_seen_at=now)
            for k, v in pairs
            if (k, v) not in held
        ]
    )

    fill = {}
    for kind, value in strong:
        field = {"email": "email", "phone": "phone", "card": "card_number"}.get(kind)
        if field and not getattr(target, field) and (kind, value) not in held:
            fill[field] = value
    if target.is_anonymous and strong:
        fill["is_anonymous"] = False
    if fill:
        for field, value in fill.items():
            setattr(target, field, value)
        target.updated_at = now
        target.save(update_fields=[*fill, "updated_at"])
    return target


def shopper_languages(market: Market) -> list[str]:
    """The languages a market offers its shoppers (the portal's, its default first)."""
    have = {code for code, _name in settings.LANGUAGES}
    return [code for code in dict.fromkeys([market.default_language, *market.languages]) if code in have]


@transaction.atomic
def update_profile_from_client(
    *, customer: Customer, values: dict, consents: dict | None = None, home_store_code: str | None = "", source: str
) -> Customer:
    """PATCH /me: profile fields, home store by code, language and consents, all or nothing.

    The language is one the shopper's market offers (the market of their home store, the new one
    when the same change sets it, else head office's); empty goes back to the market's default."""
    values = dict(values)
    if home_store_code != "":
        store = None
        if home_store_code:
            store = (
                Store.objects.select_related("market")
                .filter(code=home_store_code, kind=Store.Kind.STORE, is_active=True)
                .first()
            )
            if store is None:
                raise CustomerError(
                    _("No such store."),
                    code=RetailCode.UNKNOWN_STORE,
                    fields={"home_store": [_("Unknown store code.")]},
                )
        values["home_store"] = store
    if values.get("language"):
        home = values.get("home_store", customer.home_store)
        offered = shopper_languages(home.market if home is not None else home_market())
        if values["language"] not in offered:
            raise CustomerError(
                _("Choose one of the languages your market offers: %(languages)s.") % {"languages": ", ".join(offered)},
                code=RetailCode.INVALID,
                fields={"language": [_("Not offered in your market.")]},
            )
    customer = update_customer_profile(customer=customer, values=values, actor=customer.user, claim_identities=False)
    for channel, granted in (consents or {}).items():
        set_consent(customer=customer, channel=channel, granted=bool(granted), source=source, actor=customer.user)
    return customer
