"""What a keyboard user and a narrow screen see (issue 16): the skip link is the first Tab stop and
lands in the page; no select cuts its choices short at 1024 or 1366 pixels wide."""

import pytest
from playwright.sync_api import expect

from customers.models import Task
from retail.models import StoreMembership
from tests.customers.factories import CustomerFactory
from tests.e2e.test_return_journey import chain  # noqa: F401 (a delivered web order and a returns desk)
from tests.factories import TEST_PASSWORD, MembershipFactory, StoreFactory

pytestmark = pytest.mark.e2e

# The widest choice of each visible select, in the select's own font, against the room its box
# leaves for text (its inner width less padding and the drop-down arrow).
SELECTS = """() => [...document.querySelectorAll('select')].filter(s => s.offsetParent !== null && !s.multiple)
  .map(s => {
    const cs = getComputedStyle(s);
    const ctx = document.createElement('canvas').getContext('2d');
    ctx.font = `${cs.fontStyle} ${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`;
    const width = (text) => ctx.measureText(text).width;
    const widest = [...s.options].reduce((a, o) => width(o.text) > width(a) ? o.text : a, '');
    const room = s.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight) - 20;
    return {name: s.name, widest, needs: Math.ceil(ctx.measureText(widest).width), room: Math.floor(room)};
  })"""


def clipped(page) -> list[dict]:
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    found = page.evaluate(SELECTS)
    assert found, "no select on the page"
    return [s for s in found if s["needs"] > s["room"]]


def test_the_skip_link_is_the_first_tab_stop_and_lands_in_the_page(browser_page, sign_in, transactional_db):
    page = browser_page
    store = StoreFactory(code="LON-01", name="Omnistore Covent Garden")
    user = MembershipFactory(store=store, role=StoreMembership.Role.ASSOCIATE).user
    sign_in(page, user.email, TEST_PASSWORD)
    expect(page.locator("h1")).to_contain_text("Covent Garden")
    # when a keyboard user presses Tab on a fresh page
    page.goto("/portal/orders/pickups/")
    page.keyboard.press("Tab")
    # then the skip link shows, in view, and Enter takes them past the top bar into the page
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box is not None and box["y"] >= 0 and box["height"] > 20
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('main') !== null")
    assert page.console_errors == []


@pytest.mark.parametrize("width", [1024, 1366])
def test_no_select_cuts_its_choices_short(browser, live_server, sign_in, chain, width, screenshot):  # noqa: F811
    context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": 900}, locale="en-GB")
    page = context.new_page()
    manchester, associate = chain["manchester"], chain["associate"]
    # an associate of two stores (the store switcher), a shopper with a task form, a return to key in
    MembershipFactory(store=StoreFactory(code="LON-02", name="Omnistore Canary Wharf Jubilee Place"), user=associate)
    shopper = CustomerFactory(home_store=manchester)
    Task.objects.create(customer=shopper, store=manchester, kind="appointment", title="Fitting", due_on="2030-01-01",
                        created_at="2026-01-01T10:00:00Z")  # fmt: skip
    sign_in(page, associate.email, TEST_PASSWORD)
    expect(page.locator(".user-menu")).to_be_visible()
    pages = {
        "dashboard": "/portal/",
        "clienteling": f"/portal/customers/{shopper.pk}/?all=1",
        "returns-desk": f"/portal/returns/order/{chain['order'].number}/",
    }
    for name, path in pages.items():
        page.goto(path)
        page.wait_for_load_state("networkidle")
        # then every choice of every select fits in its box
        assert clipped(page) == [], (name, width)
        screenshot(page, f"selects-{name}-{width}")
    context.close()
