from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from retail.approvals import set_approval_pin
from retail.errors import PermissionDenied, RetailError
from retail.portal import dashboard as tiles
from retail.portal.access import SESSION_KEY, portal_view
from retail.portal.activity import action_label, actor_label
from retail.portal.forms import LanguageForm
from retail.selectors import get_store_for_staff, opening_hours, portal_language, recent_audit_events, store_language
from retail.services import set_user_language


@portal_view
def dashboard(request):
    context = {
        "tiles": tiles.render_tiles(request, request.store),
        "recent_events": [with_label(event) for event in recent_audit_events(store=request.store)],
        "opening_hours": opening_hours(request.store),
    }
    return render(request, "retail/dashboard.html", context)


def with_label(event):
    """`pickup.handed_over` reads as "Pick-up handed over" (in the reader's language) on the screen; the
    code stays in data-action."""
    event.label = action_label(event.action)
    event.actor_shown = actor_label(event.actor_label)
    return event


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
            messages.success(request, _("Your approval PIN for %(name)s is set.") % {"name": request.store.name})
            return redirect("portal:approval-pin")
    return render(request, "retail/approval_pin.html", {"membership": membership, "errors": errors})


@portal_view(own_settings=True)
@require_http_methods(["GET", "POST"])
def language(request):
    """The signed-in user chooses the language of their portal (or their store's market's)."""
    form = LanguageForm(
        request.POST or None, initial={"language": request.user.language}, store_default=store_language(request.store)
    )
    if request.method == "POST" and form.is_valid():
        try:
            set_user_language(user=request.user, language=form.cleaned_data["language"])
        except RetailError as exc:
            form.add_error("language", exc.message)
        else:
            translation.activate(portal_language(request.user, request.store))
            messages.success(request, _("Your language is saved."))
            return redirect("portal:language")
    return render(request, "retail/language.html", {"form": form})


@require_POST
def switch_store(request):
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("portal:dashboard"))  # back to a page, not to this POST-only URL
    try:
        store = get_store_for_staff(request.user, int(request.POST.get("store", "0") or 0))
    except (ValueError, PermissionDenied):
        messages.error(request, _("You cannot work in that store."))
        return redirect("portal:dashboard")
    request.session[SESSION_KEY] = store.pk
    messages.success(request, _("You are now working in %(name)s.") % {"name": store.name})
    next_url = request.POST.get("next") or ""
    if next_url and url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        return redirect(next_url)
    return redirect("portal:dashboard")
