"""Issue 13 findings 4-6: trusted proxies, head office read-only, every clienteling fragment audited."""

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse

from customers.models import Consent, Note
from customers.services import create_customer
from inventory.models import StockCount
from retail.api.idempotency import request_scope
from retail.models import AuditEvent
from tests.factories import MembershipFactory, UserFactory
from tests.helpers import enrol_totp

pytestmark = pytest.mark.django_db


@pytest.fixture
def shopper(db):
    return create_customer(first_name="Ada", last_name="Shopper", email="ada@example.com")


# --- 5. head office without a membership looks, and does not act ------------------------------


def _head_office(group: str):
    user = UserFactory(is_staff=True, groups=[group])
    enrol_totp(user)  # staff sign in with a second factor
    return user


def test_a_merchandiser_without_membership_reads_a_store_but_changes_nothing(client, store, shopper):
    client.force_login(_head_office("merchandiser"))
    # when they open a shopper's profile: they may look
    assert client.get(reverse("customers_portal:detail", args=[shopper.pk])).status_code == 200
    # when they add a note, change a consent and start a stock count
    note = client.post(reverse("customers_portal:notes", args=[shopper.pk]), {"body": "VIP, call her"})
    consent = client.post(reverse("customers_portal:consent", args=[shopper.pk]), {"channel": "sms", "granted": "1"})
    count = client.post(reverse("inventory_portal:count-start"), {"scope": "all"})
    # then each is refused, saying why, and nothing was written
    assert (note.status_code, consent.status_code, count.status_code) == (403, 403, 403)
    assert "Head office can look" in note.content.decode()
    assert not Note.objects.exists() and not Consent.objects.exists() and not StockCount.objects.exists()


def test_customer_service_may_edit_shoppers_but_not_count_a_stores_stock(client, store, shopper):
    client.force_login(_head_office("customer-service"))
    note = client.post(reverse("customers_portal:notes", args=[shopper.pk]), {"body": "Called about refund"})
    count = client.post(reverse("inventory_portal:count-start"), {"scope": "all"})
    assert note.status_code in (200, 302) and Note.objects.count() == 1
    assert count.status_code == 403 and not StockCount.objects.exists()


def test_a_member_of_the_store_still_acts(associate_client, shopper):
    response = associate_client.post(reverse("customers_portal:notes", args=[shopper.pk]), {"body": "Likes linen"})
    assert response.status_code in (200, 302) and Note.objects.count() == 1


# --- 6. every fragment of the clienteling screen is audited through the one lookup ------------

FRAGMENTS = [
    ("customers_portal:detail", {}),
    ("customers_portal:timeline", {}),
    ("customers_portal:notes", {}),
    ("customers_portal:tasks", {}),
    ("customers_portal:offers", {}),
    ("customers_portal:lists", {}),
    ("customers_portal:recommendations", {}),
    ("orders_portal:customer-orders", {}),
    ("orders_portal:customer-pickups", {}),
    ("orders_portal:customer-cart", {}),
    ("returns_portal:customer-returns", {}),
    ("returns_portal:purchases", {}),
    ("returns_portal:receiptless", {}),
]


@pytest.mark.parametrize(("name", "query"), FRAGMENTS)
def test_each_fragment_alone_records_who_looked(associate_client, associate, store, shopper, name, query):
    response = associate_client.get(reverse(name, args=[shopper.pk]), query, HTTP_HX_REQUEST="true")
    assert response.status_code == 200, name
    seen = AuditEvent.objects.filter(action="customer.viewed", object_id=str(shopper.pk))
    assert list(seen.values_list("actor", "store")) == [(associate.pk, store.pk)]


def test_the_whole_screen_is_one_row_per_associate_and_period(associate_client, associate, client, store, shopper):
    for name, query in FRAGMENTS:
        associate_client.get(reverse(name, args=[shopper.pk]), query, HTTP_HX_REQUEST="true")
    # a colleague looking too is their own row
    colleague = MembershipFactory(store=store).user
    client.force_login(colleague)
    client.get(reverse("customers_portal:timeline", args=[shopper.pk]), HTTP_HX_REQUEST="true")
    seen = AuditEvent.objects.filter(action="customer.viewed", object_id=str(shopper.pk))
    assert sorted(seen.values_list("actor", flat=True)) == sorted([associate.pk, colleague.pk])


# --- 4. one trusted-proxy setting for allauth, the throttle, idempotency and the audit ---------


def tiny_anon_rate(rate: str):
    return override_settings(
        REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": rate, "user": None}}
    )


@tiny_anon_rate("3/min")
@override_settings(TRUSTED_PROXY_COUNT=0)
def test_without_a_proxy_a_forged_forwarded_for_buys_nothing(api_client, store):
    answers = [
        api_client.get("/api/v1/stores/", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code for n in range(1, 6)
    ]
    assert answers == [200, 200, 200, 429, 429]


@tiny_anon_rate("2/min")
@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_one_proxy_each_client_has_its_own_bucket_and_cannot_pick_it(api_client, store):
    proxy = {"REMOTE_ADDR": "10.0.0.5"}

    def call(forwarded):
        return api_client.get("/api/v1/stores/", HTTP_X_FORWARDED_FOR=forwarded, **proxy).status_code

    # two shoppers behind the same proxy are not throttled together
    assert [call("198.51.100.1"), call("198.51.100.1"), call("198.51.100.2")] == [200, 200, 200]
    # and the first cannot escape its bucket by writing its own X-Forwarded-For (the proxy appends the real one)
    assert call("192.0.2.99, 198.51.100.1") == 429


@override_settings(ACCOUNT_RATE_LIMITS={**settings.ACCOUNT_RATE_LIMITS, "login_failed": "100/5m/key,3/m/ip"})
@pytest.mark.parametrize(("proxies", "other_client_locked"), [(0, True), (1, False)])
def test_sign_in_limits_count_the_real_client(client, associate, proxies, other_client_locked):
    def sign_in(forwarded, email):
        with override_settings(TRUSTED_PROXY_COUNT=proxies):  # allauth reads it through the adapter
            return client.post(
                "/accounts/login/",
                {"login": email, "password": "wrong-wrong-wrong"},
                HTTP_X_FORWARDED_FOR=forwarded,
                REMOTE_ADDR="10.0.0.5",
            )

    # when one client fails three sign-ins (of different accounts)
    for n in range(3):
        sign_in("198.51.100.1", f"nobody{n}@example.com")
    # then that client is held back
    assert "Too many failed login attempts" in sign_in("198.51.100.1", "x@example.com").content.decode()
    # and another client is held back only when nothing tells them apart (no trusted proxy)
    other = sign_in("198.51.100.2", "y@example.com").content.decode()
    assert ("Too many failed login attempts" in other) is other_client_locked


@pytest.mark.parametrize(("proxies", "expected"), [(0, "anon:10.0.0.5"), (1, "anon:198.51.100.7")])
def test_anonymous_idempotency_scope_and_audit_use_the_same_address(rf, associate_client, shopper, proxies, expected):
    from django.contrib.auth.models import AnonymousUser

    with override_settings(TRUSTED_PROXY_COUNT=proxies):
        request = rf.post("/api/v1/orders/", HTTP_X_FORWARDED_FOR="198.51.100.7", REMOTE_ADDR="10.0.0.5")
        request.user = AnonymousUser()
        assert request_scope(request) == expected
        associate_client.get(
            reverse("customers_portal:detail", args=[shopper.pk]),
            HTTP_X_FORWARDED_FOR="198.51.100.7",
            REMOTE_ADDR="10.0.0.5",
        )
    event = AuditEvent.objects.get(action="customer.viewed")
    assert event.ip_address == expected.removeprefix("anon:")


def test_the_deploy_guide_documents_the_setting():
    from pathlib import Path

    guide = (Path(settings.BASE_DIR) / "docs" / "deploy.md").read_text()
    assert "TRUSTED_PROXY_COUNT" in guide


def test_production_reads_one_number_for_every_use():
    assert settings.REST_FRAMEWORK["NUM_PROXIES"] == settings.TRUSTED_PROXY_COUNT
    assert settings.ALLAUTH_TRUSTED_PROXY_COUNT == settings.TRUSTED_PROXY_COUNT
