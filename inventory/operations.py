"""Writes of stock work between and inside locations: transfers and cycle counts.

Re-exported by inventory.services; other apps import them from there.
"""

from collections.abc import Iterable, Mapping

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.errors import InventoryCode, InventoryError
from inventory.ledger import (
    Kind,
    Line,
    announce_back_in_stock,
    check_quantity,
    lock_levels,
    post_movement,
    resolve_lines,
    resolve_location,
    resolve_variant,
    save_levels_and_movements,
)
from inventory.models import StockCount, StockCountLine, StockMovement, Transfer, TransferLine, Variant
from retail.messages import Message, say, text_and_message
from retail.models import Store, User
from retail.services import record_audit_event


def _lock_transfer(transfer: "Transfer | int", *, expected: str) -> Transfer:
    pk = transfer.pk if isinstance(transfer, Transfer) else transfer
    locked = (
        Transfer.objects.select_for_update(of=("self",)).select_related("from_location", "to_location").filter(pk=pk)
    ).first()
    if locked is None:
        raise InventoryError(_("There is no transfer %(pk)s.") % {"pk": pk}, code=InventoryCode.INVALID_TRANSFER)
    if locked.status != expected:
        raise InventoryError(
            _("%(reference)s is %(status)s, not %(expected)s.")
            % {"reference": locked.reference, "status": locked.status, "expected": expected},
            code=InventoryCode.TRANSFER_STATE,
            extra={"status": locked.status},
        )
    return locked


def _quantities_by_line(
    transfer: Transfer, given: Mapping[str, int] | None, field: str
) -> tuple[list[TransferLine], dict[int, int]]:
    """The lines, and {sku: qty} from the screen as {line id: qty}; a SKU not given defaults to
    the previous step's figure (`field`)."""
    lines = list(transfer.lines.select_related("variant").order_by("pk"))
    by_sku = {line.variant.sku: line for line in lines}
    given = dict(given or {})
    unknown = sorted(set(given) - set(by_sku))
    if unknown:
        raise InventoryError(
            _("Not on %(reference)s: %(value)s.") % {"reference": transfer.reference, "value": ", ".join(unknown)},
            code=InventoryCode.UNKNOWN_SKU,
        )
    out = {}
    for line in lines:
        default = getattr(line, field)
        quantity = given.get(line.variant.sku, default)
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
            raise InventoryError(
                _("%(sku)s: give a whole number of units (0 or more).") % {"sku": line.variant.sku},
                code=InventoryCode.INVALID_QUANTITY,
            )
        out[line.pk] = quantity
    return lines, out


@transaction.atomic
def request_transfer(
    *,
    from_location: "Store | str",
    to_location: "Store | str",
    lines: Iterable[Line],
    actor: User | None = None,
    note: "str | Message" = "",
) -> Transfer:
    """Ask one location to send units to another; nothing moves until it is shipped."""
    source, destination = resolve_location(from_location), resolve_location(to_location)
    if source.pk == destination.pk:
        raise InventoryError(_("A transfer goes between two different locations."), code=InventoryCode.INVALID_TRANSFER)
    wanted = resolve_lines(lines, require_active=True)
    note, message = text_and_message(note, 200)
    transfer = Transfer(
        from_location=source,
        to_location=destination,
        note=note,
        message=message,
        requested_by=actor,
        requested_at=timezone.now(),
    )
    transfer.full_clean()
    transfer.save()
    TransferLine.objects.bulk_create(
        [TransferLine(transfer=transfer, variant=v, quantity_requested=q) for v, q in wanted.items()]
    )
    record_audit_event(actor=actor, action="transfer.requested", obj=transfer, store=source)
    return transfer


@transaction.atomic
def ship_transfer(
    *, transfer: "Transfer | int", shipped: Mapping[str, int] | None = None, actor: User | None = None
) -> Transfer:
    """Send the units: `transfer_out` movements at the source. `shipped` ({sku: qty}) defaults to
    what was requested; units promised to reservations at the source are never shipped."""
    transfer = _lock_transfer(transfer, expected=Transfer.Status.REQUESTED)
    lines, quantities = _quantities_by_line(transfer, shipped, "quantity_requested")
    if not any(quantities.values()):
        raise InventoryError(_("Ship at least one unit, or cancel the transfer."), code=InventoryCode.INVALID_QUANTITY)
    now = timezone.now()
    levels = lock_levels((line.variant_id, transfer.from_location_id) for line in lines)
    movements, short = [], []
    for line in lines:
        quantity = quantities[line.pk]
        line.quantity_shipped = quantity
        if not quantity:
            continue
        level = levels.get((line.variant_id, transfer.from_location_id))
        free = max(0, level.on_hand - level.reserved) if level else 0
        if quantity > free:
            short.append({"sku": line.variant.sku, "requested": quantity, "available": free})
            continue
        movements.append(
            post_movement(
                level,
                kind=Kind.TRANSFER_OUT,
                quantity=-quantity,
                actor=actor,
                reference=transfer.reference,
                note=say("inventory.transfer_to", location=transfer.to_location.code),
                now=now,
            )
        )
    if short:
        raise InventoryError(
            f"{transfer.from_location.code} cannot ship: "
            + ", ".join(f"{s['sku']} ({s['available']} free of {s['requested']})" for s in short),
            code=InventoryCode.INSUFFICIENT_STOCK,
            extra={"lines": short},
        )
    save_levels_and_movements(list(levels.values()), movements, ["on_hand"])
    TransferLine.objects.bulk_update(lines, ["quantity_shipped"])
    transfer.status, transfer.shipped_at, transfer.shipped_by = Transfer.Status.SHIPPED, now, actor
    transfer.save(update_fields=["status", "shipped_at", "shipped_by"])
    record_audit_event(actor=actor, action="transfer.shipped", obj=transfer, store=transfer.from_location)
    return transfer


@transaction.atomic
def receive_transfer(
    *, transfer: "Transfer | int", received: Mapping[str, int] | None = None, actor: User | None = None
) -> Transfer:
    """Book the arrived units at the destination (`transfer_in`). `received` ({sku: qty}) defaults
    to what was shipped; any difference is kept on the line and in the audit trail."""
    transfer = _lock_transfer(transfer, expected=Transfer.Status.SHIPPED)
    lines, quantities = _quantities_by_line(transfer, received, "quantity_shipped")
    now = timezone.now()
    levels = lock_levels(((line.variant_id, transfer.to_location_id) for line in lines), create=True)
    before = {key: level.available for key, level in levels.items()}
    movements, discrepancies = [], []
    for line in lines:
        quantity = quantities[line.pk]
        line.quantity_received = quantity
        if line.discrepancy:
            discrepancies.append({"sku": line.variant.sku, "shipped": line.quantity_shipped, "received": quantity})
        if quantity:
            movements.append(
                post_movement(
                    levels[(line.variant_id, transfer.to_location_id)],
                    kind=Kind.TRANSFER_IN,
                    quantity=quantity,
                    actor=actor,
                    reference=transfer.reference,
                    note=say("inventory.transfer_from", location=transfer.from_location.code),
                    now=now,
                )
            )
    save_levels_and_movements(list(levels.values()), movements, ["on_hand"])
    announce_back_in_stock(before, list(levels.values()))
    TransferLine.objects.bulk_update(lines, ["quantity_received"])
    transfer.status, transfer.received_at, transfer.received_by = Transfer.Status.RECEIVED, now, actor
    transfer.save(update_fields=["status", "received_at", "received_by"])
    record_audit_event(
        actor=actor,
        action="transfer.received_with_discrepancy" if discrepancies else "transfer.received",
        obj=transfer,
        store=transfer.to_location,
        details={"discrepancies": discrepancies},
    )
    return transfer


@transaction.atomic
def cancel_transfer(*, transfer: "Transfer | int", actor: User | None = None) -> Transfer:
    """Only a transfer not yet shipped can be cancelled."""
    transfer = _lock_transfer(transfer, expected=Transfer.Status.REQUESTED)
    transfer.status = Transfer.Status.CANCELLED
    transfer.save(update_fields=["status"])
    record_audit_event(actor=actor, action="transfer.cancelled", obj=transfer, store=transfer.from_location)
    return transfer


def lock_open_count(count: "StockCount | int") -> StockCount:
    """Lock an open count (its row, then the caller locks levels in pk order); else `count_closed`."""
    pk = count.pk if isinstance(count, StockCount) else count
    locked = StockCount.objects.select_for_update(of=("self",)).select_related("location__market").filter(pk=pk).first()
    if locked is None:
        raise InventoryError(_("There is no stock count %(pk)s.") % {"pk": pk}, code=InventoryCode.COUNT_CLOSED)
    if locked.status != StockCount.Status.OPEN:
        raise InventoryError(
            _("Count #%(pk)s is %(value)s: it takes no more changes.")
            % {"pk": pk, "value": locked.get_status_display().lower()},
            code=InventoryCode.COUNT_CLOSED,
        )
    return locked


@transaction.atomic
def start_stock_count(*, location: "Store | str", actor: User | None = None, note: str = "") -> StockCount:
    count = StockCount(location=resolve_location(location), started_by=actor, started_at=timezone.now(), note=note)
    count.full_clean()
    count.save()
    return count


MAX_COUNTED = 1_000_000  # units of one SKU on one count sheet: more is a typo (and past it, an int overflow)


def _check_counted(quantity: int) -> None:
    if quantity > MAX_COUNTED:
        raise InventoryError(
            _("A counted quantity is at most %(max_counted)s; check the figure typed.")
            % {"max_counted": format(MAX_COUNTED, ",")},
            code=InventoryCode.INVALID_QUANTITY,
            fields={"quantity": [_("At most %(max_counted)s.") % {"max_counted": format(MAX_COUNTED, ",")}]},
        )


@transaction.atomic
def add_count_scan(
    *, count: "StockCount | int", code: str, quantity: int = 1, actor: User | None = None
) -> StockCountLine:
    """One scan (SKU or barcode) adds `quantity` (default one unit) to that SKU's counted figure."""
    count = lock_open_count(count)
    check_quantity(quantity)
    variant = resolve_variant(code)
    line, _ = StockCountLine.objects.get_or_create(count=count, variant=variant)
    _check_counted(line.counted_quantity + quantity)
    line.counted_quantity += quantity
    line.save(update_fields=["counted_quantity"])
    line.variant = variant
    return line


@transaction.atomic
def set_count_quantity(*, count: "StockCount | int", variant: "Variant | str", quantity: int) -> StockCountLine:
    """Type the counted figure of a SKU (0 is a valid count: the shelf is empty)."""
    count = lock_open_count(count)
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
        raise InventoryError(_("A counted quantity is a whole number, 0 or more."), code=InventoryCode.INVALID_QUANTITY)
    _check_counted(quantity)
    variant = resolve_variant(variant)
    line, _created = StockCountLine.objects.update_or_create(
        count=count, variant=variant, defaults={"counted_quantity": quantity}
    )
    return line


def book_count_differences(
    count: StockCount, lines: list[tuple[int, int, int]], levels: dict, *, actor: User | None, now
) -> list[StockMovement]:
    """Book each line's difference, (variant id, counted, expected), as a `count` movement on the
    locked levels of the count's location, and stamp their last_counted_at.

    A count approved later may find units sold since: it takes no more than is on hand (the ledger
    stays >= 0). Shared by the unreviewed posting here and the reviewed one (inventory.counts).
    """
    before = {key: level.available for key, level in levels.items()}
    movements = []
    for variant_id, counted, expected in lines:
        level = levels[(variant_id, count.location_id)]
        quantity = max(counted - expected, -level.on_hand)
        if quantity:
            movements.append(
                post_movement(
                    level,
                    kind=Kind.COUNT,
                    quantity=quantity,
                    actor=actor,
                    reference=f"count:{count.pk}",
                    note=say("inventory.counted", counted=counted, expected=expected),
                    now=now,
                )
            )
        level.last_counted_at = now
    save_levels_and_movements(list(levels.values()), movements, ["on_hand", "last_counted_at"])
    announce_back_in_stock(before, list(levels.values()))
    return movements


@transaction.atomic
def post_stock_count(*, count: "StockCount | int", actor: User | None = None) -> list[StockMovement]:
    """Post the difference between counted and on hand as `count` movements; stamp last_counted_at.

    Expected figures are read under the level locks at posting time, so a sale during the count
    is part of what the count corrects (a blind count).
    """
    count = lock_open_count(count)
    lines = list(count.lines.order_by("pk"))
    if not lines:
        raise InventoryError(_("Scan or type at least one SKU before posting."), code=InventoryCode.INVALID_QUANTITY)
    now = timezone.now()
    levels = lock_levels(((line.variant_id, count.location_id) for line in lines), create=True)
    for line in lines:
        line.expected_quantity = levels[(line.variant_id, count.location_id)].on_hand
    differences = [(line.variant_id, line.counted_quantity, line.expected_quantity) for line in lines]
    movements = book_count_differences(count, differences, levels, actor=actor, now=now)
    StockCountLine.objects.bulk_update(lines, ["expected_quantity"])
    count.status, count.posted_at, count.posted_by = StockCount.Status.POSTED, now, actor
    count.save(update_fields=["status", "posted_at", "posted_by"])
    record_audit_event(
        actor=actor,
        action="stock.counted",
        obj=count,
        store=count.location,
        details={"lines": len(lines), "corrections": len(movements), "net": sum(m.quantity for m in movements)},
    )
    return movements


@transaction.atomic
def cancel_stock_count(*, count: "StockCount | int", actor: User | None = None) -> StockCount:
    count = lock_open_count(count)
    count.status = StockCount.Status.CANCELLED
    count.save(update_fields=["status"])
    return count


@transaction.atomic
def count_stock(
    *, location: "Store | str", counts: Mapping[str, int], actor: User | None = None, note: str = ""
) -> StockCount:
    """Count one SKU or several in one go ({sku or barcode: counted}) and post it."""
    if not counts:
        raise InventoryError(_("Give at least one counted SKU."), code=InventoryCode.INVALID_QUANTITY)
    count = start_stock_count(location=location, actor=actor, note=note)
    for code, quantity in counts.items():
        set_count_quantity(count=count, variant=code, quantity=quantity)
    post_stock_count(count=count, actor=actor)
    count.refresh_from_db()
    return count
