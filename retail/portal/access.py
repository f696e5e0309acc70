"""The staff portal's access rules: signed in, a member of a store, acting in one store at a time."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from retail.models import Store, StoreMembership
from retail.selectors import member_stores, portal_language, role_in_store, stores_for_user

SESSION_KEY = "portal_store_id"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# Head office without a membership: which portal acts a head-office permission allows (by the app
# owning the view). Store-floor work (counts, picking, hand-overs, the returns desk) needs a
# membership of the store; superusers may do anything.
HEAD_OFFICE_ACTS = {"customers": "customers.change_customer"}


def head_office_may_act(user, view) -> bool:
    if user.is_superuser:
        return True
    permission = HEAD_OFFICE_ACTS.get(view.__module__.split(".")[0])
    return bool(permission and user.is_staff and user.has_perm(permission))


def resolve_current_store(request) -> Store | None:
    """The store chosen in this session if the user still belongs to it, else their first store.

    Store staff choose among their own memberships (read once per request, shared with the MFA
    rule and the role); head office and superusers among every active store."""
    if not request.user.is_authenticated:
        return None
    chosen = request.session.get(SESSION_KEY)
    mine = member_stores(request.user)
    if mine is None:
        stores = stores_for_user(request.user).select_related("market")  # its language (portal_language)
        store = stores.filter(pk=chosen).first() if chosen else None
        if store is None:
            store = stores.filter(kind=Store.Kind.STORE).first() or stores.first()
    else:
        store = next((s for s in mine if s.pk == chosen), None) if chosen else None
        if store is None:
            store = next((s for s in mine if s.kind == Store.Kind.STORE), None) or (mine[0] if mine else None)
    if store is not None and store.pk != chosen:
        request.session[SESSION_KEY] = store.pk
    return store


def page_redirect(request, url: str):
    """A redirect that moves the whole page: htmx gets HX-Redirect instead of a fragment swap."""
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)
    return redirect(url)


def login_redirect(request):
    """To the sign-in page, coming back to the page the user was on (not to an htmx fragment)."""
    htmx = getattr(request, "htmx", False)
    here = (htmx.current_url_abs_path if htmx else None) or request.get_full_path()
    return page_redirect(request, redirect_to_login(here).url)


def portal_view(view=None, *, manager_only: bool = False, own_settings: bool = False):
    """Decorator for every portal view: login, a current store, and optionally the manager role.

    `own_settings`: the view changes only the signed-in user's own preferences (their language),
    nothing of the store, so read-only head office may post to it too.

    Sets `request.store` and `request.store_role` for the view and the templates. The view and
    its templates run on the store's clock (its time zone is the current one): times shown and
    "today" are the store's, wherever the server is; and in the user's language (their choice,
    else the store's market's default).
    """

    def decorator(func):
        @wraps(func)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return login_redirect(request)
            store = resolve_current_store(request)
            if store is None:
                raise PermissionDenied(_("You are not a member of any store. Ask your manager for access."))
            request.store = store
            # Head-office staff (merchandisers, customer service) may look at any store; acting in
            # it needs a membership, or the head-office permission for that kind of act.
            request.store_role = role_in_store(request.user, store)
            request.can_act = request.store_role is not None or head_office_may_act(request.user, func)
            if manager_only and request.store_role != StoreMembership.Role.MANAGER:
                messages.error(request, _("Only a manager of this store can open that page."))
                return page_redirect(request, reverse("portal:dashboard"))
            if request.method not in SAFE_METHODS and not request.can_act and not own_settings:
                raise PermissionDenied(
                    _(
                        "Head office can look at %(name)s but not change anything there. Ask for a membership of "
                        "this store (or the customer-service role for shopper records)."
                    )
                    % {"name": store.name}
                )
            # Activated for the rest of the request (as LocaleMiddleware does), so Content-Language says it.
            request.LANGUAGE_CODE = portal_language(request.user, store)
            translation.activate(request.LANGUAGE_CODE)
            with timezone.override(store.zone):
                response = func(request, *args, **kwargs)
            # Portal pages show shoppers' personal data on shared tablets: never kept in a browser cache.
            add_never_cache_headers(response)
            return response

        return wrapper

    return decorator(view) if view is not None else decorator


def per_request(request, key, compute):
    """`compute()` once per request under `key`: panels rendered together share a read."""
    memo = request.__dict__.setdefault("_portal_memo", {})
    if key not in memo:
        memo[key] = compute()
    return memo[key]
