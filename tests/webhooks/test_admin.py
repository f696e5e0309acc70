"""Head office in the admin: a subscription's secret shown once, why it was paused, the delivery
log with "redeliver", and "replay since"."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.services.profiles import create_customer
from retail.models import AuditEvent
from tests.admin.conftest import staff_user
from tests.webhooks.conftest import run_outbox
from webhooks import delivery
from webhooks.models import Delivery, IntegrationToken, Subscription

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(staff_user("admin"))
    return client


def test_adding_a_subscription_shows_its_secret_once(admin_client, loopback):
    # when head office adds a subscription
    response = admin_client.post(
        reverse("admin:webhooks_subscription_add"),
        {"name": "ERP", "url": "http://127.0.0.1:9/hook", "event_types": ["order.placed", "stock.changed"]},
        follow=True,
    )
    # then the secret is on the page once, and never again
    subscription = Subscription.objects.get()
    secret = next(str(m) for m in response.context["messages"] if "shown once" in str(m))
    assert "whsec_" in secret
    change = admin_client.get(reverse("admin:webhooks_subscription_change", args=[subscription.pk]))
    assert "whsec_" not in change.content.decode() and subscription.secret_hint in change.content.decode()
    assert subscription.event_types == ["order.placed", "stock.changed"]


def test_an_unsafe_url_is_a_form_error_not_a_500(admin_client, settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = False
    response = admin_client.post(
        reverse("admin:webhooks_subscription_add"),
        {"name": "Evil", "url": "https://169.254.169.254/latest", "event_types": ["order.placed"]},
    )
    assert response.status_code == 200
    assert "link-local" in response.content.decode()
    assert not Subscription.objects.exists()


def test_a_paused_subscription_says_why_in_the_list(admin_client, subscribe, receiver, settings):
    settings.WEBHOOKS_FAILURES_BEFORE_PAUSE = 1
    subscription = subscribe(["customer.created"])
    receiver.statuses = [502]
    create_customer(first_name="Ann", email="ann@example.com")
    run_outbox()
    delivery.deliver_for_subscription(subscription_id=subscription.pk)
    page = admin_client.get(reverse("admin:webhooks_subscription_changelist")).content.decode()
    assert "Paused automatically after 1 consecutive failed delivery;" in page and "HTTP 502" in page


def test_redeliver_and_replay_since_queue_events_again_in_order(admin_client, subscribe, receiver):
    subscription = subscribe(["customer.created"])
    for name in ("Ann", "Bob", "Cy"):
        create_customer(first_name=name, email=f"{name.lower()}@example.com")
    run_outbox()
    delivery.deliver_for_subscription(subscription_id=subscription.pk)
    assert len(receiver.events()) == 3
    # when head office redelivers the second delivery from the log
    second = Delivery.objects.order_by("event_id")[1]
    log = reverse("admin:webhooks_delivery_changelist")
    assert admin_client.get(log).status_code == 200
    admin_client.post(log, {"action": "redeliver", "_selected_action": [second.pk]})
    delivery.deliver_for_subscription(subscription_id=subscription.pk)
    # then the receiver gets it again, with the same event id
    events = receiver.events()
    assert [e["data"]["customer"]["first_name"] for e in events] == ["Ann", "Bob", "Cy", "Bob"]
    assert events[1]["id"] == events[3]["id"]
    # when head office replays since an hour ago
    since = (timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")
    admin_client.post(
        reverse("admin:webhooks_subscription_changelist"),
        {"action": "replay", "_selected_action": [subscription.pk], "since": since},
    )
    delivery.deliver_for_subscription(subscription_id=subscription.pk)
    # then everything since then comes again, oldest first
    names = [e["data"]["customer"]["first_name"] for e in receiver.events()]
    assert names[4:] == ["Ann", "Bob", "Cy"]
    assert AuditEvent.objects.filter(action__in=["webhooks.redelivered", "webhooks.replayed"]).count() == 2


def test_a_store_manager_sees_no_webhooks(client, loopback):
    client.force_login(staff_user("store-manager"))
    assert client.get(reverse("admin:webhooks_subscription_changelist")).status_code == 403


def test_head_office_issues_an_integration_token_shown_once_and_revokes_it(admin_client):
    staff = staff_user()
    response = admin_client.post(
        reverse("admin:webhooks_integrationtoken_add"),
        {"name": "Warehouse", "user": staff.pk, "scopes": ["events:read"]},
        follow=True,
    )
    shown = next(str(m) for m in response.context["messages"] if "shown once" in str(m))
    token = IntegrationToken.objects.get()
    assert "omni_" in shown and token.token_hash not in shown and token.scopes == ["events:read"]
    admin_client.post(
        reverse("admin:webhooks_integrationtoken_changelist"), {"action": "revoke", "_selected_action": [token.pk]}
    )
    token.refresh_from_db()
    assert token.revoked_at is not None
