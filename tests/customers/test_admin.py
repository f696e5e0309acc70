import re

import pytest
from django.urls import reverse

from customers.errors import CustomerError
from customers.models import Customer, CustomerMerge, Offer, OfferAssignment, Tag
from customers.services import assign_offer_to_segment, create_customer, earn_points, erase_customer
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
    # in the order made: object_id is text, so "10" sorts before "9"
    events = AuditEvent.objects.filter(action="offer.deactivated").order_by("id")
    assert [(e.object_id, e.actor_id) for e in events] == [
        (str(spring.pk), merchandiser.pk),
        (str(summer.pk), merchandiser.pk),
    ]
    assert "0 offers made inactive: none." in response.content.decode()
    with pytest.raises(CustomerError) as error:
        assign_offer_to_segment(offer=Offer.objects.get(code="spring"))
    assert error.value.code == "offer_expired"
    # when: one is switched on again
    response = client.post(url, {"action": "activate", "_selected_action": [spring.pk, autumn.pk]}, follow=True)
    # then: only the one that was off changed
    assert "1 offer made active: spring." in response.content.decode()
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


def _change_form(customer, **values) -> dict:
    """What the admin's change form posts for `customer`, with `values` typed over it."""
    return {
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "email": customer.email,
        "phone": customer.phone,
        "card_number": customer.card_number,
        "important_dates": "[]",
        "preferred_sizes": "{}",
        "identities-TOTAL_FORMS": "0",
        "identities-INITIAL_FORMS": "0",
        "consents-TOTAL_FORMS": "0",
        "consents-INITIAL_FORMS": "0",
        **values,
    }


def test_an_email_of_another_profile_is_a_form_error_and_nothing_is_written(head_office):
    # given two shoppers
    ann = create_customer(first_name="Ann", last_name="Lee", email="ann@example.com")
    bob = create_customer(first_name="Bob", last_name="Ray", email="bob@example.com")
    audited = AuditEvent.objects.count()
    # when head office types Ann's email (any case) on Bob's profile
    response = head_office.post(
        reverse("admin:customers_customer_change", args=[bob.pk]),
        _change_form(bob, first_name="Robert", email=" ANN@example.com"),
    )
    # then the form says whose it is, and Bob's profile is as it was
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["email"] == [f"Customer #{ann.pk} already has this email: open that profile or merge the two."]
    bob.refresh_from_db()
    assert (bob.first_name, bob.email) == ("Bob", "bob@example.com")
    assert list(bob.identities.values_list("value", flat=True)) == ["bob@example.com"]
    assert AuditEvent.objects.count() == audited


def test_an_admin_edit_goes_through_the_services_and_is_audited(head_office, store):
    # given a shopper and a tag
    ann = create_customer(first_name="Ann", last_name="Lee", email="ann@example.com")
    vip = Tag.objects.create(name="VIP")
    # when head office changes her email and phone, her home store and her tags
    response = head_office.post(
        reverse("admin:customers_customer_change", args=[ann.pk]),
        _change_form(ann, email="Ann.Lee@Example.com", phone="07700 900123", home_store=store.pk, tags=[vip.pk]),
    )
    # then the profile holds the normalised contacts as identities, the tag as chosen
    assert response.status_code == 302
    ann.refresh_from_db()
    assert (ann.email, ann.phone, ann.home_store_id) == ("ann.lee@example.com", "+447700900123", store.pk)
    assert set(ann.identities.values_list("kind", "value")) >= {("email", "ann.lee@example.com"),
                                                               ("phone", "+447700900123")}  # fmt: skip
    assert list(ann.tags.values_list("name", flat=True)) == ["VIP"]
    # and each change is an AuditEvent naming head office's user
    events = {e.action: e for e in AuditEvent.objects.filter(object_id=str(ann.pk), actor__isnull=False)}
    assert events["customer.updated"].details == {"fields": ["email", "home_store", "phone"]}
    assert events["customer.tags_set"].details == {"tags": ["VIP"]}
    assert events["customer.updated"].actor_id == response.wsgi_request.user.pk


def test_a_customer_added_in_the_admin_is_created_by_the_service(head_office):
    # when head office adds a shopper whose phone another profile holds
    create_customer(first_name="Ann", last_name="Lee", phone="+447700900123")
    add = reverse("admin:customers_customer_add")
    refused = head_office.post(add, _change_form(Customer(), first_name="Cy", phone="07700900123"))
    # then it is refused on the form
    assert refused.status_code == 200 and "phone" in refused.context["adminform"].form.errors
    assert not Customer.objects.filter(first_name="Cy").exists()
    # and with a phone of their own the profile is made, its contacts claimed, the creation audited
    made = head_office.post(add, _change_form(Customer(), first_name="Cy", phone="07700900456"))
    cy = Customer.objects.get(first_name="Cy")
    assert made.status_code == 302 and cy.search_name == "cy"
    assert list(cy.identities.values_list("kind", "value")) == [("phone", "+447700900456")]
    assert AuditEvent.objects.filter(action="customer.created", object_id=str(cy.pk)).exists()


def test_what_a_service_refuses_after_the_form_is_an_error_on_the_page_and_nothing_is_written(head_office):
    # given an erased profile (its form is valid; the service refuses to put personal data back)
    ann = create_customer(first_name="Ann", last_name="Lee", email="ann@example.com")
    erase_customer(customer=ann, actor=None, reason="asked")
    ann.refresh_from_db()
    url = reverse("admin:customers_customer_change", args=[ann.pk])
    # when head office types a name on it
    response = head_office.post(url, _change_form(ann, first_name="Ann"), follow=True)
    # then the page says why and the profile stays erased
    assert response.redirect_chain == [(url, 302)]
    assert "This customer was erased." in response.content.decode()
    ann.refresh_from_db()
    assert ann.first_name != "Ann"
