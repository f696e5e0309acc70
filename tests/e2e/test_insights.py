"""Browser journey: a store manager signs in with a code, opens Insights, reads the charts, downloads a CSV."""

import random
import re
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from orders.models import Fulfillment
from retail.models import StoreMembership
from tests.customers.factories import CustomerFactory
from tests.factories import TEST_PASSWORD, MembershipFactory, StoreFactory, UserFactory
from tests.helpers import enrol_totp, totp_code
from tests.insights.conftest import make_order, make_return
from tests.inventory.factories import VariantFactory

pytestmark = pytest.mark.e2e

DOCS_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "insights.png"
CHANNEL_WEIGHTS = {"store": 5, "app": 4, "web": 3, "phone": 1, "kiosk": 1}


@pytest.fixture
def four_weeks(transactional_db):
    """Covent Garden's last 28 days: ~170 orders on five channels, pick-ups and a few returns."""
    rng = random.Random(8)
    store = StoreFactory(code="LON-01", name="Omnistore Covent Garden")
    manager = MembershipFactory(
        store=store, role=StoreMembership.Role.MANAGER, user=UserFactory(full_name="Tom Manager")
    ).user
    variant = VariantFactory()
    shoppers = [CustomerFactory() for _ in range(40)]
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    channels = list(CHANNEL_WEIGHTS)
    weights = list(CHANNEL_WEIGHTS.values())
    orders = []
    for day in range(28):
        for _ in range(rng.randint(3, 9)):
            channel = rng.choices(channels, weights)[0]
            placed = now - timedelta(days=day, hours=rng.randint(0, 9))
            pickup = channel in ("app", "web") and rng.random() < 0.6
            outcome = rng.choices(["collected", "expired", "ready"], [8, 1, 1])[0] if pickup else "collected"
            orders.append(
                make_order(
                    store=store,
                    channel=channel,
                    placed_at=placed,
                    total=f"{rng.randint(18, 160)}.{rng.choice(['00', '50', '95'])}",
                    customer=rng.choice(shoppers) if rng.random() < 0.85 else None,
                    kind=Fulfillment.Kind.PICKUP if pickup else Fulfillment.Kind.CARRY_OUT,
                    fulfillment_status=outcome,
                    ready_at=placed + timedelta(hours=rng.randint(1, 6)) if pickup else None,
                    variant=variant,
                )
            )
    for order in rng.sample(orders, 9):
        make_return(
            store=store,
            received_at=order.placed_at + timedelta(days=2),
            order=order,
            lines=[(rng.choice(["wrong_size", "changed_mind", "defective"]), 1, "20.00")],
            channel=rng.choice(["store", "app"]),
            refund_method=rng.choice(["original", "store_credit"]),
            refund_total="20.00",
        )
    return store, manager


def test_manager_reads_the_insights_charts(browser_page, four_weeks, sign_in, screenshot):
    page = browser_page
    _store, manager = four_weeks
    secret = enrol_totp(manager)
    # given the manager signs in with their code
    sign_in(page, manager.email, TEST_PASSWORD)
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
    page.get_by_label("Code").fill(totp_code(secret))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Omnistore Covent Garden")
    # when they open Insights from the top bar
    page.locator(".mainnav").get_by_role("link", name="Insights").click()
    # then the sales section shows the store's last four weeks as SVG charts
    expect(page.get_by_role("heading", level=1)).to_have_text("Sales")
    expect(page.locator(".page-head .eyebrow")).to_contain_text("Omnistore Covent Garden (LON-01)")
    expect(page.locator("svg.chart")).to_have_count(3)
    expect(page.locator("svg.chart g.series")).to_have_count(5)  # one stack per channel
    expect(page.locator(".kpi").first).to_contain_text("Net sales")
    path = screenshot(page, "insights")
    DOCS_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, DOCS_SCREENSHOT)
    # and the customers tab answers the multichannel question on the same period
    page.locator(".insights-tabs").get_by_role("link", name="Customers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Customers")
    expect(page.locator("table").first).to_contain_text("Multichannel")
    screenshot(page, "insights-customers")
    # and a figure downloads as CSV
    with page.expect_download() as download:
        page.get_by_role("link", name="Single- vs multichannel customers").click()
    assert download.value.suggested_filename.startswith("channel-customers_")
    assert page.console_errors == []
