"""Reads of the core app: stores for a user or a point, staff memberships, audit trail."""

from django.db.models import QuerySet

from retail.errors import PermissionDenied
from retail.geo import distance_km
from retail.models import AuditEvent, Store, StoreMembership, User


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
        raise PermissionDenied("You are not a member of that store.")
    return store


def role_in_store(user: User, store: Store) -> str | None:
    if user.is_superuser:
        return StoreMembership.Role.MANAGER
    return StoreMembership.objects.filter(user=user, store=store).values_list("role", flat=True).first()


def requires_mfa(user: User) -> bool:
    """Managers, admin-site users and superusers must sign in with a second factor."""
    if not user.is_authenticated:
        return False
    if user.is_superuser or user.is_staff:
        return True
    return user.memberships.filter(role=StoreMembership.Role.MANAGER).exists()


def recent_audit_events(*, store: Store, limit: int = 10) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(store=store).select_related("actor").order_by("-occurred_at", "-id")[:limit]
