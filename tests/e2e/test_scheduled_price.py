"""Browser journey 'a scheduled price change' (issue 16): head office schedules a sale in the admin
that starts and ends in the future; beat's task (run here directly, after the schedule's start and
then its end are moved into the past instead of waiting) puts the sale prices on and then back,
and the shop's API answers the price of the moment each time."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from inventory.models import PriceChange, PriceSchedule
from inventory.tasks import run_price_schedules
from tests.factories import TEST_PASSWORD, StoreFactory, UserFactory
from tests.helpers import enrol_totp, totp_code
from tests.inventory.factories import CategoryFactory, ProductFactory, VariantFactory

pytestmark = pytest.mark.e2e


@pytest.fixture
def coat(transactional_db):
    """A wool coat at €120.00; its XL has its own price, €130.00 (and a store: head office lands in the portal)."""
    StoreFactory(code="LON-01", name="Omnistore Covent Garden")
    coats = CategoryFactory(name="Coats", slug="coats")
    coat = ProductFactory(style_code="CT-0007", name="Wool coat", category=coats, base_price=Decimal("120.00"))
    VariantFactory(product=coat, sku="CT-0007-M", size="M")
    VariantFactory(product=coat, sku="CT-0007-XL", size="XL", price_override=Decimal("130.00"))
    return coat


def shop_prices(page, product) -> dict[str, str]:
    """What the app and web shop are told: the style's price and each size's, from the API."""
    response = page.request.get(f"/api/v1/products/{product.pk}/", headers={"Accept": "application/json"})
    assert response.status == 200, response.text()
    body = response.json()
    return {"base": body["base_price"], **{v["sku"]: v["price"] for v in body["variants"]}}


def move_into_the_past(schedule: PriceSchedule, field: str) -> None:
    """The clock reaching the schedule's start or end, without waiting for it."""
    PriceSchedule.objects.filter(pk=schedule.pk).update(**{field: timezone.now() - timedelta(minutes=1)})


def test_a_scheduled_price_change_starts_and_ends_by_itself(browser_page, coat, sign_in, screenshot):
    page = browser_page
    before = {"base": "120.00", "CT-0007-M": "120.00", "CT-0007-XL": "130.00"}
    sale = {"base": "95.99", "CT-0007-M": "95.99", "CT-0007-XL": "103.99"}
    # beat runs the task every minute
    beat = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert beat["inventory.tasks.run_price_schedules"] <= 60
    # given a merchandiser signed in to the admin with two-step verification
    user = UserFactory(email="mia.merch@omnistore.test", full_name="Mia Merchandiser", is_staff=True,
                       groups=["merchandiser"])  # fmt: skip
    secret = enrol_totp(user)
    sign_in(page, user.email, TEST_PASSWORD)
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
    page.get_by_label("Code").fill(totp_code(secret))
    page.get_by_role("button", name="Verify and sign in").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/2fa/"))  # the POST lands before the next goto
    # when she picks the coat in the products list and asks for 20% off, ending in .99,
    # from tomorrow 9:00 to the day after at 18:00
    page.goto("/admin/inventory/product/")
    page.locator("#result_list tr", has_text="CT-0007").locator("input[name=_selected_action]").check()
    page.locator("select[name=action]").select_option("change_prices")
    page.locator("button[name=index]").click()
    start = (timezone.localtime() + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    end = (start + timedelta(days=1)).replace(hour=18)
    page.get_by_label("Change by (%)").fill("-20")
    page.get_by_label("Ends in .99").check()
    page.get_by_label("Reason").fill("Coat event")
    page.get_by_label("On a schedule").check()
    page.get_by_label("Name").fill("Coat weekend")
    page.locator("#id_starts_at").fill(start.strftime("%Y-%m-%dT%H:%M"))
    page.locator("#id_ends_at").fill(end.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Preview the new prices").click()
    # then the preview shows was and now for the style and its own-priced size
    preview = page.get_by_role("table", name="Prices before and after")
    expect(preview.locator("tbody tr")).to_have_count(2)
    expect(preview.locator("tr", has_text="CT-0007-XL")).to_contain_text("€130.00")
    expect(preview.locator("tr", has_text="CT-0007-XL")).to_contain_text("€103.99")
    # when she schedules it
    page.get_by_role("button", name="Schedule these prices").click()
    expect(page.locator(".messagelist")).to_contain_text("Coat weekend: 2 prices change on")
    schedule = PriceSchedule.objects.get()
    assert (schedule.starts_at, schedule.ends_at, schedule.status) == (start, end, "scheduled")
    # then nothing changes before its start, even when beat runs
    assert run_price_schedules() == {"started": 0, "ended": 0}
    assert shop_prices(page, coat) == before
    page.goto(f"/admin/inventory/priceschedule/{schedule.pk}/change/")
    expect(page.locator(".field-status")).to_contain_text("Scheduled")

    # when its start has come and beat's task runs
    move_into_the_past(schedule, "starts_at")
    assert run_price_schedules() == {"started": 1, "ended": 0}
    # then the shop sells at the sale prices, the schedule runs and the ledger says why
    assert shop_prices(page, coat) == sale
    page.reload()
    expect(page.locator(".field-status")).to_contain_text("Running")
    screenshot(page, "admin-price-schedule-running")
    page.goto("/admin/inventory/pricechange/")
    expect(page.locator("#result_list tbody tr")).to_have_count(2)
    expect(page.locator("#result_list")).to_contain_text("Scheduled change started")
    expect(page.locator("#result_list")).to_contain_text("Coat weekend: Coat event")
    # and a second run in the same minute changes nothing more
    assert run_price_schedules() == {"started": 0, "ended": 0}

    # when its end has come and beat's task runs
    move_into_the_past(schedule, "ends_at")
    assert run_price_schedules() == {"started": 0, "ended": 1}
    # then the prices it replaced are back in the shop, and the ledger holds both steps
    assert shop_prices(page, coat) == before
    page.goto(f"/admin/inventory/priceschedule/{schedule.pk}/change/")
    expect(page.locator(".field-status")).to_contain_text("Ended")
    page.goto("/admin/inventory/pricechange/")
    expect(page.locator("#result_list tbody tr")).to_have_count(4)
    expect(page.locator("#result_list")).to_contain_text("Scheduled change ended")
    screenshot(page, "admin-price-ledger-after-schedule")
    assert sorted(PriceChange.objects.values_list("source", "old_price", "new_price")) == [
        ("schedule_end", Decimal("95.99"), Decimal("120.00")),
        ("schedule_end", Decimal("103.99"), Decimal("130.00")),
        ("schedule_start", Decimal("120.00"), Decimal("95.99")),
        ("schedule_start", Decimal("130.00"), Decimal("103.99")),
    ]
    assert page.console_errors == []
