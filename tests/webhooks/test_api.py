"""The staff-only API: integration tokens with scopes, subscriptions, and the change feed."""

import threading

import pytest
from django.db import connection, transaction

from customers.services.profiles import create_customer
from tests.factories import UserFactory
from tests.webhooks.conftest import run_outbox
from webhooks.events import record_event
from webhooks.handlers import assign_positions
from webhooks.models import IntegrationToken, Subscription
from webhooks.tokens import issue_integration_token, revoke_integration_token

URL = "/api/v1/webhooks/"
FEED = "/api/v1/events/feed/"


@pytest.fixture
def staff(db):
    return UserFactory(is_staff=True)


@pytest.fixture
def token(staff):
    return issue_integration_token(user=staff, name="ERP", scopes=["webhooks:manage", "events:read"], actor=None)[1]


@pytest.fixture
def api(api_client, token):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api_client


@pytest.mark.django_db
def test_only_a_live_staff_token_with_the_scope_gets_in(api_client, staff, token):
    # no credentials, or another kind (a shopper's session, a till's device token), is not enough
    assert api_client.get(URL).json()["code"] == "not_authenticated"
    api_client.credentials(HTTP_AUTHORIZATION="Device abc")
    assert api_client.get(URL).status_code == 401
    # an unknown token is refused
    api_client.credentials(HTTP_AUTHORIZATION="Bearer omni_nope")
    assert api_client.get(URL).json()["code"] == "authentication_failed"
    # a token without the scope is forbidden
    feed_only = issue_integration_token(user=staff, name="BI", scopes=["events:read"], actor=None)[1]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {feed_only}")
    assert api_client.get(URL).json()["code"] == "permission_denied"
    assert api_client.get(FEED).status_code == 200
    # a revoked token, or one whose holder left the staff, is refused
    revoke_integration_token(token=IntegrationToken.objects.get(name="BI"), actor=None)
    assert api_client.get(FEED).status_code == 401
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api_client.get(URL).status_code == 200
    staff.is_staff = False
    staff.save(update_fields=["is_staff"])
    assert api_client.get(URL).status_code == 401


@pytest.mark.django_db
def test_a_subscription_is_created_with_its_secret_once_then_changed_paused_and_deleted(api):
    # when a subscription is created (a host that does not resolve yet is accepted, and checked at delivery)
    response = api.post(URL, {"name": "Warehouse", "url": "https://hooks.example.invalid/omnistore",
                              "event_types": ["order.placed", "stock.changed"]}, format="json")  # fmt: skip
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["secret"].startswith("whsec_") and body["secret_hint"] == body["secret"][-4:]
    # then reading it never shows the secret again
    detail = api.get(f"{URL}{body['id']}/").json()
    assert "secret" not in detail and detail["event_types"] == ["order.placed", "stock.changed"]
    # when it is changed and paused
    response = api.patch(f"{URL}{body['id']}/", {"event_types": ["customer.created"], "status": "paused"},
                         format="json")  # fmt: skip
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "paused" and "through the API" in response.json()["paused_reason"]
    assert api.patch(f"{URL}{body['id']}/", {"status": "active"}, format="json").json()["status"] == "active"
    # and deleted
    assert api.delete(f"{URL}{body['id']}/").status_code == 204
    assert not Subscription.objects.exists()
    assert api.get(f"{URL}{body['id']}/").json()["code"] == "not_found"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"name": "X", "url": "https://10.0.0.1/hook", "event_types": ["order.placed"]}, "invalid"),
        ({"name": "X", "url": "https://localhost/hook", "event_types": ["order.placed"]}, "invalid"),
        ({"name": "X", "url": "https://api.localhost/hook", "event_types": ["order.placed"]}, "unsafe_url"),
        ({"name": "X", "url": "http://hooks.example.com/", "event_types": ["order.placed"]}, "invalid"),
        ({"name": "X", "url": "https://hooks.example.com/", "event_types": ["order.eaten"]}, "invalid"),
        ({"name": "X", "url": "https://hooks.example.com/", "event_types": []}, "invalid"),
        ({"name": "X", "url": "https://hooks.example.com/", "event_types": ["order.placed"], "secret": "mine"},
         "unknown_field"),
        ({"name": "X", "url": "ftp://hooks.example.com/", "event_types": ["order.placed"]}, "invalid"),
    ],
)  # fmt: skip
def test_bad_subscriptions_are_refused_with_a_code_and_nothing_written(api, settings, body, code):
    settings.WEBHOOKS_ALLOW_LOOPBACK = False
    response = api.post(URL, body, format="json")
    assert response.status_code == 400 and response.json()["code"] == code, response.json()
    assert not Subscription.objects.exists()


@pytest.mark.django_db
def test_the_subscription_list_costs_the_same_queries_for_one_or_twenty(api, loopback, django_assert_num_queries):
    from webhooks.services import create_subscription

    create_subscription(name="A", url="http://127.0.0.1:9/a", event_types=["order.placed"], actor=None)  # loopback
    api.get(URL)
    with django_assert_num_queries(2) as one:  # the token (last use noted at most once a minute), the list
        assert len(api.get(URL).json()) == 1
    for i in range(19):
        create_subscription(name=f"S{i}", url=f"http://127.0.0.1:9/{i}", event_types=["order.placed"], actor=None)
    with django_assert_num_queries(len(one)):
        assert len(api.get(URL).json()) == 20


@pytest.mark.django_db
def test_the_feed_pages_through_every_published_event_once_in_order(api):
    for i in range(7):
        record_event(type="customer.created", data={"customer": {"id": i}}, key=f"customer:{i}")
    record_event(type="order.cancelled", data={"order": {"id": 1}})
    # nothing is in the feed before the outbox has published it
    assert api.get(FEED).json() == {"events": [], "next_cursor": "0", "has_more": False}
    run_outbox()
    # when a consumer pages through with a page size of 3
    seen, after = [], None
    for _ in range(5):
        response = api.get(FEED, {"limit": 3, **({"after": after} if after else {})})
        assert response.status_code == 200, response.json()
        page = response.json()
        seen += page["events"]
        after = page["next_cursor"]
        if not page["has_more"]:
            break
    # then it saw every event once, in order, in the envelope webhooks carry
    assert [e["data"].get("customer", {}).get("id") for e in seen] == [*range(7), None]
    assert len({e["id"] for e in seen}) == 8
    assert set(seen[0]) == {"id", "type", "version", "occurred_at", "data"}
    # and asking again with the last cursor gives nothing new, until something happens
    assert api.get(FEED, {"after": after}).json()["events"] == []
    record_event(type="customer.created", data={"customer": {"id": 99}}, key="customer:99")
    run_outbox()
    assert [e["data"]["customer"]["id"] for e in api.get(FEED, {"after": after}).json()["events"]] == [99]
    # and a type filter keeps only those
    assert {e["type"] for e in api.get(FEED, {"types": "order.cancelled"}).json()["events"]} == {"order.cancelled"}


@pytest.mark.django_db(transaction=True)
def test_the_feed_never_skips_an_event_published_late(api):
    # given a publisher (an outbox worker) that has given an event its position and not committed yet
    with transaction.atomic():
        first = record_event(type="customer.created", data={"customer": {"id": 1}}, key="customer:1")
        second = record_event(type="customer.created", data={"customer": {"id": 2}}, key="customer:2")
    positioned, release = threading.Event(), threading.Event()

    def slow_publisher():
        with transaction.atomic():
            assign_positions([first.pk])
            positioned.set()
            release.wait(30)
        connection.close()

    thread = threading.Thread(target=slow_publisher)
    thread.start()
    assert positioned.wait(30)
    # when another publisher publishes a later event meanwhile (it waits for the first to commit)
    other = threading.Thread(target=lambda: (_publish(second.pk), connection.close()))
    other.start()
    other.join(1)
    # then a reader sees neither yet: no cursor can pass the one still open
    page = api.get(FEED).json()
    assert page["events"] == []
    release.set()
    thread.join(30)
    other.join(30)
    # and once both commit, a consumer that kept its cursor gets both, in order
    assert [e["data"]["customer"]["id"] for e in api.get(FEED, {"after": page["next_cursor"]}).json()["events"]] == [
        1,
        2,
    ]


def _publish(pk):
    with transaction.atomic():
        assign_positions([pk])


@pytest.mark.django_db
def test_a_bad_cursor_or_limit_is_a_400_with_its_code(api):
    assert api.get(FEED, {"after": "abc"}).json()["code"] == "invalid_feed_cursor"
    assert api.get(FEED, {"after": ""}).json()["code"] == "invalid_feed_cursor"
    assert api.get(FEED, {"limit": 501}).json()["code"] == "invalid"
    assert api.get(FEED, {"types": "order.eaten"}).json()["code"] == "invalid"


@pytest.mark.django_db
def test_the_feed_costs_the_same_queries_for_few_or_many_events(api, django_assert_num_queries):
    create_customer(first_name="A", email="a@example.com")
    run_outbox()
    api.get(FEED)
    with django_assert_num_queries(2) as few:  # the token, the page
        api.get(FEED)
    for i in range(30):
        create_customer(first_name=f"C{i}", email=f"c{i}@example.com")
    run_outbox()
    with django_assert_num_queries(len(few)):
        assert len(api.get(FEED).json()["events"]) == 31
