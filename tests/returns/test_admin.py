"""Head office: the return policy is edited in the admin; returns are searchable and read-only."""

import pytest

from orders.returns.models import ReturnPolicy
from orders.returns.services import LineRequest, start_return
from orders.returns.services.facts import current_rules
from retail.models import AuditEvent
from retail.models.markets import home_market_id
from tests.admin.conftest import staff_user
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
        "market": str(home_market_id()),
        "is_active": "on",
        "fault_window_days": 180,
        "restocking_fee_percent": "10.00",
        "mail_return_fee": "3.95",
        "offer_minimum_spend": "0.00",
        "shipping_refund": "whole_order",
        "receiptless_period_days": 90,
        "receiptless_max_returns": 2,
        "receiptless_max_amount": "150.00",
        "receiptless_price_days": 30,
        "approval_over": "250.00",
    }
    data.update(values)
    return data


def window_forms(rows: list[tuple[str, str]], *, initial: int = 0, ids: list[int] | None = None) -> dict:
    """The windows inline: (channel, days) per row; the first `initial` rows are the saved ones (`ids`)."""
    data = {
        "windows-TOTAL_FORMS": str(len(rows)),
        "windows-INITIAL_FORMS": str(initial),
        "windows-MIN_NUM_FORMS": "0",
        "windows-MAX_NUM_FORMS": "1000",
    }
    for index, (channel, days) in enumerate(rows):
        data[f"windows-{index}-channel"] = channel
        data[f"windows-{index}-days"] = days
        if ids and index < len(ids):
            data[f"windows-{index}-id"] = str(ids[index])
            data[f"windows-{index}-policy"] = ""
    return data


# The add form offers a blank row per channel: those left blank are not saved (no window).
NEW_WINDOWS = window_forms([("app", "45"), ("web", "45"), ("store", "28"), ("phone", ""), ("kiosk", "")])


def test_a_new_active_policy_retires_the_old_one_and_is_audited(admin_client, policy):
    # when head office adds an active policy
    response = admin_client.post("/admin/returns/returnpolicy/add/", policy_form() | NEW_WINDOWS)
    # then it is the one in force, the old one retired, and the change audited
    assert response.status_code == 302
    current = ReturnPolicy.objects.current()
    assert current.name == "Winter 2026"
    # and its windows are the rows typed in; the channels left blank have none
    assert current.windows_by_channel() == {"app": 45, "web": 45, "store": 28}
    policy.refresh_from_db()
    assert policy.is_active is False
    assert AuditEvent.objects.filter(action="return_policy.saved").exists()
    saved = AuditEvent.objects.get(action="return_policy.windows_saved")
    assert saved.details["after"] == {"app": 45, "store": 28, "web": 45}


def test_the_windows_are_edited_inline_one_row_per_channel(admin_client, policy):
    # given the standard policy: a window for every channel
    page = admin_client.get(f"/admin/returns/returnpolicy/{policy.pk}/change/").content.decode()
    assert 'name="windows-TOTAL_FORMS" value="5"' in page and "Window (days)" in page
    rows = list(policy.windows.order_by("pk").values_list("pk", "channel", "days"))
    # when head office gives the app 60 days and removes the phone's window
    data = policy_form(name=policy.name) | window_forms(
        [(c, "60" if c == "app" else str(d)) for _, c, d in rows], initial=len(rows), ids=[pk for pk, _, _ in rows]
    )
    phone = next(i for i, (_, c, _) in enumerate(rows) if c == "phone")
    data[f"windows-{phone}-DELETE"] = "on"
    response = admin_client.post(f"/admin/returns/returnpolicy/{policy.pk}/change/", data)
    # then
    assert response.status_code == 302
    assert policy.windows_by_channel() == {"app": 60, "web": 30, "store": 28, "kiosk": 30}
    saved = AuditEvent.objects.get(action="return_policy.windows_saved")
    assert saved.details["before"]["phone"] == 30 and "phone" not in saved.details["after"]
    # and the form offers the phone a blank row again
    page = admin_client.get(f"/admin/returns/returnpolicy/{policy.pk}/change/").content.decode()
    assert 'name="windows-TOTAL_FORMS" value="5"' in page


def test_two_windows_for_one_channel_are_a_form_error(admin_client, policy):
    data = policy_form() | window_forms([("app", "45"), ("app", "30")])
    response = admin_client.post("/admin/returns/returnpolicy/add/", data)
    assert response.status_code == 200 and "errornote" in response.content.decode()
    assert ReturnPolicy.objects.count() == 1


def test_a_bad_fee_is_a_form_error(admin_client, policy):
    data = policy_form(restocking_fee_percent="120") | NEW_WINDOWS
    response = admin_client.post("/admin/returns/returnpolicy/add/", data)
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


def test_the_active_policy_and_its_windows_are_read_in_one_query(policy, django_assert_num_queries):
    # given the standard windows, the kiosk's removed: the rules hold exactly the rows
    policy.windows.filter(channel="kiosk").delete()
    # when
    with django_assert_num_queries(1):
        rules = current_rules()
    # then
    assert rules.windows == {"app": 30, "web": 30, "store": 28, "phone": 30}


def test_a_merchandiser_edits_the_windows_and_customer_service_only_reads_them(client, policy):
    rows = list(policy.windows.order_by("pk").values_list("pk", "channel", "days"))
    data = policy_form(name=policy.name) | window_forms(
        [(c, "21" if c == "store" else str(d)) for _, c, d in rows], initial=len(rows), ids=[pk for pk, _, _ in rows]
    )
    url = f"/admin/returns/returnpolicy/{policy.pk}/change/"
    # when customer service posts the change form, then nothing changes (they read the policy only)
    client.force_login(staff_user("customer-service"))
    assert client.get(url).status_code == 200
    assert client.post(url, data).status_code == 403
    assert policy.windows_by_channel()["store"] == 28
    # when a merchandiser does, then the store window is 21 days
    client.force_login(staff_user("merchandiser"))
    assert client.post(url, data).status_code == 302
    assert policy.windows_by_channel()["store"] == 21
