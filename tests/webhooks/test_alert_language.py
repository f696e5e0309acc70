"""The email telling head office a subscription was paused, and the admin's reason, read in their reader's
language (issue 19.1): a staff user's own language, else head office's (the home market's default)."""

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from customers.services.profiles import create_customer
from retail.models import Market
from retail.models.markets import home_market_id
from tests.factories import UserFactory
from tests.helpers import enrol_totp
from tests.webhooks.conftest import run_outbox
from tests.webhooks.test_events_and_delivery import deliver_all
from webhooks.models import Delivery, Subscription

pytestmark = pytest.mark.django_db


def fail_until_paused(subscribe, receiver, settings) -> Subscription:
    settings.WEBHOOKS_FAILURES_BEFORE_PAUSE = 3
    settings.WEBHOOKS_ALERT_EMAILS = []
    subscription = subscribe(["customer.created"])
    receiver.statuses = [500]
    create_customer(first_name="Grace", email="grace@example.com")
    run_outbox()
    for _ in range(4):
        deliver_all(subscription)
        Delivery.objects.filter(status="pending").update(next_attempt_at=timezone.now())
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.PAUSED
    return subscription


def test_head_office_is_told_in_each_ones_language(subscribe, receiver, settings):
    # given a Polish head-office user, one who chose no language while head office's is Italian, and one in English
    Market.objects.filter(pk=home_market_id()).update(default_language="it")
    UserFactory(is_superuser=True, is_staff=True, email="ola@omnistore.pl", language="pl")
    UserFactory(is_superuser=True, is_staff=True, email="giulia@omnistore.it", language="")
    UserFactory(is_superuser=True, is_staff=True, email="ada@omnistore.co.uk", language="en-gb")
    # when a receiver keeps failing until its subscription is paused, and the alert is sent
    subscription = fail_until_paused(subscribe, receiver, settings)
    mail.outbox.clear()
    run_outbox()
    # then each reads it in their language, the reason too, with the URL and the last answer as they are
    sent = {message.to[0]: message for message in mail.outbox}
    assert sorted(sent) == ["ada@omnistore.co.uk", "giulia@omnistore.it", "ola@omnistore.pl"]
    polish, italian, english = sent["ola@omnistore.pl"], sent["giulia@omnistore.it"], sent["ada@omnistore.co.uk"]
    assert polish.subject == "Subskrypcja webhooków wstrzymana: Warehouse"
    assert "Omnistore przestał wysyłać webhooki do " + subscription.url in polish.body
    assert "Wstrzymano automatycznie po 3 nieudanych doręczeniach z rzędu; ostatnie: HTTP 500" in polish.body
    assert "Paused" not in polish.body and "Events keep queueing" not in polish.body
    assert italian.subject == "Sottoscrizione webhook sospesa: Warehouse"
    assert "Sospesa automaticamente dopo 3 consegne fallite di seguito; l'ultima: HTTP 500" in italian.body
    assert english.subject == "Webhook subscription paused: Warehouse"
    assert "Paused automatically after 3 consecutive failed deliveries; the last one: HTTP 500" in english.body


def test_the_admin_says_why_it_is_paused_in_its_users_language(client, subscribe, receiver, settings):
    # given a subscription the breaker paused, its reason kept in English words and as a message
    subscription = fail_until_paused(subscribe, receiver, settings)
    assert subscription.paused_reason.startswith("Paused automatically after 3 consecutive failed deliveries")
    user = UserFactory(is_staff=True, is_superuser=True, language="pl")
    enrol_totp(user)
    client.force_login(user)
    # when a Polish head-office user reads the subscriptions and the one paused
    listing = client.get(reverse("admin:webhooks_subscription_changelist")).content.decode()
    detail = client.get(reverse("admin:webhooks_subscription_change", args=[subscription.pk])).content.decode()
    # then the reason is Polish
    for page in (listing, detail):
        assert "Wstrzymano automatycznie po 3 nieudanych" in page and "Paused automatically" not in page
