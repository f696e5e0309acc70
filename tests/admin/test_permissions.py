"""What each head-office group may see and change in the admin (retail/roles.py).

Each user is staff, in one group, with TOTP enrolled (the admin requires a second factor).
"""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from customers.models import Customer, Offer
from customers.services import create_customer
from inventory.models import Product
from tests.admin.conftest import staff_user
from tests.insights.conftest import make_return
from tests.inventory.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db

ROLES = ["merchandiser", "customer-service", "store-manager", "admin"]
M, CS, SM, A = ROLES
# url -> the roles that get a 200 (the others get a 403)
PAGES = {
    "/admin/": set(ROLES),
    "/admin/inventory/product/": {M, CS, SM, A},
    "/admin/inventory/product/add/": {M, A},
    "/admin/inventory/product/import/": {M, A},
    "/admin/inventory/variant/": {M, CS, SM, A},
    "/admin/inventory/stocklevel/": {M, CS, SM, A},
    "/admin/inventory/stocklevel/import/": {M, A},
    "/admin/inventory/stockmovement/": {M, CS, A},
    "/admin/inventory/transfer/": {M, CS, SM, A},
    "/admin/customers/customer/": {M, CS, A},
    "/admin/customers/customer/add/": {CS, A},
    "/admin/customers/customer/import/": {CS, A},
    "/admin/customers/interaction/": {CS, A},
    "/admin/customers/pointsentry/": {CS, A},
    "/admin/customers/storecreditentry/": {CS, A},
    "/admin/customers/giftcard/": {CS, A},
    "/admin/customers/giftcard/goodwill/": {CS, A},
    "/admin/customers/giftcardentry/": {CS, A},
    "/admin/customers/offer/": {M, CS, A},
    "/admin/customers/offer/add/": {M, A},
    "/admin/customers/loyaltytier/add/": {M, A},
    "/admin/orders/order/": {M, CS, A},
    "/admin/returns/returnpolicy/": {M, CS, A},
    "/admin/returns/returnpolicy/add/": {M, A},
    "/admin/returns/returnrequest/": {M, CS, A},
    "/admin/insights/report/": {M, A},
    "/admin/retail/store/": {M, CS, SM, A},
    "/admin/retail/market/": {M, A},
    "/admin/retail/market/add/": {A},
    "/admin/retail/taxrate/": {M, A},
    "/admin/retail/taxrate/add/": {A},
    "/admin/retail/taxclass/": {M, A},
    "/admin/retail/auditevent/": {A},
    "/admin/retail/user/": {A},
    "/admin/retail/posdevice/": {A},
    "/admin/auth/group/": {A},
}


@pytest.fixture
def as_role(client):
    def login(role: str):
        client.force_login(staff_user(role))
        return client

    return login


@pytest.mark.parametrize("role", ROLES)
def test_each_group_sees_the_pages_its_role_allows(as_role, role):
    client = as_role(role)
    # when each page is opened
    got = {url: client.get(url).status_code for url in PAGES}
    # then exactly the allowed ones open; the rest are forbidden (never a 500)
    assert got == {url: 200 if role in allowed else 403 for url, allowed in PAGES.items()}


def test_the_groups_exist_after_migrate():
    assert set(Group.objects.values_list("name", flat=True)) >= set(ROLES)


def product_form(product: Product, price: str) -> dict:
    return {
        "style_code": product.style_code,
        "name": product.name,
        "brand": product.brand,
        "category": product.category_id,
        "base_price": price,
        "tax_class": "standard",
        "is_active": "on",
        "description": "",
        "image_url": "",
        "attributes": "{}",
        "return_window_days": "",
        "variants-TOTAL_FORMS": "0",
        "variants-INITIAL_FORMS": "0",
        "translations-TOTAL_FORMS": "0",
        "translations-INITIAL_FORMS": "0",
        "variants-MIN_NUM_FORMS": "0",
        "variants-MAX_NUM_FORMS": "1000",
    }


@pytest.mark.parametrize(("role", "allowed"), [(M, True), (A, True), (CS, False), (SM, False)])
def test_only_merchandisers_and_admins_change_a_price(as_role, role, allowed):
    # given
    product = ProductFactory(category=CategoryFactory(), base_price=Decimal("20.00"))
    client = as_role(role)
    # when
    response = client.post(f"/admin/inventory/product/{product.pk}/change/", product_form(product, "25.00"))
    # then
    product.refresh_from_db()
    assert response.status_code == (302 if allowed else 403)
    assert product.base_price == (Decimal("25.00") if allowed else Decimal("20.00"))


@pytest.mark.parametrize(("role", "allowed"), [(CS, True), (A, True), (M, False), (SM, False)])
def test_only_customer_service_and_admins_change_a_customer(as_role, role, allowed, store):
    customer = create_customer(first_name="Ann", last_name="Lee", email="ann@example.com")
    client = as_role(role)
    response = client.post(
        f"/admin/customers/customer/{customer.pk}/change/",
        {"first_name": "Anna", "last_name": "Lee", "email": "ann@example.com", "important_dates": "[]",
         "preferred_sizes": "{}", "identities-TOTAL_FORMS": "0", "identities-INITIAL_FORMS": "0",
         "consents-TOTAL_FORMS": "0", "consents-INITIAL_FORMS": "0"},
    )  # fmt: skip
    customer.refresh_from_db()
    assert response.status_code == (302 if allowed else 403)
    assert customer.first_name == ("Anna" if allowed else "Ann")


@pytest.mark.parametrize(("role", "allowed"), [(M, True), (CS, False)])
def test_offers_are_created_by_merchandisers_not_by_customer_service(as_role, role, allowed):
    client = as_role(role)
    response = client.post(
        "/admin/customers/offer/add/",
        {"code": "SPRING10", "name": "Spring", "discount_percent": "10", "channels": '["app", "web", "store"]',
         "segment": "all", "valid_from_0": "2026-01-01", "valid_from_1": "00:00", "valid_until_0": "2030-01-01",
         "valid_until_1": "00:00", "is_active": "on", "max_uses_per_customer": "1", "min_spend": "0"},
    )  # fmt: skip
    assert Offer.objects.filter(code="SPRING10").exists() is allowed
    assert response.status_code in ((302,) if allowed else (403,))


@pytest.mark.parametrize(
    ("role", "offered", "hidden"),
    [
        (M, {"export_marketing"}, {"export_service", "merge_two", "erase_selected"}),
        (CS, {"export_marketing", "export_service", "merge_two"}, {"erase_selected"}),
        (A, {"export_marketing", "export_service", "merge_two", "erase_selected"}, set()),
    ],
)
def test_customer_actions_follow_the_role(as_role, role, offered, hidden, store):
    create_customer(first_name="Ann", email="ann@example.com")
    html = as_role(role).get("/admin/customers/customer/").content.decode()
    assert all(f'value="{name}"' in html for name in offered)
    assert not any(f'value="{name}"' in html for name in hidden)


def test_a_merchandiser_cannot_erase_a_customer_by_posting_the_action(as_role, store):
    customer = create_customer(first_name="Ann", email="ann@example.com")
    as_role(M).post("/admin/customers/customer/", {"action": "erase_selected", "_selected_action": [customer.pk]})
    assert Customer.objects.get(pk=customer.pk).erased_at is None


def test_a_merchandiser_is_not_offered_to_cancel_returns(as_role, store):
    # given a return waiting (actions show on a list with rows)
    make_return(store=store, received_at=timezone.now(), lines=[("changed_mind", 1, "5.00")], status="requested")
    # then returns are read-only for merchandisers: the cancel action needs the change permission
    assert 'value="cancel_requested"' not in as_role(M).get("/admin/returns/returnrequest/").content.decode()
    assert 'value="cancel_requested"' in as_role(CS).get("/admin/returns/returnrequest/").content.decode()
