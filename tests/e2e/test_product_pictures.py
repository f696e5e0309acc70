"""Browser check (issue 16): the clienteling timeline names the product a shopper viewed and shows
its picture from the catalog's image origin, which the CSP lets the browser load (no violation)."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone
from playwright.sync_api import expect

from customers.models import Interaction
from retail.models import StoreMembership
from tests.customers.factories import CustomerFactory
from tests.factories import TEST_PASSWORD, MembershipFactory, StoreFactory
from tests.inventory.factories import VariantFactory

pytestmark = pytest.mark.e2e


def test_the_timeline_shows_the_viewed_products_name_and_picture(browser_page, live_server, transactional_db, sign_in):
    page = browser_page
    # given pictures served from another origin than the portal's (127.0.0.1 vs localhost)
    port = urlsplit(live_server.url).port
    pictures = f"http://127.0.0.1:{port}"
    assert urlsplit(live_server.url).hostname != "127.0.0.1"
    store = StoreFactory(code="LON-01", name="Omnistore Covent Garden")
    associate = MembershipFactory(store=store, role=StoreMembership.Role.ASSOCIATE).user
    jacket = VariantFactory(
        sku="JKT-OLV-L", colour="Olive", size="L", product__name="Waxed field jacket",
        product__image_url=f"{pictures}/static/img/favicon.svg",
    )  # fmt: skip
    shopper = CustomerFactory(first_name="Grace", last_name="Hopper", home_store=store)
    now = timezone.now()
    Interaction.objects.create(
        customer=shopper, channel="app", kind="product_view", subject=jacket.sku,
        occurred_at=now - timedelta(minutes=3), source="e2e", external_id="view-1", recorded_at=now,
    )  # fmt: skip
    csp = {**settings.SECURE_CSP, "img-src": [*settings.SECURE_CSP["img-src"], pictures]}
    with override_settings(CATALOG_IMAGE_ORIGINS=[pictures], SECURE_CSP=csp):
        sign_in(page, associate.email, TEST_PASSWORD)
        page.goto(f"/portal/customers/{shopper.pk}/")
        # then the viewed product is named, with its colour and size, and its picture loads
        row = page.locator("#panel-timeline .tl-item", has_text="Viewed a product")
        expect(row).to_contain_text("Waxed field jacket")
        expect(row).to_contain_text("JKT-OLV-L · Olive L")
        thumb = row.locator("img.thumb")
        expect(thumb).to_have_attribute("src", f"{pictures}/static/img/favicon.svg")
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle())
    assert page.console_errors == []  # no CSP violation, no broken image
