"""Issue 13, point 10 (SECURITY.md F16): sign-up tells a stranger nothing about who has an account.

Sign-up used to answer `email_taken` for a registered email, so anyone could probe which emails
shop here. Email verification is now mandatory before any sign-in (a code mailed to the address,
typed in the app or web shop): a sign-up answers "check your mail" whether or not the email has an
account; the owner of a registered email is mailed "you already have an account" and no account is
made. Staff accounts, made by head office, are verified when made and sign in as before.
"""

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core import mail
from django.test import Client

from retail.models import User
from tests.factories import TEST_PASSWORD, UserFactory
from tests.helpers import enrol_totp

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-Passphrase-9"
SIGNUP = {"app": "/_allauth/app/v1/auth/signup", "browser": "/_allauth/browser/v1/auth/signup"}
APP_LOGIN = "/_allauth/app/v1/auth/login"
APP_VERIFY = "/_allauth/app/v1/auth/email/verify"
CODE = re.compile(r"^([A-Z0-9]{4}-[A-Z0-9]{4})$", re.MULTILINE)


class CountingHasher(MD5PasswordHasher):
    """The test suite's hasher, counting the passwords it hashes (the slow step of a sign-up)."""

    hashed = 0

    def encode(self, password, salt):
        CountingHasher.hashed += 1
        return super().encode(password, salt)


def mail_to(email):
    return [m for m in mail.outbox if m.to == [email]]


def mailed_code(email):
    """The verification code in the last mail sent to `email`."""
    return CODE.search(mail_to(email)[-1].body).group(1)


def answer_shape(response):
    """Status, body (the session token's value left out: it is random) and header names."""
    body = response.json()
    token = body.get("meta", {}).pop("session_token", None)
    return response.status_code, body, token is not None, sorted(response.headers)


@pytest.mark.parametrize("client_kind", ["app", "browser"])
def test_signing_up_with_a_registered_email_answers_exactly_as_with_a_new_one(client_kind, settings):
    # given a shopper's login and a staff account (their emails are registered)
    settings.PASSWORD_HASHERS = ["tests.security.test_signup_enumeration.CountingHasher"]
    UserFactory(email="ann@example.com", email_verified=True)
    UserFactory(email="staff@example.com", is_staff=True)
    answers, hashed = {}, {}
    # when a stranger signs up with each of them and with two emails nobody has
    for email in ["ann@example.com", "new@example.com", "staff@example.com", "other@example.com"]:
        CountingHasher.hashed = 0
        response = Client().post(SIGNUP[client_kind], {"email": email, "password": PASSWORD}, "application/json")
        answers[email], hashed[email] = answer_shape(response), CountingHasher.hashed
    # then every answer is the same: not signed in, "verify your email" pending, with the app's token
    status, body, has_token, _ = answers["new@example.com"]
    assert status == 401 and body["meta"]["is_authenticated"] is False
    assert {"id": "verify_email", "is_pending": True} in body["data"]["flows"]
    assert has_token is (client_kind == "app")
    assert len({repr(answer) for answer in answers.values()}) == 1, answers
    # and each took the same work: one password hashed, whether or not an account was made
    assert set(hashed.values()) == {1}, hashed
    # and no second account was made; the new emails have an unverified account each
    assert User.objects.filter(email__in=["ann@example.com", "staff@example.com"]).count() == 2
    assert not EmailAddress.objects.filter(email__in=["new@example.com", "other@example.com"], verified=True).exists()
    # and the owners were told someone tried, with no code; the new addresses got a code
    for owner in ["ann@example.com", "staff@example.com"]:
        [told] = mail_to(owner)
        assert "already exists" in told.subject.lower() and not CODE.search(told.body)
    for new in ["new@example.com", "other@example.com"]:
        [asked] = mail_to(new)
        assert CODE.search(asked.body)


def test_a_login_is_refused_until_the_mailed_code_is_typed(api_client, settings):
    # (allauth mails an address one code per 10 s; the app is reopened later than that)
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "confirm_email": "100/10s/key"}
    # given a shopper who signed up in the app
    signed_up = api_client.post(SIGNUP["app"], {"email": "bea@example.com", "password": PASSWORD}, format="json")
    pending = {"HTTP_X_SESSION_TOKEN": signed_up.json()["meta"]["session_token"]}
    # then the pending session is no sign-in: the API refuses it
    assert api_client.get("/api/v1/me/", **pending).status_code == 401
    # when the app is reopened and signs in with the right password, before any code was typed
    again = Client().post(APP_LOGIN, {"email": "bea@example.com", "password": PASSWORD}, "application/json")
    # then it is still not signed in: a fresh code is mailed and the flow waits for it
    assert again.status_code == 401 and again.json()["meta"]["is_authenticated"] is False, again.content
    assert {"id": "verify_email", "is_pending": True} in again.json()["data"]["flows"]
    login = {"HTTP_X_SESSION_TOKEN": again.json()["meta"]["session_token"]}
    # and a wrong code is refused
    wrong = api_client.post(APP_VERIFY, {"key": "AAAA-AAAA"}, format="json", **login)
    assert wrong.status_code == 400 and not EmailAddress.objects.get(email="bea@example.com").verified
    # when the shopper types the code from the mail
    verified = api_client.post(APP_VERIFY, {"key": mailed_code("bea@example.com")}, format="json", **login)
    # then the app is signed in and the API answers
    assert verified.status_code == 200, verified.content
    assert verified.json()["meta"]["is_authenticated"] is True
    signed_in = {"HTTP_X_SESSION_TOKEN": verified.json()["meta"]["session_token"]}  # a new token at sign-in
    me = api_client.get("/api/v1/me/", **signed_in)
    assert me.status_code == 200 and me.json()["email"] == "bea@example.com", me.content
    # and from now on the password alone signs in
    later = Client().post(APP_LOGIN, {"email": "bea@example.com", "password": PASSWORD}, "application/json")
    assert later.status_code == 200 and later.json()["meta"]["is_authenticated"] is True


def test_staff_made_by_head_office_sign_in_without_a_code(client, associate, store):
    # given a store associate, a superuser made by createsuperuser, and staff added in the admin
    boss = User.objects.create_superuser(email="boss@example.com", password=TEST_PASSWORD)
    head_office = UserFactory(is_staff=True, is_superuser=True)
    enrol_totp(head_office)
    client.force_login(head_office)
    added = client.post(
        "/admin/retail/user/add/",
        {
            "email": "Merch@Example.com",
            "full_name": "Mia Merch",
            "password1": TEST_PASSWORD,
            "password2": TEST_PASSWORD,
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "0",
            "memberships-0-store": store.pk,
            "memberships-0-role": "associate",
        },
    )
    assert added.status_code == 302, added.content.decode()[:2000]
    merch = User.objects.get(email="merch@example.com")
    for user in (associate, boss, merch):
        # then each has one verified, primary address: their account's
        assert list(EmailAddress.objects.filter(user=user).values_list("email", "verified", "primary")) == [
            (user.email, True, True)
        ]
        # and the staff sign-in page lets them in without asking for a code
        signed_in = Client().post("/accounts/login/", {"login": user.email, "password": TEST_PASSWORD})
        assert signed_in.status_code == 302 and "confirm-email" not in signed_in.url
        assert "/accounts/login/" not in signed_in.url
    assert not mail.outbox
