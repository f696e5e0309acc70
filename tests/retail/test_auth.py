"""Staff authentication: the custom user, memberships, allauth sign-in, MFA and rate limits."""

import re

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, hotp_value, yield_hotp_counters_from_time
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.test import override_settings
from django.urls import reverse

from retail.models import StoreMembership, User
from retail.selectors import requires_mfa, role_in_store, stores_for_user
from tests.factories import TEST_PASSWORD, MembershipFactory, StoreFactory, UserFactory
from tests.helpers import enrol_totp, totp_code

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
MFA_AUTHENTICATE = "/accounts/2fa/authenticate/"
DASHBOARD = "/portal/"


def sign_in(client, email, password=TEST_PASSWORD, next_url=None):
    data = {"login": email, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post(LOGIN, data)


def wrong_code(secret: str) -> str:
    """A six-digit code that is not valid for any counter in the tolerance window."""
    valid = {f"{hotp_value(secret, c):06d}" for c in yield_hotp_counters_from_time()}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in valid)


def session_user_id(client):
    return client.session.get("_auth_user_id")


def assert_no_inline_code(html: str):
    """CSP forbids inline scripts and styles: every <script> has a src, nothing carries style=."""
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script> block"
    assert "<style" not in html
    assert not re.search(r"\sstyle=", html)


# --- the custom user -------------------------------------------------------------------------


def test_create_user_lowercases_email_and_hashes_password():
    # when
    user = User.objects.create_user(email="Sam.Lee@Example.COM", password=TEST_PASSWORD, full_name="Sam Lee")
    # then
    user.refresh_from_db()
    assert user.email == "sam.lee@example.com"
    assert user.check_password(TEST_PASSWORD)
    assert user.password != TEST_PASSWORD
    assert not user.is_staff
    assert not user.is_superuser
    assert user.get_short_name() == "Sam"


def test_create_user_without_email_is_refused():
    # when / then
    with pytest.raises(ValueError, match="email address is required"):
        User.objects.create_user(email="", password=TEST_PASSWORD)


def test_email_is_unique_whatever_its_case():
    # given
    User.objects.create_user(email="ana@example.com", password=TEST_PASSWORD)
    # when a second account is made through the manager / then validation refuses it
    with pytest.raises(ValidationError) as excinfo:
        User.objects.create_user(email="ANA@example.com", password=TEST_PASSWORD)
    assert "email" in excinfo.value.message_dict
    # when a row bypasses Python entirely / then the database constraint on lower(email) refuses it
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.bulk_create([User(email="Ana@Example.com")])
    assert User.objects.count() == 1


def test_lookup_by_email_ignores_case():
    # given
    user = User.objects.create_user(email="ana@example.com", password=TEST_PASSWORD)
    # when / then
    assert User.objects.get_by_natural_key("ANA@Example.com") == user


def test_create_superuser_is_staff_and_superuser():
    # when
    admin = User.objects.create_superuser(email="Boss@Example.com", password=TEST_PASSWORD, is_staff=False)
    # then
    assert admin.is_staff
    assert admin.is_superuser
    assert admin.email == "boss@example.com"
    assert admin.is_head_office


# --- memberships ------------------------------------------------------------------------------


def test_role_in_store_follows_memberships(store, other_store):
    # given a manager of one store who is an associate in another
    membership = MembershipFactory(store=store, role=StoreMembership.Role.MANAGER)
    MembershipFactory(user=membership.user, store=other_store, role=StoreMembership.Role.ASSOCIATE)
    third = StoreFactory(code="BHM-01")
    # when / then
    assert role_in_store(membership.user, store) == StoreMembership.Role.MANAGER
    assert role_in_store(membership.user, other_store) == StoreMembership.Role.ASSOCIATE
    assert role_in_store(membership.user, third) is None


def test_superuser_manages_every_store(store):
    # given
    admin = User.objects.create_superuser(email="boss@example.com", password=TEST_PASSWORD)
    # when / then
    assert role_in_store(admin, store) == StoreMembership.Role.MANAGER


def test_one_membership_per_user_and_store(store):
    # given
    membership = MembershipFactory(store=store)
    # when / then
    with pytest.raises(IntegrityError), transaction.atomic():
        StoreMembership.objects.create(user=membership.user, store=store, role=StoreMembership.Role.MANAGER)


def test_stores_for_user_are_their_active_memberships(store, other_store):
    # given an associate of one active and one closed store, and a store they do not belong to
    closed = StoreFactory(code="CLOSED-1", is_active=False)
    membership = MembershipFactory(store=store)
    MembershipFactory(user=membership.user, store=closed)
    # when / then
    assert list(stores_for_user(membership.user)) == [store]
    admin = User.objects.create_superuser(email="boss@example.com", password=TEST_PASSWORD)
    assert set(stores_for_user(admin)) == {store, other_store}


def test_mfa_is_required_for_managers_and_admin_users_only(associate, manager):
    # given
    merchandiser = UserFactory(is_staff=True)
    shopper = UserFactory()
    # when / then
    assert requires_mfa(manager)
    assert requires_mfa(merchandiser)
    assert not requires_mfa(associate)
    assert not requires_mfa(shopper)


# --- sign in and out ---------------------------------------------------------------------------


def test_associate_signs_in_with_email_and_password_without_mfa(client, associate):
    # when the associate signs in, typing the email in capitals
    response = sign_in(client, associate.email.upper())
    # then they land on the dashboard without a second step
    assert response.status_code == 302
    assert response.url == DASHBOARD
    assert session_user_id(client) == str(associate.pk)
    page = client.get(DASHBOARD)
    assert page.status_code == 200
    assert associate.get_full_name() in page.content.decode()


def test_wrong_password_is_refused_with_a_message(client, associate):
    # when
    response = sign_in(client, associate.email, password="not-the-password")
    # then
    assert response.status_code == 200
    assert "email address and/or password you specified are not correct" in response.content.decode()
    assert session_user_id(client) is None


def test_sign_out_needs_a_post(client, associate):
    # given
    client.force_login(associate)
    # when the sign-out URL is merely visited
    page = client.get("/accounts/logout/")
    # then nothing happens but a confirmation page
    assert page.status_code == 200
    assert session_user_id(client) == str(associate.pk)
    # when it is posted
    response = client.post("/accounts/logout/")
    # then the session is gone and the next portal visit asks to sign in
    assert response.status_code == 302
    assert response.url == LOGIN
    assert session_user_id(client) is None
    assert client.get(DASHBOARD).url.startswith(LOGIN)


def test_sign_in_page_uses_our_layout_without_inline_code(client):
    # when
    response = client.get(LOGIN)
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert "css/omnistore.css" in html
    assert 'name="login"' in html
    assert 'name="password"' in html
    assert "sign up" not in html.lower()  # staff accounts are made by head office
    assert_no_inline_code(html)
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]


def test_shopper_has_no_portal_and_no_admin(client):
    # given a shopper account: no membership, not staff (its email verified, so it may sign in)
    shopper = UserFactory(email_verified=True)
    # when they sign in on the staff page
    response = sign_in(client, shopper.email)
    # then they are sent to the start page, and the portal explains why it is closed to them
    assert response.url == "/"
    portal = client.get(DASHBOARD)
    assert portal.status_code == 403
    assert "not a member of any store" in portal.content.decode()
    assert client.get("/admin/", follow=True).status_code == 403


# --- MFA: enrolment and sign-in ------------------------------------------------------------------


def test_manager_must_enrol_totp_before_using_the_portal(client, manager):
    # given a manager without two-step verification signs in
    response = sign_in(client, manager.email)
    assert response.url == DASHBOARD
    # when they open the portal
    response = client.get(DASHBOARD)
    # then they are sent to set up an authenticator app first
    assert response.status_code == 302
    assert response.url.startswith(reverse("mfa_activate_totp"))
    setup = client.get(response.url)
    html = setup.content.decode()
    assert setup.status_code == 200
    assert 'src="data:image/svg+xml;base64,' in html  # the QR code, allowed by img-src data:
    secret = client.session[SECRET_SESSION_KEY]
    assert secret in html  # the key to type when the QR cannot be scanned
    assert_no_inline_code(html)

    # when they type a wrong code / then nothing is turned on
    refused = client.post(reverse("mfa_activate_totp"), {"code": wrong_code(secret)})
    assert refused.status_code == 200
    assert "Incorrect code" in refused.content.decode()
    assert not Authenticator.objects.filter(user=manager).exists()

    # when they type the code their app shows
    activated = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    # then TOTP and recovery codes are on, the codes are shown once, and the portal opens
    assert activated.status_code == 302
    assert activated.url == reverse("mfa_view_recovery_codes")
    assert set(Authenticator.objects.filter(user=manager).values_list("type", flat=True)) == {
        Authenticator.Type.TOTP,
        Authenticator.Type.RECOVERY_CODES,
    }
    codes_page = client.get(activated.url)
    codes = RecoveryCodes(Authenticator.objects.get(user=manager, type="recovery_codes")).get_unused_codes()
    assert all(code in codes_page.content.decode() for code in codes)
    assert_no_inline_code(codes_page.content.decode())
    assert client.get(DASHBOARD).status_code == 200


def test_enrolment_without_a_fresh_password_sign_in_asks_for_the_password(client, manager):
    # given a session that did not just type the password (e.g. an old remembered session)
    client.force_login(manager)
    # when the authenticator set-up is opened
    response = client.get(reverse("mfa_activate_totp"))
    # then allauth asks to confirm the password first
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_reauthenticate"))


def test_turning_totp_off_always_asks_to_confirm_access(client, manager):
    # given a manager signed in with password and code
    secret = enrol_totp(manager)
    sign_in(client, manager.email)
    client.post(MFA_AUTHENTICATE, {"code": totp_code(secret)})
    # when they try to turn two-step verification off
    response = client.get(reverse("mfa_deactivate_totp"))
    # then they must confirm access first
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_reauthenticate"))


def test_enrolled_manager_signs_in_with_password_then_code(client, manager):
    # given a manager with TOTP
    secret = enrol_totp(manager)
    # when the password is right
    response = sign_in(client, manager.email)
    # then a second step is asked and nobody is signed in yet
    assert response.status_code == 302
    assert response.url == MFA_AUTHENTICATE
    assert session_user_id(client) is None
    assert client.get(DASHBOARD).url.startswith(LOGIN)
    step = client.get(MFA_AUTHENTICATE)
    assert step.status_code == 200
    assert_no_inline_code(step.content.decode())

    # when the code is wrong / then it is refused
    refused = client.post(MFA_AUTHENTICATE, {"code": wrong_code(secret)})
    assert refused.status_code == 200
    assert "Incorrect code" in refused.content.decode()
    assert session_user_id(client) is None

    # when the code from the app is typed
    accepted = client.post(MFA_AUTHENTICATE, {"code": totp_code(secret)})
    # then the dashboard opens
    assert accepted.status_code == 302
    assert accepted.url == DASHBOARD
    assert session_user_id(client) == str(manager.pk)
    assert client.get(DASHBOARD).status_code == 200


def test_a_recovery_code_signs_in_once(client, manager):
    # given
    enrol_totp(manager)
    code = RecoveryCodes(Authenticator.objects.get(user=manager, type="recovery_codes")).get_unused_codes()[0]
    # when a recovery code replaces the app's code
    sign_in(client, manager.email)
    accepted = client.post(MFA_AUTHENTICATE, {"code": code})
    # then it works
    assert accepted.url == DASHBOARD
    client.post("/accounts/logout/")
    # when the same recovery code is used again / then it is refused
    sign_in(client, manager.email)
    refused = client.post(MFA_AUTHENTICATE, {"code": code})
    assert refused.status_code == 200
    assert session_user_id(client) is None


def test_admin_signs_in_through_allauth_with_mfa(client):
    # given a head-office admin with TOTP
    admin = User.objects.create_superuser(email="boss@example.com", password=TEST_PASSWORD)
    secret = enrol_totp(admin)
    # when the admin is opened anonymously
    response = client.get("/admin/", follow=True)
    # then the sign-in is allauth's, which will come back to the admin
    assert response.redirect_chain[-1][0] == f"{LOGIN}?next=%2Fadmin%2F"
    # when password and code are given
    step = sign_in(client, admin.email, next_url="/admin/")
    assert step.url == MFA_AUTHENTICATE
    done = client.post(MFA_AUTHENTICATE, {"code": totp_code(secret)})
    # then the admin opens
    assert done.url == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_admin_user_without_mfa_is_sent_to_enrol(client):
    # given a merchandiser who never set up an authenticator app
    merchandiser = UserFactory(is_staff=True)
    client.force_login(merchandiser)
    # when / then
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("mfa_activate_totp"))


# --- rate limits -------------------------------------------------------------------------------


def test_repeated_failed_sign_ins_lock_the_account_for_a_while(client, associate, other_store):
    # given five wrong passwords for one account (the test limit is 5 per 5 minutes per account)
    for _ in range(5):
        assert sign_in(client, associate.email, password="guess-guess-guess").status_code == 200
    # when the right password comes next
    response = sign_in(client, associate.email)
    # then it is refused too, with a message saying why
    assert response.status_code == 200
    assert "Too many failed login attempts" in response.content.decode()
    assert session_user_id(client) is None
    # and another account from the same place is not locked out
    colleague = MembershipFactory(store=other_store).user
    assert sign_in(client, colleague.email).url == DASHBOARD


# --- every allauth page we render respects the CSP ------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/accounts/2fa/",
        "/accounts/email/",
        "/accounts/password/change/",
        "/accounts/reauthenticate/",
        "/accounts/logout/",
    ],
)
def test_account_pages_have_no_inline_scripts_or_styles(client, manager, url):
    # given a manager signed in with TOTP
    enrol_totp(manager)
    client.force_login(manager)
    # when
    response = client.get(url)
    # then the page renders in our layout and nothing inline would be blocked by the CSP
    html = response.content.decode()
    assert response.status_code == 200, url
    assert "css/omnistore.css" in html
    assert_no_inline_code(html)


def test_password_reset_pages_have_no_inline_code(client):
    # when
    html = client.get("/accounts/password/reset/").content.decode()
    # then
    assert 'name="email"' in html
    assert_no_inline_code(html)


# --- demo helper --------------------------------------------------------------------------------


def test_demo_totp_prints_the_current_code(manager, capsys):
    # given
    secret = enrol_totp(manager)
    # when
    call_command("demo_totp", manager.email.upper())
    # then the printed code is one the sign-in step accepts now
    printed = capsys.readouterr().out.strip()
    assert printed in {f"{hotp_value(secret, c):06d}" for c in yield_hotp_counters_from_time()}


def test_demo_totp_is_refused_in_production_and_for_unknown_accounts(manager):
    # when / then
    with pytest.raises(CommandError, match="no TOTP authenticator"):
        call_command("demo_totp", manager.email)
    enrol_totp(manager)
    with override_settings(PRODUCTION=True), pytest.raises(CommandError, match="disabled in production"):
        call_command("demo_totp", manager.email)
