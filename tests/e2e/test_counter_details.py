"""What an associate sees at the counter, in the browser (issue 16): the header names them once with
their role as a badge; a task's due date shows its value and keeps the day chosen."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from customers.selectors import store_today
from customers.services import create_customer
from retail.models import StoreMembership
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
