"""Head office: the return policy is edited in the admin; returns are searchable and read-only."""

import pytest

from orders.returns.models import ReturnPolicy
from orders.returns.services import LineRequest, start_return
from retail.models import AuditEvent
from tests.factories import UserFactory
from tests.helpers import enrol_totp

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    superuser = UserFactory(is_staff=True, is_superuser=True)
    enrol_totp(superuser)  # admin users must have a second factor
    client.force_login(superuser)
    return client


def policy_form(**values):
    data = {
        "name": "Winter 2026",
        "is_active": "on",
        "window_app_days": 45,
        "window_web_days": 45,
        "window_store_days": 28,
        "window_phone_days": 30,
        "window_kiosk_days": 30,
        "fault_window_days": 180,
        "restocking_fee_percent": "10.00",
        "mail_return_fee": "3.95",
        "offer_minimum_spend": "0.00",
        "receiptless_period_days": 90,
        "receiptless_max_returns": 2,
        "receiptless_max_amount": "150.00",
        "receiptless_price_days": 30,
        "approval_over": "250.00",
    }
    data.update(values)
    return data


def test_a_new_active_policy_retires_the_old_one_and_is_audited(admin_client, policy):
    # when head office adds an active policy
    response = admin_client.post("/admin/returns/returnpolicy/add/", policy_form())
    # then it is the one in force, the old one retired, and the change audited
    assert response.status_code == 302
    assert ReturnPolicy.objects.current().name == "Winter 2026"
    policy.refresh_from_db()
    assert policy.is_active is False
    assert AuditEvent.objects.filter(action="return_policy.saved").exists()


def test_a_bad_fee_is_a_form_error(admin_client, policy):
    response = admin_client.post("/admin/returns/returnpolicy/add/", policy_form(restocking_fee_percent="120"))
    assert response.status_code == 200 and "errornote" in response.content.decode()
    assert ReturnPolicy.objects.count() == 1


def test_returns_are_found_by_rma_or_order_number_and_read_only(admin_client, policy, deliver, shirt):
    order = deliver([("SHIRT-M", 1)])
    request = start_return(order=order, lines=[LineRequest(line_number=1, quantity=1, reason="other")], channel="web")
    by_rma = admin_client.get("/admin/returns/returnrequest/", {"q": request.rma_number}).content.decode()
    by_order = admin_client.get("/admin/returns/returnrequest/", {"q": order.number}).content.decode()
    detail = admin_client.get(f"/admin/returns/returnrequest/{request.pk}/change/")
    assert request.rma_number in by_rma and request.rma_number in by_order
    assert detail.status_code == 200 and "Bought on the web today" in detail.content.decode()
    assert admin_client.get("/admin/returns/returnrequest/add/").status_code == 403
