"""Markets (issue 19): every store belongs to one; the home market is made from settings; a country
is in one market only; head office's saves are audited; a sale finds its market."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import override_settings

from retail.domain.channel import Channel
from retail.markets import home_market, market_for_sale, save_market
from retail.models import AuditEvent, Market, Store
from tests.admin.conftest import staff_user
from tests.factories import StoreFactory, UserFactory

pytestmark = pytest.mark.django_db


def poland(**fields) -> Market:
    values = {"code": "pl", "name": "Poland", "countries": ["PL"], "currency": "PLN", "default_language": "pl",
              "online_channels": [Channel.WEB.value, Channel.APP.value]} | fields  # fmt: skip
    return save_market(market=Market(**values), actor=None)


def test_a_store_made_without_a_market_joins_the_home_market():
    # when
    store = StoreFactory()

    # then
    assert store.market.is_home
    assert store.market == home_market()
    assert Market.objects.filter(is_home=True).count() == 1


@override_settings(CURRENCY="PLN", LANGUAGE_CODE="pl")
def test_the_home_market_is_made_from_settings_when_there_is_none():
    # given a database without markets
    Market.objects.filter(stores__isnull=True).delete()
    assert not Market.objects.exists()

    # when
    market = home_market()

    # then
    assert (market.currency, market.default_language, market.languages) == ("PLN", "pl", ["pl"])
    assert market.online_channels == Channel.online_values()
    assert market.prices_include_tax


def test_a_market_is_saved_clean_and_audited():
    # given
    actor = UserFactory()

    # when
    market = save_market(
        market=Market(
            code="it",
            name="Italy",
            countries=["it", "sm", "IT"],
            currency="EUR",
            default_language="it",
            languages=["pl"],
        ),
        actor=actor,
        changed=["name"],
    )

    # then the countries read once each in capitals, the default language is offered first
    market.refresh_from_db()
    assert market.countries == ["IT", "SM"]
    assert market.languages == ["it", "pl"]
    event = AuditEvent.objects.get(action="market.saved", object_id=str(market.pk))
    assert event.actor == actor
    assert event.details == {"code": "it", "currency": "EUR", "home": False, "changed": ["name"]}


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"currency": "z1"}, "currency"),
        ({"languages": ["xx"]}, "languages"),
        ({"online_channels": [Channel.STORE.value]}, "online_channels"),
        ({"countries": ["POL"]}, "countries"),
    ],
)
def test_a_market_with_a_bad_field_is_refused_on_that_field(fields, field):
    with pytest.raises(ValidationError) as refused:
        poland(**fields)
    assert field in refused.value.message_dict
    assert not Market.objects.filter(code="pl").exists()


def test_a_country_is_in_one_market_only():
    # given
    poland()

    # when another market claims Poland
    with pytest.raises(ValidationError) as refused:
        save_market(market=Market(code="cee", name="Central Europe", countries=["CZ", "PL"], currency="EUR",
                                   default_language="en-gb"), actor=None)  # fmt: skip

    # then
    assert refused.value.message_dict["countries"] == ["Already in another market: PL (in pl)."]


def test_making_a_market_home_retires_the_one_before_and_home_is_never_left_empty():
    # given
    before = home_market()
    market = poland()

    # when
    market.is_home = True
    save_market(market=market, actor=None)

    # then
    before.refresh_from_db()
    assert not before.is_home
    assert home_market() == market

    # and un-homing the only home market is refused
    market.is_home = False
    with pytest.raises(ValidationError, match="always a home market"):
        save_market(market=market, actor=None)


def test_a_sale_belongs_to_its_stores_market_else_the_one_its_channel_sells_to_that_country():
    # given
    pl = poland()
    home = home_market()
    warsaw = StoreFactory(market=pl)

    # then
    assert market_for_sale(store=warsaw, channel=Channel.STORE.value) == pl
    assert market_for_sale(channel=Channel.WEB.value, country="pl") == pl
    assert market_for_sale(channel=Channel.WEB.value, country="GB") == home  # home lists the web too
    assert market_for_sale(channel=Channel.KIOSK.value, country="PL") == home  # Poland has no kiosks


def test_the_admin_saves_a_market_through_the_service(client):
    # given
    client.force_login(staff_user(superuser=True))

    # when
    response = client.post(
        "/admin/retail/market/add/",
        {
            "code": "pl",
            "name": "Poland",
            "countries": "PL",
            "currency": "PLN",
            "default_language": "pl",
            "languages": "pl,en-gb",
            "online_channels": [Channel.WEB.value],
            "prices_include_tax": "on",
            "is_active": "on",
        },
    )

    # then
    assert response.status_code == 302, response.content.decode()[:2000]
    market = Market.objects.get(code="pl")
    assert (market.countries, market.languages, market.online_channels) == (["PL"], ["pl", "en-gb"], ["web"])
    assert AuditEvent.objects.filter(action="market.saved", object_id=str(market.pk)).exists()


def test_the_admin_refuses_a_country_of_another_market_on_the_form(client):
    # given
    poland()
    client.force_login(staff_user(superuser=True))

    # when
    response = client.post(
        "/admin/retail/market/add/",
        {
            "code": "cee",
            "name": "CEE",
            "countries": "PL,CZ",
            "currency": "EUR",
            "default_language": "en-gb",
            "languages": "",
            "is_active": "on",
        },
    )

    # then a form error, not a 500
    assert response.status_code == 200
    assert "Already in another market: PL (in pl)." in response.content.decode()


def test_a_country_code_that_iso_3166_does_not_assign_is_refused_by_name():
    # given codes of the right shape that are no country: ZZ (unknown), XK (user-assigned)
    for codes, named in ((["PL", "ZZ"], "ZZ"), (["xk"], "XK")):
        # when / then
        with pytest.raises(ValidationError) as refused:
            poland(countries=codes)
        assert refused.value.message_dict["countries"] == [
            f"Not an ISO 3166-1 country code: {named}; e.g. PL, IT, GB."]  # fmt: skip
    assert not Market.objects.filter(code="pl").exists()
    # while every assigned code, those without a telephone plan too (Antarctica), is a country
    assert poland(countries=["PL", "AQ"]).countries == ["AQ", "PL"]


def test_the_admin_names_an_unknown_country_code_on_the_form(client):
    # given
    client.force_login(staff_user(superuser=True))

    # when
    response = client.post(
        "/admin/retail/market/add/",
        {
            "code": "zz",
            "name": "Nowhere",
            "countries": "ZZ",
            "currency": "EUR",
            "default_language": "en-gb",
            "languages": "",
            "is_active": "on",
        },
    )

    # then a form error naming the code, not a 500, and no market
    assert response.status_code == 200
    assert "Not an ISO 3166-1 country code: ZZ; e.g. PL, IT, GB." in response.content.decode()
    assert not Market.objects.filter(code="zz").exists()


def test_the_home_market_cannot_be_deleted_in_the_admin(client):
    client.force_login(staff_user(superuser=True))
    assert client.get(f"/admin/retail/market/{home_market().pk}/delete/").status_code == 403


@pytest.mark.django_db(transaction=True)
def test_the_migration_puts_every_store_into_a_home_market_in_settings_currency():
    # given the schema before markets, with two stores
    executor = MigrationExecutor(connection)
    executor.migrate([("retail", "0004_store_count_approval")])
    old = executor.loader.project_state([("retail", "0004_store_count_approval")]).apps
    OldStore = old.get_model("retail", "Store")
    for code, country in (("LON-01", "GB"), ("DUB-01", "ie")):
        OldStore.objects.create(code=code, name=code, city="x", country=country, latitude=0, longitude=0)

    # when
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    # then
    markets = list(Market.objects.all())
    assert len(markets) == 1
    (market,) = markets
    assert (market.is_home, market.currency, market.countries) == (True, "EUR", ["GB", "IE"])
    assert set(Store.objects.values_list("market", flat=True)) == {market.pk}


# --- which currency, when a row does not say (retail.markets.market_currency) ---------------------


def test_a_currency_not_said_is_the_markets_else_the_home_markets(django_assert_num_queries):
    from retail.markets import home_currency, market_currency

    # given the home market in euros and a Polish store
    warsaw = Store.objects.select_related("market").get(pk=StoreFactory(code="WAW-01", market=poland()).pk)
    home = home_market()
    # then a currency given is kept (written in capitals) without a read
    with django_assert_num_queries(0):
        assert market_currency(currency=" pln ") == "PLN"
        assert market_currency(store=warsaw) == "PLN"
        assert market_currency(market=home) == home.currency
    # and nothing said is the home market's, in one read
    with django_assert_num_queries(1):
        assert market_currency() == home.currency
    assert home_currency() == home.currency


def test_the_portal_footer_says_the_stores_currency(client, store):
    from tests.factories import MembershipFactory

    # given an associate of a store in the Polish market
    Store.objects.filter(pk=store.pk).update(market=poland())
    client.force_login(MembershipFactory(store=store).user)
    # when
    page = client.get("/portal/").content.decode()
    # then the footer says złoty, not the deployment's setting
    assert '<footer class="footer">Omnistore · PLN</footer>' in page
