import re

import pytest
from django.urls import reverse

from customers.errors import CustomerError
from customers.models import Customer, CustomerMerge, Offer, OfferAssignment
from customers.services import assign_offer_to_segment, create_customer, earn_points
from retail.models import AuditEvent
from tests.customers.factories import OfferFactory, many_interactions
from tests.factories import UserFactory
from tests.helpers import enrol_totp

pytestmark = pytest.mark.django_db


@pytest.fixture
def head_office(client):
    user = UserFactory(is_staff=True, is_superuser=True)
    enrol_totp(user)
    client.force_login(user)
    return client


def test_customer_admin_lists_searches_and_opens_a_profile(head_office):
    ada = create_customer(first_name="Ada", last_name="Lovelace", email="ada@example.com", phone="07700900777")
    changelist = head_office.get(reverse("admin:customers_customer_changelist"), {"q": "+447700900777"})
    assert changelist.status_code == 200 and "Ada Lovelace" in changelist.content.decode()
    change = head_office.get(reverse("admin:customers_customer_change", args=[ada.pk]))
    assert change.status_code == 200 and "ada@example.com" in change.content.decode()
    for name in ["interaction", "pointsentry", "storecreditentry", "loyaltytier", "offer", "customermerge"]:
        assert head_office.get(reverse(f"admin:customers_{name}_changelist")).status_code == 200


def test_admin_actions_merge_two_profiles_and_assign_an_offer(head_office):
    older = create_customer(first_name="Sam", last_name="Lee", email="sam@example.com")
    newer = create_customer(first_name="Sam", last_name="Lee", email="sam.lee@work.example")
    url = reverse("admin:customers_customer_changelist")
    pair = {"action": "merge_two", "_selected_action": [older.pk, newer.pk]}
    # the action first shows both profiles; nothing is merged until confirmed with a reason
    head_office.post(url, pair)
    assert not CustomerMerge.objects.exists()
    head_office.post(url, {**pair, "keep": older.pk, "reason": "same person", "apply": "1"})
    assert Customer.objects.get(pk=newer.pk).merged_into_id == older.pk
    assert CustomerMerge.objects.get().target_id == older.pk
    offer = OfferFactory(code="all10")
    head_office.post(
        reverse("admin:customers_offer_changelist"), {"action": "assign_to_segment", "_selected_action": [offer.pk]}
    )
    assert list(OfferAssignment.objects.values_list("customer_id", flat=True)) == [older.pk]


def _cells(html: str, label: str) -> list[str]:
    row = re.search(rf"<th scope=\"row\">{label}</th>(.*?)</tr>", html, re.S).group(1)
    return [re.sub(r"<[^>]+>", " ", c).split() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]


def test_a_merge_shows_both_profiles_side_by_side_and_asks_to_confirm(head_office, store, django_assert_num_queries):
    # given two profiles of one person: the newer has the phone, the points and the app account
    older = create_customer(first_name="Sam", last_name="Lee", email="sam@example.com")
    newer = create_customer(first_name="Sam", last_name="Lee", phone="07700 900555", home_store=store)
    newer.user = UserFactory(email="sam.app@example.com")
    newer.save(update_fields=["user"])
    earn_points(customer=newer, points=120, reference="ORD-9")
    earn_points(customer=older, points=30, reference="ORD-1")
    url = reverse("admin:customers_customer_changelist")
    pair = {"action": "merge_two", "_selected_action": [older.pk, newer.pk]}
    # when head office picks both and chooses the merge action
    with django_assert_num_queries(QUERIES):
        page = head_office.post(url, pair).content.decode()
    # then both are side by side, the one with the app account kept, and what it ends with shown
    assert "Merge two profiles" in page and "cannot be merged" not in page
    assert re.search(rf'name="keep" value="{newer.pk}" checked', page)
    assert _cells(page, "Phone") == [["—"], ["+447700900555"], ["+447700900555"]]
    assert _cells(page, "Email") == [["sam@example.com"], ["—"], ["sam@example.com"]]
    assert _cells(page, "Points") == [["30"], ["120"], ["150"]]
    assert _cells(page, "App/web account") == [["—"], ["sam.app@example.com"], ["sam.app@example.com"]]
    assert f"Merge #{older.pk} into #{newer.pk}" in page
    assert not CustomerMerge.objects.exists()
    many_interactions(older, 300)
    with django_assert_num_queries(QUERIES):
        assert "300" in head_office.post(url, pair).content.decode()
    # when they choose to keep the other one instead, the page says so before anything happens
    page = head_office.post(url, {**pair, "keep": older.pk, "preview": "1"}).content.decode()
    assert re.search(rf'name="keep" value="{older.pk}" checked', page) and f"Merge #{newer.pk} into #{older.pk}" in page
    # a confirmation without a reason is refused on the page
    page = head_office.post(url, {**pair, "keep": older.pk, "apply": "1", "reason": ""}).content.decode()
    assert "This field is required" in page and not CustomerMerge.objects.exists()
    # when they confirm, the merge service merges (balances move through the ledger) and audits it
    response = head_office.post(url, {**pair, "keep": older.pk, "apply": "1", "reason": "same card"}, follow=True)
    assert f"#{newer.pk} merged into" in response.content.decode()
    merge = CustomerMerge.objects.get()
    assert (merge.source_id, merge.target_id, merge.reason) == (newer.pk, older.pk, "same card")
    older.refresh_from_db()
    assert (older.phone, older.user.email, older.loyalty_account.balance) == (
        "+447700900555",
        "sam.app@example.com",
        150,
    )
    audit = AuditEvent.objects.get(action="customer.merged")
    assert (audit.object_id, audit.details["source"], audit.details["reason"]) == (str(older.pk), newer.pk, "same card")


# session, user, second factor; the changelist the action runs from (its filters' stores, tiers and
# tags, twice, and its count); the two selected; the pair with balances and counts, identities,
# consents, tags: the same whatever their histories
QUERIES = 15


def test_two_app_accounts_cannot_be_merged_and_the_page_says_why(head_office):
    a = create_customer(first_name="Kim", last_name="Ode", email="kim@example.com")
    b = create_customer(first_name="Kim", last_name="Ode", email="kim.o@example.com")
    for customer, email in ((a, "k1@example.com"), (b, "k2@example.com")):
        customer.user = UserFactory(email=email)
        customer.save(update_fields=["user"])
    url = reverse("admin:customers_customer_changelist")
    pair = {"action": "merge_two", "_selected_action": [a.pk, b.pk]}
    page = head_office.post(url, pair).content.decode()
    assert "cannot be merged" in page and "Both profiles have an app/web account" in page
    assert re.search(r'name="apply"[^>]*disabled', page)
    # and a forced confirmation changes nothing
    head_office.post(url, {**pair, "apply": "1", "reason": "x"})
    assert not CustomerMerge.objects.exists()
    # one profile selected is not a pair
    response = head_office.post(url, {"action": "merge_two", "_selected_action": [a.pk]}, follow=True)
    assert "Select exactly two profiles" in response.content.decode()


def test_a_merchandiser_switches_offers_off_and_on_in_bulk_audited_once(client):
    # given
    merchandiser = UserFactory(is_staff=True, groups=["merchandiser"])
    enrol_totp(merchandiser)
    client.force_login(merchandiser)
    spring, summer, autumn = OfferFactory(code="spring"), OfferFactory(code="summer"), OfferFactory(code="autumn")
    url = reverse("admin:customers_offer_changelist")
    # when: two are switched off, twice (a double submit)
    for _ in range(2):
        response = client.post(url, {"action": "deactivate", "_selected_action": [spring.pk, summer.pk]}, follow=True)
    # then: both off, the third untouched, one audit line per change
    assert dict(Offer.objects.values_list("code", "is_active")) == {"spring": False, "summer": False, "autumn": True}
    events = AuditEvent.objects.filter(action="offer.deactivated").order_by("object_id")
    assert [(e.object_id, e.actor_id) for e in events] == [
        (str(spring.pk), merchandiser.pk),
        (str(summer.pk), merchandiser.pk),
    ]
    assert "0 offer(s) made inactive: none." in response.content.decode()
    with pytest.raises(CustomerError) as error:
        assign_offer_to_segment(offer=Offer.objects.get(code="spring"))
    assert error.value.code == "offer_expired"
    # when: one is switched on again
    response = client.post(url, {"action": "activate", "_selected_action": [spring.pk, autumn.pk]}, follow=True)
    # then: only the one that was off changed
    assert "1 offer(s) made active: spring." in response.content.decode()
    assert Offer.objects.get(code="spring").is_active
    assert list(AuditEvent.objects.filter(action="offer.activated").values_list("object_id", flat=True)) == [
        str(spring.pk)
    ]


def test_customer_service_sees_offers_but_cannot_switch_them(client):
    # given: customer service only views offers
    agent = UserFactory(is_staff=True, groups=["customer-service"])
    enrol_totp(agent)
    client.force_login(agent)
    offer = OfferFactory(code="winter")
    url = reverse("admin:customers_offer_changelist")
    # when
    page = client.get(url).content.decode()
    client.post(url, {"action": "deactivate", "_selected_action": [offer.pk]})
    # then
    assert 'value="deactivate"' not in page
    assert Offer.objects.get(pk=offer.pk).is_active
    assert not AuditEvent.objects.filter(action="offer.deactivated").exists()
