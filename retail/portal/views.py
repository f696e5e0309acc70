from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from retail.errors import PermissionDenied
from retail.portal import dashboard as tiles
from retail.portal.access import SESSION_KEY, portal_view
from retail.selectors import get_store_for_staff, recent_audit_events


@portal_view
def dashboard(request):
    context = {
        "tiles": tiles.render_tiles(request, request.store),
        "recent_events": recent_audit_events(store=request.store),
    }
    return render(request, "retail/dashboard.html", context)


@require_POST
@login_required
def switch_store(request):
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
