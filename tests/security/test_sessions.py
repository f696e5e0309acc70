"""ASVS V3 (session management): cookie flags, fixation, logout, expiry, and revocation.

Sign-in, MFA and lockout are proven in tests/retail/test_auth.py; this file covers what happens to
the session around them.
"""

import json
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.retail.test_settings import run_manage

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("portal:dashboard")
LOGIN = reverse("account_login")


def signed_in(client) -> bool:
    response = client.get(DASHBOARD)
    return response.status_code == 200


def sign_in(client, user, password):
    return client.post(LOGIN, {"login": user.email, "password": password})


def test_production_cookies_are_secure_httponly_samesite_and_last_one_shift():
    # given the production settings, in a clean process
    out = run_manage(
        "shell",
        "-c",
        "from django.conf import settings as s; import json; print(json.dumps({k: getattr(s, k) for k in ["
        "'SESSION_COOKIE_SECURE','SESSION_COOKIE_HTTPONLY','SESSION_COOKIE_SAMESITE','SESSION_COOKIE_AGE',"
        "'SESSION_ENGINE','CSRF_COOKIE_SECURE','CSRF_COOKIE_SAMESITE','SECURE_SSL_REDIRECT','SECURE_HSTS_SECONDS',"
        "'SECURE_CONTENT_TYPE_NOSNIFF','X_FRAME_OPTIONS','DEBUG']}))",
        env_overrides={
            "DJANGO_ENV": "production",
            "SECRET_KEY": "a-production-secret-from-the-environment-0123456789abcdef",
            "ALLOWED_HOSTS": "omnistore.example.com",
        },
    )
    assert out.returncode == 0, out.stderr
    values = json.loads(out.stdout.strip().splitlines()[-1])
    # then
    assert values == {
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_AGE": 12 * 3600,
        "SESSION_ENGINE": "django.contrib.sessions.backends.db",  # server-side: revocable, nothing in the cookie
        "CSRF_COOKIE_SECURE": True,
        "CSRF_COOKIE_SAMESITE": "Lax",
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 365 * 24 * 3600,
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "X_FRAME_OPTIONS": "DENY",
        "DEBUG": False,
    }


def test_a_planted_session_id_is_replaced_at_sign_in(client, associate, password):
    # given an attacker planted a session id in the victim's browser
    planted = SessionStore()
    planted["planted"] = True
    planted.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = planted.session_key
    # when the victim signs in
    assert sign_in(client, associate, password).status_code == 302
    # then the session has a new id, and the planted id does not carry the sign-in
    assert client.cookies[settings.SESSION_COOKIE_NAME].value != planted.session_key
    attacker = Client()
    attacker.cookies[settings.SESSION_COOKIE_NAME] = planted.session_key
    assert not signed_in(attacker)


def test_signing_out_kills_the_session_on_the_server(client, associate):
    # given a signed-in associate whose cookie was copied
    client.force_login(associate)
    stolen = client.cookies[settings.SESSION_COOKIE_NAME].value
    # when she signs out
    client.post("/accounts/logout/")
    # then the copied cookie no longer opens the portal
    thief = Client()
    thief.cookies[settings.SESSION_COOKIE_NAME] = stolen
    assert not signed_in(thief)
    assert not Session.objects.filter(session_key=stolen).exists()


def test_a_session_past_its_age_asks_to_sign_in_again(client, associate):
    client.force_login(associate)
    assert signed_in(client)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    # when the shift-long session has expired on the server
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    # then the portal asks to sign in
    assert client.get(DASHBOARD).url.startswith(LOGIN)


def test_deactivating_an_account_or_changing_its_password_ends_its_sessions(client, associate, password):
    other_device = Client()
    client.force_login(associate)
    other_device.force_login(associate)
    # when the password is changed (e.g. after a suspected leak)
    associate.set_password("a-brand-new-passphrase-42")
    associate.save()
    # then sessions started with the old password end
    assert not signed_in(other_device)
    # and a deactivated account is out at its next request
    client.force_login(associate)
    assert signed_in(client)
    associate.is_active = False
    associate.save(update_fields=["is_active"])
    assert not signed_in(client)


@pytest.mark.parametrize("target", ["https://evil.example/phish", "//evil.example/phish", "/\\evil.example"])
def test_sign_in_never_redirects_to_another_site(client, associate, password, target):
    # when the sign-in link carries a next= pointing elsewhere
    response = client.post(f"{LOGIN}?next={target}", {"login": associate.email, "password": password})
    # then the associate lands on the portal, not on the other site
    assert response.status_code == 302
    assert response.url == DASHBOARD
