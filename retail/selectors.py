"""Reads of the core app: stores for a user or a point, staff memberships, audit trail."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import QuerySet
from django.utils import dates, timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext as _

from retail.errors import PermissionDenied
from retail.geo import distance_km
from retail.models import AuditEvent, Market, Store, StoreMembership, User
from retail.models.stores import time_zone_names


def stores_for_user(user: User) -> QuerySet[Store]:
    return Store.objects.for_user(user).order_by("code")


def stores_by_distance(*, lat: float, lng: float, queryset: QuerySet[Store] | None = None) -> QuerySet[Store]:
    """Stores annotated with `distance_km` from the point, nearest first (computed in SQL)."""
    qs = queryset if queryset is not None else Store.objects.active()
    return qs.annotate(distance_km=distance_km(lat, lng)).order_by("distance_km", "code")


def get_store_for_staff(user: User, store_id: int) -> Store:
    """The store, if this staff member may act in it; checked in the query itself."""
    store = stores_for_user(user).filter(pk=store_id).first()
    if store is None:
        raise PermissionDenied(_("You are not a member of that store."))
    return store


def memberships_of(user: User) -> list[StoreMembership]:
    """The user's memberships with their stores (by store code), read once per user object.

    The user object lives for one request, so the staff MFA rule, the portal's current store,
    its role and the store switcher share one query instead of one each."""
    cached = user.__dict__.get("_memberships")
    if cached is None:
        cached = list(
            StoreMembership.objects.filter(user=user).select_related("store__market").order_by("store__code", "pk")
        )
        user.__dict__["_memberships"] = cached
    return cached


def member_stores(user: User) -> list[Store] | None:
    """The active stores a store-staff user belongs to, by code; None for superusers and
    head-office staff, who see every store (`stores_for_user`)."""
    if user.is_superuser or user.is_head_office:
        return None
    return [m.store for m in memberships_of(user) if m.store.is_active]


def role_in_store(user: User, store: Store) -> str | None:
    if user.is_superuser:
        return StoreMembership.Role.MANAGER
    return next((m.role for m in memberships_of(user) if m.store_id == store.pk), None)


def requires_mfa(user: User) -> bool:
    """Managers, admin-site users and superusers must sign in with a second factor."""
    if not user.is_authenticated:
        return False
    if user.is_superuser or user.is_staff:
        return True
    return any(m.role == StoreMembership.Role.MANAGER for m in memberships_of(user))


def recent_audit_events(*, store: Store, limit: int = 10) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(store=store).select_related("actor").order_by("-occurred_at", "-id")[:limit]


# The keys of Store.opening_hours, Monday first; named in the reader's language by Django's catalog.
WEEKDAYS = [(key, dates.WEEKDAYS[index]) for index, key in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))]


def opening_hours(store: Store, *, now: datetime | None = None) -> list[tuple[str, str, bool]]:
    """(day, "09:00-19:00" or "Closed", is today on the store's clock); empty if none are set."""
    if not store.opening_hours:
        return []
    today = store.local(now or timezone.now()).weekday()
    rows = []
    for index, (key, label) in enumerate(WEEKDAYS):
        hours = store.opening_hours.get(key)
        rows.append((label, f"{hours[0]}\N{EN DASH}{hours[1]}" if hours else gettext("Closed"), index == today))
    return rows


def closes_at(store: Store, day: date) -> datetime | None:
    """When the store closes on `day` of its own calendar (aware, on its clock); None when its opening
    hours are not set, it is closed that day, or the hours cannot be read (closing after midnight too)."""
    hours = (store.opening_hours or {}).get(WEEKDAYS[day.weekday()][0])
    if not hours or len(hours) != 2:
        return None
    try:
        opens, closes = (time.fromisoformat(str(value)) for value in hours)
    except ValueError:
        return None
    if closes <= opens:
        return None
    return datetime.combine(day, closes, tzinfo=store.zone)


STORE_ZONES_KEY = "retail:store-zones:v1"
STORE_ZONES_SECONDS = 600


def store_zones() -> dict[str, tuple[int, ...]]:
    """{time zone: store ids} of the stores whose clock is not the chain's (settings.TIME_ZONE).

    Empty when every store keeps the chain's time: then figures by day read exactly as before.
    Cached (saving or deleting a store forgets it); a name that is not a time zone is left out.
    """
    zones = cache.get(STORE_ZONES_KEY)
    if zones is None:
        found: dict[str, list[int]] = {}
        rows = Store.objects.exclude(time_zone=settings.TIME_ZONE).order_by("pk").values_list("pk", "time_zone")
        for pk, zone in rows:
            if zone in time_zone_names():
                found.setdefault(zone, []).append(pk)
        zones = {zone: tuple(ids) for zone, ids in sorted(found.items())}
        cache.set(STORE_ZONES_KEY, zones, STORE_ZONES_SECONDS)
    return zones


def store_zone(store_id: int | None) -> ZoneInfo:
    """The clock of the store with that id, read from the cached `store_zones` (no query when cached);
    the chain's for a store on it, or none."""
    for name, ids in store_zones().items():
        if store_id in ids:
            return ZoneInfo(name)
    return ZoneInfo(settings.TIME_ZONE)


def forget_store_zones(**kwargs) -> None:
    """Receiver of Store's post_save / post_delete: now, and again once the change is committed."""
    cache.delete(STORE_ZONES_KEY)
    transaction.on_commit(lambda: cache.delete(STORE_ZONES_KEY))


def portal_language(user: User, store: Store) -> str:
    """The language a staff user reads the portal in: their own choice, else their store's market's
    default (its market is read with the store), else the deployment's."""
    return user.language or store_language(store)


def head_office_language() -> str:
    """Head office's language: the home market's default (one the portal has), else the deployment's."""
    code = Market.objects.filter(is_home=True).values_list("default_language", flat=True).first()
    return supported_language(code)


def supported_language(code: str | None) -> str:
    """`code` if the portal has it (or its base language), else the deployment's language."""
    try:
        return translation.get_supported_language_variant(code or "")
    except LookupError:
        return settings.LANGUAGE_CODE


def store_language(store: Store) -> str:
    """The store's market's default language (one the portal has), else the deployment's."""
    try:
        return translation.get_supported_language_variant(store.market.default_language or "")
    except LookupError:
        return settings.LANGUAGE_CODE
