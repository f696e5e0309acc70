"""Signatures a receiver can verify (and replays it refuses); URLs webhooks must never reach."""

import time

import pytest

from webhooks import services
from webhooks.destinations import post
from webhooks.errors import WebhookError
from webhooks.models import Subscription
from webhooks.signing import InvalidSignature, sign, verify_signature

SECRET = "whsec_test"
BODY = b'{"id":"evt_1","type":"order.placed"}'


def test_a_signed_body_verifies_and_returns_its_timestamp():
    header = sign(SECRET, BODY, timestamp=1_767_225_600)
    assert header.startswith("t=1767225600,v1=")
    assert verify_signature(SECRET, header, BODY, now=1_767_225_600 + 299) == 1_767_225_600


@pytest.mark.parametrize(
    ("header", "body", "secret", "why"),
    [
        (None, BODY + b" ", SECRET, "No signature matches"),  # tampered body
        (None, BODY, "whsec_other", "No signature matches"),  # wrong secret
        ("", BODY, SECRET, "No signature header"),
        ("t=abc,v1=00", BODY, SECRET, "no t= timestamp"),
        ("t=1767225600", BODY, SECRET, "no v1= signature"),
    ],
)
def test_a_wrong_signature_is_refused(header, body, secret, why):
    header = sign(SECRET, BODY, timestamp=1_767_225_600) if header is None else header
    with pytest.raises(InvalidSignature, match=why):
        verify_signature(secret, header, body, now=1_767_225_600)


def test_a_replay_older_than_five_minutes_is_refused():
    header = sign(SECRET, BODY, timestamp=int(time.time()) - 301)
    with pytest.raises(InvalidSignature, match="replay"):
        verify_signature(SECRET, header, BODY)


def test_one_matching_signature_among_several_is_enough_while_rotating():
    old = sign("whsec_old", BODY, timestamp=1_767_225_600)
    new = sign(SECRET, BODY, timestamp=1_767_225_600).split(",")[1]
    assert verify_signature(SECRET, f"{old},{new}", BODY, now=1_767_225_600)


@pytest.mark.django_db
def test_the_secret_is_shown_once_and_stored_encrypted(loopback):
    subscription, secret = services.create_subscription(
        name="ERP", url="http://127.0.0.1:9/hook", event_types=["order.placed"], actor=None
    )
    assert secret.startswith("whsec_") and len(secret) > 40
    stored = Subscription.objects.get(pk=subscription.pk)
    assert secret not in stored.secret_encrypted and stored.secret_hint == secret[-4:]
    assert services.secret_of(stored) == secret
    assert services.rotate_secret(subscription=stored, actor=None) != secret


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://example.com/hook", "only https"),
        ("ftp://example.com/hook", "not a valid URL"),
        ("https://exa mple.com/hook", "not a valid URL"),
        ("https://127.0.0.1/hook", "loopback"),
        ("https://[::1]/hook", "loopback"),
        ("https://localhost/hook", "loopback"),
        ("https://api.localhost/hook", "loopback"),
        ("https://2130706433/hook", "not a valid URL"),  # 127.0.0.1 written as a number
        ("https://10.1.2.3/hook", "not a public address"),
        ("https://192.168.0.10/hook", "not a public address"),
        ("https://172.16.5.4/hook", "not a public address"),
        ("https://100.64.0.1/hook", "not a public address"),  # carrier-grade NAT
        ("https://169.254.169.254/latest/meta-data", "link-local"),  # cloud metadata
        ("https://[fe80::1]/hook", "link-local"),
        ("https://[::ffff:10.0.0.1]/hook", "not a public address"),
        ("https://0.0.0.0/hook", "not a public address"),
        ("https://user:pass@93.184.216.34/hook", "credentials"),
    ],
)
def test_unsafe_urls_are_refused_in_production(settings, url, why):
    settings.WEBHOOKS_ALLOW_LOOPBACK = False
    with pytest.raises(WebhookError) as error:
        services.create_subscription(name="Evil", url=url, event_types=["order.placed"], actor=None)
    assert error.value.code == "unsafe_url" and why in error.value.message
    assert not Subscription.objects.exists()
    # and a delivery to it is refused before any connection is made
    answer = post(url, body=b"{}", headers={}, timeout=1)
    assert not answer.ok and answer.status is None and why in answer.error


@pytest.mark.django_db
def test_the_loopback_setting_lets_only_loopback_through(loopback):
    services.create_subscription(name="Demo", url="http://127.0.0.1:8001/hook", event_types=["order.placed"],
                                 actor=None)  # fmt: skip
    with pytest.raises(WebhookError, match="not a public address"):
        services.create_subscription(name="LAN", url="https://10.0.0.8/hook", event_types=["order.placed"], actor=None)
    with pytest.raises(WebhookError, match="only https"):
        services.create_subscription(name="Plain", url="http://93.184.216.34/", event_types=["order.placed"],
                                     actor=None)  # fmt: skip


@pytest.mark.django_db
def test_unknown_event_types_and_duplicate_urls_are_refused(loopback):
    with pytest.raises(WebhookError) as error:
        services.create_subscription(name="X", url="http://127.0.0.1:9/a", event_types=["order.eaten"], actor=None)
    assert error.value.code == "unknown_event_type"
    with pytest.raises(WebhookError) as error:
        services.create_subscription(name="X", url="http://127.0.0.1:9/a", event_types=[], actor=None)
    assert error.value.code == "no_event_types"
    services.create_subscription(name="X", url="http://127.0.0.1:9/a", event_types=["order.placed"], actor=None)
    with pytest.raises(WebhookError) as error:
        services.create_subscription(name="Y", url="http://127.0.0.1:9/a", event_types=["order.placed"], actor=None)
    assert error.value.code == "subscription_exists"
