"""What an associate sees at the counter, in the browser (issue 16): the header names them once with
their role as a badge; a task's due date shows its value and keeps the day chosen; the customer
search box is focused on the dashboard and by "/" from any page, and search says how many match."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from customers.selectors import store_today
from customers.services import create_customer
from retail.models import StoreMembership
from tests.customers.factories import CustomerFactory
from tests.factories import TEST_PASSWORD, MembershipFactory, StoreFactory, UserFactory

pytestmark = pytest.mark.e2e


@pytest.fixture
def counter(transactional_db):
    store = StoreFactory(code="LON-01", name="Omnistore Covent Garden")
    priya = MembershipFactory(
        store=store, role=StoreMembership.Role.ASSOCIATE, user=UserFactory(full_name="Priya Shah")
    ).user
    grace = create_customer(first_name="Grace", last_name="Hopper", email="grace@example.com", home_store=store)
    return {"store": store, "priya": priya, "grace": grace}


def test_header_and_task_due_date(browser_page, counter, sign_in, screenshot):
    page, store = browser_page, counter["store"]
    # given Priya signs in
    sign_in(page, counter["priya"].email, TEST_PASSWORD)
    # then the header says her name once, and her role as a badge beside it
    expect(page.locator(".user-menu .user-name")).to_have_text("Priya Shah")
    expect(page.locator(".user-menu .role-badge")).to_have_text(", Associate")  # the comma is for screen readers
    expect(page.locator(".role-badge")).to_have_css("border-radius", "999px")
    assert page.locator("header").inner_text().count("Priya Shah") == 1
    assert "Associate Associate" not in page.locator("header").inner_text()

    # when she opens Grace's tasks and the new task form
    page.goto(f"/portal/customers/{counter['grace'].pk}/")
    tasks = page.locator("#panel-tasks")
    page.evaluate("s => document.querySelector(s).scrollIntoView()", "#panel-tasks")
    tasks.get_by_text("New task").click()
    due = tasks.get_by_label("Due")
    # then the due date shows today (on the store's clock), not a blank picker
    today = store_today(store)
    expect(due).to_have_value(today.isoformat())
    # when she adds a task for next week
    later = today + timedelta(days=7)
    due.fill(later.isoformat())
    tasks.get_by_label("What").fill("Call about the new boots")
    tasks.get_by_role("button", name="Add task").click()
    expect(tasks).to_contain_text("Call about the new boots")
    # and the next task starts on that same day
    tasks.get_by_text("New task").click()
    expect(tasks.get_by_label("Due")).to_have_value(later.isoformat())
    screenshot(page, "counter-task-due-date")
    assert page.console_errors == []


def test_slash_focuses_the_customer_search_from_any_page_and_search_pages_every_match(
    browser_page, counter, sign_in, screenshot
):
    page = browser_page
    for i in range(42):
        CustomerFactory(first_name=f"Amir{i}", last_name="Hussain")
    box = page.locator("#customer-q")
    # given Priya signs in: the dashboard puts the cursor in the search box
    sign_in(page, counter["priya"].email, TEST_PASSWORD)
    expect(page.locator("h1")).to_have_text("Omnistore Covent Garden")
    expect(box).to_be_focused()
    # when she is on another page and presses "/" (not while typing in a field)
    for path in ("/portal/orders/pickups/", "/portal/returns/", f"/portal/customers/{counter['grace'].pk}/"):
        page.goto(path)
        page.locator("h1").click()
        expect(box).not_to_be_focused()
        page.keyboard.press("/")
        # then the cursor is in the search box, and the "/" was not typed into it
        expect(box).to_be_focused()
        expect(box).to_have_value("")
    # and a "/" typed in a field stays in that field
    page.goto("/portal/returns/")
    page.locator("#desk-q").fill("")
    page.locator("#desk-q").press("/")
    expect(page.locator("#desk-q")).to_have_value("/")
    expect(box).not_to_be_focused()

    # when she types a surname with a typo, the list under the box says more match than it shows
    page.locator("h1").click()
    page.keyboard.press("/")
    page.keyboard.type("hussian")
    more = page.locator(".typeahead-more")
    expect(more).to_contain_text("More shoppers match")
    expect(page.locator(".typeahead-list li")).to_have_count(11)
    screenshot(page, "counter-typeahead-more")
    more.get_by_role("link").click()
    # then the search page says how many and pages them
    expect(page.locator("#results-h")).to_have_text("42 shoppers match “hussian”")
    expect(page.locator(".results tbody tr")).to_have_count(20)
    page.get_by_role("link", name="Next →").click()
    page.get_by_role("link", name="Next →").click()
    expect(page.locator(".results tbody tr")).to_have_count(2)
    expect(page.locator(".results")).to_contain_text("Page 3 of 3")
    screenshot(page, "counter-search-pages")
    assert page.console_errors == []
