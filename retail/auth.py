import time
from datetime import UTC, datetime

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.flows.login import get_authentication_records
from allauth.core import context
from allauth.mfa.models import Authenticator
from django.contrib.auth.hashers import make_password
from django.urls import reverse
from django.utils import translation
from django.utils.crypto import get_random_string

from retail.proxies import client_ip
from retail.selectors import store_language


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request):

        return client_ip(request)  # TRUSTED_PROXY_COUNT, as the API throttle and the audit trail

    def get_login_redirect_url(self, request):
        user = request.user
        if user.is_authenticated and not (user.is_staff or user.memberships.exists()):
            return "/"  # shoppers have no portal; the app and web shop talk to the API
        return super().get_login_redirect_url(request)

    def login(self, request, user):
        super().login(request, user)
        # "Signed in as ..." and the page after it are in the staff member's language (their choice,
        # else their first store's market's), not the sign-in page's (the browser's). Not for the API.
        if not request.path.startswith("/_allauth/") and (user.language or user.memberships.exists()):
            first = user.language or store_language(user.memberships.select_related("store__market").first().store)
            translation.activate(first)

    def is_open_for_signup(self, request):
        # Shoppers sign up through the headless API (app/web); staff accounts are made by head office.
        return request.path.startswith("/_allauth/")

    def get_signup_redirect_url(self, request):
        return reverse("home")

    def respond_email_verification_sent(self, request, user):
        if user is None:
            # A sign-up with an email that has an account makes no account (its owner is mailed
            # instead), so no password was hashed: hash one, or the answer's time would tell what
            # its body hides (SECURITY.md F16).
            make_password(get_random_string(24))
        return super().respond_email_verification_sent(request, user)

    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        required = super().is_reauthentication_required(app=app, **kwargs)
        if required and app == "allauth.mfa" and _first_enrolment_right_after_password(context.request):
            # A manager forced to enrol straight after typing the password is not asked for it again.
            return False
        return required


def _first_enrolment_right_after_password(request) -> bool:
    """True for a few minutes after a password sign-in by a user who had no second factor then.

    That covers setting up TOTP and seeing the new recovery codes; anything later, or on an
    account that already had a factor, is asked to confirm access as allauth normally does.
    """

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    records = [r for r in get_authentication_records(request, user) if r.get("method") == "password"]
    if not records or time.time() - records[-1]["at"] >= account_settings.REAUTHENTICATION_TIMEOUT:
        return False
    signed_in_at = datetime.fromtimestamp(records[-1]["at"], tz=UTC)
    return not Authenticator.objects.filter(user=user, created_at__lte=signed_in_at).exists()
