"""A phone number typed without its country code is read, and shown, as the store's country writes it:
a Milan associate typing a shopper's '347 000 0558' found nobody (it was read as a British number), saw
British numbers as '07700 901104' (not diallable from Italy), and a profile made there stored +44."""

import pytest
from django.urls import reverse

from customers.services.profiles import create_customer
from retail.models import StoreMembership
from tests.factories import MarketFactory, MembershipFactory, StoreFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def warsaw(db):
    return StoreFactory(code="WAW-01", name="Warszawa Centrum", market=MarketFactory(), country="PL")


@pytest.fixture
def warsaw_client(client, warsaw):
    client.force_login(MembershipFactory(store=warsaw, role=StoreMembership.Role.ASSOCIATE).user)
    return client


def test_a_local_number_finds_the_shopper_and_a_foreign_one_reads_internationally(warsaw_client, warsaw):
    # given a Warsaw shopper and a British one
    local = create_customer(first_name="Anna", last_name="Nowak", phone="+48512000123", home_store=warsaw)
    create_customer(first_name="Anna", last_name="Smith", phone="+447700900123")
    url = reverse("customers_portal:search")

    # when the Warsaw associate types the local number as Poles write it, then searches by name
    by_phone = warsaw_client.get(url, {"q": "512 000 123"})
    by_name = warsaw_client.get(url, {"q": "anna"}).content.decode()

    # then the shopper opens, and the list shows the Polish number nationally, the British one with +44
    assert by_phone.status_code == 302 and by_phone.url == reverse("customers_portal:detail", args=[local.pk])
    assert "512 000 123" in by_name and "+48" not in by_name
    assert "+44 7700 900123" in by_name and "07700 900123" not in by_name


def test_a_profile_made_in_a_polish_store_reads_a_local_number_as_polish(warsaw):
    customer = create_customer(first_name="Jan", phone="512 000 124", home_store=warsaw)

    assert customer.phone == "+48512000124"
