import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.errors import CustomerError
from customers.models import Customer, CustomerIdentity, Interaction, LoyaltyAccount
from customers.search import search_customers
from customers.services import (
    add_note,
    create_customer,
    earn_points,
    erase_customer,
    export_customer_data,
    merge_customers,
    record_interaction,
    set_consent,
)
from customers.signals import customer_erased
from retail.models import AuditEvent
from tests.customers.conftest import buy
from tests.customers.factories import CustomerFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada(store, associate):
    user = UserFactory(email="ada@example.com", full_name="Ada Lovelace")
    customer = create_customer(
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.com",
        phone="07700 900777",
        card_number="6000 1234 5678",
        user=user,
        home_store=store,
    )
    set_consent(customer=customer, channel="email", granted=True, source="web")
    record_interaction(
        customer=customer,
        channel="web",
        kind="search",
        source="t",
        external_id="s1",
        subject="red dress",
        data={"query": "red dress"},
    )
    buy(customer, "A-M", number="ORD-77", store=store)
    earn_points(customer=customer, points=80, reference="ORD-77")
    add_note(customer=customer, author=associate, store=store, body="Lives at 12 Long Acre")
    return customer


def test_export_holds_everything_and_is_audited(ada, manager):
    # when a manager exports the profile
    data = export_customer_data(customer=ada, actor=manager)
    # then profile, identities, consents, timeline, notes and loyalty are in it, as JSON
    json.dumps(data, default=str)
    assert data["profile"]["email"] == "ada@example.com"
    assert {i["kind"] for i in data["identities"]} == {"email", "phone", "card"}
    assert data["consents"][0]["channel"] == "email"
    assert [i["kind"] for i in data["interactions"]] == ["search", "purchase", "note"]
    assert data["notes"][0]["body"] == "Lives at 12 Long Acre" and data["loyalty"]["balance"] == 80
    assert AuditEvent.objects.filter(action="customer.exported", actor=manager, object_id=str(ada.pk)).exists()


def test_the_export_command_writes_a_file(ada, tmp_path):
    out = tmp_path / "ada.json"
    call_command("export_customer", str(ada.pk), "--output", str(out))
    assert json.loads(out.read_text())["profile"]["last_name"] == "Lovelace"


def test_erase_removes_personal_data_but_keeps_the_accounting(ada, manager):
    received = []
    customer_erased.connect(lambda **kw: received.append(kw["customer"].pk), weak=False, dispatch_uid="t-erase")
    try:
        # when the shopper is erased
        erase_customer(customer=ada, actor=manager, reason="DSR-2026-001")
    finally:
        customer_erased.disconnect(dispatch_uid="t-erase")
    ada.refresh_from_db()
    # then names, contact details, identities, consents and notes are gone
    assert (ada.first_name, ada.email, ada.phone, ada.card_number, ada.user_id) == ("", "", "", "", None)
    assert not CustomerIdentity.objects.filter(customer=ada).exists() and not ada.consents.exists()
    assert not ada.notes.exists() and str(ada) == f"Erased customer #{ada.pk}"
    # and the purchase and the points ledger stay, anonymised (the search words are dropped)
    purchase = Interaction.objects.get(customer=ada, kind="purchase")
    assert purchase.data["order_number"] == "ORD-77" and purchase.data["lines"][0]["sku"] == "A-M"
    assert Interaction.objects.get(customer=ada, kind="search").data == {}
    assert LoyaltyAccount.objects.get(customer=ada).entries.count() == 1
    # and the app account cannot sign in any more; other apps were told; the erasure is audited
    from retail.models import User

    user = User.objects.get(full_name="", email__endswith="@erased.invalid")
    assert not user.is_active and not user.has_usable_password()
    assert received == [ada.pk]
    assert AuditEvent.objects.get(action="customer.erased").details == {"reason": "DSR-2026-001"}
    # and the profile is not found any more; erasing twice is refused
    assert search_customers("ada@example.com") == [] and search_customers("07700900777") == []
    with pytest.raises(CustomerError):
        erase_customer(customer=ada, actor=manager, reason="again")


def test_the_erase_command_needs_yes(ada):
    call_command("erase_customer", str(ada.pk), "--reason", "DSR-1")
    assert Customer.objects.get(pk=ada.pk).erased_at is None
    call_command("erase_customer", str(ada.pk), "--reason", "DSR-1", "--yes")
    assert Customer.objects.get(pk=ada.pk).erased_at is not None


@pytest.fixture
def people():
    def make(first, last, **kw):
        return create_customer(first_name=first, last_name=last, **kw)

    return {
        "smith": make("John", "Smith", phone="+44 7700 900001", email="john@example.com", card_number="6000 0000 0042"),
        "smyth": make("Joan", "Smyth"),
        "smithson": make("Jon", "Smithson"),
        "other": make("Priya", "Patel", phone="07700900002"),
    }


@pytest.mark.parametrize("typed", ["07700 900001", "+447700900001", "0044 7700 900001", "(07700) 900-001"])
def test_a_phone_in_any_format_finds_the_shopper_first(people, typed):
    hits = search_customers(typed)
    assert hits[0].customer == people["smith"] and hits[0].matched == "phone"


def test_email_and_card_find_the_shopper(people):
    assert [h.customer for h in search_customers("  JOHN@example.com ")] == [people["smith"]]
    card = search_customers("6000-0000-0042")
    assert card[0].customer == people["smith"] and card[0].matched == "card"


def test_names_are_ranked_by_similarity_and_survive_a_typo(people):
    # when the associate types a surname with a typo
    hits = [h.customer for h in search_customers("john smiht")]
    # then the closest name comes first
    assert hits[0] == people["smith"]
    # and partial input ranks the exact surname above longer ones
    partial = [h.customer for h in search_customers("smith")]
    assert partial[:2] == [people["smith"], people["smithson"]]
    assert people["other"] not in partial


def test_search_never_returns_merged_or_anonymous_profiles(people):
    dupe = create_customer(first_name="John", last_name="Smith", email="js@work.example")
    merge_customers(source=dupe, target=people["smith"])
    CustomerFactory(first_name="", last_name="", search_name="john smith", is_anonymous=True)
    assert [h.customer for h in search_customers("john smith")].count(people["smith"]) == 1
    assert all(h.customer.pk != dupe.pk for h in search_customers("john smith"))


def test_search_costs_the_same_few_queries_with_more_customers(people):
    def count(q):
        with CaptureQueriesContext(connection) as ctx:
            search_customers(q)
        return len(ctx.captured_queries)

    queries = ["07700900001", "john@example.com", "smith", "jon smiht"]
    before = {q: count(q) for q in queries}
    # when the chain gains many more customers (none of them a better match)
    for i in range(200):
        CustomerFactory(first_name="Alex", last_name=f"Jones{i}", email=f"s{i}@example.com")
    # then each search costs what it cost: identity 1 (the identity joined to its live profile); names 1
    # when the prefix step fills the list, else + the threshold setting and the typo step (3), never more than 4
    assert (
        {q: count(q) for q in queries}
        == before
        == {
            "07700900001": 1,
            "john@example.com": 1,
            "smith": 3,
            "jon smiht": 3,
        }
    )


def test_a_shoppers_points_survive_in_search_results(people):
    earn_points(customer=people["smith"], points=5, reference="X")
    hit = search_customers("07700900001")[0]
    assert hit.customer.loyalty_account.balance == 5
    assert Decimal(hit.score) > 1


def _names():
    from customers.models import SearchName

    return set(SearchName.objects.values_list("name", flat=True))


def test_the_distinct_names_follow_every_write_of_a_profile(ada):
    # given two shoppers with one name, and Ada (created through the service)
    from customers.services import update_customer_profile

    twins = Customer.objects.bulk_create(
        [CustomerFactory.build(first_name="Kim", last_name="Lee", search_name="kim lee") for _ in range(2)]
    )
    assert {"kim lee", "ada lovelace"} <= _names()
    # when one twin is renamed, the name stays for the other, and the new one is added
    update_customer_profile(customer=twins[0], values={"last_name": "Park"})
    assert {"kim lee", "kim park"} <= _names()
    # when the last one with a name is deleted, renamed or erased, the name goes
    Customer.objects.filter(pk=twins[1].pk).delete()
    Customer.objects.filter(pk=twins[0].pk).update(search_name="kim parker")
    erase_customer(customer=ada, actor=None, reason="DSR-2")
    assert _names().isdisjoint({"kim lee", "kim park", "ada lovelace"}) and "kim parker" in _names()


def test_a_typo_in_a_short_surname_is_found_among_many_of_the_same_first_name(people):
    def searched(q):
        with CaptureQueriesContext(connection) as ctx:
            hits = search_customers(q)
        return [h.customer for h in hits], len(ctx.captured_queries)

    # given the first name "john" is common and the surname typo is too far for the word step
    for i in range(60):
        CustomerFactory(first_name="John", last_name=f"Fairweather{i}")
    found, queries = searched("jhon smith")
    # then the whole-name step finds John Smith first, in the same four queries as with few Johns
    assert found[0] == people["smith"] and queries == 4
    # and a live profile's name is never hidden by profiles of that name that were merged away
    dupe = create_customer(first_name="John", last_name="Smith", email="js2@work.example")
    merge_customers(source=dupe, target=people["smith"])
    found, _ = searched("jhon smith")
    assert found.count(people["smith"]) == 1 and dupe not in found


def test_many_shoppers_of_one_name_do_not_crowd_out_a_better_prefix_match():
    # given sixty Ann Smithfields on file before the one Kai Smith
    for _ in range(60):
        CustomerFactory(first_name="Ann", last_name="Smithfield")
    kai = create_customer(first_name="Kai", last_name="Smith")
    # when an associate types the surname
    hits = search_customers("smith")
    # then the whole-word match comes first, and the list is full with the others
    assert hits[0].customer == kai and len(hits) == 10
    assert {h.customer.search_name for h in hits[1:]} == {"ann smithfield"}


@pytest.mark.django_db(transaction=True)
def test_the_name_search_threshold_lasts_one_transaction_only(people):
    # given a connection that is not in a transaction (as behind a transaction-pooling PgBouncer,
    # where the next transaction may run on another server connection, or hand this one to another client)
    def threshold():
        with connection.cursor() as cursor:
            cursor.execute("SHOW pg_trgm.word_similarity_threshold")
            return cursor.fetchone()[0]

    default = threshold()
    # when a typo makes the search use the trigram step with its own threshold
    hits = search_customers("jhon smith")
    # then it found the shopper, and the connection's session setting is what it was
    assert people["smith"] in [h.customer for h in hits]
    assert threshold() == default == "0.6"
