"""Every page of the staff portal in the pseudo-locale (issue 19.1, done when), found from the URL conf.

Each named URL under /portal/ is either a page, rendered here for an associate and for the store's manager
(the insights also for head office) with a world of data (a shopper with history on every channel, counts
in every state, transfers both ways), and must show no English but data; or an action or download listed
in NOT_PAGES with the reason, whose GET must indeed not answer a page. A URL added to the portal fails
test_every_portal_url_is_classified until it is one or the other, so a new page cannot escape the test.

Pages whose states need more than a GET (a basket, a counter hand-over, a return in every step) are also
rendered state by state in the other pseudo-locale tests (tests/retail/test_pseudo_locale*.py,
tests/orders/test_pseudo_locale_pages.py); this test is the sweep that no page is left out.
"""

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth.models import Permission
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from insights.figures import SECTIONS
from inventory import counts, services
from inventory.models import StockCount, Transfer, Variant
from orders.models import Fulfillment, Order
from orders.returns.models import ReturnRequest
from retail.models import StoreMembership
from tests.customers.conftest import catalog, purchase_history  # noqa: F401 - fixtures
from tests.factories import MembershipFactory
from tests.retail.test_pseudo_locale import assert_all_translated, database_data, pseudo_locale  # noqa: F401
from tests.retail.test_pseudo_locale_pages import shopper  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db

PORTAL_NAMESPACES = (
    *("portal", "inventory_portal", "customers_portal"),
    *("orders_portal", "returns_portal", "insights_portal"),
)

# Named portal URLs that are not pages, and why: their GET answers no HTML page to read.
NOT_PAGES = {
    "portal:switch-store": "POST only: changes the store the user works in, then goes back",
    "inventory_portal:transfer-request": "POST only: asks a store for a unit, then shows the transfers",
    "inventory_portal:transfer-ship": "POST only: ships a transfer",
    "inventory_portal:count-start": "POST only: starts a count",
    "inventory_portal:count-scan": "POST only: adds a scan (its answer, the count sheet, is rendered by count)",
    "inventory_portal:count-set": "POST only: corrects a line (answer as count-scan)",
    "inventory_portal:count-post": "POST only: posts a reviewed count",
    "inventory_portal:count-decide": "POST only: a manager approves or rejects a count",
    "inventory_portal:count-cancel": "POST only: cancels a count",
    "customers_portal:reassign-book": "POST only: hands a client book over",
    "customers_portal:consent": "POST only: records a consent",
    "customers_portal:pin-note": "POST only: pins a note",
    "customers_portal:close-task": "POST only: closes a task",
    "customers_portal:assign": "POST only: adds the shopper to my client book",
    "customers_portal:export": "the shopper's data as JSON (a download, field names are the API's)",
    "insights_portal:csv": "a CSV download (column names are machine names)",
    "orders_portal:pick-scan": "POST only: scans a picked unit",
    "orders_portal:pick-action": "POST only: start, short-pick, ready, ship",
    "orders_portal:hand-over": "POST only: hands a pick-up over",
    "orders_portal:assisted-add": "POST only: adds to the basket (answers rendered in test_sell_page)",
    "orders_portal:assisted-set": "POST only: changes a basket line",
    "orders_portal:assisted-place": "POST only: places the order",
    "orders_portal:assisted-save": "POST only: saves the basket",
    "orders_portal:saved-reopen": "POST only: reopens a saved basket",
    "orders_portal:saved-send": "POST only: sends a saved basket to the shopper",
    "orders_portal:cancel": "POST only: cancels an order",
    "returns_portal:reject": "POST only: rejects a return",
    "returns_portal:release": "POST only: releases a held line",
    "returns_portal:order-preview": "POST only: the verdict of the lines chosen (htmx)",
    "returns_portal:receiptless-preview": "POST only: the verdict of the items scanned (htmx)",
    "returns_portal:detail-preview": "POST only: the verdict of the inspection (htmx)",
}


# Fragments only htmx asks for (a plain GET goes to their page): requested as htmx does.
HTMX_ONLY = {"customers_portal:below-fold"}


def portal_urls() -> dict[str, list[str]]:
    """{namespace:name: its URL arguments} of every named URL under /portal/."""
    found: dict[str, list[str]] = {}

    def walk(patterns, namespace):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, p.namespace or namespace)
            elif isinstance(p, URLPattern) and p.name and namespace in PORTAL_NAMESPACES:
                found[f"{namespace}:{p.name}"] = list(p.pattern.converters)

    portal = next(p for p in get_resolver().url_patterns if isinstance(p, URLResolver) and str(p.pattern) == "portal/")
    walk(portal.url_patterns, "portal")
    return found


def test_every_portal_url_is_classified():
    urls = portal_urls()
    assert len(urls) > 50  # the walk found the portal
    assert set(NOT_PAGES) <= set(urls), "NOT_PAGES lists URLs the portal no longer has"


@pytest.fixture
def world(store, other_store, shopper, associate):  # noqa: F811
    """Counts open, awaiting a manager and posted; transfers coming, to ship and asked for; a return."""
    variants = list(Variant.objects.order_by("sku")[:2])
    skus = [v.sku for v in variants]
    services.receive_stock(location=other_store, lines=[(sku, 5) for sku in skus], reference="PO-9")
    open_count = services.start_stock_count(location=store, actor=associate, note="Front tables")
    services.add_count_scan(count=open_count, code=skus[0], actor=associate)
    waiting = services.start_stock_count(location=store, actor=associate, note="Back wall")
    services.add_count_scan(count=waiting, code=skus[1], quantity=40, actor=associate)
    review = counts.review_stock_count(count=waiting)
    counts.submit_stock_count(count=waiting, actor=associate, reviewed=review.fingerprint, approval=None)
    posted = services.start_stock_count(location=store, actor=associate, note="Shoes")
    services.add_count_scan(count=posted, code=skus[0], actor=associate)
    review = counts.review_stock_count(count=posted)
    counts.submit_stock_count(count=posted, actor=associate, reviewed=review.fingerprint, approval=None)
    incoming = services.request_transfer(from_location=other_store, to_location=store, lines=[(skus[0], 2)])
    services.ship_transfer(transfer=incoming)
    services.request_transfer(from_location=other_store, to_location=store, lines=[(skus[1], 1)])
    services.request_transfer(from_location=store, to_location=other_store, lines=[(skus[0], 1)])
    # a return in progress and one refunded, numbered the way a typed RMA number is
    rmas = list(ReturnRequest.objects.order_by("pk")[:2])
    ReturnRequest.objects.filter(pk=rmas[0].pk).update(rma_number="RMA-ABCD-EFGH", status="requested")
    ReturnRequest.objects.filter(pk=rmas[1].pk).update(
        rma_number="RMA-EFGH-ABCD", status="refunded", refund_method="original", closed_at=timezone.now()
    )
    assert StockCount.objects.filter(status="approval").exists() and StockCount.objects.filter(status="posted").exists()
    return {
        "customer_id": shopper.pk,
        "pk": incoming.pk,
        "count": open_count.pk,
        "fulfillment_id": Fulfillment.objects.filter(location=store).order_by("pk").first().pk,
        "number": Order.objects.filter(customer=shopper).order_by("pk").first().number,
        "rma_number": "RMA-ABCD-EFGH",
        "rma_done": "RMA-EFGH-ABCD",
        "counts": [open_count.pk, waiting.pk, posted.pk],
        "transfer": Transfer.objects.get(pk=incoming.pk).pk,
    }


def page_urls(world) -> list[tuple[str, bool]]:
    """Every portal page, reversed with the world's objects (a count and a transfer: each of their states)."""
    result = []
    for name, arguments in portal_urls().items():
        if name in NOT_PAGES:
            continue
        if name == "inventory_portal:count":  # open, awaiting a manager, posted
            result += [(reverse(name, kwargs={"pk": pk}), False) for pk in world["counts"]]
            continue
        if name == "inventory_portal:count-review":  # an open count's (a submitted one goes to its page)
            result.append((reverse(name, kwargs={"pk": world["counts"][0]}), False))
            continue
        if name == "insights_portal:index":  # every section
            result += [(f"{reverse(name)}?section={key}", False) for key, _label in SECTIONS]
            continue
        if name == "returns_portal:receipt":
            result.append((reverse(name, kwargs={"rma_number": world["rma_done"]}), False))
            continue
        kwargs = {a: world[a] for a in arguments}
        result.append((reverse(name, kwargs=kwargs), name in HTMX_ONLY))
    return result


def people(store):
    manager = MembershipFactory(store=store, role=StoreMembership.Role.MANAGER, user__full_name="Maria Rossi").user
    head_office = MembershipFactory(store=store, role=StoreMembership.Role.MANAGER, user__full_name="Anna Nowak").user
    for user in (manager, head_office):  # managers sign in with a second factor
        Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"})
    head_office.user_permissions.add(Permission.objects.get(codename="view_report", content_type__app_label="insights"))
    return manager, head_office


@pytest.mark.parametrize("role", ["associate", "manager", "head_office"])
def test_every_portal_page(client, store, associate, world, role, pseudo_locale):  # noqa: F811
    # given the user of the role
    manager, head_office = people(store)
    user = {"associate": associate, "manager": manager, "head_office": head_office}[role]
    client.force_login(user)
    data = database_data() | {"Front tables", "Back wall", "Shoes", "km", "Ada Lovelace", "tops", "#vip"}
    data |= {"English", "Italiano", "Polski"}  # each language in its own name
    data |= {t.reference for t in Transfer.objects.all()} | {timezone.get_current_timezone_name()}

    # then every page answers, and in the pseudo-locale
    failures = []
    for url, htmx in page_urls(world):
        response = client.get(url, headers={"hx-request": "true"} if htmx else {})
        if response.status_code == 302:  # a page for managers (or head office) only: the associate goes back
            assert role == "associate", url
            continue
        try:
            assert_all_translated(response, data)
        except AssertionError as failure:
            failures.append(f"{url} as {role}: {failure}")
    assert not failures, "\n\n".join(failures)


def test_the_not_pages_answer_no_page(client, store, world):
    """What NOT_PAGES says of each URL holds: a GET is refused or sent on, or answers a download."""
    manager, _ = people(store)
    client.force_login(manager)
    arguments = portal_urls()
    for name in NOT_PAGES:
        kwargs = {a: world.get(a, 1) for a in arguments[name]}
        if name == "orders_portal:pick-action":
            kwargs["action"] = "start"
        if "saved_cart_id" in kwargs or "line_id" in kwargs or "note_id" in kwargs or "task_id" in kwargs:
            kwargs = {k: (v if k in world else 1) for k, v in kwargs.items()}
        response = client.get(reverse(name, kwargs=kwargs))
        content_type = response.get("Content-Type", "")
        assert response.status_code in (302, 404, 405) or not content_type.startswith("text/html"), name


def test_start_error_and_security_pages(client, store, rf, pseudo_locale):  # noqa: F811
    """The start page, page not found, not allowed, and setting up two-step verification and its codes."""
    from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY
    from django.core.exceptions import PermissionDenied
    from django.views.defaults import permission_denied

    from tests.retail.test_auth import sign_in
    from tests.retail.test_pseudo_locale import untranslated

    manager = MembershipFactory(store=store, role=StoreMembership.Role.MANAGER, user__full_name="Maria Rossi").user
    data = {manager.email, manager.full_name, store.name, store.code}
    assert_all_translated(client.get("/"), data)
    sign_in(client, manager.email)  # a fresh sign-in: the security pages ask for one
    setup = client.get(reverse("mfa_activate_totp"))
    assert_all_translated(setup, data | {client.session[SECRET_SESSION_KEY]})
    Authenticator.objects.create(user=manager, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"})
    assert_all_translated(client.get(reverse("mfa_generate_recovery_codes")), data)

    missing = client.get("/portal/stock/counts/999999/")
    assert missing.status_code == 404 and not untranslated(missing.content.decode(), data)
    request = rf.get("/portal/")
    request.user = manager
    refused = permission_denied(request, PermissionDenied())
    assert refused.status_code == 403 and not untranslated(refused.content.decode(), data)
