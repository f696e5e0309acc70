from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from retail.approvals import set_approval_pin
from retail.errors import PermissionDenied, RetailError
from retail.models import Store
from retail.portal import dashboard as tiles
from retail.portal.access import SESSION_KEY, portal_view
from retail.selectors import get_store_for_staff, recent_audit_events

WEEKDAYS = [
    ("mon", "Monday"),
    ("tue", "Tuesday"),
    ("wed", "Wednesday"),
    ("thu", "Thursday"),
    ("fri", "Friday"),
    ("sat", "Saturday"),
    ("sun", "Sunday"),
]


@portal_view
def dashboard(request):
    context = {
        "tiles": tiles.render_tiles(request, request.store),
        "recent_events": [with_label(event) for event in recent_audit_events(store=request.store)],
        "opening_hours": opening_hours(request.store),
    }
    return render(request, "retail/dashboard.html", context)


def with_label(event):
    """`pickup.handed_over` reads as "Pickup handed over" on the screen; the code stays in data-action."""
    event.label = event.action.replace(".", " ").replace("_", " ").capitalize()
    return event


def opening_hours(store: Store) -> list[tuple[str, str, bool]]:
    """(day, "09:00-19:00" or "Closed", is today in the store's time zone); empty if none are set."""
    if not store.opening_hours:
        return []
    try:
        today = timezone.now().astimezone(ZoneInfo(store.time_zone)).weekday()
    except (ZoneInfoNotFoundError, ValueError):
        today = timezone.localdate().weekday()
    rows = []
    for index, (key, label) in enumerate(WEEKDAYS):
        hours = store.opening_hours.get(key)
        rows.append((label, f"{hours[0]}\N{EN DASH}{hours[1]}" if hours else "Closed", index == today))
    return rows


@portal_view(manager_only=True)
@require_http_methods(["GET", "POST"])
def approval_pin(request):
    """A manager sets their own approval PIN for this store (returns desk, till, counts)."""
    membership = request.user.memberships.filter(store=request.store).first()
    errors = {}
    if request.method == "POST":
        try:
            set_approval_pin(
                user=request.user,
                store=request.store,
                pin=request.POST.get("pin", ""),
                password=request.POST.get("password", ""),
            )
        except RetailError as exc:
            errors = exc.fields or {"pin": [exc.message]}
        else:
            messages.success(request, f"Your approval PIN for {request.store.name} is set.")
            return redirect("portal:approval-pin")
    return render(request, "retail/approval_pin.html", {"membership": membership, "errors": errors})


@require_POST
def switch_store(request):
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("portal:dashboard"))  # back to a page, not to this POST-only URL
    try:
        store = get_store_for_staff(request.user, int(request.POST.get("store", "0") or 0))
    except (ValueError, PermissionDenied):
        messages.error(request, "You cannot work in that store.")
        return redirect("portal:dashboard")
    request.session[SESSION_KEY] = store.pk
    messages.success(request, f"You are now working in {store.name}.")
    next_url = request.POST.get("next") or ""
    if next_url and url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        return redirect(next_url)
    return redirect("portal:dashboard")
