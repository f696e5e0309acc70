"""Languages (issue 19.1): a staff user's own choice, else their store's market's default; the API by
Accept-Language; amounts written as the reader's language writes them."""

from decimal import Decimal

import pytest
from django.utils import translation

from retail.domain.money import NBSP, format_money
from retail.models import AuditEvent
from tests.factories import MarketFactory, MembershipFactory, StoreFactory, UserFactory
from tests.helpers import enrol_totp

pytestmark = pytest.mark.django_db

DASHBOARD = "/portal/"
LANGUAGE = "/portal/language/"


@pytest.fixture
def warsaw(db):
    poland = MarketFactory(languages=["pl", "en-gb"])
    return StoreFactory(code="WAW-01", name="Warszawa Centrum", city="Warszawa", market=poland)


def test_a_user_without_a_choice_reads_their_stores_market_language(client, warsaw):
    # given
    associate = MembershipFactory(store=warsaw).user
    client.force_login(associate)

    # when
    response = client.get(DASHBOARD)

    # then
    assert response["Content-Language"] == "pl"
    assert '<html lang="pl">' in response.text


def test_a_users_own_choice_wins_over_the_market_and_the_browser(client, warsaw):
    # given
    associate = MembershipFactory(store=warsaw, user__language="it").user
    client.force_login(associate)

    # when
    response = client.get(DASHBOARD, headers={"accept-language": "en-GB"})

    # then
    assert response["Content-Language"] == "it"


def test_the_user_chooses_their_language_in_the_portal_and_it_is_audited(associate_client, associate):
    # given the home market's default (English)
    page = associate_client.get(LANGUAGE)
    assert page.status_code == 200
    assert 'value="it"' in page.text and 'value="pl"' in page.text

    # when
    response = associate_client.post(LANGUAGE, {"language": "pl"}, follow=True)

    # then
    associate.refresh_from_db()
    assert associate.language == "pl"
    assert response["Content-Language"] == "pl"
    event = AuditEvent.objects.get(action="user.language_set")
    assert event.details == {"from": "", "to": "pl"}

    # and back to the store's default
    associate_client.post(LANGUAGE, {"language": ""})
    associate.refresh_from_db()
    assert associate.language == ""
    assert associate_client.get(DASHBOARD)["Content-Language"] == "en-gb"


def test_head_office_without_a_store_membership_chooses_their_language_too(client, store):
    # given a head-office user (staff, no membership: read-only in the stores, which refused this POST
    # as a change to the store)
    merchandiser = UserFactory(is_staff=True, groups=["merchandiser"])
    enrol_totp(merchandiser)
    client.force_login(merchandiser)

    # when they choose Polish
    response = client.post(LANGUAGE, {"language": "pl"})

    # then it is saved, and the portal reads in Polish
    assert response.status_code == 302, response.content
    merchandiser.refresh_from_db()
    assert merchandiser.language == "pl"
    assert client.get(DASHBOARD)["Content-Language"] == "pl"


def test_a_language_the_portal_does_not_have_is_a_form_error(associate_client, associate):
    # when
    response = associate_client.post(LANGUAGE, {"language": "xx"})

    # then
    assert response.status_code == 200
    assert 'role="alert"' in response.text
    associate.refresh_from_db()
    assert associate.language == ""


def test_the_api_answers_in_the_callers_accept_language(api_client):
    # when
    response = api_client.get("/api/v1/stores/", headers={"accept-language": "pl,en;q=0.5"})

    # then
    assert response["Content-Language"] == "pl"


@pytest.mark.parametrize(
    ("language", "currency", "amount", "written"),
    [
        ("en-gb", "EUR", "1813.72", "€1,813.72"),
        ("it", "EUR", "1813.72", f"1.813,72{NBSP}€"),
        ("pl", "PLN", "1813.72", f"1813,72{NBSP}zł"),  # CLDR: Polish groups from five digits
        ("pl", "PLN", "12345.6", f"12{NBSP}345,60{NBSP}zł"),
        ("pl", "EUR", "-5", f"-5,00{NBSP}€"),
    ],
)
def test_amounts_follow_the_readers_language(settings, language, currency, amount, written):
    # given
    settings.MONEY_LOCALE = ""

    # when
    with translation.override(language):
        text = format_money(Decimal(amount), currency)

    # then
    assert text == written


def test_a_money_locale_in_settings_writes_every_amount_one_way(settings):
    settings.MONEY_LOCALE = "en-gb"
    with translation.override("pl"):
        assert format_money(Decimal("1813.72"), "EUR") == "€1,813.72"


def test_an_italian_associate_reads_the_dashboard_in_italian(client, store):
    # given
    store.opening_hours = {"mon": ["09:00", "19:00"]}
    store.save(update_fields=["opening_hours"])
    associate = MembershipFactory(store=store, user__language="it").user
    client.force_login(associate)

    # when
    html = client.get(DASHBOARD).text

    # then
    assert "Orari di apertura" in html and "Lunedì" in html and "Chiuso" in html
    assert ">Bacheca</a>" in html and "Opening hours" not in html


def test_api_errors_answer_in_the_callers_language(api_client):
    # when an app in Polish sends a body with a field the operation does not take and without one it needs
    response = api_client.post("/api/v1/events/", {"event": 1}, format="json", headers={"accept-language": "pl"})

    # then the machine code stays, the words are Polish (ours, and DRF's own field messages)
    assert response.status_code == 400 and response["Content-Language"] == "pl"
    error = response.json()
    assert error["code"] == "unknown_field"
    assert error["message"] == "Nieznane pole: event. Ta operacja go nie przyjmuje."
    assert error["fields"] == {"event": ["Ta operacja nie przyjmuje tego pola."], "events": ["To pole jest wymagane."]}

    # and an Italian caller of an address that does not exist, or of one that needs a sign-in
    missing = api_client.get("/api/v1/nowhere/", headers={"accept-language": "it-IT,it;q=0.9"})
    assert missing.status_code == 404 and missing.json()["message"] == "A questo indirizzo non c'è nulla."
    anonymous = api_client.get("/api/v1/me/", headers={"accept-language": "it"})
    assert anonymous.json()["code"] == "not_authenticated"
    assert anonymous.json()["message"] == "Accedi per farlo."


def test_a_signed_in_staff_members_language_does_not_override_the_apis_accept_language(api_client, associate):
    # given an associate whose portal is Italian
    associate.language = "it"
    associate.save(update_fields=["language"])
    api_client.force_login(associate)

    # when they call the API in English
    response = api_client.get("/api/v1/nowhere/", headers={"accept-language": "en-GB"})

    # then the answer follows the request
    assert response.json()["message"] == "There is nothing at this address."
