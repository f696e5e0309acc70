"""Helpers shared by tests (not fixtures)."""

import time

from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import (
    TOTP,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)

MANAGER_PIN = "408215"  # the approval PIN test managers set (retail.approvals)


def enrol_totp(user) -> str:
    """Give a user TOTP + recovery codes; returns the secret so a test can compute codes."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    RecoveryCodes.activate(user)
    return secret


def totp_code(secret: str) -> str:
    """The authenticator's current code, taken at least 2 s before its period ends: a code taken in
    the last milliseconds was already stale when a loaded machine's request checked it (seen in CI)."""
    left = mfa_settings.TOTP_PERIOD - time.time() % mfa_settings.TOTP_PERIOD
    if left < 2:
        time.sleep(left + 0.05)
    return f"{hotp_value(secret, next(yield_hotp_counters_from_time())):06d}"


def pickup_proof(fulfillment, verification: str = "code") -> str:
    """What the shopper shows at the counter for a ready pick-up: its code, or its QR payload."""
    from orders.models import Fulfillment
    from orders.numbers import QR_PREFIX

    code, token = Fulfillment.objects.values_list("pickup_code", "qr_token").get(pk=fulfillment.pk)
    return f"{QR_PREFIX}{token}" if verification == "qr" else code


def race(target, count: int, *, expected: type[Exception]):
    """Run target(0..count-1) at the same moment, each in its own thread and database connection.

    Returns (results, errors): a result or the `.code` of an `expected` domain error per call, and
    the repr of anything else (which the calling test asserts is empty).
    """
    import threading

    from django.db import connection

    barrier = threading.Barrier(count)
    results, errors = [], []

    def run(index):
        try:
            barrier.wait()
            results.append(target(index))
        except expected as exc:
            results.append(exc.code)
        except Exception as exc:  # noqa: BLE001 — any other failure fails the calling test
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


def database_url(db: dict | None = None) -> str:
    """The URL of the suite's database (or `db`) for a child process (retail.embedded_db.connection_url)."""
    from django.db import connection

    from retail.embedded_db import connection_url

    return connection_url(db or connection.settings_dict)


def repeated_phrases(text: str, *, words: int = 3) -> set[str]:
    """Runs of `words` words said more than once in `text` (case and punctuation ignored)."""
    import re

    tokens = [t.strip(".") for t in re.findall(r"[\w£€$.-]+", text.lower()) if t.strip(".")]
    seen, twice = set(), set()
    for i in range(len(tokens) - words + 1):
        phrase = " ".join(tokens[i : i + words])
        (twice if phrase in seen else seen).add(phrase)
    return twice
