"""Issue 16: a cycle count posts once however many screens confirm or approve it at the same
moment (real concurrent connections on PostgreSQL)."""

import pytest

from inventory import counts, services
from inventory.errors import InventoryError
from inventory.models import StockCount, StockLevel, StockMovement
from inventory.selectors import ledger_drift
from retail.approvals import ApprovalCredentials, set_approval_pin
from retail.models import AuditEvent, StoreMembership
from tests.factories import TEST_PASSWORD, MembershipFactory, StoreFactory
from tests.helpers import MANAGER_PIN, enrol_totp, race
from tests.inventory.factories import VariantFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shelf():
    store = StoreFactory(code="RACE-C")
    associate = MembershipFactory(store=store).user
    variant = VariantFactory()
    services.receive_stock(location=store, lines=[(variant, 23)], reference="PO-race")
    count = services.start_stock_count(location=store, actor=associate)
    services.set_count_quantity(count=count, variant=variant, quantity=1)
    return store, associate, variant, count


def test_eight_confirmations_of_one_count_post_it_once(shelf):
    store, associate, variant, count = shelf
    store.count_approval_units, store.count_approval_value = 50, 10_000  # within the limits: it posts
    store.save(update_fields=["count_approval_units", "count_approval_value"])
    reviewed = counts.review_stock_count(count=StockCount.objects.select_related("location").get(pk=count.pk))
    results, errors = race(
        lambda i: counts.submit_stock_count(count=count.pk, actor=associate, reviewed=reviewed.fingerprint).posted,
        8,
        expected=InventoryError,
    )
    assert errors == []
    assert sorted(map(str, results)) == ["True"] + ["count_closed"] * 7
    assert StockMovement.objects.filter(reference=f"count:{count.pk}").count() == 1
    assert StockLevel.objects.get(variant=variant, location=store).on_hand == 1
    assert not ledger_drift()


def test_two_managers_approving_at_once_post_once(shelf):
    store, associate, variant, count = shelf
    managers = []
    for _ in range(2):
        user = MembershipFactory(store=store, role=StoreMembership.Role.MANAGER).user
        enrol_totp(user)
        set_approval_pin(user=user, store=store, pin=MANAGER_PIN, password=TEST_PASSWORD)
        managers.append(user)
    count = StockCount.objects.select_related("location").get(pk=count.pk)
    counts.submit_stock_count(count=count, actor=associate, reviewed=counts.review_stock_count(count=count).fingerprint)
    waiting = StockCount.objects.select_related("location").get(pk=count.pk)
    assert waiting.status == "approval"
    results, errors = race(
        lambda i: (
            counts.approve_stock_count(
                count=waiting, approval=ApprovalCredentials(email=managers[i].email, pin=MANAGER_PIN)
            ).posted
        ),
        2,
        expected=InventoryError,
    )
    assert errors == []
    assert sorted(map(str, results)) == ["True", "count_closed"]
    assert [m.quantity for m in StockMovement.objects.filter(reference=f"count:{count.pk}")] == [-22]
    assert StockLevel.objects.get(variant=variant, location=store).on_hand == 1
    assert AuditEvent.objects.filter(action="stock.count_approved").count() == 1
