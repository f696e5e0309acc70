"""`make demo` has no mailbox: every mail it sends is printed in its terminal (retail/demo_mail.py), so a
newcomer who signs up as a shopper reads the verification code there, as the README says, and types it."""

import re
import subprocess
import sys

import pytest
from django.conf import settings as django_settings

from retail.demo import child_env

pytestmark = pytest.mark.django_db
TERMINAL = {"default": {"BACKEND": "retail.demo_mail.TerminalEmailBackend", "OPTIONS": {}}}
CODE = re.compile(r"^│ ([A-Z0-9]{4}-[A-Z0-9]{4})$", re.MULTILINE)


def test_a_shopper_signing_up_reads_the_code_in_the_demos_terminal_and_types_it(api_client, settings, capsys):
    # given the demo's mail backend
    settings.MAILERS = TERMINAL

    # when a newcomer signs up in the app
    response = api_client.post(
        "/_allauth/app/v1/auth/signup", {"email": "new@example.com", "password": "a-long-Passphrase-9"}, format="json"
    )
    assert response.status_code == 401 and response.json()["meta"]["is_authenticated"] is False
    pending = {"HTTP_X_SESSION_TOKEN": response.json()["meta"]["session_token"]}

    # then the terminal shows the mail to them, with its code on a line of its own
    printed = capsys.readouterr().err
    assert "│ Mail to new@example.com" in printed and "│ Subject: " in printed
    (code,) = CODE.findall(printed)
    # and typing that code signs them in
    verified = api_client.post("/_allauth/app/v1/auth/email/verify", {"key": code}, format="json", **pending)
    assert verified.status_code == 200 and verified.json()["meta"]["is_authenticated"] is True


def test_the_demos_web_server_prints_its_mail_on_the_terminal_not_on_the_discarded_stdout(monkeypatch):
    # given the environment the demo gives its web server (stdout discarded, stderr the terminal)
    monkeypatch.delenv("EMAIL_BACKEND", raising=False)
    env = child_env("postgres://demo@127.0.0.1:1/demo", "http://127.0.0.1:8000")
    assert env["EMAIL_BACKEND"] == "retail.demo_mail.TerminalEmailBackend"
    send = "from django.core.mail import send_mail; send_mail('Twój kod', 'Kod:\\nABCD-1234', None, ['ola@pl.example'])"

    # when a process of the demo's sends a mail
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", send],
        env=env, cwd=django_settings.BASE_DIR, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip

    # then it is on stderr, readable (not MIME-encoded), and nothing of it on stdout
    assert done.returncode == 0, done.stderr
    assert "│ Mail to ola@pl.example" in done.stderr and "│ Subject: Twój kod" in done.stderr
    assert "│ ABCD-1234" in done.stderr and "ABCD-1234" not in done.stdout


def test_a_mail_backend_given_to_the_demo_is_kept(monkeypatch):
    monkeypatch.setenv("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
    assert child_env("postgres://x/y")["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
