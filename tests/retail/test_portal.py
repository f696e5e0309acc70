"""The staff portal shell: access, the current store, the store switcher, the dashboard, the layout."""

import re

import pytest
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.db import connection
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from retail.models import StoreMembership, User
from retail.portal import dashboard as dashboard_tiles
from retail.portal.access import SESSION_KEY, portal_view
from retail.services import record_audit_event
from tests.factories import TEST_PASSWORD, MembershipFactory, StoreFactory, UserFactory
from tests.helpers import enrol_totp

pytestmark = pytest.mark.django_db

DASHBOARD = "/portal/"
SWITCH = "/portal/store/"


@pytest.fixture
def floater(store, other_store):
    """An associate who works in two stores."""
    user = MembershipFactory(store=store).user
    MembershipFactory(user=user, store=other_store)
    return user


@pytest.fixture
def head_office(db):
    admin = User.objects.create_superuser(email="boss@example.com", password=TEST_PASSWORD)
    enrol_totp(admin)
    return admin


def events_in(html: str) -> list[str]:
    return re.findall(r'data-action="([^"]+)"', html)


# --- access ------------------------------------------------------------------------------------


def test_every_portal_page_needs_a_sign_in(client, store):
    # when / then
    for url in (DASHBOARD, SWITCH):
        response = client.get(url) if url == DASHBOARD else client.post(url, {"store": store.pk})
        assert response.status_code == 302
        assert response.url == "/accounts/login/?next=/portal/"


def test_current_store_is_the_membership_store(associate_client, store, other_store):
    # when
    response = associate_client.get(DASHBOARD)
    # then
    assert response.status_code == 200
    assert response.wsgi_request.store == store
    assert response.wsgi_request.store_role == StoreMembership.Role.ASSOCIATE
    html = response.content.decode()
    assert store.name in html
    assert other_store.name not in html
    assert 'id="store-select"' not in html  # one store: a badge, no switcher


def test_manager_only_pages_turn_associates_back(rf: RequestFactory, associate, manager):
    # given a view only a manager may open
    @portal_view(manager_only=True)
    def approve(request):
        return HttpResponse("approved")

    def call(user):
        request = rf.get("/portal/approve/")
        SessionMiddleware(lambda r: None).process_request(request)
        MessageMiddleware(lambda r: None).process_request(request)
        request.user = user
        return approve(request)

    # when / then
    assert call(manager).content == b"approved"
    refused = call(associate)
    assert refused.status_code == 302
    assert refused.url == DASHBOARD


# --- the dashboard is scoped to the current store -------------------------------------------------


def test_dashboard_shows_only_the_current_stores_activity(associate_client, associate, store, other_store):
    # given activity in the associate's store and in another store
    record_audit_event(actor=associate, action="pickup.handed_over", store=store)
    record_audit_event(actor=None, action="return.refunded", store=other_store)
    record_audit_event(actor=None, action="catalog.imported", store=None)
    # when
    html = associate_client.get(DASHBOARD).content.decode()
    # then only their store's events appear
    assert events_in(html) == ["pickup.handed_over"]
    assert "return.refunded" not in html


def test_switching_store_changes_what_the_dashboard_shows(client, floater, store, other_store):
    # given
    record_audit_event(actor=None, action="in.first", store=store)
    record_audit_event(actor=None, action="in.second", store=other_store)
    client.force_login(floater)
    first = client.get(DASHBOARD).content.decode()
    assert events_in(first) == ["in.first"]
    assert 'id="store-select"' in first and other_store.name in first
    # when they switch to their other store
    response = client.post(SWITCH, {"store": other_store.pk, "next": DASHBOARD})
    # then the session remembers it and the dashboard follows
    assert response.status_code == 302
    assert response.url == DASHBOARD
    assert client.session[SESSION_KEY] == other_store.pk
    second = client.get(DASHBOARD).content.decode()
    assert events_in(second) == ["in.second"]
    assert f"You are now working in {other_store.name}" in second


def test_switching_to_a_store_you_do_not_belong_to_is_refused(associate_client, store, other_store):
    # given
    associate_client.get(DASHBOARD)
    # when the associate posts another store's id, then garbage
    for value in (str(other_store.pk), "not-a-number", "", "999999"):
        response = associate_client.post(SWITCH, {"store": value})
        # then they stay in their own store with a message, never a 500
        assert response.status_code == 302
        assert associate_client.session[SESSION_KEY] == store.pk
    page = associate_client.get(DASHBOARD)
    assert page.wsgi_request.store == store
    assert "You cannot work in that store." in page.content.decode()


def test_switch_is_a_post_only_action(associate_client, other_store):
    # when / then
    assert associate_client.get(SWITCH, {"store": other_store.pk}).status_code == 405


def test_switch_ignores_a_next_url_on_another_site(client, floater, other_store):
    # given
    client.force_login(floater)
    # when
    response = client.post(SWITCH, {"store": other_store.pk, "next": "https://evil.example.com/"})
    # then
    assert response.url == DASHBOARD


def test_a_store_you_were_removed_from_is_dropped_from_the_session(client, floater, store, other_store):
    # given the floater works in the second store, then loses that membership
    client.force_login(floater)
    client.post(SWITCH, {"store": other_store.pk})
    StoreMembership.objects.filter(user=floater, store=other_store).delete()
    # when
    response = client.get(DASHBOARD)
    # then they are back in the store they still belong to
    assert response.wsgi_request.store == store
    assert client.session[SESSION_KEY] == store.pk


def test_head_office_can_pick_any_store(client, head_office, store, other_store):
    # given head office with no membership anywhere
    record_audit_event(actor=None, action="far.away", store=other_store)
    client.force_login(head_office)
    html = client.get(DASHBOARD).content.decode()
    assert store.name in html and other_store.name in html  # both in the switcher
    # when
    client.post(SWITCH, {"store": other_store.pk})
    # then
    response = client.get(DASHBOARD)
    assert response.wsgi_request.store == other_store
    assert response.wsgi_request.store_role == StoreMembership.Role.MANAGER
    assert events_in(response.content.decode()) == ["far.away"]


def test_a_closed_store_cannot_be_chosen(client, head_office):
    # given
    closed = StoreFactory(code="OLD-01", is_active=False)
    StoreFactory(code="NEW-01")
    client.force_login(head_office)
    # when
    client.post(SWITCH, {"store": closed.pk})
    # then
    assert client.get(DASHBOARD).wsgi_request.store.code == "NEW-01"


# --- the layout -----------------------------------------------------------------------------------


def test_layout_has_store_user_navigation_and_no_inline_code(associate_client, associate, store):
    # when
    response = associate_client.get(DASHBOARD)
    html = response.content.decode()
    # then the top bar shows the store, the user, plain links and a sign-out form
    assert f"{store.code} · {store.name}" in html
    assert associate.get_full_name() in html
    assert '<a href="/portal/" aria-current="page">Dashboard</a>' in html
    assert 'action="/accounts/logout/"' in html
    # one stylesheet of ours, htmx from our static files (django-htmx), our one script file (the
    # keyboard shortcuts), nothing from a CDN
    assert re.findall(r'<link rel="stylesheet" href="([^"]+)"', html) == ["/static/css/omnistore.css"]
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts and all('src="/static/django_htmx/' in tag or 'src="/static/js/portal.js"' in tag for tag in scripts)
    assert sum('src="/static/js/portal.js"' in tag for tag in scripts) == 1
    assert "https://" not in "".join(scripts)
    # CSP: nothing inline
    assert not re.search(r"\sstyle=", html)
    assert "<style" not in html
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp
    assert "img-src 'self' data:" in csp


def test_shopper_sees_a_helpful_403(client):
    # given
    client.force_login(UserFactory())
    # when
    response = client.get(DASHBOARD)
    # then
    html = response.content.decode()
    assert response.status_code == 403
    assert "not a member of any store" in html
    assert 'action="/accounts/logout/"' in html  # a way out: sign in with a staff account


# --- query counts -----------------------------------------------------------------------------------


def dashboard_queries(client) -> list[str]:
    client.get(DASHBOARD)  # the first visit stores the current store in the session
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(DASHBOARD).status_code == 200
    return [q["sql"] for q in ctx.captured_queries]


def test_dashboard_shell_query_count_is_fixed(
    associate_client, associate, store, django_assert_num_queries, monkeypatch
):
    # given only the core shell (apps' tiles are counted in their own tests)
    monkeypatch.setattr(dashboard_tiles, "_tiles", [])
    record_audit_event(actor=associate, action="one.event", store=store)
    associate_client.get(DASHBOARD)
    # when / then: session, user, the user's memberships with their stores (read once for the MFA
    # rule, the current store, the role and the store switcher), activity
    with django_assert_num_queries(4):
        associate_client.get(DASHBOARD)


def test_dashboard_query_count_does_not_grow_with_data(client, floater, store, other_store):
    # given a small store
    client.force_login(floater)
    record_audit_event(actor=floater, action="first", store=store)
    few = dashboard_queries(client)
    # when the chain grows: more stores for this user, many events, other staff
    for n in range(8):
        extra = StoreFactory(code=f"EXTRA-{n}")
        MembershipFactory(user=floater, store=extra)
        MembershipFactory(store=store)
    for n in range(40):
        record_audit_event(actor=UserFactory(), action=f"event.{n}", store=store)
    many = dashboard_queries(client)
    # then the dashboard costs the same number of queries
    assert len(many) == len(few), "\n".join(many)


# --- htmx requests move the whole page, never swap a sign-in page into a fragment ------------------


def test_htmx_request_without_a_session_redirects_the_page_to_sign_in(client, store):
    # when an htmx fragment is requested after the session has ended
    response = client.get(
        DASHBOARD, headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/portal/?tab=2"}
    )
    # then the browser is told to load the sign-in page, coming back to the page it was on
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == "/accounts/login/?next=/portal/%3Ftab%3D2"


def test_htmx_request_of_a_manager_without_mfa_redirects_the_page_to_enrolment(client, manager):
    # given
    client.force_login(manager)
    # when
    response = client.get(DASHBOARD, headers={"HX-Request": "true"})
    # then
    assert response.status_code == 200
    assert response.headers["HX-Redirect"].startswith("/accounts/2fa/totp/activate/?next=%2Fportal%2F")


def test_head_office_staff_see_every_store_but_are_not_its_manager(rf, store, other_store):
    # given a merchandiser (staff, no store membership) and a manager-only portal view
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.http import HttpResponse

    from retail.portal.access import portal_view
    from tests.factories import UserFactory

    merchandiser = UserFactory(is_staff=True, groups=["merchandiser"])

    @portal_view(manager_only=True)
    def approve(request):
        return HttpResponse("approved")

    @portal_view
    def look(request):
        return HttpResponse(request.store_role)

    def request_as(user):
        request = rf.get("/portal/x/")
        request.user = user
        request.session = {}
        request._messages = FallbackStorage(request)
        return request

    # when they open an ordinary page, then a manager-only one
    seen = look(request_as(merchandiser))
    refused = approve(request_as(merchandiser))
    # then they look without a role in the store (read-only, issue 13) and the manager-only act is refused
    assert seen.content == b"None"
    assert refused.status_code == 302
    # and a superuser is treated as a manager of every store
    admin = UserFactory(is_staff=True, is_superuser=True)
    assert approve(request_as(admin)).content == b"approved"


def test_the_top_bar_offers_insights_only_to_those_it_lets_in(associate, manager, store):
    # given an associate and a manager of the same store (managers sign in with a second factor), each signed in
    enrol_totp(manager)
    as_associate, as_manager = Client(), Client()
    as_associate.force_login(associate)
    as_manager.force_login(manager)
    # when each opens the dashboard
    associate_bar = as_associate.get(DASHBOARD).content.decode()
    manager_bar = as_manager.get(DASHBOARD).content.decode()
    # then only the manager is offered the page an associate would be turned away from
    assert 'href="/portal/insights/"' not in associate_bar
    assert 'href="/portal/insights/"' in manager_bar
    assert as_manager.get("/portal/insights/").status_code == 200
    assert as_associate.get("/portal/insights/").status_code == 302
