"""Browser journeys in Italian and in Polish (issue 19, done when): an associate whose language is
Italian signs in to a Milan store and works the dashboard and the customer search in Italian; an
associate in Warsaw who chose nothing reads the portal in her market's Polish, then picks English.
Screenshots at 1366 (tests/e2e/artifacts/language_*.png)."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from customers.services import create_customer
from retail.models import Market, StoreMembership
from tests.factories import TEST_PASSWORD, MarketFactory, MembershipFactory, StoreFactory, UserFactory

pytestmark = pytest.mark.e2e

HOURS = {d: ["10:00", "20:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat")}
DESKTOP = {"width": 1366, "height": 900}


def market(code, name, country, currency, language) -> Market:
    return MarketFactory(
        code=code,
        name=name,
        countries=[country],
        currency=currency,
        default_language=language,
        languages=[language, "en-gb"],
    )


@pytest.fixture
def chain(transactional_db):
    italy, poland = market("it", "Italia", "IT", "EUR", "it"), market("pl", "Polska", "PL", "PLN", "pl")
    milan = StoreFactory(
        code="MIL-01",
        name="Omnistore Milano Duomo",
        city="Milano",
        address_line="Via Torino 2",
        latitude=Decimal("45.4630"),
        longitude=Decimal("9.1880"),
        opening_hours=HOURS,
        market=italy,
    )
    warsaw = StoreFactory(
        code="WAW-01",
        name="Omnistore Warszawa Centrum",
        city="Warszawa",
        address_line="ul. Marszałkowska 104",
        latitude=Decimal("52.2319"),
        longitude=Decimal("21.0067"),
        opening_hours=HOURS,
        market=poland,
    )
    giulia = MembershipFactory(
        store=milan,
        role=StoreMembership.Role.ASSOCIATE,
        user=UserFactory(full_name="Giulia Bianchi", email="giulia@example.com", language="it"),
    ).user
    agnieszka = MembershipFactory(
        store=warsaw,
        role=StoreMembership.Role.ASSOCIATE,
        user=UserFactory(full_name="Agnieszka Nowak", email="agnieszka@example.com"),
    ).user
    create_customer(first_name="Giovanni", last_name="Rossi", email="g.rossi@example.com", home_store=milan)
    create_customer(first_name="Gianna", last_name="Rossi", email="gianna@example.com", home_store=milan)
    create_customer(first_name="Katarzyna", last_name="Wójcik", email="k.wojcik@example.com", home_store=warsaw)
    return {"giulia": giulia, "agnieszka": agnieszka}


def test_an_italian_associate_works_in_italian(browser_page, chain, sign_in, screenshot):
    page = browser_page
    page.set_viewport_size(DESKTOP)

    # when Giulia signs in (the sign-in page follows the browser: English here)
    sign_in(page, "giulia@example.com", TEST_PASSWORD)

    # then her dashboard is in Italian: navigation, tiles, days, the store's services
    expect(page.locator("html")).to_have_attribute("lang", "it")
    expect(page.get_by_role("status")).not_to_contain_text("Successfully signed in")  # allauth's, in Italian
    nav = page.get_by_role("navigation", name="Portale")
    expect(nav.get_by_role("link", name="Bacheca")).to_be_visible()
    expect(nav.get_by_role("link", name="Clienti")).to_be_visible()
    expect(page.get_by_role("heading", name="Orari di apertura")).to_be_visible()
    expect(page.get_by_role("row", name="Domenica Chiuso")).to_be_visible()
    expect(page.get_by_role("heading", name="Click & collect")).to_be_visible()
    expect(page.get_by_text("0 ritiri in attesa in tutto.")).to_be_visible()
    expect(page.get_by_text("0,00\u00a0€").first).to_be_visible()  # amounts as Italians write them
    expect(page.get_by_text("Opening hours")).to_have_count(0)
    screenshot(page, "language_it_dashboard")

    # when she looks for a shopper from the top bar's box, in Italian too
    box = page.get_by_placeholder("Trova un cliente: telefono, email, carta o nome")
    box.fill("Rossi")
    expect(page.locator("#customer-typeahead").get_by_text("Giovanni Rossi")).to_be_visible()
    box.press("Enter")

    # then the search page lists both Rossi, in Italian
    expect(page.get_by_role("heading", name="Clienti", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="2 clienti corrispondono a “Rossi”")).to_be_visible()
    expect(page.get_by_role("columnheader", name="Negozio di riferimento")).to_be_visible()
    expect(page.get_by_role("link", name="Giovanni Rossi")).to_be_visible()
    screenshot(page, "language_it_customer_search")
    assert page.console_errors == []


def test_a_polish_associate_reads_her_markets_polish_and_picks_english(browser_page, chain, sign_in, screenshot):
    page = browser_page
    page.set_viewport_size(DESKTOP)

    # when Agnieszka, who chose no language, signs in to the Warsaw store
    sign_in(page, "agnieszka@example.com", TEST_PASSWORD)

    # then the portal is in Polish, the Polish market's language
    expect(page.locator("html")).to_have_attribute("lang", "pl")
    expect(page.get_by_role("status")).not_to_contain_text("Successfully signed in")
    nav = page.get_by_role("navigation", name="Portal")
    expect(nav.get_by_role("link", name="Pulpit")).to_be_visible()
    expect(page.get_by_role("heading", name="Godziny otwarcia")).to_be_visible()
    expect(page.get_by_role("row", name="Niedziela Zamknięte")).to_be_visible()
    expect(page.get_by_role("heading", name="Odbiór osobisty")).to_be_visible()
    expect(page.get_by_text("Łącznie 0 odbiorów w toku.")).to_be_visible()
    screenshot(page, "language_pl_dashboard")

    # when she searches for a shopper with a Polish name
    page.get_by_placeholder("Znajdź klienta: telefon, e-mail, karta lub nazwisko").fill("Wójcik")
    expect(page.locator("#customer-typeahead").get_by_text("Katarzyna Wójcik")).to_be_visible()
    page.get_by_placeholder("Znajdź klienta: telefon, e-mail, karta lub nazwisko").press("Enter")

    # then she sees the result in Polish
    expect(page.get_by_role("heading", name="Klienci", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="1 klient pasuje do „Wójcik”")).to_be_visible()
    expect(page.get_by_role("columnheader", name="Sklep macierzysty")).to_be_visible()
    screenshot(page, "language_pl_customer_search")

    # when she chooses English on her language page
    page.get_by_role("link", name="Język").click()
    expect(page.get_by_role("heading", name="Twój język")).to_be_visible()
    page.get_by_role("combobox", name="Język").select_option("en-gb")
    page.get_by_role("button", name="Zapisz").click()

    # then the portal speaks English to her, wherever she works
    expect(page.get_by_text("Your language is saved.")).to_be_visible()
    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", name="Opening hours")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en-gb")
    chain["agnieszka"].refresh_from_db()
    assert chain["agnieszka"].language == "en-gb"
    assert page.console_errors == []
