"""Browser journeys of the portal shell: an associate signs in; a manager signs in with TOTP."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from retail.models import AuditEvent, StoreMembership
from retail.services import record_audit_event
from tests.factories import TEST_PASSWORD, MembershipFactory, StoreFactory, UserFactory
from tests.helpers import enrol_totp, totp_code

pytestmark = pytest.mark.e2e

HOURS = {d: ["09:00", "19:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat")} | {"sun": ["11:00", "17:00"]}


@pytest.fixture
def covent_garden(transactional_db):
    store = StoreFactory(
        code="LON-01",
        name="Omnistore Covent Garden",
        address_line="12 Long Acre",
        city="London",
        postcode="WC2E 8RF",
        latitude=Decimal("51.511800"),
        longitude=Decimal("-0.123300"),
        phone="+44 20 7946 0000",
        opening_hours=HOURS,
    )
    StoreFactory(code="MAN-01", name="Omnistore Manchester Arndale", city="Manchester")
    return store


def staff(store, role, full_name):
    return MembershipFactory(store=store, role=role, user=UserFactory(full_name=full_name)).user


def some_activity(store, actor):
    now = timezone.now()
    for minutes, action in [(3, "pickup.handed_over"), (18, "return.received"), (47, "stock.count_posted")]:
        when = now - timedelta(minutes=minutes)
        AuditEvent.objects.create(actor=actor, actor_label=str(actor), action=action, store=store, occurred_at=when)


def assert_styled(page):
    """Our stylesheet is served by the live server: the top bar has the brand colour."""
    colour = page.eval_on_selector(".topbar", "el => getComputedStyle(el).backgroundColor")
    assert colour == "rgb(15, 82, 87)"


def test_associate_signs_in_and_sees_the_dashboard(browser_page, covent_garden, sign_in, screenshot):
    page = browser_page
    # given an associate with some activity in their store
    associate = staff(covent_garden, StoreMembership.Role.ASSOCIATE, "Priya Associate")
    some_activity(covent_garden, associate)
    # when they open the portal
    page.goto("/portal/")
    # then they are asked to sign in
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/portal/$"))
    assert_styled(page)
    screenshot(page, "login")
    # when they sign in with email and password
    sign_in(page, associate.email, TEST_PASSWORD)
    # then the dashboard of their store opens, with no second step
    expect(page).to_have_url(re.compile(r"/portal/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Omnistore Covent Garden")
    expect(page.locator(".store-badge")).to_contain_text("LON-01")
    expect(page.locator(".user-menu")).to_contain_text("Priya Associate")
    expect(page.locator(".activity li")).to_have_count(3)
    expect(page.get_by_text("Omnistore Manchester Arndale")).to_have_count(0)
    assert_styled(page)
    path = screenshot(page, "portal-dashboard")
    assert path.stat().st_size > 10_000
    # and the same page works on a counter tablet in portrait
    page.set_viewport_size({"width": 820, "height": 1180})
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    screenshot(page, "portal-dashboard-tablet")
    assert page.console_errors == []
    # when they sign out (a POST form in the top bar)
    page.get_by_role("button", name="Sign out").click()
    # then they are back at the sign-in page
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))


def test_manager_enrols_totp_then_signs_in_with_a_code(browser_page, covent_garden, sign_in, screenshot):
    page = browser_page
    # given a manager who never set up two-step verification
    manager = staff(covent_garden, StoreMembership.Role.MANAGER, "Sam Manager")
    some_activity(covent_garden, manager)
    # when they sign in
    sign_in(page, manager.email, TEST_PASSWORD)
    # then they must set up an authenticator app; the QR code displays under our CSP
    expect(page).to_have_url(re.compile(r"/accounts/2fa/totp/activate/"))
    qr = page.locator("img.qr")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
    screenshot(page, "totp-activate")
    secret = page.locator("#authenticator_secret").input_value()
    # when they type the code their app shows
    page.get_by_label("Authenticator code").fill(totp_code(secret))
    page.get_by_role("button", name="Turn on two-step verification").click()
    # then they see their recovery codes once, and can go on to the portal
    expect(page).to_have_url(re.compile(r"/accounts/2fa/recovery-codes/"))
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    screenshot(page, "recovery-codes")
    page.get_by_role("link", name="Continue to the portal").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Omnistore Covent Garden")
    page.get_by_role("button", name="Sign out").click()

    # when they sign in again
    sign_in(page, manager.email, TEST_PASSWORD)
    # then the code is asked for; a wrong one is refused, the right one opens the dashboard
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
    screenshot(page, "mfa-authenticate")
    page.get_by_label("Code").fill("12345")
    page.get_by_role("button", name="Verify and sign in").click()
    expect(page.locator(".errorlist")).to_contain_text("Incorrect code")
    page.get_by_label("Code").fill(totp_code(secret))
    page.get_by_role("button", name="Verify and sign in").click()
    expect(page).to_have_url(re.compile(r"/portal/$"))
    expect(page.locator(".user-menu .role-badge")).to_contain_text("Manager")  # the role, as a badge by the name
    assert page.console_errors == []


def test_enrolled_manager_types_the_code_at_sign_in(browser_page, covent_garden, sign_in, screenshot):
    page = browser_page
    # given a manager already enrolled
    manager = staff(covent_garden, StoreMembership.Role.MANAGER, "Tom Manager")
    secret = enrol_totp(manager)
    # when password then code are typed
    sign_in(page, manager.email, TEST_PASSWORD)
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
    page.get_by_label("Code").fill(totp_code(secret))
    page.keyboard.press("Enter")
    # then the dashboard opens
    expect(page.get_by_role("heading", level=1)).to_have_text("Omnistore Covent Garden")
    # and their security page shows the authenticator app and recovery codes as active
    page.get_by_role("link", name="Security").click()
    expect(page.locator(".panel")).to_have_count(2)
    expect(page.locator(".panel").first).to_contain_text("active")
    screenshot(page, "security")
    assert page.console_errors == []


def test_associate_in_two_stores_switches_store(browser_page, covent_garden, sign_in, screenshot):
    page = browser_page
    # given an associate working in two stores, with activity in each
    floater = staff(covent_garden, StoreMembership.Role.ASSOCIATE, "Fran Floater")
    manchester = StoreFactory(code="MAN-01")
    MembershipFactory(user=floater, store=manchester)
    record_audit_event(actor=None, action="pickup.expired", store=manchester)
    sign_in(page, floater.email, TEST_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Omnistore Covent Garden")
    # when they pick the other store in the top bar and press Switch (a plain form, no script needed)
    page.get_by_label("Store", exact=True).select_option(label="MAN-01 · Omnistore Manchester Arndale")
    page.get_by_role("button", name="Switch").click()
    # then the dashboard is the other store's
    expect(page.get_by_role("heading", level=1)).to_have_text("Omnistore Manchester Arndale")
    expect(page.locator(".activity .activity-what")).to_have_text(["Pick-up expired"])
    screenshot(page, "portal-store-switched")
    assert page.console_errors == []
