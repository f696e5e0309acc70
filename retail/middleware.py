from allauth.mfa.utils import is_mfa_enabled
from django.contrib import messages
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from retail.portal.access import page_redirect
from retail.selectors import requires_mfa


class RequireStaffMfaMiddleware:
    """Managers and admin users must have TOTP set up before they may use the portal or admin.

    allauth asks for the code at every login once TOTP is on; this makes turning it on mandatory.
    """

    guarded_prefixes = ("/portal/", "/admin/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        guarded = request.path.startswith(self.guarded_prefixes) and request.user.is_authenticated
        if guarded and requires_mfa(request.user) and not is_mfa_enabled(request.user):
            messages.warning(request, _("Your role needs two-factor authentication. Set it up to continue."))
            return page_redirect(request, f"{reverse('mfa_activate_totp')}?{urlencode({'next': request.path})}")
        return self.get_response(request)


class StaffLanguageMiddleware:
    """A signed-in user's own language (User.language) over the one LocaleMiddleware chose.

    Not for the API: there the caller's Accept-Language decides (a shopper's app sends the phone's).
    Portal pages of a user without a choice read their store's market default (portal_view).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/") and request.user.is_authenticated and request.user.language:
            translation.activate(request.user.language)
            request.LANGUAGE_CODE = request.user.language
        return self.get_response(request)
