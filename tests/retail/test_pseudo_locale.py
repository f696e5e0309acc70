"""No English left on the portal's pages (issue 19, done when): each page tested here is rendered in a
pseudo-locale that writes every translated message as ⟦message⟧, and any visible text (text nodes
and the title, placeholder, aria-label and alt attributes) outside ⟦ ⟧ fails the test, but for the
page's data (names, codes, numbers) which no catalog translates.

The tests here and in test_pseudo_locale_pages.py, test_pseudo_locale_messages.py,
test_pseudo_locale_errors.py, tests/orders/test_pseudo_locale_pages.py and
tests/returns/test_pseudo_locale_pages.py are the allow-list: a page joins once every word of it is
marked for translation (so far: sign-in, dashboard with its tiles, language, customer search and
type-ahead, stock lookup, pick-ups queue, returns desk, the clienteling screen with every panel, the sell
page, the counter, order search, order detail and receipt, pick list, pay and saved-cart links, a
return's pages (purchases, order, receipt-less, online return, verdicts) and receipts; every shopper
message; API errors). tests/retail/test_pseudo_locale_portal.py sweeps every page of the portal's URL
conf (counts, transfers, client book, new customer, gift cards, insights...) for an associate, a manager
and head office; the Italian and Polish catalogs then translate them all (tests/retail/test_catalogs.py).
"""

import gettext as gettext_module
import re
from html.parser import HTMLParser

import pytest
from django.utils import translation
from django.utils.translation import trans_real

from customers.services import create_customer
from retail.models import StoreMembership
from retail.services import record_audit_event
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

OPEN, CLOSE = "⟦", "⟧"
ATTRIBUTES = {"title", "placeholder", "aria-label", "alt"}
INVISIBLE = {"script", "style", "template"}


class PseudoTranslation(gettext_module.NullTranslations):
    """Every message wrapped: what a catalog would translate shows as ⟦it⟧."""

    def __init__(self, language: str):
        super().__init__()
        self.__language = language
        self.plural = lambda n: int(n != 1)

    def gettext(self, message):
        # pgettext asks for "context\x04message" and keeps the answer unless it still holds \x04.
        return f"{OPEN}{message.rpartition(trans_real.CONTEXT_SEPARATOR)[2]}{CLOSE}" if message else message

    def ngettext(self, singular, plural, n):
        return self.gettext(singular if n == 1 else plural)

    def language(self):
        return self.__language

    def to_language(self):
        return self.__language


@pytest.fixture
def pseudo_locale(monkeypatch):
    forget_words_kept_per_language()
    monkeypatch.setattr(trans_real, "translation", PseudoTranslation)
    translation.activate("en-gb")
    yield
    monkeypatch.undo()
    translation.activate("en-gb")
    forget_words_kept_per_language()


def forget_words_kept_per_language():
    """What the portal keeps rendered per language code (the pseudo-locale is "en-gb" too)."""
    from customers.portal import forms
    from customers.templatetags import customer_tags

    customer_tags._DATE_NAMES.clear()
    forms._BLANK_WIDGETS.clear()


class VisibleText(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in INVISIBLE:
            self._hidden += 1
        for name, value in attrs:
            if name in ATTRIBUTES and value:
                self.texts.append(value)

    def handle_endtag(self, tag):
        if tag in INVISIBLE:
            self._hidden = max(0, self._hidden - 1)

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.texts.append(data)


def untranslated(html: str, data: set[str]) -> list[str]:
    """The visible texts of `html` with words outside ⟦ ⟧ that are not the page's data.

    Translated messages are taken out of the page first, markup and all (a message may hold tags:
    "<strong>5</strong> available"), innermost first (a translated sentence may hold a translated word).
    """
    while True:
        shorter = re.sub(f"{OPEN}[^{OPEN}{CLOSE}]*{CLOSE}", " ", html)
        if shorter == html:
            break
        html = shorter
    parser = VisibleText()
    parser.feed(html)
    left = []
    for text in parser.texts:
        rest = text
        for value in sorted(data, key=len, reverse=True):
            rest = rest.replace(value, " ")
        words = [w for w in re.findall(r"[^\W\d_][\w'\u2019.@-]*", rest) if not is_code(w)]
        if words:
            left.append(text.strip())
    return left


def is_code(word: str) -> bool:
    """SKUs, store and order codes, email addresses, currency codes: data, not language."""
    if re.fullmatch(r"[A-Z0-9]+(?:-[A-Z0-9]+)+", word):  # OM-AKST-RJQP: an order number may hold no digit
        return True
    return any(c.isdigit() for c in word) or "@" in word or (word.isupper() and len(word) <= 4) or word == "Omnistore"


def assert_all_translated(response, data: set[str]):
    assert response.status_code == 200
    left = untranslated(response.content.decode(), {d for d in data if d})
    assert not left, "Visible text not marked for translation:\n" + "\n".join(left)


@pytest.fixture
def staff(store):
    user = MembershipFactory(store=store, role=StoreMembership.Role.ASSOCIATE, user__full_name="Priya Shah").user
    return user


def data_of(store, user) -> set[str]:
    return {store.name, store.code, store.city, store.address_line, store.postcode, user.full_name, user.email}


# --- the pages fully marked ---------------------------------------------------------------------


def test_sign_in(client, pseudo_locale):
    assert_all_translated(client.get("/accounts/login/"), set())


def test_dashboard(client, store, staff, pseudo_locale):
    store.opening_hours = {"mon": ["09:00", "19:00"], "sat": ["10:00", "18:00"]}
    store.phone = "+44 20 7946 0000"
    store.save(update_fields=["opening_hours", "phone"])
    for action in ("pickup.handed_over", "return.received", "stock.count_posted"):  # the activity's words too
        record_audit_event(actor=staff, action=action, store=store)
    client.force_login(staff)
    assert_all_translated(client.get("/portal/"), data_of(store, staff))


def test_language_page(client, store, staff, pseudo_locale):
    client.force_login(staff)
    # the languages are listed each in its own name, never translated
    assert_all_translated(client.get("/portal/language/"), data_of(store, staff) | {"English", "Italiano", "Polski"})


def test_customer_search(client, store, staff, pseudo_locale):
    # given
    jane = create_customer(first_name="Jane", last_name="Fairfax", email="jane@example.com", home_store=store)
    create_customer(first_name="Jane", last_name="Bennet", email="bennet@example.com")
    client.force_login(staff)

    # then: the empty page, a page of results and no result
    data = data_of(store, staff) | {jane.full_name, "Jane Bennet", "Jane", "Nobody"}
    assert_all_translated(client.get("/portal/customers/"), data)
    assert_all_translated(client.get("/portal/customers/", {"q": "Jane"}), data)
    assert_all_translated(client.get("/portal/customers/", {"q": "Nobody"}), data)
    # and the type-ahead under the top bar's box
    typeahead = {"q": "Jane", "typeahead": "1"}
    assert_all_translated(client.get("/portal/customers/", typeahead, headers={"hx-request": "true"}), data)
    typeahead = {"q": "Nobody", "typeahead": "1"}
    assert_all_translated(client.get("/portal/customers/", typeahead, headers={"hx-request": "true"}), data)


def test_stock_lookup(client, store, other_store, staff, pseudo_locale):
    from inventory.services import receive_stock
    from tests.inventory.factories import ProductFactory, VariantFactory

    # given a shirt here and nearby
    shirt = ProductFactory(name="Linen shirt")
    VariantFactory(product=shirt, sku="SHIRT-M", size="M", colour="Blue")
    VariantFactory(product=shirt, sku="SHIRT-L", size="L", colour="Blue")
    receive_stock(location=store, lines=[("SHIRT-M", 2)], reference="PO-1")
    receive_stock(location=other_store, lines=[("SHIRT-M", 5), ("SHIRT-L", 1)], reference="PO-2")
    client.force_login(staff)
    data = data_of(store, staff) | {"Linen shirt", "Blue", other_store.name, "SHIRT-M", "SHIRT-L", "km"}

    # then the empty page, the results (scanned, here, nearby, not stocked) and nothing found
    assert_all_translated(client.get("/portal/stock/"), data)
    assert_all_translated(client.get("/portal/stock/", {"q": "SHIRT-M"}), data)
    assert_all_translated(client.get("/portal/stock/", {"q": "linen"}), data)
    assert_all_translated(client.get("/portal/stock/", {"q": "nothing-like-it"}), data | {"nothing-like-it"})


def test_pickups_queue(client, store, staff, pseudo_locale):
    from django.utils import timezone

    from inventory.services import receive_stock
    from orders.models import Fulfillment
    from orders.services import GroupRequest, TenderRequest, place_order
    from tests.inventory.factories import ProductFactory, VariantFactory

    # given two pick-ups to pick, one of them collected by a named proxy, and the shopper of one outside
    VariantFactory(product=ProductFactory(name="Linen shirt"), sku="SHIRT-M")
    receive_stock(location=store, lines=[("SHIRT-M", 5)], reference="PO-1")
    orders = [
        place_order(
            channel="web",
            groups=[GroupRequest(kind=kind, lines=[("SHIRT-M", 1)], store=store)],
            contact={"email": f"{name.split()[0].lower()}@example.com", "name": name},
            tenders=[TenderRequest(method="card", token="tok_visa_4242")],
        )
        for kind, name in (("pickup", "Jane Fairfax"), ("curbside", "Emma Woodhouse"))
    ]
    Fulfillment.objects.filter(order=orders[0]).update(proxy_name="Harriet Smith")
    Fulfillment.objects.filter(order=orders[1]).update(arrived_at=timezone.now(), arrival_note="Blue Fiat")
    client.force_login(staff)
    # Channel names come from the kernel's words, not translated yet: read as data here.
    data = data_of(store, staff) | {"Jane Fairfax", "Emma Woodhouse", "Harriet Smith", "Blue Fiat", "Web"}
    page = client.get("/portal/orders/pickups/", {"tab": "to_pick"}).content.decode()
    assert "Harriet Smith" in page and "Blue Fiat" in page and 'id="arrivals"' in page

    # then every tab, with rows and without
    for tab in ("to_pick", "picking", "ready", "overdue", "expired"):
        assert_all_translated(client.get("/portal/orders/pickups/", {"tab": tab}), data)


def test_returns_desk(client, store, staff, pseudo_locale):
    # given shoppers to find
    jane = create_customer(first_name="Jane", last_name="Fairfax", email="jane@example.com", card_number="400123")
    client.force_login(staff)
    data = data_of(store, staff) | {str(jane), jane.email, "Jane", "Nobody"}

    # then the desk, a shopper found and nothing found
    assert_all_translated(client.get("/portal/returns/"), data)
    assert_all_translated(client.get("/portal/returns/", {"q": "Jane"}), data)
    assert_all_translated(client.get("/portal/returns/", {"q": "Nobody"}), data)


def database_data() -> set[str]:
    """Every name the chain's and the shoppers' rows hold (products, offers, tiers, tags, lists, notes,
    tasks, stores, people): the data of any page, which no catalog translates."""
    from customers.models import Customer, CustomerList, LoyaltyTier, Note, Offer, Tag, Task
    from inventory.models import Category, Product, Variant
    from orders.returns.models import ReturnLine
    from retail.models import Store, User

    found: set[str] = set()
    for model, fields in [
        (Product, ["name"]),
        (Category, ["name"]),
        (Variant, ["sku", "size", "colour"]),
        (Offer, ["name", "code", "discount_label"] if hasattr(Offer, "discount_label") else ["name", "code"]),
        (LoyaltyTier, ["name"]),
        (Tag, ["name"]),
        (CustomerList, ["name"]),
        (Note, ["body"]),
        (Task, ["title"]),
        (ReturnLine, ["name"]),
        (Store, ["name", "code", "city", "address_line", "postcode"]),
        (User, ["full_name", "email"]),
        (Customer, ["first_name", "last_name", "email", "card_number"]),
    ]:
        for row in model.objects.values_list(*[f for f in fields if not isinstance(getattr(model, f, None), property)]):
            found.update(str(value) for value in row if value)
    for customer in Customer.objects.all():
        found.update({customer.full_name, str(customer)})
    for offer in Offer.objects.all():
        found.add(str(offer.discount_label))
    for user in User.objects.all():
        found.update({str(user), user.get_short_name()})
    return {value for value in found if value}
