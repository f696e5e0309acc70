"""Primitives every stock write shares: resolving input, locking levels, posting movements.

Lock order, everywhere: Reservation rows first, then StockLevel rows, each set in primary-key
order (`select_for_update(of=("self",)).order_by("pk")`), so concurrent requests never deadlock.
Only inventory's services call these, always inside `transaction.atomic`.
"""

from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.errors import InventoryCode, InventoryError
from inventory.events import record_stock_changed
from inventory.models import Reservation, StockLevel, StockMovement, Variant
from inventory.signals import stock_back_in_stock
from retail.domain.codes import TypedCode, read_code
from retail.messages import Message, text_and_message
from retail.models import Store, User

Kind = StockMovement.Kind
Line = tuple["str | Variant", int]
RESTOCKING_KINDS = (Kind.RECEIPT, Kind.RETURN_RESTOCK, Kind.TRANSFER_IN, Kind.ADJUSTMENT, Kind.COUNT)


def resolve_location(location: "Store | str | int") -> Store:
    """A Store instance, code or id -> an active Store, else `unknown_location`."""
    if isinstance(location, Store):
        if not location.is_active:
            raise InventoryError(
                _("%(code)s is closed.") % {"code": location.code}, code=InventoryCode.UNKNOWN_LOCATION
            )
        return location
    lookup = {"pk": location} if isinstance(location, int) else {"code": str(location).strip()}
    store = Store.objects.active().filter(**lookup).first()
    if store is None:
        raise InventoryError(
            _("There is no open location %(location)s.") % {"location": repr(location)},
            code=InventoryCode.UNKNOWN_LOCATION,
            fields={"location": [_("Unknown.")]},
        )
    return store


def check_quantity(quantity, *, label: str = "quantity", allow_negative: bool = False) -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise InventoryError(
            _("%(label)s must be a whole number.") % {"label": label},
            code=InventoryCode.INVALID_QUANTITY,
            fields={label: [_("Not int.")]},
        )
    if quantity == 0 or (quantity < 0 and not allow_negative):
        raise InventoryError(
            _("%(label)s must be %(value)s, not %(quantity)s.")
            % {"label": label, "value": "non-zero" if allow_negative else "at least 1", "quantity": quantity},
            code=InventoryCode.INVALID_QUANTITY,
            fields={label: [_("Out of range.")]},
        )
    return quantity


def sum_lines(lines: Iterable[Line]) -> tuple[dict[str, int], dict[str, Variant]]:
    """[(sku or Variant, qty), ...] -> ({sku: total qty}, {sku: Variant given}); no query.

    The same SKU on several lines is summed; raises `invalid_quantity` (zero, negative, not an int).
    """
    lines = list(lines)
    if not lines:
        raise InventoryError(
            _("Give at least one line."), code=InventoryCode.INVALID_QUANTITY, fields={"lines": [_("Empty.")]}
        )
    totals: dict[str, int] = {}
    given: dict[str, Variant] = {}
    for index, line in enumerate(lines):
        try:
            item, quantity = line
        except (TypeError, ValueError):
            raise InventoryError(
                _("Line %(value)s is not (sku, quantity).") % {"value": index + 1}, code=InventoryCode.INVALID_QUANTITY
            ) from None
        check_quantity(quantity, label=f"lines.{index}.quantity")
        if isinstance(item, Variant):
            given[item.sku] = item
            sku = item.sku
        else:
            sku = str(item).strip()
        totals[sku] = totals.get(sku, 0) + quantity
    return totals, given


def complete_variants(totals: dict[str, int], given: dict[str, Variant], *, require_active: bool) -> dict[Variant, int]:
    """Look up the SKUs not given as Variants (one query, none when all are known); raises
    `unknown_sku` naming every unknown SKU and, with `require_active`, `inactive_sku`."""
    missing = [sku for sku in totals if sku not in given]
    if missing:
        given.update({v.sku: v for v in Variant.objects.filter(sku__in=missing)})
    unknown = sorted(sku for sku in totals if sku not in given)
    if unknown:
        raise InventoryError(
            _("Unknown SKU: %(value)s.") % {"value": ", ".join(unknown)},
            code=InventoryCode.UNKNOWN_SKU,
            fields={"sku": unknown},
            extra={"skus": unknown},
        )
    if require_active:
        inactive = sorted(sku for sku in totals if not given[sku].is_active)
        if inactive:
            raise InventoryError(
                _("No longer sold: %(value)s.") % {"value": ", ".join(inactive)},
                code=InventoryCode.INACTIVE_SKU,
                extra={"skus": inactive},
            )
    return {given[sku]: quantity for sku, quantity in totals.items()}


def resolve_lines(lines: Iterable[Line], *, require_active: bool = False) -> dict[Variant, int]:
    """[(sku or Variant, qty), ...] -> {Variant: total qty}; the same SKU on several lines is summed.

    Raises `invalid_quantity` (zero, negative, not an int) or `unknown_sku` naming every unknown SKU.
    """
    totals, given = sum_lines(lines)
    return complete_variants(totals, given, require_active=require_active)


def _code_condition(codes: Iterable[TypedCode]) -> Q:
    """SKUs in any case (the catalog's UPPER(sku) index) or barcodes, of what was typed or scanned."""
    skus = sorted({code.sku for code in codes if code.sku})
    barcodes = sorted({code.barcode for code in codes if code.barcode})
    condition = Q(sku_upper__in=skus) if skus else Q(pk__in=[])
    return condition | Q(barcode__in=barcodes) if barcodes else condition


def variants_for_codes(texts: Iterable[str]) -> dict[str, Variant]:
    """{text as given: Variant} for SKUs typed in any case and scanned barcodes (read through
    retail.domain.codes); texts that are no catalog SKU or barcode are left out. One query."""
    codes = {text: read_code(text) for text in texts if str(text or "").strip()}
    if not codes:
        return {}
    found = list(
        Variant.objects.annotate(sku_upper=Upper("sku"))
        .filter(_code_condition(codes.values()))
        .select_related("product")
    )
    by_sku = {v.sku.upper(): v for v in found}
    by_barcode = {v.barcode: v for v in found if v.barcode}
    out = {}
    for text, code in codes.items():
        variant = by_barcode.get(code.barcode) if code.barcode else None
        variant = variant or by_sku.get(code.sku)
        if variant is not None:
            out[text] = variant
    return out


def resolve_variant(item: "str | Variant") -> Variant:
    """A Variant by instance, SKU (any case) or barcode: what an associate types or a scanner sends."""
    if isinstance(item, Variant):
        return item
    code = read_code(item)
    variant = variants_for_codes([code.text]).get(code.text)
    if variant is None:
        raise InventoryError(
            _("No SKU or barcode %(text)s: check the label, or type the SKU.") % {"text": repr(code.text)},
            code=InventoryCode.UNKNOWN_SKU,
            fields={"sku": [code.text]},
        )
    return variant


def lock_levels(pairs: Iterable[tuple[int, int]], *, create: bool = False) -> dict[tuple[int, int], StockLevel]:
    """Lock the StockLevel rows of (variant_id, location_id) pairs in primary-key order.

    Must be called inside a transaction. With `create`, missing rows are inserted first (a
    concurrent insert of the same row is ignored) and then locked like the others.
    """
    pairs = set(pairs)
    if not pairs:
        return {}
    by_location: dict[int, list[int]] = {}
    for variant_id, location_id in pairs:
        by_location.setdefault(location_id, []).append(variant_id)
    # one IN list per location, not one OR branch per pair: a delivery of 250 SKUs builds one lookup
    condition = Q()
    for location_id, variant_ids in by_location.items():
        condition |= Q(location_id=location_id, variant_id__in=sorted(variant_ids))

    def lock():
        rows = StockLevel.objects.select_for_update(of=("self",)).filter(condition).order_by("pk")
        return {(row.variant_id, row.location_id): row for row in rows}

    levels = lock()
    if create and len(levels) < len(pairs):
        StockLevel.objects.bulk_create(
            [StockLevel(variant_id=v, location_id=loc) for v, loc in pairs - levels.keys()], ignore_conflicts=True
        )
        levels = lock()
    return levels


def lock_levels_by_sku(location_id: int, skus: Iterable[str]) -> dict[str, StockLevel]:
    """Lock a location's levels of these SKUs in primary-key order, their variants joined: the
    reservation hot path finds variants and takes its locks in one round trip."""
    rows = (
        StockLevel.objects.select_for_update(of=("self",))
        .select_related("variant")
        .filter(location_id=location_id, variant__sku__in=list(skus))
        .order_by("pk")
    )
    return {row.variant.sku: row for row in rows}


# Table names as in inventory.models (Reservation, StockLevel); parameters only, no string building.
BOOK_RESERVATIONS_SQL = """
    WITH shifted AS (
        UPDATE inventory_stocklevel AS level SET reserved = level.reserved + d.quantity
        FROM unnest(%s::bigint[], %s::integer[]) AS d(id, quantity) WHERE level.id = d.id
    )
    INSERT INTO inventory_reservation (variant_id, location_id, quantity, reference, status, expires_at, created_at)
    SELECT variant_id, location_id, quantity, reference, status, expires_at, created_at
      FROM unnest(%s::bigint[], %s::bigint[], %s::integer[], %s::varchar[], %s::varchar[],
                  %s::timestamptz[], %s::timestamptz[])
           WITH ORDINALITY AS r(variant_id, location_id, quantity, reference, status, expires_at, created_at, n)
     ORDER BY n
    RETURNING id
"""


def book_reservations(reservations: list[Reservation], levels: dict[int, StockLevel]) -> list[Reservation]:
    """Insert new reservations and add their units to their levels' `reserved`, in one statement.

    `levels` ({variant_id: level}) must be locked by the caller, which has checked that the units
    are available; the database CHECKs still hold. The instances get their ids, as bulk_create's do."""
    shifts: dict[int, int] = {}
    for r in reservations:
        level = levels[r.variant_id]
        shifts[level.pk] = shifts.get(level.pk, 0) + r.quantity
        level.reserved += r.quantity
        level.recompute_available()
    columns = ("variant_id", "location_id", "quantity", "reference", "status", "expires_at", "created_at")
    params = [list(shifts), list(shifts.values())] + [[getattr(r, c) for r in reservations] for c in columns]
    with connection.cursor() as cursor:
        cursor.execute(BOOK_RESERVATIONS_SQL, params)
        ids = [row[0] for row in cursor.fetchall()]
    for reservation, pk in zip(reservations, ids, strict=True):
        reservation.pk = pk
        reservation._state.adding, reservation._state.db = False, connection.alias
    record_stock_changed((r.variant_id, r.location_id) for r in reservations)
    return reservations


GIVE_BACK_RESERVED_SQL = """
    WITH closed AS (
        UPDATE inventory_reservation SET status = %s, closed_at = %s WHERE id = ANY(%s::bigint[])
    ),
    freed AS (SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::integer[]) AS f(variant_id, location_id, quantity)),
    locked AS MATERIALIZED (
        SELECT level.id, freed.quantity
        FROM inventory_stocklevel AS level
        JOIN freed ON level.variant_id = freed.variant_id AND level.location_id = freed.location_id
        ORDER BY level.id
        FOR UPDATE OF level
    )
    UPDATE inventory_stocklevel AS level SET reserved = level.reserved - locked.quantity
    FROM locked WHERE level.id = locked.id
"""


def give_back_reserved(reservations: list, *, status: str, now) -> None:
    """Close locked reservations and take their units off their levels' `reserved`, in one statement.

    The reservations must already be locked by the caller (they are, first, by the lock order). The
    levels' rows are locked inside the statement in primary-key order (a materialized
    `ORDER BY id FOR UPDATE`), then shifted by a relative `reserved - freed`: no rows read back into
    Python, one round trip instead of lock + two updates. Raises if a level row is missing.
    """
    if not reservations:
        return
    freed: dict[tuple[int, int], int] = {}
    for r in reservations:
        freed[(r.variant_id, r.location_id)] = freed.get((r.variant_id, r.location_id), 0) + r.quantity
    (variant_ids, location_ids), quantities = zip(*freed, strict=True), list(freed.values())
    params = [status, now, [r.pk for r in reservations], list(variant_ids), list(location_ids), quantities]
    with connection.cursor() as cursor:
        cursor.execute(GIVE_BACK_RESERVED_SQL, params)
        updated = cursor.rowcount
    if updated != len(freed):
        raise InventoryError(_("A reservation's stock level is missing."), code=InventoryCode.UNKNOWN_RESERVATION)
    record_stock_changed(freed)
    for r in reservations:
        r.status, r.closed_at = status, now


def post_movement(
    level: StockLevel, *, kind: str, quantity: int, actor: User | None, reference: str, note: "str | Message", now
) -> StockMovement:
    """Change a locked level's on_hand by `quantity` and build its ledger row (saved by the caller)."""
    if level.on_hand + quantity < 0:
        raise InventoryError(
            _("Only %(on_hand)s on hand; cannot take %(value)s.") % {"on_hand": level.on_hand, "value": -quantity},
            code=InventoryCode.INSUFFICIENT_STOCK,
            extra={"on_hand": level.on_hand},
        )
    level.on_hand += quantity
    note, message = text_and_message(note, 200)
    return StockMovement(
        variant_id=level.variant_id,
        location_id=level.location_id,
        kind=kind,
        quantity=quantity,
        balance_after=level.on_hand,
        actor=actor if isinstance(actor, User) else None,
        reference=reference[:80],
        note=note,
        message=message,
        created_at=now,
    )


def save_levels_and_movements(
    levels: list[StockLevel], movements: list[StockMovement], fields: list[str]
) -> list[StockMovement]:
    if levels:
        StockLevel.objects.bulk_update(levels, fields)
        for level in levels:
            level.recompute_available()
        record_stock_changed((level.variant_id, level.location_id) for level in levels)
    return StockMovement.objects.bulk_create(movements) if movements else []


def announce_back_in_stock(before: dict[tuple[int, int], int], levels: Iterable[StockLevel]) -> None:
    """After commit, tell listeners (clienteling) which variants went from 0 to sellable at a location.

    Re-checked after the commit: a return restocked and written off as damaged in the same
    transaction is not "back in stock".
    """
    candidates = [
        (lv.variant_id, lv.location_id)
        for lv in levels
        if before.get((lv.variant_id, lv.location_id), 0) == 0 and lv.available > 0
    ]
    if candidates:
        transaction.on_commit(lambda: _send_back_in_stock(candidates))


def _send_back_in_stock(candidates: list[tuple[int, int]]) -> None:
    condition = Q()
    for variant_id, location_id in candidates:
        condition |= Q(variant_id=variant_id, location_id=location_id)
    still = list(StockLevel.objects.filter(condition, available__gt=0).values_list("variant_id", "location_id"))
    if still:
        stock_back_in_stock.send(sender=StockLevel, pairs=sorted(still))


def apply_deltas(
    *,
    location: Store,
    deltas: dict[Variant, int],
    kind: str,
    actor: User | None,
    reference: str,
    note: "str | Message" = "",
) -> list[StockMovement]:
    now = timezone.now()
    levels = lock_levels(((v.pk, location.pk) for v in deltas), create=True)
    before = {key: level.available for key, level in levels.items()}
    movements = []
    for variant, quantity in sorted(deltas.items(), key=lambda item: item[0].pk):
        movements.append(
            post_movement(
                levels[(variant.pk, location.pk)],
                kind=kind,
                quantity=quantity,
                actor=actor,
                reference=reference,
                note=note,
                now=now,
            )
        )
    saved = save_levels_and_movements(list(levels.values()), movements, ["on_hand"])
    if kind in RESTOCKING_KINDS:
        announce_back_in_stock(before, list(levels.values()))
    return saved
