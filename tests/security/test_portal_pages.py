"""ASVS V3/V14 (CSRF, CSP): every portal page and every portal write, crawled from the URL configuration.

The crawl reads the URL patterns mounted under /portal/, so a new page is covered the day it is added:
pages without arguments, plus the object pages filled with store B's live work (the signed-in user is
B's manager, with TOTP). Each HTML page must carry a CSP without 'unsafe-inline', load scripts only
from our static files or with this response's nonce, and have no style attributes, <style> blocks or
inline event handlers, and must not be stored in the browser's cache. Every portal URL refuses a POST
without a CSRF token.
"""

import re

import pytest
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from retail.models import StoreMembership
from tests.factories import MembershipFactory
from tests.helpers import enrol_totp

pytestmark = pytest.mark.django_db

INLINE_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)


def portal_routes() -> list[tuple[str, list[str]]]:
    """(namespaced URL name, argument names) of every named route mounted under /portal/."""
    found = []

    def walk(patterns, namespace, prefix):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                ns = ":".join(filter(None, [namespace, entry.namespace]))
                walk(entry.url_patterns, ns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern) and entry.name and prefix.startswith("portal/"):
                found.append((f"{namespace}:{entry.name}" if namespace else entry.name, list(entry.pattern.converters)))

    walk(get_resolver().url_patterns, "", "")
    return found


def arguments_for(work) -> dict[str, object]:
    """Store B's objects by the argument name the portal's URLs use."""
    return {
        "fulfillment_id": work.pickup.pk,
        "action": "start",
        "customer_id": work.order.customer_id,
        "number": work.order.number,
        "pk": work.count.pk,
        "rma_number": work.open_rma.rma_number,
        "line_id": work.inspection_line.pk,
        "note_id": 1,
        "task_id": 1,
        "saved_cart_id": 1,
        "figure": "sales",
    }


def portal_urls(work) -> list[str]:
    values = arguments_for(work)
    urls = []
    for name, params in portal_routes():
        try:
            urls.append(reverse(name, kwargs={p: values[p] for p in params}))
        except (KeyError, NoReverseMatch):  # an argument this crawl does not know: fail loudly below
            urls.append(f"!{name}{params}")
    return urls


@pytest.fixture
def manager_of_b(client, store_b_work):
    user = MembershipFactory(store=store_b_work.store, role=StoreMembership.Role.MANAGER).user
    enrol_totp(user)
    client.force_login(user)
    return client


def test_the_crawl_reaches_every_portal_route(store_b_work):
    urls = portal_urls(store_b_work)
    assert [u for u in urls if u.startswith("!")] == []
    assert len(urls) >= 50  # dashboard, inventory, customers, orders, returns, insights


def test_every_portal_page_has_a_strict_csp_and_no_inline_code(manager_of_b, store_b_work):
    pages = 0
    for url in portal_urls(store_b_work):
        response = manager_of_b.get(url)
        # never a server error, whatever the page
        assert response.status_code < 500, url
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        pages += 1
        policy = response["Content-Security-Policy"]
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, url
        assert "script-src 'self'" in policy and "style-src 'self'" in policy, url
        nonce = re.search(r"'nonce-([^']+)'", policy)  # only sent when the page used it
        html = response.content.decode()
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert re.search(r'\ssrc="/static/', tag) or (nonce and f'nonce="{nonce.group(1)}"' in tag), (url, tag)
        assert not re.search(r"<[^>]+\sstyle\s*=", html), url
        assert "<style" not in html, url
        assert not INLINE_HANDLER.search(html), (url, INLINE_HANDLER.search(html).group(0))
        assert response["X-Frame-Options"] == "DENY" and response["X-Content-Type-Options"] == "nosniff", url
        # shoppers' data on a shared tablet: never kept in the browser's cache (back button after sign-out)
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"], url
    assert pages >= 25  # the full pages and panels a manager of B can open


def test_every_portal_url_refuses_a_post_without_a_csrf_token(store_b_work):
    client = Client(enforce_csrf_checks=True)
    user = MembershipFactory(store=store_b_work.store, role=StoreMembership.Role.MANAGER).user
    enrol_totp(user)
    client.force_login(user)
    for url in portal_urls(store_b_work):
        response = client.post(url, {"q": "x", "reason": "x"})
        assert response.status_code == 403, url
        assert b"CSRF" in response.content, url


def test_a_portal_post_with_the_pages_token_is_accepted(store_b_work):
    # the control: the same client with the token from the page's form gets through
    client = Client(enforce_csrf_checks=True)
    user = MembershipFactory(store=store_b_work.store, role=StoreMembership.Role.ASSOCIATE).user
    client.force_login(user)
    page = client.get(reverse("inventory_portal:counts"))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    response = client.post(reverse("inventory_portal:count-start"), {"csrfmiddlewaretoken": token, "note": "spot"})
    assert response.status_code == 302


def test_session_authenticated_api_writes_need_the_csrf_token(store_b_work):
    from rest_framework.test import APIClient

    from customers.services.linking import link_user_to_customer
    from tests.factories import UserFactory

    # given a shopper signed in on the web shop (a session cookie, the ambient credential)
    shopper = UserFactory(email="web@example.com")
    link_user_to_customer(user=shopper)
    api = APIClient(enforce_csrf_checks=True)
    api.force_login(shopper)
    line = {"sku": "SHIRT-M", "quantity": 1}
    # when a cross-site form posts to the API with that cookie but no token
    forged = api.post("/api/v1/me/cart/lines/", line, format="json")
    # then it is refused
    assert forged.status_code == 403
    assert "CSRF" in forged.json()["message"]
    # and the shop's own page, which sends the token from the cookie, gets through
    api.get("/accounts/logout/")  # the sign-out confirmation form sets the csrftoken cookie
    token = api.cookies["csrftoken"].value
    genuine = api.post("/api/v1/me/cart/lines/", line, format="json", HTTP_X_CSRFTOKEN=token)
    assert genuine.status_code in (200, 201), genuine.json()
