"""Timeline sentences are stored as a key and params and worded in the reader's language (issue 19.1):
every registered sentence is translated into Italian and Polish and, under the pseudo-locale, leaves
no English on the clienteling timeline; the admin words them too; a row whose message cannot be
worded (written before, an unknown key, params that no longer fit) shows the subject it stored."""

import re
from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils import timezone, translation

from customers.models import Interaction, Task
from customers.services import erase_customer, merge_customers, raise_birthday_tasks, raise_important_date_tasks
from customers.services.linking import VERIFIED
from customers.services.timeline import record_interaction
from customers.timeline_messages import spoken_subject
from retail.messages import SENTENCES, say, word
from tests.customers.factories import CustomerFactory
from tests.factories import UserFactory
from tests.helpers import enrol_totp
from tests.retail.test_pseudo_locale import assert_all_translated, database_data, pseudo_locale  # noqa: F401

pytestmark = pytest.mark.django_db

# A value for every param a registered sentence takes: a sentence with a new param fails until it has one.
SAMPLE = {
    "order": "W-1001",
    "store": "Covent Garden",
    "bought_at": "Omnistore Kraków",
    "rma": "RMA-0042",
    "receipt": "R-0042",
    "product": "Linen shirt",
    "units": 2,
    "count": 3,
    "associate": "Priya",
    "person": "Ada Lovelace",
    "reason": "ordered twice",
    "brand": "Visa",
    "last4": "4242",
    "kinds": ["pickup", "ship"],
    "amount": {"amount": "59.90", "currency": "EUR"},
    "until": "2026-12-03T19:30:00+01:00",
    "where": "app",
    "bought": "web",
    "channels": ["email", "push"],
    "day": "2026-12-11",
    "name": "Grace",
    "label": "Anniversary",
    "sku": "SHIRT-M",
    "customer": "Grace Hopper",
    "number": 2,  # the ledgers' notes (retail/messages.py serves them too)
    "location": "MAN-01",
    "counted": 2,
    "expected": 3,
    "last": "HTTP 500",
    # a row's text with its translations (retail.domain.texts.text_param): an offer's name
    "offer": {"text": "Gold weekend", "it": "Weekend Oro", "pl": "Złoty weekend"},
    "code": "gold20",
}
DATA = {value for value in SAMPLE.values() if isinstance(value, str)} | {"59.90", "4242", "2", "3", "Gold weekend"}


class Probe(dict):
    """The params a sentence asks for, found by formatting it with this."""

    def __missing__(self, key):
        return self.setdefault(key, "x")


def params_of(key: str) -> dict:
    probe = Probe(count=1)
    str(SENTENCES[key].text % probe)
    return {name: SAMPLE[name] for name in probe}


def test_every_sentence_has_sample_params():
    assert SENTENCES, "orders and returns register their sentences when ready"
    for key in SENTENCES:
        assert set(params_of(key)) <= set(SAMPLE), key


@pytest.mark.parametrize("key", sorted(SENTENCES))
def test_every_sentence_is_worded_in_italian_and_polish(key):
    # given a message with its params, as a service records it
    message = say(key, **params_of(key))
    # then its subject is in the project's language, and Italian and Polish readers read it translated
    with translation.override("en-gb"):
        english = word(message.stored)
    assert message.subject == english
    for language in ("it", "pl"):
        with translation.override(language):
            worded = word(message.stored)
        assert worded and worded != english, (language, key, worded)


def test_polish_counts_take_their_plural_forms():
    sent = [say("orders.cart_sent_online", associate="Ola", count=n).stored for n in (1, 2, 5, 22)]
    with translation.override("pl"):
        assert [word(m).split(" ")[2:4] for m in sent] == [
            ["1", "produkt"],
            ["2", "produkty"],
            ["5", "produktów"],
            ["22", "produkty"],
        ]


def test_codes_are_worded_when_read_not_when_written():
    # given an order placed for pick-up and delivery, and a pay link for an amount
    placed = say("orders.placed", order="W-1", kinds=["ship", "pickup"])
    link = say("orders.pay_link_sent", order="W-1", amount={"amount": "1234.50", "currency": "PLN"})
    # then what is stored is the codes and the amount, and each reader words them
    assert placed.params == {"order": "W-1", "kinds": ["ship", "pickup"]}
    assert placed.subject == "Order W-1 · Pick-up in store, Ship to address"
    with translation.override("pl"):
        assert word(placed.stored) == "Zamówienie W-1 · Odbiór w sklepie, Wysyłka na adres"
        assert word(link.stored) == "Wysłano link do płatności za W-1 (1234,50\u00a0zł)"
    with translation.override("it"):
        assert word(placed.stored) == "Ordine W-1 · Ritiro in negozio, Spedizione all'indirizzo"
        assert word(link.stored) == "Link di pagamento inviato per W-1 (1.234,50\u00a0zł)"


def test_say_refuses_an_unknown_key_and_params_the_sentence_cannot_take():
    with pytest.raises(ImproperlyConfigured):
        say("orders.no_such_sentence", order="W-1")
    with pytest.raises(ImproperlyConfigured):
        say("orders.ready", order="W-1")  # no store
    with pytest.raises(TypeError):
        say("orders.ready", order="W-1", store=object())  # no JSON


@pytest.mark.parametrize(
    "message",
    [
        None,  # written before messages were stored
        {"key": "orders.no_longer_known", "params": {"order": "W-1"}},
        {"key": "orders.ready", "params": {"order": "W-1"}},  # a param missing
        {"key": "orders.placed", "params": {"order": "W-1", "kinds": 5}},  # a param of another shape
        {"key": "orders.ready", "params": "W-1"},
        "orders.ready",
    ],
)
def test_a_message_that_cannot_be_worded_shows_the_stored_subject(associate_client, store, message):
    # given a row with an English subject and a message that cannot be worded
    shopper = CustomerFactory(home_store=store)
    row = record_interaction(
        customer=shopper,
        channel="store",
        kind="note",
        source="test",
        subject="Order W-1 ready to collect at Covent Garden",
        data={} if message is None else {"msg": message},
    )
    # then readers see the subject it stored, and the timeline answers
    with translation.override("pl"):
        assert spoken_subject(row) == "Order W-1 ready to collect at Covent Garden"
    response = associate_client.get(f"/portal/customers/{shopper.pk}/timeline/")
    assert response.status_code == 200
    assert "Order W-1 ready to collect at Covent Garden" in response.content.decode()


def test_the_admin_words_the_timeline_in_its_users_language(client, store):
    # given an entry recorded in words and a Polish head-office user
    shopper = CustomerFactory(home_store=store)
    row = record_interaction(
        customer=shopper,
        channel="store",
        kind="message_sent",
        source="test",
        message=say("orders.ready", order="W-1001", store="Covent Garden"),
    )
    user = UserFactory(is_staff=True, is_superuser=True, language="pl")
    enrol_totp(user)
    client.force_login(user)
    # when they read the interactions' list and the entry
    listing = client.get(reverse("admin:customers_interaction_changelist")).content.decode()
    detail = client.get(reverse("admin:customers_interaction_change", args=[row.pk]))
    # then both say it in Polish
    polish = "Zamówienie W-1001 czeka na odbiór w sklepie Covent Garden"
    assert polish in listing and "ready to collect" not in listing
    assert detail.status_code == 200 and polish in detail.content.decode()
    assert "ready to collect" not in detail.content.decode()  # nor in its title (the row's __str__)


def test_the_clienteling_timeline_of_every_sentence_has_no_english_in_the_pseudo_locale(
    associate_client,
    store,
    pseudo_locale,  # noqa: F811
):
    # given a shopper told every registered sentence, twenty to a timeline page
    keys = sorted(SENTENCES)
    shoppers = []
    for start in range(0, len(keys), 20):
        shopper = CustomerFactory(home_store=store, first_name="Grace", last_name="Hopper")
        for n, key in enumerate(keys[start : start + 20]):
            record_interaction(
                customer=shopper,
                channel="store",
                kind="note",
                source="test",
                occurred_at=timezone.now() - timezone.timedelta(minutes=n),
                message=say(key, **params_of(key)),
            )
        shoppers.append(shopper)
    data = database_data() | DATA
    for shopper in shoppers:
        # when the clienteling screen's timeline is read
        response = associate_client.get(f"/portal/customers/{shopper.pk}/timeline/")
        # then every row's sentence is translated (⟦...⟧) around its data
        assert_all_translated(response, data)
        rows = re.findall(r'<div class="tl-what">(.*?)</div>', response.content.decode(), re.S)
        assert len(rows) == min(20, len(keys) - 20 * shoppers.index(shopper))
        assert all("⟦" in row.split("·", 1)[-1] for row in rows), rows


def test_erasing_a_shopper_keeps_the_message_of_what_the_timeline_keeps(store):
    # given a collected pick-up and a cart sent, worded
    shopper = CustomerFactory(home_store=store)
    kept = record_interaction(
        customer=shopper,
        channel="store",
        kind="pickup",
        source="test",
        message=say("orders.collected", order="W-1", store="Covent Garden"),
        occurred_at=datetime(2026, 12, 1, tzinfo=UTC),
    )
    dropped = record_interaction(
        customer=shopper,
        channel="store",
        kind="message_sent",
        source="test",
        message=say("orders.cart_sent_online", associate="Priya", count=2),
        occurred_at=datetime(2026, 12, 1, tzinfo=UTC),
    )
    # when the shopper is erased
    erase_customer(customer=shopper, actor=None, reason="GDPR-1")
    # then what the timeline keeps still reads in the reader's language; the rest says nothing
    kept = Interaction.objects.get(pk=kept.pk, occurred_at=kept.occurred_at)
    dropped = Interaction.objects.get(pk=dropped.pk, occurred_at=dropped.occurred_at)
    with translation.override("it"):
        assert spoken_subject(kept) == "Ritirato W-1 presso Covent Garden"
        assert spoken_subject(dropped) == "" and "msg" not in dropped.data


def test_tasks_raised_by_events_read_in_the_associates_language(associate_client, associate, store):
    # given a birthday and an anniversary a week ahead, raised as tasks on the shopper's home store
    today = date(2026, 12, 4)
    shopper = CustomerFactory(
        home_store=store,
        first_name="Grace",
        birthday=date(1990, 12, 11),
        important_dates=[{"label": "Anniversary", "date": "2015-12-11"}],
    )
    assert raise_birthday_tasks(today=today) == 1 and raise_important_date_tasks(today=today) == 1
    birthday = Task.objects.get(reason="birthday")
    # then the task keeps its sentence and the English as its title
    assert birthday.message == {"key": "customers.birthday_task", "params": {"day": "2026-12-11", "name": "Grace"}}
    assert birthday.title == "Birthday on 11 December: call Grace"
    # when a Polish associate opens the shopper's tasks
    associate.language = "pl"
    associate.save(update_fields=["language"])
    page = associate_client.get(reverse("customers_portal:tasks", args=[shopper.pk])).content.decode()
    # then the titles are Polish, the month as Polish writes it after a day
    assert "Urodziny 11 grudnia: zadzwoń do Grace" in page
    assert "Anniversary 11 grudnia: zadzwoń do Grace" in page
    assert "Birthday on" not in page and "call Grace" not in page


def test_the_reasons_the_system_gives_its_merges_read_in_the_admins_language(client, store):
    # given a merge the system made when a shopper verified their email, and one head office typed
    verified = merge_customers(source=CustomerFactory(), target=CustomerFactory(), reason=VERIFIED % {"kind": "email"})
    merge_customers(source=CustomerFactory(), target=CustomerFactory(), reason="same person, two cards")
    assert verified.reason == "email verified by the shopper"  # stored in English, like a log
    user = UserFactory(is_staff=True, is_superuser=True, language="it")
    enrol_totp(user)
    client.force_login(user)
    # when an Italian head office reads the merges
    page = client.get(reverse("admin:customers_customermerge_changelist")).content.decode()
    # then the system's reason is Italian, the typed one as typed
    assert "email verificata dal cliente" in page and "verified by the shopper" not in page
    assert "same person, two cards" in page
