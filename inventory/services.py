"""Writes of stock: every change of on_hand is a StockMovement written under a row lock.

Public surface for other apps (keyword-only, atomic, raise InventoryError with a code):
receive_stock, restock_return, record_sale, adjust_stock, set_safety_stock, reserve_stock,
release_reservation(s), consume_reservation(s), extend_reservations, expire_due_reservations,
and (from inventory.operations) request_transfer, ship_transfer, receive_transfer,
cancel_transfer, start_stock_count, add_count_scan, set_count_quantity, post_stock_count,
cancel_stock_count, count_stock. A count entered at the portal is reviewed and submitted through
inventory.counts (submit_stock_count, approve_stock_count, reject_stock_count): beyond the store's
limits it waits for a manager's approval; post_stock_count is the unreviewed path of head office's
stock import.

Hot paths validate input up front and rely on the database CHECK constraints as the last line of
defence instead of `full_clean()`, which would add a query per foreign key and per constraint
while the row locks are held; catalog, transfer and count rows are `full_clean()`ed.
"""

from collections.abc import Iterable
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.errors import InventoryCode, InventoryError
from inventory.events import record_stock_changed
from inventory.ledger import (
    Line,
    apply_deltas,
    book_reservations,
    check_quantity,
    complete_variants,
    give_back_reserved,
    lock_levels,
    lock_levels_by_sku,
    post_movement,
    resolve_lines,
    resolve_location,
    resolve_variant,
    save_levels_and_movements,
    sum_lines,
)
from inventory.models import Reservation, StockLevel, StockMovement, Variant
from inventory.operations import (
    add_count_scan,
    cancel_stock_count,
    cancel_transfer,
    count_stock,
    post_stock_count,
    receive_transfer,
    request_transfer,
    set_count_quantity,
    ship_transfer,
    start_stock_count,
)
from retail.errors import RetailCode
from retail.messages import Message, say
from retail.models import Store, User
from retail.services import record_audit_event

Kind = StockMovement.Kind
DEFAULT_RESERVATION_TTL = timedelta(minutes=30)

__all__ = [
    "DEFAULT_RESERVATION_TTL",
    "InventoryError",
    "add_count_scan",
    "adjust_stock",
    "cancel_stock_count",
    "cancel_transfer",
    "consume_reservation",
    "consume_reservations",
    "count_stock",
    "expire_due_reservations",
    "extend_reservations",
    "post_stock_count",
    "receive_stock",
    "receive_transfer",
    "record_sale",
    "record_sales",
    "release_reservation",
    "release_reservations",
    "request_transfer",
    "reserve_stock",
    "restock_return",
    "set_count_quantity",
    "set_safety_stock",
    "ship_transfer",
    "start_stock_count",
]


# --------------------------------------------------------------------------- receipts, sales, adjustments


@transaction.atomic
def receive_stock(
    *, location: "Store | str", lines: Iterable[Line], actor: User | None = None, reference: str = "", note: str = ""
) -> list[StockMovement]:
    """Book delivered units into a location (one `receipt` movement per SKU)."""
    location = resolve_location(location)
    movements = apply_deltas(
        location=location, deltas=resolve_lines(lines), kind=Kind.RECEIPT, actor=actor, reference=reference, note=note
    )
    record_audit_event(
        actor=actor,
        action="stock.received",
        object_type="inventory.stocklevel",
        store=location,
        details={"reference": reference, "units": sum(m.quantity for m in movements), "lines": len(movements)},
    )
    return movements


def _restock_return(
    *, location: "Store | str", lines: Iterable[Line], actor: User | None = None, reference: str = ""
) -> list[StockMovement]:
    """Put returned units back on sale at a location that takes returns (`return_restock`).

    `restock_return.within(...)` runs it in the caller's transaction without a savepoint of its own,
    for a caller whose whole transaction fails with it (the returns desk's one step): it refuses
    before writing anything, and a database error aborts the caller's transaction either way."""
    location = resolve_location(location)
    if not location.accepts_returns:
        raise InventoryError(
            _("%(code)s does not take returns.") % {"code": location.code}, code=InventoryCode.RETURNS_NOT_ACCEPTED
        )
    return apply_deltas(
        location=location, deltas=resolve_lines(lines), kind=Kind.RETURN_RESTOCK, actor=actor, reference=reference
    )


restock_return = transaction.atomic(_restock_return)
restock_return.within = _restock_return


@transaction.atomic
def record_sale(
    *,
    location: "Store | str",
    lines: Iterable[Line],
    reference: str,
    actor: User | None = None,
    kind: str = Kind.SALE,
) -> list[StockMovement]:
    """A sale straight off the shelf (POS), without a reservation: on_hand goes down.

    Only on_hand is checked: the units were physically sold; if that eats into units promised to
    others, the shortfall shows as `StockLevel.short` for orders to re-route. A till sale of more
    than the ledger holds happened all the same: the missing units are first booked as found stock
    (an `adjustment` saying so, for the stock team to count) instead of refusing the sale.
    """
    if kind not in (Kind.SALE, Kind.PICKUP):
        raise InventoryError(_("A sale is a `sale` or `pickup` movement."), code=RetailCode.INVALID_KIND)
    location = resolve_location(location)
    wanted = resolve_lines(lines)
    if kind == Kind.SALE:
        levels = lock_levels(((v.pk, location.pk) for v in wanted), create=True)
        found = {
            variant: quantity - levels[(variant.pk, location.pk)].on_hand
            for variant, quantity in wanted.items()
            if quantity > levels[(variant.pk, location.pk)].on_hand
        }
        if found:
            apply_deltas(
                location=location,
                deltas=found,
                kind=Kind.ADJUSTMENT,
                actor=actor,
                reference=reference,
                note=say("inventory.found_at_till"),
            )
    deltas = {variant: -quantity for variant, quantity in wanted.items()}
    return apply_deltas(location=location, deltas=deltas, kind=kind, actor=actor, reference=reference)


@transaction.atomic(savepoint=False)  # the caller's transaction: one sale failing fails them all
def record_sales(
    *, location: "Store | str", sales: list[tuple[str, Iterable[Line]]], actor: User | None = None
) -> list[StockMovement]:
    """Many till sales at one location at once: `record_sale` for each (reference, lines), in order.

    The levels of every SKU sold are locked once (primary-key order), and all movements are written
    in one insert and the levels in one update: each sale still gets its own `sale` movements under
    its reference (and an `adjustment` first when the ledger held fewer units than were sold).
    """
    location = resolve_location(location)
    wanted = [(reference, resolve_lines(lines)) for reference, lines in sales]
    levels = lock_levels(((v.pk, location.pk) for _, lines in wanted for v in lines), create=True)
    now = timezone.now()
    movements = []
    for reference, lines in wanted:
        for variant, quantity in sorted(lines.items(), key=lambda item: item[0].pk):
            level = levels[(variant.pk, location.pk)]
            if quantity > level.on_hand:
                found = quantity - level.on_hand
                found_note = say("inventory.found_at_till")
                movements.append(post_movement(level, kind=Kind.ADJUSTMENT, quantity=found, actor=actor,
                                               reference=reference, note=found_note, now=now))  # fmt: skip
            movements.append(
                post_movement(
                    level, kind=Kind.SALE, quantity=-quantity, actor=actor, reference=reference, note="", now=now
                )
            )
    return save_levels_and_movements(list(levels.values()), movements, ["on_hand"])


@transaction.atomic
def adjust_stock(
    *,
    location: "Store | str",
    variant: "Variant | str",
    quantity: int,
    reason: "str | Message",
    actor: User | None = None,
    kind: str = Kind.ADJUSTMENT,
    reference: str = "",
) -> StockMovement:
    """Correct on_hand by a signed `quantity` with a reason (`adjustment`), or write off `damage`."""
    if kind not in (Kind.ADJUSTMENT, Kind.DAMAGE):
        raise InventoryError(_("An adjustment is an `adjustment` or `damage` movement."), code=RetailCode.INVALID_KIND)
    check_quantity(quantity, allow_negative=True)
    if kind == Kind.DAMAGE and quantity > 0:
        raise InventoryError(
            _("Damage takes units away: give a negative quantity."), code=InventoryCode.INVALID_QUANTITY
        )
    if not isinstance(reason, Message):  # typed words; the system's own reason is a message
        reason = (reason or "").strip()
    if not reason:
        raise InventoryError(
            _("Say why the stock is adjusted."), code=InventoryCode.INVALID_REASON, fields={"reason": [_("Required.")]}
        )
    location = resolve_location(location)
    variant = resolve_variant(variant)
    (movement,) = apply_deltas(
        location=location,
        deltas={variant: quantity},
        kind=kind,
        actor=actor,
        reference=reference or f"adjust:{kind}",
        note=reason,
    )
    record_audit_event(
        actor=actor,
        action=f"stock.{kind}",
        obj=movement,
        store=location,
        details={"sku": variant.sku, "quantity": quantity, "reason": getattr(reason, "subject", reason)},
    )
    return movement


# --------------------------------------------------------------------------- reservations


@transaction.atomic
def reserve_stock(
    *,
    lines: Iterable[Line],
    location: "Store | str",
    reference: str,
    ttl: timedelta = DEFAULT_RESERVATION_TTL,
    actor: User | None = None,
) -> list[Reservation]:
    """Promise units of every line at one location, all or nothing (one Reservation per SKU).

    Several lines of one SKU are summed before the check. Takes the StockLevel row locks itself;
    raises `insufficient_stock` (409) with `extra["lines"]` = [{sku, requested, available}].
    """
    reference = (reference or "").strip()
    if not reference or len(reference) > 80:
        raise InventoryError(
            _("A reservation needs a reference (1 to 80 characters)."), code=InventoryCode.INVALID_REFERENCE
        )
    if ttl <= timedelta(0):
        raise InventoryError(
            _("A reservation must last some time."), code=InventoryCode.INVALID_QUANTITY, fields={"ttl": ["<= 0"]}
        )
    location = resolve_location(location)
    totals, given = sum_lines(lines)
    by_sku = lock_levels_by_sku(location.pk, totals)
    for sku, level in by_sku.items():
        given.setdefault(sku, level.variant)
    wanted = complete_variants(totals, given, require_active=True)  # a query only for SKUs not stocked here
    levels = {(level.variant_id, location.pk): level for level in by_sku.values()}
    short = []
    for variant, quantity in wanted.items():
        level = levels.get((variant.pk, location.pk))
        available = level.available if level else 0
        if quantity > available:
            short.append({"sku": variant.sku, "requested": quantity, "available": available})
    if short:
        raise InventoryError(
            "Not enough stock at {}: {}.".format(
                location.code, ", ".join(f"{s['sku']} ({s['available']} of {s['requested']})" for s in short)
            ),
            code=InventoryCode.INSUFFICIENT_STOCK,
            extra={"lines": short, "location": location.code},
        )
    now = timezone.now()
    return book_reservations(  # levels' reserved and the reservations, one statement
        [
            Reservation(
                variant=variant,
                location=location,
                quantity=quantity,
                reference=reference,
                status=Reservation.Status.ACTIVE,
                expires_at=now + ttl,
                created_at=now,
            )
            for variant, quantity in sorted(wanted.items(), key=lambda item: item[0].pk)
        ],
        {variant_id: level for (variant_id, _), level in levels.items()},
    )


def _lock_reservations(*, ids: Iterable[int] | None, reference: str | None, strict: bool) -> list[Reservation]:
    if (ids is None) == (reference is None):
        raise InventoryError(_("Give reservation ids or a reference."), code=InventoryCode.UNKNOWN_RESERVATION)
    qs = Reservation.objects.select_for_update(of=("self",)).order_by("pk")
    if ids is not None:
        ids = sorted(set(ids))
        rows = list(qs.filter(pk__in=ids))
        if len(rows) != len(ids):
            found = {r.pk for r in rows}
            raise InventoryError(
                _("Unknown reservation(s): %(value)s.") % {"value": [i for i in ids if i not in found]},
                code=InventoryCode.UNKNOWN_RESERVATION,
            )
    else:
        rows = list(qs.filter(reference=reference, status=Reservation.Status.ACTIVE))
    closed = [r for r in rows if r.status != Reservation.Status.ACTIVE]
    if closed and strict:
        raise InventoryError(
            "Already closed: " + ", ".join(f"#{r.pk} {r.status}" for r in closed) + ".",
            code=InventoryCode.RESERVATION_CLOSED,
            extra={"reservations": {r.pk: r.status for r in closed}},
        )
    return rows


def _close(
    reservations: list[Reservation],
    *,
    status: str,
    now,
    consume: dict[int, int] | None = None,
    kind: str = "",
    actor: User | None = None,
    reference: str = "",
) -> list[StockMovement]:
    """Close locked, active reservations: give back `reserved`, and for consumption take on_hand."""
    if consume is None:  # a release or expiry: one statement, nothing to read back
        give_back_reserved(reservations, status=status, now=now)
        return []
    levels = lock_levels((r.variant_id, r.location_id) for r in reservations)
    movements = []
    for reservation in reservations:
        level = levels[(reservation.variant_id, reservation.location_id)]
        level.reserved -= reservation.quantity
        if consume is not None and consume.get(reservation.pk):
            movements.append(
                post_movement(
                    level,
                    kind=kind,
                    quantity=-consume[reservation.pk],
                    actor=actor,
                    reference=reference or reservation.reference,
                    note=say("inventory.reservation", number=reservation.pk),
                    now=now,
                )
            )
        reservation.status = status
        reservation.closed_at = now
    Reservation.objects.bulk_update(reservations, ["status", "closed_at"])
    return save_levels_and_movements(list(levels.values()), movements, ["on_hand", "reserved"])


@transaction.atomic
def release_reservations(
    *, ids: Iterable[int] | None = None, reference: str | None = None, actor: User | None = None
) -> list[Reservation]:
    """Give promised units back. By ids: each must still be active (`reservation_closed`);
    by reference: the active ones of that reference (none left is not an error)."""
    rows = _lock_reservations(ids=ids, reference=reference, strict=True)
    if rows:
        _close(rows, status=Reservation.Status.RELEASED, now=timezone.now())
        if isinstance(actor, User):  # a person letting promised units go is worth a line in the trail
            record_audit_event(
                actor=actor,
                action="reservation.released",
                object_type="inventory.reservation",
                object_id=",".join(str(r.pk) for r in rows)[:64],
                store=rows[0].location,
                details={"references": sorted({r.reference for r in rows})},
            )
    return rows


def release_reservation(*, reservation: "Reservation | int", actor: User | None = None) -> Reservation:
    pk = reservation.pk if isinstance(reservation, Reservation) else reservation
    return release_reservations(ids=[pk], actor=actor)[0]


@transaction.atomic
def consume_reservations(
    *,
    ids: Iterable[int] | None = None,
    reference: str | None = None,
    kind: str = Kind.SALE,
    quantities: dict[int, int] | None = None,
    actor: User | None = None,
    movement_reference: str = "",
) -> list[StockMovement]:
    """Hand over or ship reserved units: one `sale`/`pickup` movement per reservation; on_hand
    and reserved both go down. `quantities` ({reservation id: units}, 0..reserved) consumes less
    than was reserved (a short pick): the rest is released. Raises `reservation_closed` when one
    was already consumed, released or expired, and `insufficient_stock` when the shelf is short.
    A reservation past `expires_at` that the sweep has not expired yet is still honoured: its
    units were never offered to anyone else."""
    if kind not in (Kind.SALE, Kind.PICKUP):
        raise InventoryError(_("Consumption is a `sale` or `pickup` movement."), code=RetailCode.INVALID_KIND)
    rows = _lock_reservations(ids=ids, reference=reference, strict=True)
    if not rows:
        raise InventoryError(
            _("No active reservation for %(reference)s.") % {"reference": repr(reference)},
            code=InventoryCode.RESERVATION_CLOSED,
        )
    consume = {}
    for row in rows:
        quantity = (quantities or {}).get(row.pk, row.quantity)
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 0 <= quantity <= row.quantity:
            raise InventoryError(
                _("Reservation #%(pk)s holds %(quantity)s; cannot consume %(quantity2)s.")
                % {"pk": row.pk, "quantity": row.quantity, "quantity2": quantity},
                code=InventoryCode.INVALID_QUANTITY,
            )
        consume[row.pk] = quantity
    return _close(
        rows,
        status=Reservation.Status.CONSUMED,
        now=timezone.now(),
        consume=consume,
        kind=kind,
        actor=actor,
        reference=movement_reference,
    )


def consume_reservation(
    *,
    reservation: "Reservation | int",
    kind: str = Kind.SALE,
    quantity: int | None = None,
    actor: User | None = None,
    movement_reference: str = "",
) -> StockMovement | None:
    """One reservation; returns its movement (None when `quantity=0`, i.e. nothing was picked)."""
    pk = reservation.pk if isinstance(reservation, Reservation) else reservation
    movements = consume_reservations(
        ids=[pk],
        kind=kind,
        quantities=None if quantity is None else {pk: quantity},
        actor=actor,
        movement_reference=movement_reference,
    )
    return movements[0] if movements else None


@transaction.atomic
def extend_reservations(*, reference: str, expires_at, actor: User | None = None) -> int:
    """Move the expiry of a reference's active reservations (e.g. a pick-up hold once the order
    is ready); returns how many. Only later expiries are accepted."""
    if expires_at <= timezone.now():
        raise InventoryError(_("The new expiry must be in the future."), code=InventoryCode.INVALID_QUANTITY)
    rows = _lock_reservations(ids=None, reference=reference, strict=True)
    if not rows:
        raise InventoryError(
            _("No active reservation for %(reference)s.") % {"reference": repr(reference)},
            code=InventoryCode.RESERVATION_CLOSED,
        )
    return Reservation.objects.filter(pk__in=[r.pk for r in rows], expires_at__lt=expires_at).update(
        expires_at=expires_at
    )


@transaction.atomic
def set_safety_stock(
    *, location: "Store | str", variant: "Variant | str", safety_stock: int, actor: User | None = None
) -> StockLevel:
    """Units of a SKU held back from sale at a location (display pieces, damages buffer).

    Not a movement: on_hand does not change, only what may be promised.
    """
    if isinstance(safety_stock, bool) or not isinstance(safety_stock, int) or safety_stock < 0:
        raise InventoryError(_("Safety stock is a whole number, 0 or more."), code=InventoryCode.INVALID_QUANTITY)
    location, variant = resolve_location(location), resolve_variant(variant)
    level = lock_levels([(variant.pk, location.pk)], create=True)[(variant.pk, location.pk)]
    before = level.safety_stock
    level.safety_stock = safety_stock
    level.save(update_fields=["safety_stock"])
    record_stock_changed([(variant.pk, location.pk)])
    record_audit_event(
        actor=actor,
        action="stock.safety_stock_set",
        obj=level,
        store=location,
        details={"sku": variant.sku, "from": before, "to": safety_stock},
    )
    return level


def expire_due_reservations(*, now=None, batch_size: int = 500) -> int:
    """Expire every active reservation past its `expires_at`; returns how many.

    Each batch is one transaction; rows another worker holds are skipped (`skip_locked`), so two
    sweeps running at once never expire the same reservation twice.
    """
    now = now or timezone.now()
    total = 0
    while True:
        with transaction.atomic():
            rows = list(
                Reservation.objects.select_for_update(of=("self",), skip_locked=True)
                .filter(status=Reservation.Status.ACTIVE, expires_at__lte=now)
                .order_by("pk")[:batch_size]
            )
            if rows:
                _close(rows, status=Reservation.Status.EXPIRED, now=timezone.now())
        total += len(rows)
        if len(rows) < batch_size:
            return total
