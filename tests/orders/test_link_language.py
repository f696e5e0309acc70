"""The pages of the links sent to shoppers (pay-by-link, saved cart) read in the language of the message
that carried the link (issue 19.1): the shopper's own language, else that of the store's market, whatever
the browser's Accept-Language says; a link that opens nothing reads as the browser asks."""

import pytest
from django.urls import reverse

from orders.models import PaymentRequest
from orders.services.saved_carts import save_cart_for_customer, saved_cart_token
from retail.models import Market
from tests.factories import MarketFactory
from tests.orders.test_assisted import dress, place  # noqa: F401 - a fixture
from tests.orders.test_assisted_portal import stock  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db
ENGLISH_BROWSER = {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}


def speak(customer, language: str) -> None:
    customer.language = language
    customer.save(update_fields=["language"])


def pay_link_url(associate, store, shopper) -> str:
    order, _ = place(associate, store, shopper, payment="link")
    return reverse("pay-link", args=[PaymentRequest.objects.get(order=order).token])


def test_a_polish_shoppers_pay_link_reads_in_polish_in_an_english_browser(
    client,
    associate,
    store,
    shopper,
    dress,  # noqa: F811
    django_assert_num_queries,
):
    # given a Polish-speaking shopper of a London store, sent a pay-by-link
    speak(shopper, "pl")
    url = pay_link_url(associate, store, shopper)

    # when they open it in a browser that asks for English
    with django_assert_num_queries(2):  # the request with its order, store, market and shopper; the lines
        page = client.get(url, **ENGLISH_BROWSER)

    # then the page is in Polish
    html = page.content.decode()
    assert page.status_code == 200 and page["Content-Language"] == "pl"
    assert '<html lang="pl">' in html and "Do zapłaty" in html and "Total to pay" not in html
    # and a card refused says so in Polish too
    refused = client.post(url, {"card": "tok_decline"}, **ENGLISH_BROWSER)
    assert refused["Content-Language"] == "pl" and '<html lang="pl">' in refused.content.decode()


def test_without_their_own_language_the_page_reads_in_the_stores_markets(
    client,
    associate,
    store,
    shopper,
    dress,  # noqa: F811
):
    # given a shopper without a language of their own, served by a store whose market speaks Polish
    Market.objects.filter(pk=store.market_id).update(default_language="pl", languages=["pl", "en-gb"])
    url = pay_link_url(associate, store, shopper)

    # then the page reads as the message did, in Polish, not in the browser's Italian
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="it")
    assert page["Content-Language"] == "pl" and "Do zapłaty" in page.content.decode()


def test_a_link_that_opens_nothing_reads_as_the_browser_asks(client):
    page = client.get(reverse("pay-link", args=["nope"]), HTTP_ACCEPT_LANGUAGE="it")
    assert page.status_code == 404 and page["Content-Language"] == "it"


def test_a_polish_shoppers_saved_cart_link_reads_in_polish_whoever_opens_it(
    client,
    associate,
    store,
    shopper,
    shopper_user,
    stock,  # noqa: F811
    django_assert_num_queries,
):
    # given a cart sent to a Polish-speaking shopper of a London store
    speak(shopper, "pl")
    sent = save_cart_for_customer(customer=shopper, store=store, actor=associate, lines=[("DRESS-S", 1)], send=True)
    url = reverse("saved-cart-link", args=[saved_cart_token(sent)])

    # when it is opened in an English browser, signed out
    with django_assert_num_queries(3):  # the saved cart with its store, market and shopper; its items; their names
        page = client.get(url, **ENGLISH_BROWSER)

    # then it reads in Polish
    assert page["Content-Language"] == "pl" and "Zaloguj się i dodaj do koszyka" in page.content.decode()
    # and signed in, adding the items says so in Polish
    client.force_login(shopper_user)
    assert "Dodaj do mojego koszyka" in client.get(url, **ENGLISH_BROWSER).content.decode()
    added = client.post(url, **ENGLISH_BROWSER)
    assert added.status_code == 200 and added["Content-Language"] == "pl"
    assert '<html lang="pl">' in added.content.decode()


def test_a_cart_saved_in_a_polish_store_is_priced_in_zloty_on_its_page_and_in_its_message(
    client,
    associate,
    store,
    shopper,
    stock,  # noqa: F811
    django_assert_num_queries,
):
    # given a Warsaw-market store with złoty prices (the catalog's in euros), and a Polish shopper
    from inventory.models import ProductTranslation
    from orders.notifications import RecordingAdapter
    from tests.inventory.factories import enter_market_prices
    from tests.orders.test_saved_carts import deliver_saved_cart_messages

    _, bag = stock
    poland = MarketFactory()
    store.market = poland
    store.save(update_fields=["market"])
    enter_market_prices(poland, bag, price="99.00")
    ProductTranslation.objects.create(product=bag.product, language="pl", name="Torba płócienna")
    speak(shopper, "pl")

    # when the associate sends the bag and the shopper opens the link
    sent = save_cart_for_customer(customer=shopper, store=store, actor=associate, lines=[("BAG-1", 2)], send=True)
    with django_assert_num_queries(3):  # the saved cart with store, market, shopper; items priced there; names
        page = client.get(reverse("saved-cart-link", args=[saved_cart_token(sent)]), **ENGLISH_BROWSER)

    # then the page and the message name it in Polish, at its złoty price, not the catalog's 25 euros
    html = page.content.decode()
    assert "Torba płócienna" in html and "99,00\xa0zł" in html and "€" not in html
    assert deliver_saved_cart_messages() == ["delivered"]
    (email,) = [m for m in RecordingAdapter.sent if m.channel == "email"]
    assert "2 \u00d7 Torba płócienna (BAG-1)" in email.body and "99,00\xa0zł" in email.body and "€" not in email.body
