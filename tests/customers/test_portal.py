from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from customers import recommendations, selectors
from customers.models import Customer, Interaction, Note, Task
from customers.services import earn_points, issue_store_credit, set_consent, update_customer_profile
from retail.models import AuditEvent, StoreMembership
from tests.customers.conftest import buy
from tests.customers.factories import CustomerFactory, many_interactions
from tests.factories import MembershipFactory
from tests.helpers import enrol_totp

pytestmark = pytest.mark.django_db

PANELS = ["timeline", "notes", "tasks", "offers", "lists", "recommendations"]


@pytest.fixture
def shopper(store, purchase_history):
    customer = update_customer_profile(
        customer=purchase_history, values={"phone": "07700 900123", "preferred_sizes": {"tops": "M"}}
    )
    customer.channels = ["app", "store", "web"]
    customer.save(update_fields=["channels"])
    earn_points(customer=customer, points=250, reference="ORD-1")
    issue_store_credit(customer=customer, amount=Decimal("12.50"), reference="RET-1")
    set_consent(customer=customer, channel="email", granted=True, source="app")
    return customer


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200, response.content[:500]
    return len(ctx.captured_queries)


def test_the_profile_shows_the_header_and_records_who_looked(associate_client, associate, shopper, store):
    # when an associate opens the profile
    response = associate_client.get(reverse("customers_portal:detail", args=[shopper.pk]))
    # then the header shows points, credit, sizes, consents and the channels used
    html = response.content.decode()
    assert response.status_code == 200
    for text in ["Grace Hopper", "250", "12.50", "Tops <b>M</b>", "EMAIL ✓", "Multichannel · App, Store, Web"]:
        assert text in html
    # and the view is audited: who saw whom, where
    event = AuditEvent.objects.get(action="customer.viewed")
    assert (event.actor, event.object_id, event.store) == (associate, str(shopper.pk), store)


def test_the_shell_and_every_panel_cost_the_same_with_10_or_10000_interactions(associate_client, shopper, store):
    # given a shopper with 10 interactions
    other = CustomerFactory(home_store=store)
    many_interactions(shopper, 10, channel="mixed")
    urls = {"shell": reverse("customers_portal:detail", args=[shopper.pk])} | {
        name: reverse(f"customers_portal:{name}", args=[shopper.pk]) for name in PANELS
    }
    urls["timeline-app"] = urls["timeline"] + "?channel=app"
    associate_client.get(urls["shell"])  # the first visit of a shift picks the store for the session
    small = {name: _queries(associate_client, url) for name, url in urls.items()}
    # when the history grows a thousand-fold (and another shopper has history too)
    many_interactions(other, 50)
    Interaction.objects.filter(customer=shopper, source="bulk").delete()
    many_interactions(shopper, 10_000, channel="mixed")
    big = {name: _queries(associate_client, url) for name, url in urls.items()}
    # then no screen issues more queries
    assert big == small
    assert small == EXPECTED_QUERIES, small


# 4 of them are the portal's own and the shopper's (session, user, the user's memberships with
# their stores — read once for the MFA rule, the current store and the role — and the customer);
# tests/customers/test_screen.py counts the whole screen.
EXPECTED_QUERIES = {
    # customer with every header fact; first view: timeline, cart, notes. The customer.viewed row is
    # written by an associate's first look at a shopper in 10 minutes (the set-up's visit above)
    "shell": 8,  # the timeline's rows name their products: one read of the SKUs on the page
    "timeline": 6,
    "timeline-app": 6,
    "notes": 5,
    "tasks": 5,
    "offers": 5,
    "lists": 6,  # + lists, items with variants and stock here
    "recommendations": 7,  # + bought, co-bought, the picks (variants in stock here, both rows of the panel)
}


def test_the_timeline_scrolls_by_keyset_and_filters_by_channel(associate_client, shopper):
    # given 49 app interactions among 147, plus the wishlist add of the fixture: 50 in the app
    many_interactions(shopper, 147, channel="mixed")
    url = reverse("customers_portal:timeline", args=[shopper.pk])
    # when the first page of app events is loaded
    first = associate_client.get(url + "?channel=app", HTTP_HX_REQUEST="true").content.decode()
    # then it shows 25 app rows only, and a sentinel that loads the next page when revealed
    assert first.count('class="tl-item tl-app"') == 25 and "tl-web" not in first
    assert 'hx-trigger="revealed"' in first
    cursor = first.split("before=")[1].split("&")[0]
    # and the next page holds the 25 older app rows, with no overlap and no further sentinel
    second = associate_client.get(url + f"?channel=app&before={cursor}", HTTP_HX_REQUEST="true").content.decode()
    assert second.count('class="tl-item tl-app"') == 25 and "revealed" not in second
    first_times = set(first.split('datetime="')[1:])
    assert not first_times & set(second.split('datetime="')[1:])
    # and a forged cursor is a clear 400, not a 500
    assert associate_client.get(url + "?before=garbage", HTTP_HX_REQUEST="true").status_code == 400


def test_an_associate_adds_a_note_inline_in_their_store(associate_client, associate, shopper, store):
    url = reverse("customers_portal:notes", args=[shopper.pk])
    # when a note is posted with htmx
    response = associate_client.post(url, {"body": "Prefers slim fit", "pinned": "on"}, HTTP_HX_REQUEST="true")
    # then the panel comes back with it, written in the associate's store
    assert response.status_code == 200 and "Prefers slim fit" in response.content.decode()
    note = Note.objects.get()
    assert (note.author, note.store, note.pinned) == (associate, store, True)
    assert shopper.interactions.filter(kind="note").exists()


def test_an_associate_cannot_act_as_another_store(client, associate, shopper, other_store):
    from customers.errors import CustomerError
    from customers.services import add_note

    # given the session claims a store the associate does not work in
    client.force_login(associate)
    session = client.session
    session["portal_store_id"] = other_store.pk
    session.save()
    # when they add a note, it is written in their own store, never the other one
    client.post(reverse("customers_portal:notes", args=[shopper.pk]), {"body": "x"}, HTTP_HX_REQUEST="true")
    assert Note.objects.get().store_id != other_store.pk
    # and the service refuses it outright
    with pytest.raises(CustomerError) as err:
        add_note(customer=shopper, author=associate, store=other_store, body="sneaky")
    assert err.value.code == "not_store_member"


def test_a_message_task_without_consent_is_a_form_error(associate_client, shopper):
    url = reverse("customers_portal:tasks", args=[shopper.pk])
    due = timezone.localdate() + timedelta(days=1)
    response = associate_client.post(
        url, {"kind": "message", "channel": "sms", "title": "Boots are in", "due_on": due}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "has not agreed to sms" in response.content.decode()
    assert not Task.objects.exists()


def test_the_task_due_date_shows_its_value_and_keeps_the_day_chosen(associate_client, shopper, store):
    url = reverse("customers_portal:tasks", args=[shopper.pk])
    today = selectors.store_today(store)
    # the empty form shows today in the picker's own format (a locale date such as 03/12/2026 shows blank)
    panel = associate_client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert f'type="date" name="due_on" value="{today.isoformat()}"' in panel
    # a form sent back with an error keeps the day chosen
    later = today + timedelta(days=9)
    refused = associate_client.post(url, {"kind": "call", "title": "", "due_on": later}, HTTP_HX_REQUEST="true")
    assert f'name="due_on" value="{later.isoformat()}"' in refused.content.decode()
    # and after a task is added, the next one starts on that same day
    added = associate_client.post(url, {"kind": "call", "title": "Call", "due_on": later}, HTTP_HX_REQUEST="true")
    assert Task.objects.get().due_on == later
    assert f'name="due_on" value="{later.isoformat()}"' in added.content.decode()
    # a day before the store's today is refused with a form error
    past = associate_client.post(
        url, {"kind": "call", "title": "Late", "due_on": today - timedelta(days=1)}, HTTP_HX_REQUEST="true"
    )
    assert "Pick today or a later day." in past.content.decode() and Task.objects.count() == 1


def test_the_header_names_the_person_once_with_the_role_as_a_badge(client, store):
    priya = MembershipFactory(store=store, role=StoreMembership.Role.ASSOCIATE, user__full_name="Priya Shah").user
    client.force_login(priya)
    html = client.get("/portal/").content.decode()
    header = html[html.index('<header class="topbar">') : html.index("</header>")]
    assert '<span class="user-name">Priya Shah</span>' in header
    assert header.count("Priya Shah") == 1
    assert '<span class="visually-hidden">, </span>Associate</span>' in header  # read out as "Priya Shah, Associate"


def _hussains(start: int, stop: int):
    for i in range(start, stop):
        CustomerFactory(first_name=f"Amir{i}", last_name="Hussain")


def test_search_says_how_many_match_and_pages_them_in_the_same_queries(associate_client, django_assert_num_queries):
    # given 25 Hussains, and an associate who types the name with a typo
    _hussains(0, 25)
    url = reverse("customers_portal:search")
    associate_client.get(url, {"q": "hussian"})  # the first request of a shift picks the store
    connection.queries_log.clear()  # a full log (9,000 statements) would capture none
    with CaptureQueriesContext(connection) as few:
        first = associate_client.get(url, {"q": "hussian"}).content.decode()
    statements = len(few.captured_queries)
    # then the page says how many match and lists the first 20 of them, with a second page
    assert "25 shoppers match “hussian”" in first and "Page 1 of 2" in first
    assert first.count("Hussain</a>") == 20 and 'rel="next"' in first
    second = associate_client.get(url, {"q": "hussian", "page": "2"}).content.decode()
    assert second.count("Hussain</a>") == 5 and 'rel="prev"' in second and 'rel="next"' not in second
    # when there are 60 of them, the count follows in the same statements
    _hussains(25, 60)
    with django_assert_num_queries(statements):
        many = associate_client.get(url, {"q": "hussian"}).content.decode()
    assert "60 shoppers match" in many and "Page 1 of 3" in many
    # and past 100 the associate is asked to narrow the search, still in the same statements
    _hussains(60, 105)
    with django_assert_num_queries(statements):
        too_many = associate_client.get(url, {"q": "hussian", "page": "9"}).content.decode()
    assert "More than 100 shoppers match" in too_many and "add a first name" in too_many
    assert "Page 5 of 5" in too_many and too_many.count("Hussain</a>") == 20


def test_the_typeahead_says_when_more_match_than_it_lists(associate_client):
    url = reverse("customers_portal:search")
    _hussains(0, 10)
    ten = associate_client.get(url, {"q": "hussain", "typeahead": "1"}, HTTP_HX_REQUEST="true").content.decode()
    assert ten.count('role="option"') == 10 and "More shoppers match" not in ten
    _hussains(10, 11)
    eleven = associate_client.get(url, {"q": "hussain", "typeahead": "1"}, HTTP_HX_REQUEST="true").content.decode()
    assert eleven.count("Hussain</span>") == 10
    assert "More shoppers match “hussain”" in eleven and f'href="{url}?q=hussain"' in eleven


def test_every_portal_page_loads_the_search_shortcut_and_the_dashboard_focuses_the_box(associate_client):
    dashboard = associate_client.get("/portal/").content.decode()
    assert '<script src="/static/js/portal.js" defer></script>' in dashboard
    box = dashboard[dashboard.index('id="customer-q"') : dashboard.index("</form>", dashboard.index('id="customer-q"'))]
    assert "autofocus" in box and 'aria-keyshortcuts="/"' in box
    queue = associate_client.get("/portal/orders/pickups/").content.decode()
    assert "js/portal.js" in queue and 'aria-keyshortcuts="/"' in queue
    box = queue[queue.index('id="customer-q"') : queue.index("</form>", queue.index('id="customer-q"'))]
    assert "autofocus" not in box


def test_export_is_for_managers_only(client, associate_client, shopper, store):
    url = reverse("customers_portal:export", args=[shopper.pk])
    # an associate is sent back
    assert associate_client.get(url).status_code == 302
    # a manager (with MFA) downloads the JSON, and it is audited
    manager = MembershipFactory(store=store, role=StoreMembership.Role.MANAGER).user
    enrol_totp(manager)
    client.force_login(manager)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert response.json()["profile"]["phone"] == "+447700900123"
    assert AuditEvent.objects.filter(action="customer.exported", actor=manager).exists()


def test_search_page_opens_an_exact_phone_match_and_typeahead_lists_names(associate_client, shopper):
    url = reverse("customers_portal:search")
    response = associate_client.get(url, {"q": "07700 900123"})
    assert response.status_code == 302 and response.url == reverse("customers_portal:detail", args=[shopper.pk])
    partial = associate_client.get(url, {"q": "grace", "typeahead": "1"}, HTTP_HX_REQUEST="true")
    assert "Grace Hopper" in partial.content.decode() and "<html" not in partial.content.decode()


def test_lists_show_stock_here_and_recommendations_come_from_purchases(associate_client, shopper):
    # when the lists and recommendations panels load
    lists = associate_client.get(reverse("customers_portal:lists", args=[shopper.pk]), HTTP_HX_REQUEST="true")
    recs = associate_client.get(reverse("customers_portal:recommendations", args=[shopper.pk]), HTTP_HX_REQUEST="true")
    # then the wished-for C-L shows it is not in this store
    assert "C-L" in lists.content.decode() and "None here" in lists.content.decode()
    # and what others bought with A comes in the shopper's size (M), with stock here
    html = recs.content.decode()
    assert "B-M" in html and "C-M" in html and "B-S" not in html and "A-" not in html


def test_bought_together_reads_only_the_newest_baskets_of_each_sku(catalog, store, monkeypatch):
    # given three older baskets of A with B, then two newer ones of A with C (a sample of 2 per SKU)
    monkeypatch.setattr(recommendations, "BASKETS_PER_SKU", 2)
    for n in range(3):
        buy(CustomerFactory(), "A-S", "B-S", number=f"OLD-{n}")
    for n in range(2):
        buy(CustomerFactory(), "A-S", "C-S", number=f"NEW-{n}")
    shopper = CustomerFactory(home_store=store)
    buy(shopper, "A-M", number="MINE-1", store=store)
    # when the recommendations are read
    recs = recommendations.recommendations_for(shopper, store=store)
    # then "bought together" ranks what the newest baskets hold, in the shopper's size (M), never A
    assert [r.variant.sku for r in recs["together"]] == ["C-M"]
    # and B, beyond the sample, still comes as a new style of their category in their size
    assert [r.variant.sku for r in recs["size"]] == ["B-M"]


def test_recommendations_seed_on_the_newest_styles_bought(catalog, store, monkeypatch):
    # given other shoppers bought C with A, and B on its own
    monkeypatch.setattr(recommendations, "SEED_STYLES", 1)
    buy(CustomerFactory(), "A-S", "C-S", number="OTHER-1")
    buy(CustomerFactory(), "B-S", number="OTHER-2")
    # and the shopper bought A long ago, then B (one seed style: the newest, B)
    shopper = CustomerFactory(home_store=store)
    old = buy(shopper, "A-M", number="MINE-1", store=store)
    Interaction.objects.filter(pk=old.pk).update(occurred_at=timezone.now() - timedelta(days=400))  # items follow
    buy(shopper, "B-M", number="MINE-2", store=store)
    # when the recommendations are read
    recs = recommendations.recommendations_for(shopper, store=store)
    # then nothing was bought with B, and C comes only as a new style in their size
    assert recs["together"] == []
    assert [r.variant.sku for r in recs["size"]] == ["C-M"]


def test_sizes_bought_count_by_the_catalogs_category_whatever_name_the_sale_recorded(catalog, store):
    # given a shopper with no sizes on the profile, who bought A in M through a till that records
    # the category's name ("Tops", as checkout and POS sales do), not its slug
    shopper = CustomerFactory(home_store=store)
    buy(shopper, "A-M", number="MINE-1", store=store, category="Tops")
    # when the recommendations are read
    recs = recommendations.recommendations_for(shopper, store=store)
    # then the other tops come in M, the size bought, not in every size
    assert sorted(r.variant.sku for r in recs["size"]) == ["B-M", "C-M"]


def test_a_new_customer_is_created_at_the_counter_with_consent_from_this_store(associate_client, store):
    url = reverse("customers_portal:new")
    # a profile without any contact is refused with a form error
    refused = associate_client.post(url, {"first_name": "Lin", "last_name": "Wu"})
    assert refused.status_code == 200 and "Give a phone number or an email" in refused.content.decode()
    # when the associate fills the essentials
    response = associate_client.post(
        url, {"first_name": "Lin", "last_name": "Wu", "phone": "07700 900999", "consent_sms": "on"}
    )
    # then the profile exists in this store with an SMS consent sourced here, and opens
    customer = Customer.objects.get(phone="+447700900999")
    assert response.status_code == 302 and response.url == reverse("customers_portal:detail", args=[customer.pk])
    assert customer.home_store == store
    assert customer.consents.get(channel="sms").source == "store:LON-01"
    # and the same phone again is a form error pointing at the existing profile, not a duplicate
    again = associate_client.post(url, {"first_name": "L", "last_name": "W", "phone": "+44 7700 900999"})
    assert "Another customer already has this phone" in again.content.decode()
    assert Customer.objects.filter(phone="+447700900999").count() == 1


def test_consent_is_toggled_at_the_counter_and_audited(associate_client, associate, shopper):
    url = reverse("customers_portal:consent", args=[shopper.pk])
    associate_client.post(url, {"channel": "email", "granted": "0"})
    consent = shopper.consents.get(channel="email")
    assert consent.granted is False and consent.source == "store:LON-01"
    assert AuditEvent.objects.filter(action="customer.consent_changed", actor=associate).exists()


def test_client_books_mine_and_the_stores_with_constant_queries(associate_client, associate, store):
    book = reverse("customers_portal:book")
    CustomerFactory(first_name="Mine", last_name="One", assigned_associate=associate, home_store=store)
    associate_client.get(book)
    with CaptureQueriesContext(connection) as few:
        mine = associate_client.get(book).content.decode()
    for i in range(30):
        CustomerFactory(first_name=f"Mine{i}", assigned_associate=associate, home_store=store)
    with CaptureQueriesContext(connection) as many:
        associate_client.get(book)
    assert "Mine One" in mine and len(few) == len(many)
    CustomerFactory(first_name="Pool", last_name="Shopper", home_store=store)
    assert "Pool Shopper" in associate_client.get(book, {"scope": "store"}).content.decode()
    assert "Pool Shopper" not in associate_client.get(book).content.decode()


def test_a_manager_hands_over_a_client_book(client, associate, store):
    manager = MembershipFactory(store=store, role=StoreMembership.Role.MANAGER).user
    enrol_totp(manager)
    colleague = MembershipFactory(store=store).user
    clients = [CustomerFactory(assigned_associate=associate) for _ in range(2)]
    client.force_login(manager)
    response = client.post(
        reverse("customers_portal:reassign-book"), {"from_associate": associate.pk, "to_associate": colleague.pk}
    )
    assert response.status_code == 302
    assert {c.pk for c in colleague.client_book.all()} == {c.pk for c in clients}
    assert AuditEvent.objects.filter(action="customer.client_book_reassigned", actor=manager).exists()


def test_an_associate_cannot_hand_over_client_books(associate_client, associate, store):
    colleague = MembershipFactory(store=store).user
    CustomerFactory(assigned_associate=associate)
    associate_client.post(
        reverse("customers_portal:reassign-book"), {"from_associate": associate.pk, "to_associate": colleague.pk}
    )
    assert not colleague.client_book.exists()


def test_notes_are_pinned_only_by_the_store_that_wrote_them(associate_client, associate, shopper, store, other_store):
    from customers.services import add_note

    ours = add_note(customer=shopper, author=associate, store=store, body="Ours")
    theirs = add_note(
        customer=shopper, author=MembershipFactory(store=other_store).user, store=other_store, body="Theirs"
    )
    pin = lambda note: associate_client.post(  # noqa: E731
        reverse("customers_portal:pin-note", args=[shopper.pk, note.pk]), {"pinned": "1"}, HTTP_HX_REQUEST="true"
    )
    assert pin(ours).status_code == 200
    response = pin(theirs)
    assert "Only the store that wrote a note can pin it." in response.content.decode()
    ours.refresh_from_db()
    theirs.refresh_from_db()
    assert ours.pinned and not theirs.pinned


def test_a_merged_profile_opens_the_surviving_one_and_device_profiles_are_not_shown(associate_client, shopper):
    from customers.services import merge_customers, resolve_customer

    dupe = CustomerFactory(first_name="Grace", last_name="H")
    merge_customers(source=dupe, target=shopper)
    response = associate_client.get(reverse("customers_portal:detail", args=[dupe.pk]))
    assert response.status_code == 302 and response.url == reverse("customers_portal:detail", args=[shopper.pk])
    device = resolve_customer(identities={"web_cookie": "ck-anon"})
    assert associate_client.get(reverse("customers_portal:detail", args=[device.pk])).status_code == 404
