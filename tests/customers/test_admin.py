import pytest
from django.urls import reverse

from customers.models import Customer, CustomerMerge, OfferAssignment
from customers.services import create_customer
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
