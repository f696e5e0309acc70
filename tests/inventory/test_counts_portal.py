"""Issue 16 at the screen: review, confirm, the manager's PIN on the associate's screen, and the
counts awaiting approval; form errors, never a 500; query counts constant in the lines."""

import re

import pytest
from django.urls import reverse

from inventory import counts, services
from inventory.models import StockCount, StockLevel
from retail.approvals import set_approval_pin
from retail.models import AuditEvent, StoreMembership
from tests.factories import TEST_PASSWORD, MembershipFactory
from tests.helpers import MANAGER_PIN, enrol_totp
from tests.inventory.factories import VariantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss(store):
    user = MembershipFactory(store=store, role=StoreMembership.Role.MANAGER).user
    enrol_totp(user)
    set_approval_pin(user=user, store=store, pin=MANAGER_PIN, password=TEST_PASSWORD)
    return user


@pytest.fixture
def hoodie(store):
    variant = VariantFactory(sku="HOODIE-M", product__name="Heavy hoodie")
    services.receive_stock(location=store, lines=[(variant, 23)], reference="PO-1")
    return variant


def _open_count(store, associate, figures):
    count = services.start_stock_count(location=store, actor=associate)
    for variant, quantity in figures.items():
        services.set_count_quantity(count=count, variant=variant, quantity=quantity)
    return count


def _fingerprint(html):
    return re.search(r'name="reviewed" value="([0-9a-f]+)"', html).group(1)


def _on_hand(variant, store):
    return StockLevel.objects.get(variant=variant, location=store).on_hand


def test_posting_is_never_one_click(associate_client, store, associate, hoodie):
    count = _open_count(store, associate, {hoodie: 1})
    page = associate_client.get(reverse("inventory_portal:count", args=[count.pk])).content.decode()
    assert "Review and post the count" in page and "count-post" not in page
    response = associate_client.post(reverse("inventory_portal:count-post", args=[count.pk]))
    assert response["Location"] == reverse("inventory_portal:count-review", args=[count.pk])
    assert _on_hand(hoodie, store) == 23


def test_the_review_shows_every_line_and_asks_to_confirm(associate_client, store, associate, hoodie):
    count = _open_count(store, associate, {hoodie: 21})
    html = associate_client.get(reverse("inventory_portal:count-review", args=[count.pk])).content.decode()
    assert "Heavy hoodie" in html and "HOODIE-M" in html
    assert '<td class="num">23</td>' in html and '<td class="num">21</td>' in html
    assert "<strong>-2</strong>" in html and "-€78.00" in html
    assert "Confirm and post the count" in html and "Manager approval" not in html
    response = associate_client.post(
        reverse("inventory_portal:count-post", args=[count.pk]), {"reviewed": _fingerprint(html)}, follow=True
    )
    assert f"Count #{count.pk} posted: 1 correction(s), net -2 unit(s)." in response.content.decode()
    assert _on_hand(hoodie, store) == 21


def test_the_review_query_count_is_constant_in_the_lines(associate_client, store, associate, django_assert_num_queries):
    def variants(n):
        made = [VariantFactory() for _ in range(n)]
        services.receive_stock(location=store, lines=[(v, 5) for v in made], reference=f"PO-{n}")
        return made

    small = _open_count(store, associate, dict.fromkeys(variants(1), 4))
    large = _open_count(store, associate, dict.fromkeys(variants(25), 4))
    url = lambda c: reverse("inventory_portal:count-review", args=[c.pk])  # noqa: E731
    associate_client.get(url(small))  # session warm-up
    # session, user, memberships; the count with its store; any line; the lines with products; the levels;
    # the store's market's prices of those lines
    with django_assert_num_queries(8) as first:
        assert associate_client.get(url(small)).status_code == 200
    with django_assert_num_queries(len(first.captured_queries)):
        html = associate_client.get(url(large)).content.decode()
    assert html.count("<strong>-1</strong>") == 25


def test_over_the_limit_the_manager_approves_with_the_pin_on_this_screen(
    associate_client, store, associate, boss, hoodie
):
    count = _open_count(store, associate, {hoodie: 1})
    review_url = reverse("inventory_portal:count-review", args=[count.pk])
    html = associate_client.get(review_url).content.decode()
    assert "needs a manager's approval" in html and "HOODIE-M: -22 units is more than" in html
    post = reverse("inventory_portal:count-post", args=[count.pk])
    # a wrong PIN: the form again with the one refusal message, nothing posted
    wrong = associate_client.post(
        post, {"reviewed": _fingerprint(html), "send": "now", "manager_email": boss.email, "manager_pin": "000000"}
    )
    assert wrong.status_code == 403
    assert "Manager approval refused" in wrong.content.decode() and boss.email in wrong.content.decode()
    assert _on_hand(hoodie, store) == 23
    # the right PIN posts it
    right = associate_client.post(
        post,
        {"reviewed": _fingerprint(html), "send": "now", "manager_email": boss.email, "manager_pin": MANAGER_PIN},
        follow=True,
    )
    assert f"approved by {boss.get_full_name()}" in right.content.decode()
    assert _on_hand(hoodie, store) == 1
    assert AuditEvent.objects.get(action="stock.count_approved").actor == boss


def test_sent_for_approval_then_approved_from_the_waiting_list(
    client, associate_client, store, associate, boss, hoodie, django_assert_num_queries
):
    count = _open_count(store, associate, {hoodie: 1})
    html = associate_client.get(reverse("inventory_portal:count-review", args=[count.pk])).content.decode()
    response = associate_client.post(
        reverse("inventory_portal:count-post", args=[count.pk]),
        {"reviewed": _fingerprint(html), "send": "later", "manager_email": "ignored@example.com"},
        follow=True,
    )
    assert "waiting for a manager" in response.content.decode()
    assert StockCount.objects.get(pk=count.pk).status == "approval" and _on_hand(hoodie, store) == 23
    # the manager, signed in, sees it at the top of the counts
    client.force_login(boss)
    listing = client.get(reverse("inventory_portal:counts")).content.decode()
    assert "Counts awaiting a manager" in listing and "HOODIE-M: -22 units" in listing
    page = client.get(reverse("inventory_portal:count", args=[count.pk])).content.decode()
    assert "Waiting for a manager" in page and "Approve and post" in page
    decide = reverse("inventory_portal:count-decide", args=[count.pk])
    # a reject without a note is a form error
    no_note = client.post(decide, {"decision": "reject", "manager_email": boss.email, "manager_pin": MANAGER_PIN})
    assert no_note.status_code == 400 and "Say why the count is rejected" in no_note.content.decode()
    # no email at all, or no decision: a form error too
    assert client.post(decide, {"decision": "approve"}).status_code == 400
    no_choice = client.post(decide, {"decision": "maybe", "manager_email": boss.email, "manager_pin": MANAGER_PIN})
    assert no_choice.status_code == 400 and "Choose to approve or to reject" in no_choice.content.decode()
    response = client.post(
        decide, {"decision": "approve", "manager_email": boss.email, "manager_pin": MANAGER_PIN}, follow=True
    )
    assert f"Count #{count.pk} approved and posted" in response.content.decode()
    assert _on_hand(hoodie, store) == 1
    # approving again: told it is posted, no 500
    again = client.post(decide, {"decision": "approve", "manager_email": boss.email, "manager_pin": MANAGER_PIN})
    assert again.status_code == 302


def test_the_counts_list_query_count_is_constant_in_waiting_counts(
    associate_client, store, associate, django_assert_num_queries
):
    def waiting(n):
        for _ in range(n):
            variant = VariantFactory()
            services.receive_stock(location=store, lines=[(variant, 30)], reference="PO")
            count = _open_count(store, associate, {variant: 1})
            counts.submit_stock_count(
                count=count, actor=associate, reviewed=counts.review_stock_count(count=count).fingerprint
            )

    url = reverse("inventory_portal:counts")
    waiting(1)
    associate_client.get(url)
    # session, user, memberships; the recent counts; the waiting counts with who sent them
    with django_assert_num_queries(5) as first:
        associate_client.get(url)
    waiting(6)
    with django_assert_num_queries(len(first.captured_queries)):
        html = associate_client.get(url).content.decode()
    assert html.count("units is more than") == 7


def test_a_stale_review_shows_the_review_again(associate_client, store, associate, hoodie):
    count = _open_count(store, associate, {hoodie: 21})
    html = associate_client.get(reverse("inventory_portal:count-review", args=[count.pk])).content.decode()
    services.add_count_scan(count=count, code="HOODIE-M")
    response = associate_client.post(
        reverse("inventory_portal:count-post", args=[count.pk]), {"reviewed": _fingerprint(html)}
    )
    assert response.status_code == 409
    body = response.content.decode()
    assert "changed while you were reviewing" in body and "<strong>-1</strong>" in body
    assert _on_hand(hoodie, store) == 23


@pytest.mark.parametrize(
    "data",
    [
        {"reviewed": "x" * 500},
        {"reviewed": "abc", "manager_email": "a" * 5000, "manager_pin": "9" * 100},
        {"reviewed": "\x00", "send": "later"},
    ],
)
def test_garbage_is_a_form_answer_never_a_500(associate_client, store, associate, hoodie, data):
    count = _open_count(store, associate, {hoodie: 1})
    response = associate_client.post(reverse("inventory_portal:count-post", args=[count.pk]), data)
    assert response.status_code in (302, 400, 403, 409)
    assert _on_hand(hoodie, store) == 23


def test_head_office_edits_the_store_limits_in_the_admin(client, store):
    from tests.admin.conftest import staff_user

    client.force_login(staff_user("admin"))
    url = reverse("admin:retail_store_change", args=[store.pk])
    html = client.get(url).content.decode()
    assert 'name="count_approval_units"' in html and 'name="count_approval_value"' in html


def test_a_waiting_count_page_costs_the_same_for_one_line_or_twenty(
    associate_client, store, associate, django_assert_num_queries
):
    def waiting(n):
        variants = [VariantFactory() for _ in range(n)]
        services.receive_stock(location=store, lines=[(v, 30) for v in variants], reference=f"PO-{n}")
        count = _open_count(store, associate, dict.fromkeys(variants, 1))
        counts.submit_stock_count(
            count=count, actor=associate, reviewed=counts.review_stock_count(count=count).fingerprint
        )
        return reverse("inventory_portal:count", args=[count.pk])

    small, large = waiting(1), waiting(20)
    associate_client.get(small)
    # session, user, memberships; the count with its store and people; its lines with their products; their prices
    with django_assert_num_queries(6) as first:
        assert "Waiting for a manager" in associate_client.get(small).content.decode()
    with django_assert_num_queries(len(first.captured_queries)):
        html = associate_client.get(large).content.decode()
    assert html.count("<strong>-29</strong>") == 20


def test_the_dashboard_says_when_counts_wait_for_a_manager(associate_client, store, associate, hoodie):
    assert "for a manager's approval" not in associate_client.get("/portal/").content.decode()
    count = _open_count(store, associate, {hoodie: 1})
    counts.submit_stock_count(count=count, actor=associate, reviewed=counts.review_stock_count(count=count).fingerprint)
    html = associate_client.get("/portal/").content.decode()
    assert "1 cycle count waits for a manager's approval" in html


def test_another_stores_count_is_not_found_for_review_or_approval(associate_client, other_store, boss):
    # given a count of MAN-01 waiting for a manager, and a manager of LON-01 with a valid PIN here
    variant = VariantFactory()
    services.receive_stock(location=other_store, lines=[(variant, 30)], reference="PO")
    theirs = services.start_stock_count(location=other_store)
    services.set_count_quantity(count=theirs, variant=variant, quantity=1)
    theirs = StockCount.objects.select_related("location").get(pk=theirs.pk)
    counts.submit_stock_count(count=theirs, actor=None, reviewed=counts.review_stock_count(count=theirs).fingerprint)
    # when LON-01 opens its review or approves it by id
    review = associate_client.get(reverse("inventory_portal:count-review", args=[theirs.pk]))
    decide = associate_client.post(
        reverse("inventory_portal:count-decide", args=[theirs.pk]),
        {"decision": "approve", "manager_email": boss.email, "manager_pin": MANAGER_PIN},
    )
    # then neither finds it, and it still waits
    assert review.status_code == decide.status_code == 404
    assert StockCount.objects.get(pk=theirs.pk).status == "approval"


def test_a_count_the_csv_import_started_is_named_in_the_readers_language(client, store, associate):
    # given a count the stock import started (its note the system's, stored in English), and one typed
    services.start_stock_count(location=store, actor=associate, note=counts.IMPORT_NOTE)
    services.start_stock_count(location=store, actor=associate, note="Back room shelves")
    # when an Italian associate lists the counts
    associate.language = "it"
    associate.save(update_fields=["language"])
    client.force_login(associate)
    page = client.get(reverse("inventory_portal:counts")).content.decode()
    # then the import's note reads in Italian, the typed one as typed
    assert "Importazione scorte da CSV" in page and "CSV stock import" not in page
    assert "Back room shelves" in page
