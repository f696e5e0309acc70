"""A shopper's language (issue 19.1): set by the shopper through PATCH /api/v1/me/ among the languages
their market offers, and kept through a merge (the survivor's, else the other profile's)."""

import pytest

from customers.models import Customer
from customers.services import create_customer, merge_customers, undo_merge
from tests.customers.test_api import _app_login
from tests.factories import MarketFactory, StoreFactory, UserFactory

pytestmark = pytest.mark.django_db

ME = "/api/v1/me/"


@pytest.fixture
def warsaw(db):
    poland = MarketFactory(languages=["pl", "en-gb"])
    return StoreFactory(code="WAW-01", name="Warszawa Centrum", city="Warszawa", market=poland)


@pytest.fixture
def shopper_token(api_client, password):
    UserFactory(email="ola@example.com", email_verified=True)
    return _app_login(api_client, "ola@example.com", password)


def test_a_shopper_sets_a_language_their_home_stores_market_offers(api_client, shopper_token, warsaw):
    # given a shopper whose home store is in Poland (Polish and English offered)
    headers = {"HTTP_X_SESSION_TOKEN": shopper_token}
    assert api_client.patch(ME, {"home_store": "WAW-01"}, format="json", **headers).status_code == 200

    # when they choose English
    response = api_client.patch(ME, {"language": "en-gb"}, format="json", **headers)

    # then it is stored and shown
    assert response.status_code == 200, response.content
    assert response.json()["language"] == "en-gb"
    assert Customer.objects.get(user__email="ola@example.com").language == "en-gb"

    # and a language the market does not offer is refused with a field, in the caller's language
    refused = api_client.patch(ME, {"language": "it"}, format="json", headers={"accept-language": "pl"}, **headers)
    assert refused.status_code == 400
    assert refused.json()["code"] == "invalid" and "language" in refused.json()["fields"]
    assert refused.json()["message"].startswith("Wybierz jeden z języków")
    assert Customer.objects.get(user__email="ola@example.com").language == "en-gb"

    # and empty goes back to the market's default
    cleared = api_client.patch(ME, {"language": ""}, format="json", **headers)
    assert cleared.status_code == 200 and cleared.json()["language"] == ""


def test_the_language_is_checked_against_the_home_store_set_in_the_same_change(api_client, shopper_token, warsaw):
    # given a shopper of the home market (English only in the tests' home market)
    headers = {"HTTP_X_SESSION_TOKEN": shopper_token}
    assert api_client.patch(ME, {"language": "pl"}, format="json", **headers).status_code == 400

    # when they move to a Warsaw home store and choose Polish at once
    response = api_client.patch(ME, {"home_store": "WAW-01", "language": "pl"}, format="json", **headers)

    # then both are kept
    assert response.status_code == 200, response.content
    assert (response.json()["home_store"], response.json()["language"]) == ("WAW-01", "pl")


def test_a_language_the_portal_does_not_have_is_a_400(api_client, shopper_token):
    response = api_client.patch(ME, {"language": "de"}, format="json", HTTP_X_SESSION_TOKEN=shopper_token)
    assert response.status_code == 400 and "language" in response.json()["fields"]


@pytest.mark.parametrize(
    ("kept", "other", "after"),
    [("it", "pl", "it"), ("", "pl", "pl"), ("it", "", "it"), ("", "", "")],
)
def test_a_merge_keeps_the_survivors_language_else_takes_the_others(kept, other, after):
    # given two profiles of one shopper
    target = create_customer(first_name="Ola", last_name="Nowak", email="ola@example.com", language=kept)
    source = create_customer(first_name="Ola", last_name="Nowak", phone="+48601234567", language=other)

    # when they are merged
    merge = merge_customers(source=source, target=target, reason="same person")

    # then the survivor reads the language it had, or the other's when it had none
    target.refresh_from_db()
    assert target.language == after

    # and undoing the merge gives the survivor back its own
    undo_merge(merge=merge)
    target.refresh_from_db()
    assert target.language == kept
