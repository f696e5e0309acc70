"""Browser journey at the counter: find a shopper by phone, open the profile, filter, add a note."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from customers.models import Interaction, Note
from customers.services import (
    add_list_item,
    assign_offer,
    create_customer,
    create_task,
    earn_points,
    issue_store_credit,
    record_purchase,
    set_consent,
    set_customer_tags,
)
from inventory.services import receive_stock
from retail.models import StoreMembership
from tests.customers.factories import CustomerFactory, OfferFactory, TierFactory
from tests.factories import TEST_PASSWORD, MembershipFactory, StoreFactory, UserFactory
from tests.inventory.factories import CategoryFactory, ProductFactory, VariantFactory

pytestmark = pytest.mark.e2e


@pytest.fixture
def counter(transactional_db):
    """LON-01 with an associate, a small catalog in stock, and Grace: a multichannel shopper."""
    store = StoreFactory(code="LON-01", name="Omnistore Covent Garden", latitude=Decimal("51.5118"))
    associate = MembershipFactory(
        store=store, role=StoreMembership.Role.ASSOCIATE, user=UserFactory(full_name="Priya Associate")
    ).user
    tops = CategoryFactory(slug="women-tops", name="Tops")
    names = ["Linen blouse", "Ribbed tank", "Poplin shirt", "Wrap top"]
    for style, name in zip("ABCD", names, strict=True):
        product = ProductFactory(name=name, category=tops)
        for size in ("S", "M", "L"):
            VariantFactory(product=product, sku=f"TOP-{style}-{size}", size=size)
    receive_stock(location=store, lines=[(f"TOP-{s}-{z}", 4) for s in "ABCD" for z in "SML"], reference="PO-1")
    TierFactory(code="gold", name="Gold", min_spend=Decimal("100.00"))

    grace = create_customer(
        first_name="Grace",
        last_name="Hopper",
        email="grace@example.com",
        phone="07700 900123",
        card_number="6000 0000 0001",
        home_store=store,
        preferred_sizes={"women-tops": "M"},
        assigned_associate=associate,
    )
    set_customer_tags(customer=grace, names=["vip", "stylist-client"])
    for channel in ("email", "push"):
        set_consent(customer=grace, channel=channel, granted=True, source="app")
    now = timezone.now()
    history = [
        ("app", "app_open", ""),
        ("app", "product_view", "TOP-B-M"),
        ("web", "search", "linen"),
        ("app", "wishlist_add", "TOP-C-M"),
        ("web", "product_view", "TOP-D-M"),
        ("store", "store_visit", ""),
    ]
    for i, (channel, kind, subject) in enumerate(history * 3):
        Interaction.objects.create(
            customer=grace,
            channel=channel,
            kind=kind,
            subject=subject,
            occurred_at=now - timedelta(hours=5 * i + 1),
            store=store if channel == "store" else None,
            source="e2e",
            external_id=f"e{i}",
            recorded_at=now,
            data={"query": subject} if kind == "search" else {},
        )
    line = {"qty": 1, "amount": "64.00", "category": "women-tops", "size": "M"}
    record_purchase(
        customer=grace,
        channel="store",
        order_number="S-1042",
        store=store,
        associate=associate,
        lines=[{**line, "sku": "TOP-A-M"}],
        source="e2e",
        occurred_at=now - timedelta(days=3),
    )
    record_purchase(
        customer=grace,
        channel="app",
        order_number="A-2201",
        source="e2e",
        occurred_at=now - timedelta(days=9),
        lines=[{**line, "sku": "TOP-A-S"}, {**line, "sku": "TOP-B-M"}],
    )
    for n in range(3):
        record_purchase(
            customer=CustomerFactory(),
            channel="web",
            order_number=f"W-{n}",
            source="e2e",
            lines=[{**line, "sku": "TOP-A-L"}, {**line, "sku": "TOP-C-L"}],
        )
    earn_points(customer=grace, points=1280, reference="S-1042")
    issue_store_credit(customer=grace, amount=Decimal("25.00"), reference="RET-88")
    add_list_item(customer=grace, sku="TOP-C-M", channel="app")
    add_list_item(customer=grace, sku="TOP-D-S", channel="web")
    assign_offer(offer=OfferFactory(code="spring10", name="Spring: 10% off"), customer=grace)
    create_task(
        customer=grace,
        store=store,
        kind="call",
        title="Call about the new linen",
        actor=associate,
        assignee=associate,
        due_on=timezone.localdate() + timedelta(days=1),
    )
    return {"store": store, "associate": associate, "grace": grace}


def test_find_by_phone_open_filter_and_note(browser_page, counter, sign_in, screenshot):
    page = browser_page
    grace = counter["grace"]
    # given the associate is signed in at the counter
    sign_in(page, counter["associate"].email, TEST_PASSWORD)
    expect(page.locator("h1")).to_contain_text("Covent Garden")
    screen_requests = []
    page.on(
        "request",
        lambda r: (
            "/portal/customers/" in r.url and screen_requests.append(r.url.split(page.url.split("/portal/")[0])[-1])
        ),
    )
    # when they type the shopper's phone, written their own way, into the top-bar search
    page.get_by_label("Find a customer").fill("07700 900 123")
    # then the type-ahead offers her, and a click opens the profile
    suggestion = page.locator("#customer-typeahead a", has_text="Grace Hopper")
    expect(suggestion).to_be_visible()
    suggestion.click()
    expect(page).to_have_url(f"{page.url.split('/portal/')[0]}/portal/customers/{grace.pk}/")
    expect(page.locator(".profile-head h1")).to_have_text("Grace Hopper")
    expect(page.locator(".facts")).to_contain_text("1280")
    expect(page.locator(".profile-head")).to_contain_text("Multichannel")
    # when the timeline is filtered to the app
    timeline = page.locator("#panel-timeline")
    expect(timeline.locator(".tl-item").first).to_be_visible()
    timeline.get_by_role("link", name="App", exact=True).click()
    expect(timeline.locator(".pill.active")).to_have_text("App")
    # then every row shown is an app event
    rows = timeline.locator(".tl-item")
    expect(rows.first).to_be_visible()
    assert rows.count() == timeline.locator(".tl-item.tl-app").count() > 0
    # when a note is added inline
    notes = page.locator("#panel-notes")
    notes.get_by_label("New note").fill("Loves the linen range; call when the blue blouse is back in M.")
    notes.get_by_role("button", name="Add note").click()
    # then it shows at once, written by this associate in this store
    expect(notes.locator(".note").first).to_contain_text("blue blouse")
    assert Note.objects.get(customer=grace).store == counter["store"]
    # the panels below the fold wait for the associate to scroll, then come in one request
    assert [u for u in screen_requests if "/panels/" in u] == []
    page.evaluate("s => document.querySelector(s).scrollIntoView()", "#panel-recommendations")
    expect(page.locator("#panel-recommendations .rec").first).to_be_visible()
    expect(page.locator("#panel-lists")).to_contain_text("here")
    expect(page.locator("#panel-orders")).not_to_have_attribute("aria-busy", "true")
    assert [u for u in screen_requests if "/panels/" in u] == [f"/portal/customers/{grace.pk}/panels/"]
    page.evaluate("s => document.querySelector(s).scrollIntoView()", "#panel-timeline")
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "clienteling")
    assert page.console_errors == []
