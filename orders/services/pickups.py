r"""The pick-up state machine, one service per transition.

    placed -> picking -> ready -> collected
                     \-> expired (hold window over; reminder before)   any open -> cancelled
    ship: placed -> picking -> shipped

Lock order everywhere: the Order row, then its Fulfillment rows, then Payments, then (inside
inventory) Reservations and StockLevels, each in primary-key order, so transitions never deadlock.
Every transition writes a StatusChange, an AuditEvent and a timeline entry; illegal ones raise
OrderError("illegal_transition") naming the current state.
"""

import hmac
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Interaction
from inventory.errors import InventoryCode, InventoryError
from inventory.models import Reservation
from inventory.selectors import route_lines
from inventory.services import consume_reservations, reserve_stock
from orders.counter import record_wrong_code, typed_codes_blocked
from orders.errors import OrderCode, OrderError
from orders.events import record_order_event
from orders.models import Carrier, Fulfillment, Order, OrderLine
from orders.numbers import QR_PREFIX
from orders.services._common import actor_or_none, audit, notify, record_status, timeline
from orders.services._transitions import (
    K,
    S,
    assign_pickup_code,
    close_order_if_done,
    hold_ends,
    lock_fulfillment,
    move,
    release,
    require_paid,
    require_state,
    require_store,
    reversal_lines,
)
from retail.domain.channel import Channel
from retail.domain.codes import read_code
from retail.domain.money import Money, format_money, unit_share
from retail.domain.tax import LineTax, reverse_units
from retail.errors import RetailCode
from retail.messages import say
from retail.models import Store, User


@transaction.atomic
def start_picking(*, fulfillment: Fulfillment, actor: User, store: Store | None = None) -> Fulfillment:
    fulfillment = lock_fulfillment(fulfillment)
    require_store(fulfillment, store)
    require_state(fulfillment, "picked", (S.PLACED,))
    fulfillment.picked_by, fulfillment.picking_started_at = actor, timezone.now()
    move(fulfillment, S.PICKING, actor=actor, fields=("picked_by", "picking_started_at"))
    audit(action="pickup.picking_started", order=fulfillment.order, actor=actor, store=fulfillment.location)
    timeline(
        order=fulfillment.order,
        kind=Interaction.Kind.NOTE,
        key=f"{fulfillment.pk}:picking",
        actor=actor,
        store=fulfillment.location,
        message=say("orders.picking", order=fulfillment.order.number, store=fulfillment.location.name),
        channel=Channel.STORE,
    )
    return fulfillment


@transaction.atomic
def scan_pick(*, fulfillment: Fulfillment, code: str, actor: User, store: Store | None = None) -> OrderLine:
    """One scanned unit (SKU or barcode) confirms one unit of the pick list; a wrong item is refused.

    Scanning an order still to pick starts picking.
    """
    fulfillment = lock_fulfillment(fulfillment)
    require_store(fulfillment, store)
    require_state(fulfillment, "picked", (S.PLACED, S.PICKING))
    scanned = read_code(code)
    if not scanned:
        raise OrderError(
            _("Scan or type the item's barcode or SKU."), code=OrderCode.WRONG_ITEM, fields={"code": [_("Required.")]}
        )
    lines = list(fulfillment.lines.select_for_update().select_related("variant").order_by("line_number"))
    matching = [
        line
        for line in lines
        if line.sku.upper() == scanned.sku or (scanned.barcode and line.variant.barcode == scanned.barcode)
    ]
    if not matching:
        raise OrderError(
            _("%(text)s is not on this order. Put it back and scan the item on the pick list.")
            % {"text": scanned.text},
            code=OrderCode.WRONG_ITEM,
        )
    line = next((m for m in matching if m.to_pick > 0), None)
    if line is None:
        raise OrderError(
            _("Every unit of %(sku)s is already picked.") % {"sku": matching[0].sku}, code=OrderCode.OVER_PICKED
        )
    if fulfillment.status == S.PLACED:
        fulfillment.picked_by, fulfillment.picking_started_at = actor, timezone.now()
        move(
            fulfillment,
            S.PICKING,
            actor=actor,
            note="started by the first scan",
            fields=("picked_by", "picking_started_at"),
        )
        timeline(
            order=fulfillment.order,
            kind=Interaction.Kind.NOTE,
            key=f"{fulfillment.pk}:picking",
            actor=actor,
            store=fulfillment.location,
            message=say("orders.picking", order=fulfillment.order.number, store=fulfillment.location.name),
            channel=Channel.STORE,
        )
    line.picked_quantity += 1
    line.save(update_fields=["picked_quantity"])
    return line


@transaction.atomic
def short_pick(
    *,
    line: OrderLine,
    missing: int,
    resolution: str,
    actor: User,
    store: Store | None = None,
    to_location: Store | None = None,
) -> OrderLine:
    """Units that cannot be found: cancel them (the shopper is not charged for them and is told),
    or re-route them to another store that has them (`to_location`, else the nearest that can)."""
    fulfillment = lock_fulfillment(line.fulfillment_id)
    require_store(fulfillment, store)
    require_state(fulfillment, "changed", (S.PLACED, S.PICKING))
    line = OrderLine.objects.select_for_update().get(pk=line.pk, fulfillment=fulfillment)
    if isinstance(missing, bool) or not isinstance(missing, int) or not 1 <= missing <= line.to_pick:
        raise OrderError(
            _("Between 1 and %(to_pick)s unit(s) of %(sku)s are still to pick.")
            % {"to_pick": line.to_pick, "sku": line.sku},
            code=InventoryCode.INVALID_QUANTITY,
            fields={"missing": [_("1..%(to_pick)s") % {"to_pick": line.to_pick}]},
        )
    order = fulfillment.order
    if resolution == "cancel":
        start = line.quantity - line.cancelled_quantity - missing
        amount = unit_share(line.total, line.quantity, start, missing)
        line.cancelled_quantity += missing
        line.save(update_fields=["cancelled_quantity"])
        note = f"{missing} x {line.sku} not found: cancelled, {format_money(amount, order.currency)} not charged"
        audit(
            action="pickup.short_pick_cancelled",
            order=order,
            actor=actor,
            store=fulfillment.location,
            details={"sku": line.sku, "units": missing, "amount": str(amount)},
        )
        timeline(
            order=order,
            kind=Interaction.Kind.RETURN,
            key=f"short:{line.pk}:{line.cancelled_quantity}",
            actor=actor,
            store=fulfillment.location,
            message=say("orders.short_cancelled", order=order.number, units=missing, product=line.name),
            data={"reason": "short_pick", "lines": reversal_lines([(line, missing, amount)])},
        )
    elif resolution == "reroute":
        line = _reroute(fulfillment=fulfillment, line=line, missing=missing, actor=actor, to_location=to_location)
        note = f"{missing} x {line.sku} re-routed"
    else:
        raise OrderError(
            _("Resolve a short pick by cancel or reroute."),
            code=OrderCode.INVALID_RESOLUTION,
            fields={"resolution": [_("cancel|reroute")]},
        )
    record_status(
        order=order,
        fulfillment=fulfillment,
        from_status=fulfillment.status,
        to_status=fulfillment.status,
        actor=actor,
        note=note,
    )
    if all(li.open_quantity == 0 for li in fulfillment.lines.all()):
        # Nothing left to pick here: every unit was cancelled, or moved to another store's pick-up.
        release(fulfillment, actor)
        move(fulfillment, S.CANCELLED, actor=actor, note="nothing left to pick")
        close_order_if_done(order, actor=actor)
        if order.status == Order.Status.CANCELLED:  # not when the order goes on at another store
            notify(order=order, kind="cancelled", fulfillment=fulfillment)
    return line


def _tax_of_units(line: OrderLine, *, currency: str, start: int, count: int) -> Decimal | None:
    """The tax within units start+1 .. start+count of the line (retail.domain.tax.reverse_units, as returns
    split it); None when the line recorded none."""
    if line.tax_amount is None:
        return None
    taxed = LineTax(net=Money(line.net, currency), tax=Money(line.tax_amount, currency),
                    gross=Money(line.total, currency), rate=line.tax_rate)  # fmt: skip
    return reverse_units(taxed, quantity=line.quantity, start=start, count=count).tax.amount


def _reroute(*, fulfillment: Fulfillment, line: OrderLine, missing: int, actor, to_location: Store | None) -> OrderLine:

    if to_location is None:
        plan = route_lines([(line.variant, missing)], pickup_store=fulfillment.location, alternatives=1)
        if not plan.alternatives:
            raise OrderError(
                _("No other store has %(missing)s x %(sku)s; cancel the units instead.")
                % {"missing": missing, "sku": line.sku},
                code=OrderCode.NO_ROUTE,
            )
        to_location = plan.alternatives[0].location
    if to_location.pk == fulfillment.location_id:
        raise OrderError(_("Re-route to another store."), code=OrderCode.NO_ROUTE)
    order = fulfillment.order
    target = Fulfillment.objects.create(
        order=order,
        kind=fulfillment.kind,
        location=to_location,
        status=S.PLACED,
        proxy_name=fulfillment.proxy_name,
        shipping_address=fulfillment.shipping_address,
        created_at=timezone.now(),
    )
    target.reservation_reference = f"order:{order.number}:r{target.pk}"
    target.save(update_fields=["reservation_reference"])
    try:
        reserve_stock(
            lines=[(line.variant, missing)],
            location=to_location,
            reference=target.reservation_reference,
            ttl=timedelta(days=to_location.pickup_hold_days + 14),
            actor=actor_or_none(actor),
        )
    except InventoryError as exc:
        raise OrderError(
            _("%(name)s: %(message)s") % {"name": to_location.name, "message": exc.message},
            code=exc.code,
            extra=exc.extra,
        ) from None
    if missing == line.quantity:
        # None of the line was picked or cancelled here: the line itself moves (it cannot keep 0 units).
        line.fulfillment = target
        line.save(update_fields=["fulfillment"])
        moved = line
    else:
        # The moved units take their paid share with them; the order's totals do not change.
        start = line.quantity - line.cancelled_quantity - missing
        moved_total = unit_share(line.total, line.quantity, start, missing)
        moved_discount = unit_share(line.discount, line.quantity, start, missing)
        moved_tax = _tax_of_units(line, currency=order.currency, start=start, count=missing)
        line.quantity -= missing
        line.total -= moved_total
        line.discount -= moved_discount
        if moved_tax is not None:  # the line's net and tax split with its units (net + tax = total, both sides)
            line.tax_amount -= moved_tax
            line.net -= moved_total - moved_tax
        line.save(update_fields=["quantity", "total", "discount", "net", "tax_amount"])
        last = order.lines.order_by("-line_number").values_list("line_number", flat=True).first()
        moved = OrderLine.objects.create(
            order=order,
            fulfillment=target,
            line_number=last + 1,
            variant=line.variant,
            sku=line.sku,
            name=line.name,
            size=line.size,
            colour=line.colour,
            category=line.category,
            quantity=missing,
            unit_price=line.unit_price,
            discount=moved_discount,
            total=moved_total,
            net=moved_total - moved_tax if moved_tax is not None else None,
            tax_rate=line.tax_rate if moved_tax is not None else None,
            tax_amount=moved_tax,
        )
    record_status(
        order=order,
        fulfillment=target,
        to_status=S.PLACED,
        actor=actor,
        note=f"re-routed from {fulfillment.location.code}",
    )
    audit(
        action="pickup.short_pick_rerouted",
        order=order,
        actor=actor,
        store=fulfillment.location,
        details={"sku": line.sku, "units": missing, "to": to_location.code},
    )
    timeline(
        order=order,
        kind=Interaction.Kind.NOTE,
        key=f"reroute:{moved.pk}",
        actor=actor,
        store=fulfillment.location,
        message=say(
            "orders.short_rerouted", order=order.number, units=missing, product=line.name, store=to_location.name
        ),
        channel=Channel.STORE,
    )
    return line


@transaction.atomic
def mark_ready(*, fulfillment: Fulfillment, actor: User, store: Store | None = None) -> Fulfillment:
    """Every unit picked: start the hold window and send the shopper the code and QR."""
    fulfillment = lock_fulfillment(fulfillment)
    require_store(fulfillment, store)
    require_state(fulfillment, "marked ready", (S.PICKING,), kinds=Fulfillment.COLLECT_KINDS)
    lines = list(fulfillment.lines.all())
    left = [f"{line.sku} ({line.to_pick})" for line in lines if line.to_pick > 0]
    if left:
        raise OrderError(
            _("Still to pick: %(value)s. Scan them or record a short pick.") % {"value": ", ".join(left)},
            code=OrderCode.NOT_FULLY_PICKED,
        )
    now = timezone.now()
    fulfillment.ready_at = now
    fulfillment.hold_until = hold_ends(fulfillment.location, now)
    move(fulfillment, S.READY, actor=actor, fields=("ready_at", "hold_until"))
    assign_pickup_code(fulfillment)
    order = fulfillment.order
    audit(
        action="pickup.ready",
        order=order,
        actor=actor,
        store=fulfillment.location,
        details={"hold_until": fulfillment.hold_until.isoformat()},
    )
    record_order_event("pickup.ready", order, fulfillment=fulfillment, hold_until=fulfillment.hold_until.isoformat())
    timeline(
        order=order,
        kind=Interaction.Kind.MESSAGE_SENT,
        key=f"{fulfillment.pk}:ready",
        actor=actor,
        store=fulfillment.location,
        message=say("orders.ready", order=order.number, store=fulfillment.location.name),
    )
    notify(order=order, kind="ready", fulfillment=fulfillment)
    return fulfillment


@transaction.atomic
def record_arrival(*, fulfillment: Fulfillment, note: str = "") -> Fulfillment:
    """Curbside: the shopper says "I'm here" (with car or bay); the store's queue shows it."""
    fulfillment = lock_fulfillment(fulfillment)
    require_state(fulfillment, "announced", (S.PLACED, S.PICKING, S.READY), kinds=(K.CURBSIDE,))
    if fulfillment.arrived_at is None:
        fulfillment.arrived_at = timezone.now()
    fulfillment.arrival_note = (note or "").strip()[:200]
    fulfillment.save(update_fields=["arrived_at", "arrival_note"])
    order = fulfillment.order
    record_status(
        order=order,
        fulfillment=fulfillment,
        from_status=fulfillment.status,
        to_status=fulfillment.status,
        note=f"shopper arrived{': ' + fulfillment.arrival_note if fulfillment.arrival_note else ''}",
    )
    audit(
        action="pickup.customer_arrived",
        order=order,
        store=fulfillment.location,
        details={"note": fulfillment.arrival_note},
    )
    timeline(
        order=order,
        kind=Interaction.Kind.STORE_VISIT,
        key=f"{fulfillment.pk}:arrived",
        store=fulfillment.location,
        message=say("orders.arrived_curbside", order=order.number),
        channel=Channel.STORE,
    )
    return fulfillment


def _name_key(name: str) -> str:
    return " ".join((name or "").lower().split())


THE_SHOPPER = "the shopper"
TOO_MANY_CODES = (
    "Too many wrong pick-up codes. Scan the shopper's QR code, or search by order number and check a photo ID."
)


def collector(*, fulfillment: Fulfillment, verification: str, name: str) -> tuple[str, bool]:
    """Who may collect, as (the name recorded, is the named proxy); OrderError otherwise. No database.

    The pick-up code or QR proves the shopper: no name is asked (`name` "" or the shopper's), and a
    shopper who gave no name collects with it. A name is asked only for the proxy the shopper named.
    By order number, the associate checks a photo ID: its name must be the shopper's or the proxy's;
    when the order names nobody, the name on the ID is recorded (the audit keeps it).
    """
    given = " ".join((name or "").split())
    shopper = fulfillment.order.shopper_name
    proxy = fulfillment.proxy_name
    if proxy and given and _name_key(given) == _name_key(proxy):
        return proxy, True
    if not given or (shopper and _name_key(given) == _name_key(shopper)):
        if verification == Fulfillment.Verification.ORDER_AND_ID and not shopper:
            raise OrderError(
                _("Type the name on the photo ID: this order names nobody to check it against."),
                code=OrderCode.VERIFICATION_FAILED,
                fields={"collected_by_name": [_("The name on the photo ID.")]},
            )
        return shopper or THE_SHOPPER, False
    if verification == Fulfillment.Verification.ORDER_AND_ID and not shopper:
        return given, False
    expected = " or ".join(n for n in (shopper or "the shopper (with their code)", proxy) if n)
    raise OrderError(
        _("Only the shopper or the person they named may collect this order."),
        code=OrderCode.VERIFICATION_FAILED,
        fields={"collected_by_name": [_("Expected %(expected)s.") % {"expected": expected}]},
    )


def _proof_matches(fulfillment: Fulfillment, verification: str, proof: str) -> bool:
    """Constant-time check of what the shopper showed against this pick-up's code or QR token."""

    shown = read_code(proof)
    if verification == Fulfillment.Verification.QR:
        expected, given = fulfillment.qr_token or "", shown.qr(QR_PREFIX)
    else:
        expected, given = fulfillment.pickup_code or "", shown.pickup_code
    if not given:
        return False
    return bool(expected) and hmac.compare_digest(expected.encode(), given.encode())


@transaction.atomic
def hand_over_pickup(
    *,
    fulfillment: Fulfillment,
    actor: User,
    store: Store,
    verification: str,
    collected_by_name: str,
    id_checked: bool = False,
    proof: str = "",
) -> Fulfillment:
    """Give the order to the shopper or their named proxy: stock consumed, payment captured, receipt sent.

    `verification`: qr or code, proven by `proof` (the scanned QR text or the typed pick-up code,
    checked here: a form cannot merely claim it), or order_id (order number and a photo ID, which
    the associate confirms with `id_checked`). See `collector` for who may collect; typed codes are
    limited per associate, store and pick-up (orders.counter) here, not only at the search.
    """
    fulfillment = lock_fulfillment(fulfillment)
    require_store(fulfillment, store)
    require_state(fulfillment, "handed over", (S.READY,), kinds=Fulfillment.COLLECT_KINDS)
    require_paid(fulfillment, "handed over")
    order = fulfillment.order
    if verification not in Fulfillment.Verification.values:
        raise OrderError(
            _("Verify by qr, code or order_id."),
            code=OrderCode.VERIFICATION_FAILED,
            fields={"verification": [_("Unknown.")]},
        )
    if verification == Fulfillment.Verification.CODE and typed_codes_blocked(
        store=store, user=actor, fulfillment=fulfillment
    ):
        raise OrderError(TOO_MANY_CODES, code=OrderCode.TOO_MANY_ATTEMPTS, fields={"proof": [_("Locked.")]})
    if verification in (Fulfillment.Verification.QR, Fulfillment.Verification.CODE) and not _proof_matches(
        fulfillment, verification, proof
    ):
        if verification == Fulfillment.Verification.CODE:
            record_wrong_code(store=store, user=actor, fulfillment=fulfillment)
        raise OrderError(
            _(
                "That code does not match this order. Ask the shopper to show it again, "
                "or check a photo ID and hand over by order number."
            ),
            code=OrderCode.VERIFICATION_FAILED,
            fields={"proof": [_("Does not match this pick-up.")]},
        )
    if verification == Fulfillment.Verification.ORDER_AND_ID and not id_checked:
        raise OrderError(
            _("Check a photo ID before handing over by order number."),
            code=OrderCode.VERIFICATION_FAILED,
            fields={"id_checked": [_("Confirm the ID was checked.")]},
        )
    collected_by, is_proxy = collector(fulfillment=fulfillment, verification=verification, name=collected_by_name)

    picked: dict[int, int] = {}
    for line in fulfillment.lines.all():
        picked[line.variant_id] = picked.get(line.variant_id, 0) + line.picked_quantity
    reservations = Reservation.objects.filter(
        reference=fulfillment.reservation_reference, status=Reservation.Status.ACTIVE
    ).values_list("pk", "variant_id")
    quantities = {pk: picked.get(variant_id, 0) for pk, variant_id in reservations}
    consume_reservations(
        reference=fulfillment.reservation_reference,
        kind="pickup",
        quantities=quantities,
        actor=actor_or_none(actor),
        movement_reference=f"order:{order.number}",
    )
    fulfillment.handed_over_by = actor
    fulfillment.collected_by_name = collected_by[:160]
    fulfillment.verification = verification
    move(
        fulfillment,
        S.COLLECTED,
        actor=actor,
        note=f"to {fulfillment.collected_by_name} ({verification})",
        fields=("handed_over_by", "collected_by_name", "verification"),
    )
    close_order_if_done(order, actor=actor)
    audit(
        action="pickup.handed_over",
        order=order,
        actor=actor,
        store=store,
        details={
            "handed_by": actor.pk,
            "to": fulfillment.collected_by_name,
            "proxy": is_proxy,
            "verification": verification,
            "id_checked": id_checked,
        },
    )
    record_order_event("pickup.collected", order, fulfillment=fulfillment, by_proxy=is_proxy)
    timeline(
        order=order,
        kind=Interaction.Kind.PICKUP,
        key=f"{fulfillment.pk}:collected",
        actor=actor,
        store=store,
        message=say("orders.collected_by_proxy", order=order.number, store=store.name, person=collected_by)
        if is_proxy
        else say("orders.collected", order=order.number, store=store.name),
        data={"verification": verification},
        channel=Channel.STORE,
    )
    notify(order=order, kind="collected", fulfillment=fulfillment)
    return fulfillment


@transaction.atomic
def ship_fulfillment(
    *,
    fulfillment: Fulfillment,
    actor: User,
    tracking_number: str = "",
    store: Store | None = None,
    carrier: Carrier | None = None,
) -> Fulfillment:
    """Ship-from-store or warehouse: every unit picked, stock consumed, payment captured, shopper told.
    `carrier` (active) replaces the one the shipping method named: the shopper's tracking link follows it."""
    fulfillment = lock_fulfillment(fulfillment)
    require_store(fulfillment, store)
    require_state(fulfillment, "shipped", (S.PICKING,), kinds=(K.SHIP,))
    require_paid(fulfillment, "shipped")
    left = [line.sku for line in fulfillment.lines.all() if line.to_pick > 0]
    if left:
        raise OrderError(_("Still to pick: %(value)s.") % {"value": ", ".join(left)}, code=OrderCode.NOT_FULLY_PICKED)
    if carrier is not None and not carrier.is_active:
        raise OrderError(
            _("%(name)s no longer carries parcels; choose another carrier.") % {"name": carrier.name},
            code=RetailCode.INVALID,
            fields={"carrier": [_("Not active.")]},
        )

    picked = {line.variant_id: line.picked_quantity for line in fulfillment.lines.all()}
    reservations = Reservation.objects.filter(
        reference=fulfillment.reservation_reference, status=Reservation.Status.ACTIVE
    ).values_list("pk", "variant_id")
    consume_reservations(
        reference=fulfillment.reservation_reference,
        kind="sale",
        quantities={pk: picked.get(v, 0) for pk, v in reservations},
        actor=actor_or_none(actor),
        movement_reference=f"order:{fulfillment.order.number}",
    )
    fulfillment.tracking_number = (tracking_number or "").strip()[:60]
    if carrier is not None:
        fulfillment.carrier = carrier
    move(fulfillment, S.SHIPPED, actor=actor, fields=("tracking_number", "carrier"))
    order = fulfillment.order
    close_order_if_done(order, actor=actor)
    carrier_code = fulfillment.carrier.code if fulfillment.carrier_id else None
    audit(
        action="order.shipped",
        order=order,
        actor=actor,
        store=fulfillment.location,
        details={"tracking": fulfillment.tracking_number, "carrier": carrier_code},
    )
    record_order_event(
        "shipment.shipped",
        order,
        fulfillment=fulfillment,
        tracking_number=fulfillment.tracking_number,
        carrier=carrier_code,
        tracking_url=fulfillment.tracking_url,
    )
    timeline(
        order=order,
        kind=Interaction.Kind.MESSAGE_SENT,
        key=f"{fulfillment.pk}:shipped",
        actor=actor,
        store=fulfillment.location,
        message=say("orders.shipped", order=order.number, store=fulfillment.location.name),
    )
    notify(order=order, kind="shipped", fulfillment=fulfillment)
    return fulfillment
