"""Issue 13 finding 3: a manager's approval at the counter is no password oracle.

Before, POS returns' `approval{}` and the returns desk said "wrong password" to one caller and
"X is not a manager of this store" or "authenticator code is missing" to another, answered while
the account was locked, and let managers without a second factor approve. Now every failure is one
message, counted in the sign-in lockout; approvers need a second factor; a manager may set a short
approval PIN for the store (hashed, limited, audited) and use it at the desk and the till.
"""

import pytest
from rest_framework.test import APIClient

from orders.services import PosSale, record_pos_sale
from retail.approvals import ApprovalCredentials, set_approval_pin, verify_manager_approval
from retail.errors import RetailError
from retail.models import AuditEvent, StoreMembership
from retail.services import issue_pos_device
from tests.factories import TEST_PASSWORD, MembershipFactory, UserFactory
from tests.helpers import enrol_totp, totp_code

pytestmark = pytest.mark.django_db
PIN = "408215"


@pytest.fixture
def till(store):
    device, token = issue_pos_device(store=store, name="Till 1")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Device {token}")
    client.device = device
    return client


@pytest.fixture
def boss(store):
    """A manager of the store with TOTP and an approval PIN."""
    user = MembershipFactory(store=store, role=StoreMembership.Role.MANAGER).user
    secret = enrol_totp(user)
    set_approval_pin(user=user, store=store, pin=PIN, password=TEST_PASSWORD)
    user.totp_secret = secret
    return user


def _sale_to_return(till, number: str) -> dict:
    record_pos_sale(
        device=till.device,
        sale=PosSale(
            receipt_number=f"S-{number}",
            lines=[{"sku": "SHIRT-M", "quantity": 1}],
            tenders=[{"method": "cash", "amount": "30.00"}],
        ),
    )
    return {
        "receipt_number": f"R-{number}",
        "original_receipt": f"S-{number}",
        "lines": [{"sku": "SHIRT-M", "quantity": 1, "reason": "changed_mind", "condition": "damaged"}],
    }


def _no_mfa_manager(store):
    return MembershipFactory(store=store, role=StoreMembership.Role.MANAGER).user


@pytest.mark.parametrize(
    "who",
    [
        "unknown",
        "associate",
        "manager_elsewhere",
        "wrong_password",
        "wrong_pin",
        "missing_code",
        "manager_without_mfa",
    ],
)
def test_every_refused_approval_gets_the_same_answer(till, policy, shirt, store, other_store, boss, who):
    body = _sale_to_return(till, "1")
    associate = MembershipFactory(store=store).user
    elsewhere = MembershipFactory(store=other_store, role=StoreMembership.Role.MANAGER).user
    enrol_totp(elsewhere)
    approval = {
        "unknown": {"email": "nobody@example.com", "password": TEST_PASSWORD},
        "associate": {"email": associate.email, "password": TEST_PASSWORD},
        "manager_elsewhere": {"email": elsewhere.email, "password": TEST_PASSWORD},
        "wrong_password": {"email": boss.email, "password": "not-it", "code": totp_code(boss.totp_secret)},
        "wrong_pin": {"email": boss.email, "pin": "000000"},
        "missing_code": {"email": boss.email, "password": TEST_PASSWORD},
        "manager_without_mfa": {"email": _no_mfa_manager(store).email, "password": TEST_PASSWORD},
    }[who]
    # when the till posts a return over the policy with these credentials
    response = till.post("/api/v1/pos/returns/", {**body, "approval": {**approval, "reason": "x"}}, format="json")
    # then one answer for all of them: no name, no "not a manager", no "code missing"
    assert response.status_code == 403
    assert response.json()["code"] == "approval_denied"
    assert response.json()["message"] == (
        "Manager approval refused. Check the manager's email and PIN (or password and authenticator code)."
    )
    assert set(response.json()["fields"]) <= {"approval"}
    assert not AuditEvent.objects.filter(action="return.approved").exists()


def test_the_pin_approves_at_the_till_and_the_approval_says_how(till, policy, shirt, store, boss):
    body = _sale_to_return(till, "2")
    response = till.post(
        "/api/v1/pos/returns/",
        {**body, "approval": {"email": boss.email, "pin": PIN, "reason": "Seam split, goodwill"}},
        format="json",
    )
    assert response.status_code == 201, response.json()
    event = AuditEvent.objects.get(action="return.approved")
    assert event.actor == boss and event.details["method"] == "pin"


def test_password_and_current_code_still_approve(till, policy, shirt, store, boss):
    body = _sale_to_return(till, "3")
    approval = {"email": boss.email, "password": TEST_PASSWORD, "code": totp_code(boss.totp_secret), "reason": "ok"}
    response = till.post("/api/v1/pos/returns/", {**body, "approval": approval}, format="json")
    assert response.status_code == 201, response.json()


def test_wrong_approvals_count_in_the_sign_in_lockout_and_a_locked_account_is_not_checked(
    till, policy, shirt, store, boss, client
):
    body = _sale_to_return(till, "4")
    # when five wrong passwords are typed as the manager's approval at the till
    for _ in range(5):
        wrong = {"email": boss.email, "password": "guess", "code": "000000", "reason": "x"}
        assert till.post("/api/v1/pos/returns/", {**body, "approval": wrong}, format="json").status_code == 403
    # then the right PIN is refused without being looked at (locked), saying so, not which part was wrong
    right = till.post(
        "/api/v1/pos/returns/", {**body, "approval": {"email": boss.email, "pin": PIN, "reason": "x"}}, format="json"
    )
    assert right.status_code == 429 and right.json()["code"] == "approval_locked"
    # and the manager's own sign-in is locked too: the failures were counted where sign-ins count
    signed_in = client.post("/accounts/login/", {"login": boss.email, "password": TEST_PASSWORD})
    assert signed_in.status_code == 200 and "_auth_user_id" not in client.session


def test_failed_sign_ins_lock_approvals_too(till, policy, shirt, store, boss, client):
    body = _sale_to_return(till, "5")
    for _ in range(5):
        client.post("/accounts/login/", {"login": boss.email, "password": "guess"})
    response = till.post(
        "/api/v1/pos/returns/", {**body, "approval": {"email": boss.email, "pin": PIN, "reason": "x"}}, format="json"
    )
    assert response.status_code == 429


def test_the_pin_is_hashed_set_by_the_manager_with_mfa_and_audited(store, boss):
    membership = StoreMembership.objects.get(user=boss, store=store)
    assert membership.approval_pin and PIN not in membership.approval_pin
    assert AuditEvent.objects.filter(action="manager.approval_pin_set", actor=boss).exists()
    assert PIN not in str(AuditEvent.objects.filter(action="manager.approval_pin_set").values("details").first())
    # a manager without a second factor cannot set one, an associate has none, weak PINs are refused
    with pytest.raises(RetailError) as no_mfa:
        set_approval_pin(user=_no_mfa_manager(store), store=store, pin="408215", password=TEST_PASSWORD)
    assert no_mfa.value.code == "mfa_required"
    with pytest.raises(RetailError) as associate:
        set_approval_pin(user=MembershipFactory(store=store).user, store=store, pin=PIN, password=TEST_PASSWORD)
    assert associate.value.status == 403
    for weak in ("111111", "123456", "12345", "abcdef"):
        with pytest.raises(RetailError):
            set_approval_pin(user=boss, store=store, pin=weak, password=TEST_PASSWORD)
    with pytest.raises(RetailError):
        set_approval_pin(user=boss, store=store, pin="408216", password="wrong")


def test_ten_wrong_pins_in_a_day_lock_the_pin(store, boss):
    # outside a web request the fallback lock (5 / 15 min) would stop first: use fresh cache keys per try
    from django.core.cache import cache

    for _ in range(10):
        with pytest.raises(RetailError):
            verify_manager_approval(credentials=ApprovalCredentials(email=boss.email, pin="000001"), store=store)
        cache.delete(f"approval-failures:{store.pk}:{boss.email}")
    with pytest.raises(RetailError) as locked:
        verify_manager_approval(credentials=ApprovalCredentials(email=boss.email, pin=PIN), store=store)
    assert locked.value.code == "approval_denied"
    # a new PIN set by the manager works again
    set_approval_pin(user=boss, store=store, pin="731904", password=TEST_PASSWORD)
    assert verify_manager_approval(credentials=ApprovalCredentials(email=boss.email, pin="731904"), store=store) == boss


def test_a_manager_sets_their_pin_in_the_portal(client, store, boss):
    from django.urls import reverse

    client.force_login(boss)  # password + TOTP sign-in is tests/retail/test_auth.py's
    page = client.get(reverse("portal:approval-pin"))
    assert page.status_code == 200 and b'name="pin"' in page.content
    response = client.post(reverse("portal:approval-pin"), {"pin": "560137", "password": TEST_PASSWORD})
    assert response.status_code == 302
    credentials = ApprovalCredentials(email=boss.email, pin="560137")
    assert verify_manager_approval(credentials=credentials, store=store) == boss


def test_unknown_user_lookups_are_the_same_work(store, boss, django_assert_num_queries):
    """Only the store's managers are looked up: an unknown email costs what a manager's does."""
    with django_assert_num_queries(1), pytest.raises(RetailError):
        verify_manager_approval(credentials=ApprovalCredentials(email="nobody@example.com", pin=PIN), store=store)
    with django_assert_num_queries(1), pytest.raises(RetailError):
        verify_manager_approval(credentials=ApprovalCredentials(email=boss.email, pin="000009"), store=store)


def test_a_user_exists_answer_is_never_given(store):
    user = UserFactory(email="ghost@example.com")
    with pytest.raises(RetailError) as known:
        verify_manager_approval(credentials=ApprovalCredentials(email=user.email, password=TEST_PASSWORD), store=store)
    with pytest.raises(RetailError) as unknown:
        verify_manager_approval(
            credentials=ApprovalCredentials(email="nobody@example.com", password=TEST_PASSWORD), store=store
        )
    assert (known.value.message, known.value.status) == (unknown.value.message, unknown.value.status)
