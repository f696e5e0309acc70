"""A cycle count's review and a manager's approval before it corrects the stock.

Entering a count (start, scan, set, cancel) lives in inventory.operations. From the portal a count
is never posted in one click: the associate sees expected vs counted per line, with the difference
in units and its value at selling price (the catalog keeps no cost price), and confirms
(`submit_stock_count`). A count beyond the store's limits (`Store.count_approval_units` per line,
`Store.count_approval_value` for the whole count, both set by head office) is not posted: a
manager approves it on the spot with their approval PIN (retail.approvals), or later from the
counts awaiting approval (`approve_stock_count` / `reject_stock_count`).

The expected figures are frozen when the count is submitted, and an approved count posts the
differences seen then: a unit sold (or received) between the count and the approval is already in
the ledger and is not corrected a second time.
"""

import hashlib
import re
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from inventory.errors import InventoryCode, InventoryError
from inventory.ledger import lock_levels
from inventory.market_prices import market_prices
from inventory.models import StockCount, StockCountLine, StockLevel, StockMovement
from inventory.operations import book_count_differences, lock_open_count
from retail.approvals import ApprovalCredentials, verify_manager_approval
from retail.domain.money import format_money
from retail.models import Store, User
from retail.services import record_audit_event

CHANGED = "The count or the stock changed while you were reviewing it: check the figures again and confirm."


@dataclass(frozen=True)
class LineReview:
    line: StockCountLine
    expected: int
    counted: int
    price: Decimal
    over: bool  # beyond the store's unit limit

    @property
    def difference(self) -> int:
        return self.counted - self.expected

    @property
    def value(self) -> Decimal:
        return self.difference * self.price


@dataclass(frozen=True)
class CountReview:
    """What the associate confirms (and the manager approves): every line and the verdict."""

    lines: list[LineReview]
    units_limit: int
    value_limit: Decimal
    fingerprint: str
    currency: str = ""  # of the prices and the value limit: the store's market's

    @property
    def net_units(self) -> int:
        return sum(r.difference for r in self.lines)

    @property
    def net_value(self) -> Decimal:
        return sum((r.value for r in self.lines), Decimal("0.00"))

    @property
    def gross_value(self) -> Decimal:
        """Differences both ways add up: a found unit does not hide a lost one."""
        return sum((abs(r.value) for r in self.lines), Decimal("0.00"))

    @property
    def corrections(self) -> int:
        return sum(1 for r in self.lines if r.difference)

    @property
    def reasons(self) -> list[str]:
        """Why a manager must approve, one sentence each in the reader's language (empty: the associate may post)."""
        reasons = [
            _("%(sku)s: %(units)s units is more than this store's limit of %(limit)s.")
            % {"sku": r.line.variant.sku, "units": format(r.difference, "+d"), "limit": self.units_limit}
            for r in self.lines
            if r.over
        ]
        if self.gross_value > self.value_limit:
            reasons.append(
                _("The differences add up to %(value)s at selling price, more than this store's limit of %(limit)s.")
                % {
                    "value": format_money(self.gross_value, self.currency),
                    "limit": format_money(self.value_limit, self.currency),
                }
            )
        return reasons

    @property
    def stored_reasons(self) -> list[str]:
        """The reasons in English, as the count and the audit log keep them (`reasons_read` reads them back)."""
        with translation.override(None):
            return self.reasons

    @property
    def needs_approval(self) -> bool:
        return bool(self.reasons)


_VALUE_REASON = gettext_noop(
    "The differences add up to %(value)s at selling price, more than this store's limit of %(limit)s."
)
_STORED_REASONS = [
    (
        re.compile(r"(?P<sku>.+): (?P<units>[+-]\d+) units is more than this store's limit of (?P<limit>\d+)\."),
        gettext_noop("%(sku)s: %(units)s units is more than this store's limit of %(limit)s."),
    ),
    (
        re.compile(
            r"The differences add up to (?P<value>.+) at selling price, more than this store's limit of (?P<limit>.+)\."
        ),
        _VALUE_REASON,
    ),
]


# Notes the system gives the counts it starts (a person's note is shown as typed): stored in English, read back
# in the reader's language.
IMPORT_NOTE = "CSV stock import"
_SYSTEM_NOTES = {IMPORT_NOTE: gettext_noop("CSV stock import")}


def note_read(note: str) -> str:
    """A count's note in the reader's language when the system wrote it; else as typed."""
    return _(_SYSTEM_NOTES[note]) if note in _SYSTEM_NOTES else note


def reasons_read(stored: list[str]) -> list[str]:
    """A count's stored reasons (English, `CountReview.stored_reasons`) in the reader's language; a sentence
    of another shape is shown as written."""
    read = []
    for reason in stored or []:
        for pattern, message in _STORED_REASONS:
            if match := pattern.fullmatch(reason):
                reason = _(message) % match.groupdict()
                break
        read.append(reason)
    return read


def _review(store: Store, lines: list[StockCountLine], expected: dict[int, int]) -> CountReview:
    """Values at the store's market's selling price, in its currency (the limit is the store's, in it too);
    a SKU without a price there is valued at the catalog's, so its difference still counts toward the limit."""
    limit = store.count_approval_units
    pricing = market_prices(variants=[line.variant for line in lines], market=store.market)
    reviews = []
    for line in lines:
        priced = pricing.get(line.variant_id)
        on_hand = expected.get(line.variant_id, 0)
        reviews.append(
            LineReview(
                line=line,
                expected=on_hand,
                counted=line.counted_quantity,
                price=priced.amount if priced is not None else line.variant.price,
                over=abs(line.counted_quantity - on_hand) > limit,
            )
        )
    digest = hashlib.sha256(";".join(f"{r.line.pk}:{r.counted}:{r.expected}" for r in reviews).encode()).hexdigest()[
        :20
    ]
    return CountReview(
        lines=reviews,
        units_limit=limit,
        value_limit=store.count_approval_value,
        fingerprint=digest,
        currency=pricing.currency,
    )


def _lines(count: StockCount) -> list[StockCountLine]:
    return list(count.lines.select_related("variant__product").order_by("pk"))


def review_stock_count(*, count: StockCount) -> CountReview:
    """Read (no lock): an open count against the stock now; a submitted one against its frozen
    expected figures. Three statements whatever the number of lines."""
    lines = _lines(count)
    if count.status == StockCount.Status.OPEN:
        expected = dict(
            StockLevel.objects.filter(
                location_id=count.location_id, variant_id__in=[line.variant_id for line in lines]
            ).values_list("variant_id", "on_hand")
        )
    else:
        expected = {line.variant_id: line.expected_quantity or 0 for line in lines}
    return _review(count.location, lines, expected)


@dataclass(frozen=True)
class CountOutcome:
    count: StockCount
    review: CountReview
    movements: list[StockMovement]

    @property
    def posted(self) -> bool:
        return self.count.status == StockCount.Status.POSTED


def _verify(approval: ApprovalCredentials, store: Store, count_pk: int) -> User:
    """The approving manager, checked before any row is locked (hashing a PIN takes a while)."""
    return verify_manager_approval(credentials=approval, store=store, purpose=f"count #{count_pk}")


def _book(count: StockCount, review: CountReview, levels, *, actor: User | None, now) -> list[StockMovement]:
    """Book each line's frozen difference (seen at submission) on the locked levels."""
    differences = [(r.line.variant_id, r.counted, r.expected) for r in review.lines]
    return book_count_differences(count, differences, levels, actor=actor, now=now)


def _details(review: CountReview) -> dict:
    return {
        "lines": len(review.lines),
        "corrections": review.corrections,
        "net": review.net_units,
        "value": str(review.net_value),
        "gross_value": str(review.gross_value),
        "over": [
            {"sku": r.line.variant.sku, "expected": r.expected, "counted": r.counted} for r in review.lines if r.over
        ],
    }


def submit_stock_count(
    *,
    count: "StockCount | int",
    actor: User | None,
    reviewed: str,
    approval: ApprovalCredentials | None = None,
) -> CountOutcome:
    """The associate confirms the review they saw (`reviewed` is its fingerprint). Within the
    store's limits the count posts; beyond them it posts with a manager's `approval` given on the
    spot, or else waits for a manager. Refused (`count_changed`) when lines or stock moved since
    the review; a second confirmation of the same count finds it closed (`count_closed`)."""
    pk = count.pk if isinstance(count, StockCount) else count
    store = count.location if isinstance(count, StockCount) else None
    manager = None
    if approval is not None:
        if store is None:
            store = StockCount.objects.select_related("location__market").get(pk=pk).location
        manager = _verify(approval, store, pk)
    with transaction.atomic():
        count = lock_open_count(pk)
        lines = _lines(count)
        if not lines:
            raise InventoryError(
                _("Scan or type at least one SKU before posting."), code=InventoryCode.INVALID_QUANTITY
            )
        levels = lock_levels(((line.variant_id, count.location_id) for line in lines), create=True)
        review = _review(count.location, lines, {variant: level.on_hand for (variant, _), level in levels.items()})
        if review.fingerprint != reviewed:
            raise InventoryError(CHANGED, code=InventoryCode.COUNT_CHANGED)
        now = timezone.now()
        for r in review.lines:
            r.line.expected_quantity = r.expected
        StockCountLine.objects.bulk_update(lines, ["expected_quantity"])
        count.submitted_by, count.submitted_at, count.approval_reasons = actor, now, review.stored_reasons
        fields = ["status", "submitted_by", "submitted_at", "approval_reasons"]
        if review.needs_approval and manager is None:
            count.status = StockCount.Status.AWAITING_APPROVAL
            count.save(update_fields=fields)
            record_audit_event(
                actor=actor, action="stock.count_submitted", obj=count, store=count.location, details=_details(review)
            )
            return CountOutcome(count=count, review=review, movements=[])
        movements = _book(count, review, levels, actor=actor, now=now)
        count.status, count.posted_at, count.posted_by = StockCount.Status.POSTED, now, actor
        fields += ["posted_at", "posted_by"]
        if review.needs_approval:
            count.decided_by, count.decided_at = manager, now
            fields += ["decided_by", "decided_at"]
            _audit_decision(count, review, manager, approval, actor, "stock.count_approved")
        count.save(update_fields=fields)
        record_audit_event(
            actor=actor, action="stock.counted", obj=count, store=count.location, details=_details(review)
        )
        return CountOutcome(count=count, review=review, movements=movements)


def _audit_decision(count, review, manager, approval, associate, action, note="") -> None:
    record_audit_event(
        actor=manager,
        action=action,
        obj=count,
        store=count.location,
        details={
            **_details(review),
            "method": approval.method,
            "associate": count.submitted_by_id,  # who counted
            "signed_in": associate.pk if isinstance(associate, User) else None,  # whose screen it was typed on
            # a manager deciding on a count they made themselves: allowed (one-manager stores), visible
            "own_count": manager.pk == count.submitted_by_id,
            "reasons": review.stored_reasons,
            "note": note,
        },
    )


def _lock_awaiting(pk: int) -> StockCount:
    locked = StockCount.objects.select_for_update(of=("self",)).select_related("location__market").filter(pk=pk).first()
    if locked is None or locked.status != StockCount.Status.AWAITING_APPROVAL:
        state = locked.get_status_display().lower() if locked else "not there"
        raise InventoryError(
            _("Count #%(pk)s is not awaiting a manager (it is %(state)s).") % {"pk": pk, "state": state},
            code=InventoryCode.COUNT_CLOSED,
        )
    return locked


def approve_stock_count(
    *, count: StockCount, approval: ApprovalCredentials, actor: User | None = None, note: str = ""
) -> CountOutcome:
    """A manager of the count's store approves a waiting count: its frozen differences post.
    A second approval of the same count finds it posted (`count_closed`); nothing posts twice."""
    manager = _verify(approval, count.location, count.pk)
    with transaction.atomic():
        count = _lock_awaiting(count.pk)
        lines = _lines(count)
        review = _review(count.location, lines, {line.variant_id: line.expected_quantity or 0 for line in lines})
        levels = lock_levels(((line.variant_id, count.location_id) for line in lines), create=True)
        now = timezone.now()
        movements = _book(count, review, levels, actor=count.submitted_by or actor, now=now)
        count.status, count.posted_at, count.posted_by = StockCount.Status.POSTED, now, count.submitted_by
        count.decided_by, count.decided_at, count.decision_note = manager, now, (note or "").strip()[:300]
        count.save(update_fields=["status", "posted_at", "posted_by", "decided_by", "decided_at", "decision_note"])
        _audit_decision(count, review, manager, approval, actor, "stock.count_approved", count.decision_note)
        return CountOutcome(count=count, review=review, movements=movements)


def reject_stock_count(
    *, count: StockCount, approval: ApprovalCredentials, reason: str, actor: User | None = None
) -> StockCount:
    """A manager refuses a waiting count (a recount is a new count): nothing posts; the reason is kept."""
    reason = (reason or "").strip()
    if not reason:
        raise InventoryError(
            _("Say why the count is rejected (e.g. recount the back room first)."),
            code=InventoryCode.INVALID_REASON,
            fields={"note": [_("Required to reject.")]},
        )
    manager = _verify(approval, count.location, count.pk)
    with transaction.atomic():
        count = _lock_awaiting(count.pk)
        lines = _lines(count)
        review = _review(count.location, lines, {line.variant_id: line.expected_quantity or 0 for line in lines})
        now = timezone.now()
        count.status, count.decided_by, count.decided_at, count.decision_note = (
            StockCount.Status.REJECTED,
            manager,
            now,
            reason[:300],
        )
        count.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        _audit_decision(count, review, manager, approval, actor, "stock.count_rejected", count.decision_note)
        return count


def counts_awaiting_approval(*, store: Store):
    """This store's counts waiting for a manager, oldest first (one statement)."""
    return (
        StockCount.objects.filter(location=store, status=StockCount.Status.AWAITING_APPROVAL)
        .select_related("submitted_by")
        .order_by("submitted_at", "pk")
    )
