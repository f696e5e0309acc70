"""Idempotency-Key on a real DRF endpoint (tests/retail/api_urls.py) on PostgreSQL."""

import threading
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from retail.models import AuditEvent, IdempotencyKey
from retail.services import issue_pos_device
from tests.factories import UserFactory
from tests.retail import api_urls
from tests.retail.api_urls import ACTION

URL = "/api/v1/effects/"
pytestmark = pytest.mark.urls("tests.retail.api_urls")


def effects() -> int:
    return AuditEvent.objects.filter(action=ACTION).count()


def post(client, body, key):
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post(URL, body, format="json", headers=headers)


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def client_for(user):
    def make(principal=None):
        client = APIClient(raise_request_exception=False)
        client.force_authenticate(principal or user)
        return client

    return make


@pytest.fixture
def key():
    return str(uuid.uuid4())


def test_first_call_runs_once_and_a_retry_replays_it(client_for, key):
    client = client_for()
    # when the same request is sent twice with one key
    first = post(client, {"note": "hello"}, key)
    second = post(client, {"note": "hello"}, key)
    # then it acted once and the retry got the first answer back, marked as a replay
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    assert second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert effects() == 1
    stored = IdempotencyKey.objects.get(key=key)
    assert stored.status == IdempotencyKey.Status.DONE
    assert stored.response_status == 201
    assert stored.expires_at - stored.created_at == timedelta(hours=24)


def test_same_key_with_another_body_is_422(client_for, key):
    client = client_for()
    post(client, {"note": "hello"}, key)
    # when the key comes back with a different body
    response = post(client, {"note": "goodbye"}, key)
    # then it is refused and nothing more happened
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_mismatch"
    assert effects() == 1


def test_missing_key_is_400(client_for):
    # when the header is missing on an endpoint that requires it
    response = post(client_for(), {"note": "hello"}, None)
    # then it is a 400 with a stable code and nothing happened
    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_required"
    assert "Idempotency-Key" in response.json()["message"]
    assert effects() == 0


def test_overlong_key_is_400(client_for):
    response = post(client_for(), {"note": "hello"}, "k" * 256)
    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_invalid"


def test_a_domain_error_is_stored_and_replayed_and_its_writes_rolled_back(client_for, key):
    client = client_for()
    # when the view refuses after having written a row
    first = post(client, {"note": "no", "refuse": True}, key)
    second = post(client, {"note": "no", "refuse": True}, key)
    # then the 400 is the stored answer, replayed, and the half-done write is gone
    assert first.status_code == 400
    assert first.json() == {
        "code": "note_refused",
        "message": "Notes must not say no.",
        "fields": {"note": ["Say yes."]},
    }
    assert second.status_code == 400
    assert second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert effects() == 0


def test_a_crash_frees_the_key_and_leaves_no_effect(client_for, key):
    client = client_for()
    # when the view crashes after writing
    crashed = post(client, {"note": "x", "crash": True}, key)
    # then it is a 500 with nothing stored and nothing written
    assert crashed.status_code == 500
    assert not IdempotencyKey.objects.filter(key=key).exists()
    assert effects() == 0
    # and a retry with the same key runs again (and crashes again, as it should)
    again = post(client, {"note": "x", "crash": True}, key)
    assert again.status_code == 500
    assert "Idempotent-Replayed" not in again.headers


def test_after_expiry_the_key_can_be_used_again(client_for, key):
    client = client_for()
    post(client, {"note": "first"}, key)
    # given 24 hours have passed
    IdempotencyKey.objects.filter(key=key).update(expires_at=timezone.now() - timedelta(seconds=1))
    # when the key is used again, even for another body
    response = post(client, {"note": "second"}, key)
    # then it runs as a new request
    assert response.status_code == 201
    assert response.json()["note"] == "second"
    assert "Idempotent-Replayed" not in response.headers
    assert effects() == 2
    assert IdempotencyKey.objects.filter(key=key).count() == 1


def test_keys_are_scoped_per_user_and_per_device(client_for, user, key, store):
    # given two users and a till using the same key for the same body
    other_user = UserFactory()
    device, token = issue_pos_device(store=store, name="Till 1")
    device_client = APIClient(raise_request_exception=False)
    device_client.credentials(HTTP_AUTHORIZATION=f"Device {token}")
    # when each sends it
    answers = [
        post(client_for(), {"note": "same"}, key),
        post(client_for(other_user), {"note": "same"}, key),
        post(device_client, {"note": "same"}, key),
    ]
    # then each acted on its own: none is a replay of another's answer
    assert [a.status_code for a in answers] == [201, 201, 201]
    assert all("Idempotent-Replayed" not in a.headers for a in answers)
    assert len({a.json()["audit_event"] for a in answers}) == 3
    assert effects() == 3
    assert set(IdempotencyKey.objects.filter(key=key).values_list("scope", flat=True)) == {
        f"user:{user.pk}",
        f"user:{other_user.pk}",
        f"device:{device.pk}",
    }


def _post_in_thread(user, body, key, results, name):
    """One request on its own thread, hence its own database connection."""

    def run():
        try:
            results[name] = post(_authenticated(user), body, key)
        finally:
            connection.close()

    thread = threading.Thread(target=run, name=name)
    thread.start()
    return thread


def _authenticated(user):
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(user)
    return client


@pytest.mark.django_db(transaction=True)
def test_a_retry_while_the_first_runs_is_409_then_replays(key):
    # given a user and a view that blocks until the test lets it go
    user = UserFactory()
    api_urls.gate = api_urls.Gate()
    body = {"note": "slow", "wait": True}
    results = {}
    first = _post_in_thread(user, body, key, results, "first")
    try:
        assert api_urls.gate.entered.wait(timeout=30), "the first request never reached the view"
        # when a second request with the same key arrives on another connection while the first runs
        second = _post_in_thread(user, body, key, results, "second")
        second.join(timeout=30)
        # then it is told to come back later, at once
        assert not second.is_alive()
        assert results["second"].status_code == 409
        assert results["second"].json()["code"] == "idempotency_in_progress"
    finally:
        api_urls.gate.release.set()
        first.join(timeout=30)
    # and the first finishes normally
    assert results["first"].status_code == 201
    # and a retry now gets the first answer
    retry = _post_in_thread(user, body, key, results, "retry")
    retry.join(timeout=30)
    assert results["retry"].status_code == 201
    assert results["retry"].headers["Idempotent-Replayed"] == "true"
    assert results["retry"].json() == results["first"].json()
    assert effects() == 1
