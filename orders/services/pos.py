"""POS sales: a till posts what it sold; it becomes a `store` order on the shopper's history.

Idempotent by (store, receipt number): the database refuses a second order for the same
receipt, and a replay gets the first order back. Everything is checked before anything is
written; problems are reported per line and per tender in `fields`.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from customers.errors import CustomerError
from customers.models import Interaction
from inventory.errors import InventoryError
from inventory.models import Variant
from orders.errors import OrderError
from orders.models import Fulfillment, Order, OrderLine, Payment
from orders.numbers import new_order_number
from orders.pricing import money
from orders.services._common import audit, currency, record_status, timeline
from orders.services.payments import POS_PROVIDER
from retail.models import PosDevice

TENDER_METHODS = {
    "card": Payment.Method.CARD,
    "cash": Payment.Method.CASH,
    "gift_card": Payment.Method.GIFT_CARD,
    "store_credit": Payment.Method.STORE_CREDIT,
}


@dataclass
class PosSale:
    receipt_number: str
    lines: list[dict]  # {"sku" or "barcode", "quantity", optional "unit_price", "discount"}
    tenders: list[dict]  # {"method", "amount", optional "brand", "last4", "reference"}
    customer: dict = field(default_factory=dict)  # optional {"card"|"phone"|"email": ...}
    sold_at: datetime | None = None


def _decimal(value, errors: list, label: str) -> Decimal | None:
    try:
        amount = money(value)
    except (InvalidOperation, TypeError, ValueError):
        errors.append(f"{label} must be a decimal like 12.50.")
        return None
    if amount < 0:
        errors.append(f"{label} cannot be negative.")
        return None
    return amount


def _check(sale: PosSale) -> tuple[list[tuple[Variant, int, Decimal, Decimal]], list[tuple[str, Decimal, dict]]]:
    fields: dict[str, list[str]] = {}
    receipt = (sale.receipt_number or "").strip()
    if not receipt or len(receipt) > 40:
        fields["receipt_number"] = ["1 to 40 characters."]
    if not sale.lines:
        fields["lines"] = ["A sale has at least one line."]
    codes = {str(line.get("sku") or line.get("barcode") or "").strip() for line in sale.lines if isinstance(line, dict)}
    variants = Variant.objects.filter(Q(sku__in=codes) | Q(barcode__in=codes)).select_related("product__category")
    by_code = {}
    for variant in variants:
        by_code[variant.sku] = variant
        if variant.barcode:
            by_code[variant.barcode] = variant
    lines = []
    for index, line in enumerate(sale.lines):
        errors: list[str] = []
        if not isinstance(line, dict):
            fields[f"lines.{index}"] = ["A line is an object with sku or barcode and quantity."]
            continue
        code = str(line.get("sku") or line.get("barcode") or "").strip()
        variant = by_code.get(code)
        if not code:
            errors.append("Give the sku or the barcode.")
        elif variant is None:
            errors.append(f"Unknown SKU or barcode {code!r}.")
        quantity = line.get("quantity")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= 999:
            errors.append("quantity must be a whole number from 1 to 999.")
        unit_price = line.get("unit_price")
        unit_price = (
            _decimal(unit_price, errors, "unit_price")
            if unit_price is not None
            else (variant.price if variant else None)
        )
        discount = _decimal(line.get("discount", "0"), errors, "discount")
        if not errors and discount > money(unit_price * quantity):
            errors.append("discount is more than the line is worth.")
        if errors:
            fields[f"lines.{index}"] = errors
        else:
            lines.append((variant, quantity, money(unit_price), discount))
    total = sum((money(u * q) - d for _, q, u, d in lines), Decimal("0.00"))
    tenders = []
    for index, tender in enumerate(sale.tenders or []):
        errors = []
        if not isinstance(tender, dict):
            fields[f"tenders.{index}"] = ["A tender is an object with method and amount."]
            continue
        method = tender.get("method")
        if method not in TENDER_METHODS:
            errors.append(f"method is one of {', '.join(sorted(TENDER_METHODS))}.")
        amount = _decimal(tender.get("amount"), errors, "amount")
        if amount is not None and amount == 0:
            errors.append("amount must be more than 0.")
        last4 = str(tender.get("last4") or "")
        if last4 and (len(last4) != 4 or not last4.isdigit()):
            errors.append("last4 is the last four digits of the card, nothing more.")
        if method == "store_credit" and not sale.customer:
            errors.append("store_credit needs the customer's card, phone or email.")
        if errors:
            fields[f"tenders.{index}"] = errors
        else:
            tenders.append((method, amount, tender))
    if not sale.tenders:
        fields["tenders"] = ["A sale has at least one tender."]
    elif not any(k.startswith("tenders.") for k in fields) and not any(k.startswith("lines") for k in fields):
        paid = sum((a for _, a, _ in tenders), Decimal("0.00"))
        if paid != total:
            fields["tenders"] = [f"Tenders add up to {paid}, the lines to {total}."]
    if fields:
        first = next(iter(fields.items()))
        raise OrderError(f"The sale was not recorded: {first[0]}: {first[1][0]}", code="invalid_sale", fields=fields)
    return lines, tenders


def _resolve(identity: dict):
    if not identity:
        return None
    from customers.services.profiles import resolve_customer

    pairs = {k: v for k, v in identity.items() if k in ("card", "phone", "email") and v}
    if not pairs:
        raise OrderError(
            "Identify the customer by card, phone or email.",
            code="invalid_sale",
            fields={"customer": ["card|phone|email"]},
        )
    try:
        return resolve_customer(identities=pairs, create=True)
    except CustomerError as exc:
        raise OrderError(exc.message, code="invalid_sale", fields={"customer": [exc.message]}) from None


def _earn(*, customer, number: str, amount: Decimal) -> int:
    from customers.services.loyalty import earn_points

    try:
        return earn_points(customer=customer, reference=number, amount=amount).points
    except CustomerError as exc:
        if exc.code == "invalid":  # the tier's rate gives less than one point
            return 0
        raise


def record_pos_sale(*, device: PosDevice, sale: PosSale) -> tuple[Order, bool]:
    """(order, created). A replay of a receipt already recorded returns the first order, unchanged."""
    store = device.store
    receipt = (sale.receipt_number or "").strip()
    existing = Order.objects.filter(store=store, receipt_number=receipt).first() if receipt else None
    if existing is not None:
        return existing, False
    try:
        return _record(device=device, sale=sale), True
    except IntegrityError:
        # Another request recorded this receipt a moment ago: theirs is the sale.
        existing = Order.objects.filter(store=store, receipt_number=receipt).first()
        if existing is None:
            raise OrderError("Please send the sale again.", code="order_number_clash", status=503) from None
        return existing, False


@transaction.atomic
def _record(*, device: PosDevice, sale: PosSale) -> Order:
    lines, tenders = _check(sale)
    store = device.store
    customer = _resolve(sale.customer)
    now = timezone.now()
    sold_at = sale.sold_at or now
    gross = [money(u * q) for _, q, u, _ in lines]
    subtotal = sum(gross, Decimal("0.00"))
    discount = sum((d for *_, d in lines), Decimal("0.00"))
    number = new_order_number()  # unique by constraint; a clash is reported as a retryable 503
    points = 0
    if customer is not None and subtotal - discount >= 1:
        points = _earn(customer=customer, number=number, amount=subtotal - discount)
    order = Order.objects.create(
        number=number,
        customer=customer,
        channel=Order.Channel.STORE,
        store=store,
        status=Order.Status.COMPLETED,
        contact_name=customer.full_name if customer else "",
        email=customer.email if customer else "",
        phone=customer.phone if customer else "",
        currency=currency(),
        subtotal=subtotal,
        discount_total=discount,
        offer_discount=discount,
        total=subtotal - discount,
        points_earned=points,
        receipt_number=sale.receipt_number.strip(),
        device=device,
        placed_at=sold_at,
        updated_at=now,
        closed_at=sold_at,
    )
    fulfillment = Fulfillment.objects.create(
        order=order,
        kind=Fulfillment.Kind.CARRY_OUT,
        location=store,
        status=Fulfillment.Status.COLLECTED,
        created_at=sold_at,
        closed_at=sold_at,
    )
    rows = OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            fulfillment=fulfillment,
            line_number=i + 1,
            variant=v,
            sku=v.sku,
            name=v.product.name[:200],
            size=v.size,
            colour=v.colour,
            category=v.product.category.name[:80],
            quantity=q,
            unit_price=u,
            discount=d,
            total=gross[i] - d,
            picked_quantity=q,
        )
        for i, (v, q, u, d) in enumerate(lines)
    )
    payments = []
    for method, amount, tender in tenders:
        if method == "store_credit":
            from customers.services.loyalty import spend_store_credit

            try:
                entry = spend_store_credit(customer=customer, amount=amount, reference=order.number, store=store)
            except CustomerError as exc:
                raise OrderError(exc.message, code="invalid_sale", fields={"tenders": [exc.message]}) from None
            reference, provider = f"credit:{entry.pk}", "store_credit"
        else:
            reference, provider = (
                str(tender.get("reference") or f"{store.code}:{order.receipt_number}")[:80],
                POS_PROVIDER,
            )
        payments.append(Payment(
            order=order,
            method=TENDER_METHODS[method],
            provider=provider,
            reference=reference,
            brand=str(tender.get("brand") or "")[:20],
            last4=str(tender.get("last4") or ""),
            amount=amount,
            captured_amount=amount,
            status=Payment.Status.CAPTURED,
            created_at=now,
            updated_at=now,
        ))  # fmt: skip
    Payment.objects.bulk_create(payments)
    from inventory.services import record_sale

    try:
        record_sale(
            location=store,
            lines=[(v, q) for v, q, _, _ in lines],
            reference=f"pos:{store.code}:{order.receipt_number}"[:80],
        )
    except InventoryError as exc:
        raise OrderError(exc.message, code=exc.code, status=409, extra=exc.extra) from None
    record_status(
        order=order, fulfillment=fulfillment, to_status=Fulfillment.Status.COLLECTED, note=f"till {device.name}"
    )
    audit(
        action="pos.sale_recorded",
        order=order,
        store=store,
        details={"receipt": order.receipt_number, "device": device.pk},
    )
    if customer is not None:
        timeline(
            order=order,
            kind=Interaction.Kind.PURCHASE,
            key="sale",
            store=store,
            subject=f"Bought in {store.name} (receipt {order.receipt_number})",
            data={
                "total": str(order.total),
                "currency": order.currency,
                "receipt": order.receipt_number,
                "lines": [
                    {"sku": r.sku, "qty": r.quantity, "amount": str(r.total), "category": r.category, "size": r.size}
                    for r in rows
                ],
            },
        )
    return order
