"""import_customers: new customers in bulk, found ones through the services; normalised, matched by email/card,
all or nothing."""

from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from customers import imports
from customers.imports import import_customers, text_opener
from customers.models import Consent, Customer, CustomerIdentity, SearchName
from customers.services import create_customer
from retail.models import AuditEvent

pytestmark = pytest.mark.django_db

HEADER = "email,phone,card_number,first_name,last_name,birthday,home_store,tags,email_consent,sms_consent\n"


def test_customers_are_created_normalised_with_identities_and_consents(store):
    # given
    text = HEADER + (
        " Ann.Lee@Example.COM ,07700 900123,c-100 200,Ann,Lee,1990-04-23,LON-01,VIP;stylist client,yes,no\n"
        ",,C-300,Bob,,,,,,\n"
    )
    # when
    report = import_customers(opener=text_opener(text))
    # then
    assert report.errors == [] and (report.rows, report.created, report.updated) == (2, 2, 0)
    ann = Customer.objects.get(email="ann.lee@example.com")
    assert (ann.phone, ann.card_number, ann.home_store, str(ann.birthday)) == ("+447700900123", "C100200", store,
                                                                              "1990-04-23")  # fmt: skip
    assert sorted(ann.identities.values_list("kind", "value")) == [
        ("card", "C100200"),
        ("email", "ann.lee@example.com"),
        ("phone", "+447700900123"),
    ]
    assert sorted(ann.tags.values_list("name", flat=True)) == ["stylist-client", "vip"]
    consents = {c.channel: (c.granted, c.source) for c in Consent.objects.filter(customer=ann)}
    assert consents == {"email": (True, "import"), "sms": (False, "import")}
    assert Customer.objects.get(card_number="C300").first_name == "Bob"
    assert AuditEvent.objects.filter(action="customers.imported").count() == 1


def test_importing_again_changes_nothing_and_changed_cells_update_the_match(store):
    text = HEADER + "ann@example.com,,C-1,Ann,Lee,,,vip,yes,\n,,C-2,Bob,,,,,,\n"
    import_customers(opener=text_opener(text))
    before = sorted(Customer.objects.values_list("pk", "first_name", "email", "card_number", "updated_at"))
    events = AuditEvent.objects.count()
    # when the same file is imported again
    again = import_customers(opener=text_opener(text))
    # then nothing is written
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert sorted(Customer.objects.values_list("pk", "first_name", "email", "card_number", "updated_at")) == before
    assert AuditEvent.objects.count() == events + 1  # only the import's own line
    # when a row matched by card brings a new name and withdraws consent
    changed = import_customers(opener=text_opener(HEADER + ",,c 1,Anna,,,,,no,\n"))
    # then that customer is updated, blank cells leave fields alone
    assert (changed.created, changed.updated) == (0, 1)
    ann = Customer.objects.get(card_number="C1")
    assert (ann.first_name, ann.last_name, ann.email) == ("Anna", "Lee", "ann@example.com")
    assert Consent.objects.get(customer=ann, channel="email").granted is False


def test_a_malformed_file_writes_nothing_and_names_the_bad_lines(store):
    # given an existing customer and a file with good and bad lines
    other = create_customer(first_name="Olga", email="olga@example.com", phone="07700 900999", card_number="K-9")
    text = HEADER + (
        "good@example.com,,,Good,,,,,,\n"  # line 2
        "not-an-email,,,,,,,,,\n"  # line 3
        "c@example.com,12,,,,,,,,\n"  # line 4: phone
        "good@example.com,,,Again,,,,,,\n"  # line 5: duplicate
        ",,,Nobody,,,,,,\n"  # line 6: no key
        "d@example.com,,,,,23/04/1990,MAN-99,,maybe,\n"  # line 7: birthday, consent; store (after)
        "olga@example.com,,K-8,,,,,,,\n"  # line 8: card differs from the matched profile's
        "e@example.com,07700 900999,,,,,,,,\n"  # line 9: phone of another customer
    )
    # when
    report = import_customers(opener=text_opener(text))
    # then
    assert Customer.objects.count() == 1 and CustomerIdentity.objects.count() == 3
    assert report.errors == [
        "line 3: email 'not-an-email' is not an email address",
        "line 4: phone '12': That phone number has the wrong number of digits.",
        "line 5: email good@example.com is also on line 2",
        "line 6: give an email or a card_number: customers are matched by them",
        "line 7: birthday '23/04/1990' is not a date like 1990-04-23",
        "line 7: email_consent must be yes, no or blank, not 'maybe'",
        f"line 8: customer #{other.pk} already has another card; change it in the admin",
        f"line 9: phone +447700900999 already belongs to customer #{other.pk}",
    ]


def test_email_and_card_of_two_different_customers_is_refused(store):
    a = create_customer(email="a@example.com")
    b = create_customer(card_number="B-1")
    report = import_customers(opener=text_opener("email,card_number\na@example.com,B1\n"))
    assert report.errors == [f"line 2: email belongs to customer #{a.pk} but card B1 to #{b.pk}; merge them first"]


def test_the_command_imports_a_file_and_refuses_a_bad_one(store, csv_file, capsys):
    call_command("import_customers", str(csv_file("email,first_name\nx@example.com,Xena\n")))
    assert "Imported 1 row(s): 1 created" in capsys.readouterr().out
    with pytest.raises(CommandError, match="1 error"):
        call_command("import_customers", str(csv_file("email,shoe\nx@example.com,42\n", "bad.csv")))
    assert "line 1: unknown column(s) shoe" in capsys.readouterr().err
    assert Customer.objects.count() == 1


# --------------------------------------------------------------------------- bulk path for new customers

MIXED = HEADER + (
    " Ann.Lee@Example.COM ,07700 900123,c-100 200,Ann,Lee,1990-04-23,LON-01,VIP;stylist client,yes,no\n"
    ",,C-300,  Bob ,,,,wholesale,,yes\n"
    "olga@example.com,,,Olga,Petrova,,LON-01,vip,no,\n"  # existing: new surname, home store, tag, consent
    "zed@example.com,+44 7700 900456,,Zed,,,,,,\n"
)


def _snapshot() -> dict:
    """Everything the import writes, keyed by email/card rather than by pk."""
    people = {}
    for c in Customer.objects.order_by("pk"):
        key = c.email or c.card_number
        people[key] = {
            "profile": (
                c.first_name,
                c.last_name,
                c.email,
                c.phone,
                c.card_number,
                c.birthday,
                c.home_store_id,
                c.search_name,
                c.erased_at,
                c.merged_into_id,
                c.preferred_sizes,
                c.is_anonymous,
            ),
            "identities": sorted(c.identities.values_list("kind", "value")),
            "tags": sorted(c.tags.values_list("name", flat=True)),
            "consents": sorted(Consent.objects.filter(customer=c).values_list("channel", "granted", "source")),
            "audit": sorted(
                (e.action, e.actor_id, e.actor_label, repr(sorted(e.details.items())))
                for e in AuditEvent.objects.filter(object_type="customers.customer", object_id=str(c.pk))
            ),
        }
    return people


def _through_services(rows, stores, actor, report):
    for clean in rows:
        imports._write_customer(clean, None, stores, actor, report)


def test_new_customers_written_in_bulk_match_the_service_path(store, manager, monkeypatch):
    # given the same mixed file (new and existing customers, tags, consents, home store) imported twice:
    # once with every row through the services (as before), rolled back, once with new rows in bulk
    existing = create_customer(first_name="Olga", email="olga@example.com")
    with transaction.atomic():
        monkeypatch.setattr(imports, "_create_customers", _through_services)
        by_services = import_customers(opener=text_opener(MIXED), actor=manager)
        expected = _snapshot()
        transaction.set_rollback(True)
    monkeypatch.undo()
    # when
    report = import_customers(opener=text_opener(MIXED), actor=manager)
    # then the counts, the profiles, identities, tags, consents and audit lines are the same
    assert report.errors == [] and (report.created, report.updated, report.unchanged) == (3, 1, 0)
    assert (by_services.created, by_services.updated) == (3, 1)
    assert _snapshot() == expected
    ann = _snapshot()["ann.lee@example.com"]
    assert ann["profile"][:8] == (
        "Ann",
        "Lee",
        "ann.lee@example.com",
        "+447700900123",
        "C100200",
        date(1990, 4, 23),
        store.pk,
        "ann lee",
    )
    assert ann["tags"] == ["stylist-client", "vip"]
    assert ann["consents"] == [("email", True, "import"), ("sms", False, "import")]
    assert [a[0] for a in ann["audit"]] == ["customer.consent_changed"] * 2 + ["customer.created", "customer.tags_set"]
    assert _snapshot()["C300"]["profile"][:2] == ("Bob", "")
    assert Customer.objects.get(pk=existing.pk).last_name == "Petrova"
    # the names search finds the bulk-written names (its table is kept by triggers)
    assert SearchName.objects.filter(name__in=["ann lee", "bob", "zed"]).count() == 3
    # and importing the file again changes nothing
    again = import_customers(opener=text_opener(MIXED), actor=manager)
    assert (again.created, again.updated, again.unchanged, again.errors) == (0, 0, 4, [])
    assert _snapshot() == expected


def _file(n: int, run: str) -> str:
    return HEADER + "".join(f"p{run}{i}@example.com,,K{run}-{i},P,N{i},,LON-01,vip;new,yes,no\n" for i in range(n))


def test_queries_for_new_customers_grow_by_batches_not_rows(store, django_assert_num_queries, monkeypatch):
    import_customers(opener=text_opener(_file(1, "warm")))  # the tags exist from here on
    # the same number of queries for 10 and for 50 new customers (one batch)...
    for n, run in ((10, "a"), (50, "b")):
        with django_assert_num_queries(12):
            report = import_customers(opener=text_opener(_file(n, run)))
        assert report.created == n
    # ...and 5 more (customers, identities, consents, tags, audit lines) for each further batch
    monkeypatch.setattr(imports, "BATCH", 10)
    with django_assert_num_queries(12 + 4 * 5):
        assert import_customers(opener=text_opener(_file(50, "c"))).created == 50
    assert Customer.objects.count() == 111 and CustomerIdentity.objects.count() == 222
    assert Consent.objects.count() == 222 and Customer.tags.through.objects.count() == 222
