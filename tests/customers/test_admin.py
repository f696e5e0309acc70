import pytest
from django.urls import reverse

from customers.errors import CustomerError
from customers.models import Customer, CustomerMerge, Offer, OfferAssignment
from customers.services import assign_offer_to_segment, create_customer
from retail.models import AuditEvent
from tests.customers.factories import OfferFactory
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
    head_office.post(url, {"action": "merge_two", "_selected_action": [older.pk, newer.pk]})
    assert Customer.objects.get(pk=newer.pk).merged_into_id == older.pk
    assert CustomerMerge.objects.get().target_id == older.pk
    offer = OfferFactory(code="all10")
    head_office.post(
        reverse("admin:customers_offer_changelist"), {"action": "assign_to_segment", "_selected_action": [offer.pk]}
    )
    assert list(OfferAssignment.objects.values_list("customer_id", flat=True)) == [older.pk]


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
