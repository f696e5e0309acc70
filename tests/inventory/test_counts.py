"""Issue 16: a cycle count is reviewed before it posts, and differences beyond the store's limits
wait for a manager's approval (PIN, retail.approvals) on the spot or from the waiting list."""

from decimal import Decimal

import pytest

from inventory import counts, services
from inventory.errors import InventoryError
from inventory.models import StockCount, StockLevel, StockMovement
from inventory.selectors import ledger_drift
from retail.approvals import ApprovalCredentials, set_approval_pin
from retail.errors import RetailError
from retail.models import AuditEvent, StoreMembership
from tests.factories import TEST_PASSWORD, MembershipFactory
from tests.helpers import MANAGER_PIN, enrol_totp
from tests.inventory.factories import VariantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss(store):
    """A manager of the store with TOTP and an approval PIN."""
    user = MembershipFactory(store=store, role=StoreMembership.Role.MANAGER).user
    enrol_totp(user)
    set_approval_pin(user=user, store=store, pin=MANAGER_PIN, password=TEST_PASSWORD)
    return user


@pytest.fixture
def hoodie(store):
    """23 units of a 39.00 hoodie on the books."""
    variant = VariantFactory(sku="HOODIE-M")
    services.receive_stock(location=store, lines=[(variant, 23)], reference="PO-1")
    return variant


def _count(store, associate, figures):
    count = services.start_stock_count(location=store, actor=associate, note="hoodies")
    for variant, quantity in figures.items():
        services.set_count_quantity(count=count, variant=variant, quantity=quantity)
    return count


def _on_hand(variant, store):
    return StockLevel.objects.get(variant=variant, location=store).on_hand


def pin(user, value=MANAGER_PIN):
    return ApprovalCredentials(email=user.email, pin=value)


def test_the_review_shows_expected_counted_difference_and_value(store, associate, hoodie):
    count = _count(store, associate, {hoodie: 21})
    review = counts.review_stock_count(count=count)
    [line] = review.lines
    assert (line.expected, line.counted, line.difference, line.value) == (23, 21, -2, Decimal("-78.00"))
    assert review.net_units == -2 and review.gross_value == Decimal("78.00")
    assert not review.needs_approval  # 2 units and 78.00 are within the defaults (5 units, 150.00)
    assert _on_hand(hoodie, store) == 23  # reviewing changes nothing


def test_a_count_within_the_limits_posts_on_confirmation(store, associate, hoodie):
    count = _count(store, associate, {hoodie: 21})
    review = counts.review_stock_count(count=count)
    outcome = counts.submit_stock_count(count=count, actor=associate, reviewed=review.fingerprint)
    assert outcome.posted and _on_hand(hoodie, store) == 21
    count.refresh_from_db()
    assert count.posted_by == associate and count.lines.get().expected_quantity == 23
    assert AuditEvent.objects.filter(action="stock.counted", object_id=str(count.pk)).exists()
    assert not ledger_drift()


def test_a_write_off_beyond_the_unit_limit_waits_for_a_manager(store, associate, hoodie):
    # given the associate counted 1 of 23 (the write-off of the issue)
    count = _count(store, associate, {hoodie: 1})
    review = counts.review_stock_count(count=count)
    assert review.needs_approval
    assert review.reasons[0] == "HOODIE-M: -22 units is more than this store's limit of 5."
    # when they confirm without a manager
    outcome = counts.submit_stock_count(count=count, actor=associate, reviewed=review.fingerprint)
    # then nothing is posted; the count waits with its reasons, frozen figures and an audit row
    assert not outcome.posted and _on_hand(hoodie, store) == 23
    count.refresh_from_db()
    assert count.status == "approval" and count.submitted_by == associate and count.approval_reasons == review.reasons
    assert count.lines.get().expected_quantity == 23
    assert not StockMovement.objects.filter(reference=f"count:{count.pk}").exists()
    event = AuditEvent.objects.get(action="stock.count_submitted")
    assert event.details["over"] == [{"sku": "HOODIE-M", "expected": 23, "counted": 1}]
    assert list(counts.counts_awaiting_approval(store=store)) == [count]
    # and it takes no more scans
    with pytest.raises(InventoryError) as exc:
        services.add_count_scan(count=count, code="HOODIE-M")
    assert exc.value.code == "count_closed" and "awaiting a manager" in exc.value.message


def test_small_differences_adding_up_beyond_the_value_limit_wait_too(store, associate):
    # given five SKUs at 39.00, each 1 unit short: 5 x 39.00 = 195.00 > 150.00
    variants = [VariantFactory() for _ in range(5)]
    services.receive_stock(location=store, lines=[(v, 3) for v in variants], reference="PO-2")
    review = counts.review_stock_count(count=_count(store, associate, dict.fromkeys(variants, 2)))
    assert not any(line.over for line in review.lines)
    assert review.reasons == [
        "The differences add up to €195.00 at selling price, more than this store's limit of €150.00."
    ]


def test_found_units_count_against_the_limits_like_lost_ones(store, associate, hoodie):
    store.count_approval_units = 10
    store.save(update_fields=["count_approval_units"])
    count = _count(store, associate, {hoodie: 23 + 11})
    assert counts.review_stock_count(count=count).needs_approval


def test_the_store_limits_decide(store, associate, hoodie):
    store.count_approval_units, store.count_approval_value = 30, Decimal("1000.00")
    store.save(update_fields=["count_approval_units", "count_approval_value"])
    count = _count(store, associate, {hoodie: 1})
    review = counts.review_stock_count(count=count)
    assert not review.needs_approval
    assert counts.submit_stock_count(count=count, actor=associate, reviewed=review.fingerprint).posted


def test_the_manager_approves_on_the_spot_with_the_pin(store, associate, boss, hoodie):
    count = _count(store, associate, {hoodie: 1})
    review = counts.review_stock_count(count=count)
    outcome = counts.submit_stock_count(count=count, actor=associate, reviewed=review.fingerprint, approval=pin(boss))
    assert outcome.posted and _on_hand(hoodie, store) == 1
    count.refresh_from_db()
    assert count.decided_by == boss and count.posted_by == associate
    event = AuditEvent.objects.get(action="stock.count_approved")
    assert event.actor == boss and event.details["method"] == "pin" and event.details["associate"] == associate.pk
    assert event.details["own_count"] is False


@pytest.mark.parametrize("who", ["wrong_pin", "associate", "manager_elsewhere"])
def test_a_refused_approval_posts_nothing_and_keeps_the_count_open(store, other_store, associate, boss, hoodie, who):
    elsewhere = MembershipFactory(store=other_store, role=StoreMembership.Role.MANAGER).user
    enrol_totp(elsewhere)
    set_approval_pin(user=elsewhere, store=other_store, pin=MANAGER_PIN, password=TEST_PASSWORD)
    credentials = {
        "wrong_pin": pin(boss, "000000"),
        "associate": ApprovalCredentials(email=associate.email, password=TEST_PASSWORD),
        "manager_elsewhere": pin(elsewhere),
    }[who]
    count = _count(store, associate, {hoodie: 1})
    review = counts.review_stock_count(count=count)
    with pytest.raises(RetailError) as exc:
        counts.submit_stock_count(count=count, actor=associate, reviewed=review.fingerprint, approval=credentials)
    assert exc.value.code == "approval_denied"
    count.refresh_from_db()
    assert count.status == "open" and _on_hand(hoodie, store) == 23
    assert not AuditEvent.objects.filter(action__startswith="stock.count").exists()


def test_a_manager_approves_later_and_sales_since_the_count_are_not_corrected_twice(store, associate, boss, hoodie):
    # given a count of 1 (of 23) waiting for a manager
    count = _count(store, associate, {hoodie: 1})
    counts.submit_stock_count(count=count, actor=associate, reviewed=counts.review_stock_count(count=count).fingerprint)
    # and meanwhile that one unit is sold at the till (the books say 22)
    services.record_sale(location=store, lines=[(hoodie, 1)], reference="R-1")
    # when the manager approves
    outcome = counts.approve_stock_count(count=count, approval=pin(boss), actor=boss, note="Checked the shelf")
    # then the difference seen at the count (-22) posts: 0 on hand, as on the shelf
    assert outcome.posted and [m.quantity for m in outcome.movements] == [-22]
    assert _on_hand(hoodie, store) == 0
    count.refresh_from_db()
    assert (count.status, count.decided_by, count.decision_note) == ("posted", boss, "Checked the shelf")
    assert AuditEvent.objects.get(action="stock.count_approved").details["note"] == "Checked the shelf"
    assert not ledger_drift()
    # and a second approval finds it posted
    with pytest.raises(InventoryError) as exc:
        counts.approve_stock_count(count=count, approval=pin(boss))
    assert exc.value.code == "count_closed"


def test_a_rejection_needs_a_reason_posts_nothing_and_is_audited(store, associate, boss, hoodie):
    count = _count(store, associate, {hoodie: 1})
    counts.submit_stock_count(count=count, actor=associate, reviewed=counts.review_stock_count(count=count).fingerprint)
    with pytest.raises(InventoryError) as exc:
        counts.reject_stock_count(count=count, approval=pin(boss), reason=" ")
    assert exc.value.code == "invalid_reason"
    counts.reject_stock_count(count=count, approval=pin(boss), reason="Recount the back room", actor=associate)
    count.refresh_from_db()
    assert count.status == "rejected" and count.decided_by == boss and _on_hand(hoodie, store) == 23
    assert AuditEvent.objects.get(action="stock.count_rejected").actor == boss
    assert not counts.counts_awaiting_approval(store=store).exists()


def test_a_review_gone_stale_is_not_posted(store, associate, hoodie):
    # given the associate reviewed -2
    count = _count(store, associate, {hoodie: 21})
    review = counts.review_stock_count(count=count)
    # when another scan lands on the sheet before the confirmation
    services.add_count_scan(count=count, code="HOODIE-M")
    # then the confirmation is refused: what was confirmed is not what would post
    with pytest.raises(InventoryError) as exc:
        counts.submit_stock_count(count=count, actor=associate, reviewed=review.fingerprint)
    assert exc.value.code == "count_changed"
    assert _on_hand(hoodie, store) == 23 and StockCount.objects.get(pk=count.pk).status == "open"


def test_a_second_confirmation_finds_the_count_closed(store, associate, hoodie):
    count = _count(store, associate, {hoodie: 21})
    reviewed = counts.review_stock_count(count=count).fingerprint
    counts.submit_stock_count(count=count, actor=associate, reviewed=reviewed)
    with pytest.raises(InventoryError) as exc:
        counts.submit_stock_count(count=count, actor=associate, reviewed=reviewed)
    assert exc.value.code == "count_closed"
    assert StockMovement.objects.filter(reference=f"count:{count.pk}").count() == 1


def test_a_manager_approving_their_own_count_is_allowed_and_marked(store, boss, hoodie):
    count = _count(store, boss, {hoodie: 1})
    review = counts.review_stock_count(count=count)
    counts.submit_stock_count(count=count, actor=boss, reviewed=review.fingerprint, approval=pin(boss))
    details = AuditEvent.objects.get(action="stock.count_approved").details
    assert details["own_count"] is True and details["associate"] == boss.pk
