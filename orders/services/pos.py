"""POS sales: a till posts what it sold; it becomes a `store` order on the shopper's history.

Idempotent by (store, receipt number): the database refuses a second order for the same
receipt, and a replay gets the first order back. The receipt number is the sale's idempotency key,
with the rule of DESIGN.md's Idempotency-Key: the same number with another sale (a till that reset
its counter, two tills sharing a range) is refused 422 `idempotency_mismatch`, never answered with
the first sale's order. Everything is checked before anything is written; problems are reported per
line and per tender in `fields`.
"""

from copy import copy
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cached_property

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.errors import CustomerCode, CustomerError
from customers.services.giftcards import redeem_gift_card
from customers.services.loyalty import (
    lock_accounts_for_purchases,
    lock_offers_for_redemption,
    post_purchase_points,
    purchase_points,
    spend_store_credit,
)
from customers.services.profiles import known_customers_for, resolve_customer
from customers.services.timeline import Purchase, record_purchases
from customers.services.wallet import customer_for_pay_code, use_pay_code
from inventory.catalog_texts import attach_texts
from inventory.errors import InventoryError
from inventory.ledger import lock_levels
from inventory.market_prices import MarketPricing, market_prices
from inventory.models import Product, Variant
from inventory.services import record_sales
from orders.errors import OrderCode, OrderError
from orders.events import record_pos_orders
from orders.models import Fulfillment, Order, OrderLine, Payment, StatusChange
from orders.numbers import new_order_number
from orders.services.assisted import settle_at_till
from orders.services.checkout import sale_languages
from orders.services.discounts import redeem_discounts
from orders.services.payments import GIFT_CARD_PROVIDER, POS_PROVIDER
from orders.services.taxes import quote_tax_for
from retail import fingerprints
from retail.domain.money import Money, allocate, format_money, money
from retail.errors import RetailCode
from retail.messages import say
from retail.models import AuditEvent, PosDevice
from retail.tax_providers import TaxItem, TaxQuote, TaxRequest

SALE_FINGERPRINT = "orders.pos.sale"
LEDGER_TENDERS = ("store_credit", "gift_card")  # paid from our own ledgers: each receipt in its own savepoint
TENDER_METHODS = {
    "card": Payment.Method.CARD,
    "cash": Payment.Method.CASH,
    "gift_card": Payment.Method.GIFT_CARD,
    "store_credit": Payment.Method.STORE_CREDIT,
}


@dataclass
class PosSale:
    receipt_number: str
    lines: list[dict]  # {"sku" or "barcode", "quantity": int, optional "unit_price", "discount": Decimal}
    tenders: list[dict]  # {"method": one of TENDER_METHODS, "amount": Decimal, optional "brand", "last4", "reference"}
    customer: dict = field(default_factory=dict)  # optional {"card"|"phone"|"email": ...}
    sold_at: datetime | None = None
    offer_code: str = ""  # redeemed as online checkout does (needs the customer)
    points: int = 0  # likewise
    settles: str = ""  # an order placed in the portal, paid by this receipt (no lines: orders.services.assisted)

    @property
    def as_sent(self) -> dict:
        """The sale as read from the till's JSON (amounts quantized, times in UTC): the same receipt sent
        again, alone or in a batch, reads the same (its fingerprint: Order.receipt_fingerprint)."""
        return asdict(self)

    @cached_property
    def fingerprint(self) -> str:
        return fingerprints.fingerprint(self.as_sent, purpose=SALE_FINGERPRINT)

    @property
    def redeems(self) -> bool:
        return bool((self.offer_code or "").strip() or self.points)


def _codes(sale: PosSale) -> set[str]:
    return {str(line.get("sku") or line.get("barcode") or "").strip() for line in sale.lines}


def _variants_by_code(codes: set[str]) -> dict[str, Variant]:
    """Every variant these SKUs or barcodes name, in one query for a whole batch."""
    codes.discard("")
    if not codes:
        return {}
    by_code = {}
    for variant in Variant.objects.filter(Q(sku__in=codes) | Q(barcode__in=codes)).select_related("product__category"):
        by_code[variant.sku] = variant
        if variant.barcode:
            by_code[variant.barcode] = variant
    return by_code


def _largest(model, name: str) -> Decimal:
    """The largest amount the column holds (a till's typo must be a 400, not a numeric overflow)."""
    column = model._meta.get_field(name)
    return Decimal(10) ** (column.max_digits - column.decimal_places) - Decimal(1).scaleb(-column.decimal_places)


# A till's clock may run a little fast; an offline till posts its receipts later, never years before
# the chain existed (and a store's clock cannot show year 1: a 500 in the time zone conversion).
SOLD_AT_SKEW = timedelta(minutes=5)
SOLD_AT_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)


def _check(
    sale: PosSale, by_code: dict[str, Variant], shelf: MarketPricing | None = None, *, now: datetime
) -> tuple[list[tuple[Variant, int, Decimal, Decimal]], list[tuple[str, Decimal, dict]]]:
    """The sale against the catalog and itself (the API has checked its shape: types, lengths, choices).

    Every problem is reported at once, per line and per tender, as `invalid_sale`.
    """
    fields: dict[str, list[str]] = {}
    if not (sale.receipt_number or "").strip():
        fields["receipt_number"] = ["A receipt number, not blank."]
    if sale.sold_at is not None and sale.sold_at > now + SOLD_AT_SKEW:
        fields["sold_at"] = ["This time is in the future; check the till's clock."]
    elif sale.sold_at is not None and sale.sold_at < SOLD_AT_EARLIEST:
        fields["sold_at"] = [f"Not before {SOLD_AT_EARLIEST:%Y-%m-%d}; check the till's clock."]
    largest_price, largest_total = _largest(OrderLine, "unit_price"), _largest(Order, "total")
    sold = Decimal(0)
    if not sale.lines:
        fields["lines"] = ["Required (or `settles`: the number of the order this receipt pays)."]
    lines = []
    for index, line in enumerate(sale.lines):
        errors: list[str] = []
        code = str(line.get("sku") or line.get("barcode") or "").strip()
        variant = by_code.get(code)
        if not code:
            errors.append(_("Give the sku or the barcode."))
        elif variant is None:
            errors.append(_("Unknown SKU or barcode %(code)s.") % {"code": repr(code)})
        quantity = line["quantity"]
        unit_price = line.get("unit_price")
        if unit_price is not None:
            unit_price = money(unit_price)
        elif variant is not None:  # the till left it out: the price in the store's market now
            price = shelf.get(variant.pk) if shelf is not None else None
            unit_price = price.amount if price is not None else None
            if unit_price is None:
                errors.append(
                    _("%(sku)s has no price in %(currency)s: send unit_price.")
                    % {"sku": variant.sku, "currency": shelf.currency}
                    if shelf
                    else _("%(sku)s has no price in this market: send unit_price.") % {"sku": variant.sku}
                )
        discount = money(line.get("discount") or 0)
        if not errors and unit_price > largest_price:
            errors.append(_("unit_price is at most %(most)s.") % {"most": largest_price})
        elif not errors and discount > money(unit_price * quantity):
            errors.append(_("discount is more than the line is worth."))
        elif not errors:
            sold += unit_price * quantity - discount
        if errors:
            fields[f"lines.{index}"] = errors
        else:
            lines.append((variant, quantity, unit_price, discount))
    if sold > largest_total:
        fields.setdefault("lines", []).append(_("The lines add up to more than %(most)s.") % {"most": largest_total})
    tenders = []
    for index, tender in enumerate(sale.tenders):
        errors = []
        method, amount = tender["method"], money(tender["amount"])
        if amount == 0:
            errors.append("amount must be more than 0.")
        if method == "store_credit" and not sale.customer and not str(tender.get("code") or "").strip():
            errors.append("store_credit needs the wallet code from the shopper's app, or their card, phone or email.")
        if method == "gift_card" and not str(tender.get("code") or "").strip():
            errors.append("gift_card needs the number on the card in code.")
        if errors:
            fields[f"tenders.{index}"] = errors
        else:
            tenders.append((method, amount, tender))
    if sale.redeems and not sale.customer:
        for name in ("offer_code", "points"):
            if getattr(sale, name):
                fields[name] = [f"{name} needs the customer's card, phone or email."]
    if fields:
        first = next(iter(fields.items()))
        raise OrderError(
            _("The sale was not recorded: %(value)s: %(value2)s") % {"value": first[0], "value2": first[1][0]},
            code=OrderCode.INVALID_SALE,
            fields=fields,
        )
    return lines, tenders


def _tax(*, store, sale: PosSale, lines: list, now) -> TaxQuote:
    """The tax of the till's lines after their discounts, on the store's day of the sale (the provider's:
    orders.services.taxes); added on top of the lines where the market's prices exclude it."""
    currency = store.market.currency  # a till sells in its store's market
    request = TaxRequest(
        store=store,
        day=store.local(sale.sold_at or now).date(),
        currency=currency,
        items=tuple(
            TaxItem(Money(money(u * q) - d, currency), v.product.tax_class_id, sku=v.sku, quantity=q)
            for v, q, u, d in lines
        ),
        reference=f"pos:{store.code}:{(sale.receipt_number or '').strip()}",
    )
    return quote_tax_for(request)


def _check_paid(*, lines: list, tenders: list, tax: TaxQuote, currency: str) -> None:
    """The tenders pay the lines exactly, with the tax added on top where the market's prices exclude it."""
    total = sum((money(u * q) - d for _, q, u, d in lines), Decimal("0.00")) + tax.tax_added
    paid = sum((a for _, a, _ in tenders), Decimal("0.00"))
    if paid != total:
        message = (
            _("Tenders add up to %(paid)s, the lines to %(total)s with %(tax)s of tax.")
            if tax.tax_added
            else _("Tenders add up to %(paid)s, the lines to %(total)s.")
        ) % {
            key: format_money(value, currency)
            for key, value in (("paid", paid), ("total", total), ("tax", tax.tax_added))
        }
        raise OrderError(
            _("The sale was not recorded: tenders: %(message)s") % {"message": message},
            code=OrderCode.INVALID_SALE,
            fields={"tenders": [message]},
        )


MAX_BATCH = 100


@dataclass
class PosResult:
    """What became of one receipt of a batch: `created`, `replayed` (stored before) or `rejected`."""

    receipt_number: str
    status: str
    order: Order | None = None
    error: OrderError | None = None


@dataclass
class _Pending:
    index: int
    sale: PosSale
    receipt: str
    lines: list
    tenders: list
    identity: dict
    customer: object = None
    order: Order | None = None
    gross: list = field(default_factory=list)
    tax: TaxQuote | None = None  # for a sale that redeems an offer or points, once they are (_redeem)


def _line_names(pending: list[_Pending], *, market) -> dict[int, dict[int, Product]]:
    """Each sale's products with their texts in its language (the shopper's, else the store's market's):
    its lines' names and colours are written in it, as online checkout names its lines
    (checkout.name_in_language): one query per language among the batch's shoppers, none for the
    catalog's own."""
    by_languages: dict[tuple, list[_Pending]] = {}
    for p in pending:
        by_languages.setdefault(sale_languages(customer=p.customer, market=market), []).append(p)
    names = {}
    for languages, sales in by_languages.items():
        products = {v.product_id: copy(v.product) for p in sales for v, *_ in p.lines}  # texts apart per language
        attach_texts(list(products.values()), languages)
        for p in sales:
            names[p.index] = products
    return names


def _identity(sale: PosSale) -> dict:
    if not sale.customer:
        return {}
    pairs = {k: v for k, v in sale.customer.items() if k in ("card", "phone", "email") and v}
    if not pairs:
        raise OrderError(
            _("Identify the customer by card, phone or email."),
            code=OrderCode.INVALID_SALE,
            fields={"customer": [_("card|phone|email")]},
        )
    return pairs


def _replay(receipt: str, order: Order | None, sale: PosSale) -> PosResult:
    """The first order of a receipt stored before, if this is the same sale; else refused (422). Orders
    stored without a fingerprint (before it was kept) replay whatever is sent, as they did."""
    stored = order.receipt_fingerprint if order is not None else ""
    if (
        stored
        and stored != sale.fingerprint
        and not fingerprints.same_request(stored, sale.as_sent, purpose=SALE_FINGERPRINT)
    ):
        return PosResult(receipt, "rejected", error=_receipt_reused(receipt))
    return PosResult(receipt, "replayed", order=order)


def _receipt_reused(receipt: str) -> OrderError:
    return OrderError(
        _("Receipt %(receipt)s was recorded with another sale at this store. A new sale needs a new number.")
        % {"receipt": receipt},
        code=RetailCode.IDEMPOTENCY_MISMATCH,
        fields={"receipt_number": [_("Already used for another sale.")]},
    )


def record_pos_sale(*, device: PosDevice, sale: PosSale) -> tuple[Order, bool]:
    """(order, created). A replay of a receipt already recorded returns the first order, unchanged."""
    (result,) = record_pos_sales(device=device, sales=[sale])
    if result.error is not None:
        raise result.error
    return result.order, result.status == "created"


def record_pos_sales(*, device: PosDevice, sales: list[PosSale]) -> list[PosResult]:
    """Record a till's receipts (one, or a batch sent after being offline); one result per sale, in order.

    Each receipt is checked on its own, and a receipt that fails never drops the others: the orders
    go in one insert in a savepoint, and when that fails every receipt goes again in its own
    savepoint (see `_insert_orders`). Idempotent by (store, receipt number): a receipt stored
    before, by an earlier or a concurrent request, is `replayed` with its first order and nothing
    is written twice (the database's unique constraint decides a race). The work is shared by the
    batch: one query each for replays, SKUs, known shoppers and loyalty accounts, and one insert
    each for the orders, fulfilments, lines, payments, status history, audit, stock movements,
    points and timeline, so a batch costs about the statements of one receipt (23 for a member).
    """
    store = device.store
    now = timezone.now()
    results: list[PosResult | None] = [None] * len(sales)
    receipts = [(sale.receipt_number or "").strip() for sale in sales]
    stored = {o.receipt_number: o for o in Order.objects.filter(store=store, receipt_number__in=set(receipts) - {""})}
    by_code = _variants_by_code(set().union(*(_codes(sale) for sale in sales)) if sales else set())
    shelf = None  # the store's market's prices, read once when a line comes without its price
    if any(line.get("unit_price") is None for sale in sales for line in sale.lines) and by_code:
        shelf = market_prices(variants=set(by_code.values()), market=store.market)
    pending: list[_Pending] = []
    first: dict[str, int] = {}
    for index, (sale, receipt) in enumerate(zip(sales, receipts, strict=True)):
        if receipt in stored:
            results[index] = _replay(receipt, stored[receipt], sale)
            continue
        if receipt and receipt in first:
            continue  # the same receipt twice in one batch: answered like the first, below
        if (sale.settles or "").strip():
            first[receipt] = index
            results[index] = _settle(device=device, sale=sale, receipt=receipt)
            continue
        try:
            lines, tenders = _check(sale, by_code, shelf, now=now)
            identity = _identity(sale)
            tax = None
            if not sale.redeems:  # a sale that redeems is taxed after its discounts (_redeem)
                tax = _tax(store=store, sale=sale, lines=lines, now=now)
                _check_paid(lines=lines, tenders=tenders, tax=tax, currency=store.market.currency)
        except OrderError as exc:
            results[index] = PosResult(receipt, "rejected", error=exc)
            continue
        first[receipt] = index
        pending.append(_Pending(index, sale, receipt, lines, tenders, identity, tax=tax))
    if pending:
        with transaction.atomic():
            _store(device=device, pending=pending, results=results)
    raced = [r.receipt_number for r in results if r is not None and r.status == "replayed" and r.order is None]
    if raced:
        theirs = {o.receipt_number: o for o in Order.objects.filter(store=store, receipt_number__in=raced)}
        for index, result in enumerate(results):
            if result is not None and result.order is None and result.status == "replayed":
                results[index] = result = _replay(
                    result.receipt_number, theirs.get(result.receipt_number), sales[index]
                )
                if result.status == "replayed" and result.order is None:
                    result.status = "rejected"
                    result.error = OrderError(_("Please send the sale again."), code=OrderCode.ORDER_NUMBER_CLASH)
    for index, receipt in enumerate(receipts):
        if results[index] is None:
            earlier = results[first[receipt]]
            if sales[index].fingerprint != sales[first[receipt]].fingerprint:
                results[index] = PosResult(receipt, "rejected", error=_receipt_reused(receipt))
                continue
            status = "rejected" if earlier.status == "rejected" else "replayed"
            results[index] = PosResult(receipt, status, order=earlier.order, error=earlier.error)
    return results


def _settle(*, device: PosDevice, sale: PosSale, receipt: str) -> PosResult:
    """A receipt that pays an order placed in the portal: no lines of its own, only tenders."""
    fields = {}
    if not receipt:
        fields["receipt_number"] = ["A receipt number, not blank."]
    if sale.lines:
        fields["lines"] = ["A receipt that settles an order has no lines: the order holds them."]
    if sale.redeems:
        fields["points"] = ["Offers and points were applied when the order was placed."]
    if fields:
        error = OrderError(
            _("The sale was not recorded: %(value)s") % {"value": next(iter(fields.values()))[0]},
            code=OrderCode.INVALID_SALE,
            fields=fields,
        )
        return PosResult(receipt, "rejected", error=error)
    try:
        order, created = settle_at_till(
            device=device, order_number=sale.settles, receipt_number=receipt, tenders=sale.tenders,
            fingerprint=sale.fingerprint,
        )  # fmt: skip
    except OrderError as exc:
        return PosResult(receipt, "rejected", error=exc)
    return PosResult(receipt, "created", order=order) if created else _replay(receipt, order, sale)


def _wallet_code(tenders: list) -> str:
    return next((str(t.get("code") or "").strip() for _, _, t in tenders if t["method"] == "store_credit"), "")


def _pay_code_refused() -> OrderError:
    message = "This wallet code is not valid any more. Ask the shopper to open the wallet in the app again."
    return OrderError(message, code=CustomerCode.PAY_CODE_INVALID, fields={"tenders": [message]})


def _customers(pending: list[_Pending], results: list) -> list[_Pending]:
    """Known shoppers in one query; new or ambiguous identities through resolve_customer, one by one."""

    named = [p for p in pending if p.identity]
    for p, customer in zip(named, known_customers_for([p.identity for p in named]), strict=True):
        p.customer = customer
    for p in pending:
        wallet = _wallet_code(p.tenders)
        if not p.identity and wallet:  # the app's wallet QR names the shopper (used when paid, in _payments)
            p.customer = customer_for_pay_code(wallet)
            if p.customer is None:
                results[p.index] = PosResult(p.receipt, "rejected", error=_pay_code_refused())
    pending = [p for p in pending if results[p.index] is None]
    kept = []
    for p in pending:
        if p.identity and p.customer is None:
            try:
                p.customer = resolve_customer(identities=p.identity, create=True)
            except CustomerError as exc:
                error = OrderError(exc.message, code=OrderCode.INVALID_SALE, fields={"customer": [exc.message]})
                results[p.index] = PosResult(p.receipt, "rejected", error=error)
                continue
        kept.append(p)
    return kept


def _store(*, device: PosDevice, pending: list[_Pending], results: list) -> None:

    store = device.store
    now = timezone.now()
    pending = _customers(pending, results)
    # offers before accounts: online checkout's lock order (see lock_offers_for_redemption)
    lock_offers_for_redemption(
        (p.customer.pk, p.sale.offer_code.strip()) for p in pending if p.customer and (p.sale.offer_code or "").strip()
    )
    accounts = lock_accounts_for_purchases(
        (p.customer.pk for p in pending if p.customer is not None), currency=store.market.currency
    )
    if any(method in LEDGER_TENDERS for p in pending for method, _, _ in p.tenders):
        # stock before store credit and gift cards, as online checkout takes them (reserve, then pay):
        # the other way round a till and a checkout spending one card wait for each other forever
        lock_levels(((v.pk, store.pk) for p in pending for v, *_ in p.lines), create=True)
    done = _insert_orders(device=device, pending=pending, accounts=accounts, now=now, results=results)
    if not done:
        return
    fulfillments = Fulfillment.objects.bulk_create(
        Fulfillment(order=p.order, kind=Fulfillment.Kind.CARRY_OUT, location=store,
                    status=Fulfillment.Status.COLLECTED, created_at=p.order.placed_at, closed_at=p.order.placed_at)
        for p in done
    )  # fmt: skip
    names = _line_names(done, market=store.market)
    rows = OrderLine.objects.bulk_create(
        OrderLine(order=p.order, fulfillment=f, line_number=i + 1, variant=v, sku=v.sku,
                  name=names[p.index][v.product_id].display_name[:200], size=v.size,
                  colour=names[p.index][v.product_id].colour_name(v.colour)[:40],
                  category=v.product.category.name[:80], quantity=q, unit_price=u,
                  discount=d, total=tax.gross.amount if tax else p.gross[i] - d, picked_quantity=q,
                  net=tax.net.amount if tax else None, tax_rate=tax.rate if tax else None,
                  tax_amount=tax.tax.amount if tax else None)
        for p, f in zip(done, fulfillments, strict=True)
        for i, ((v, q, u, d), tax) in enumerate(zip(p.lines, p.tax.lines or [None] * len(p.lines), strict=True))
    )  # fmt: skip
    _attach_lines(done, rows)
    Payment.objects.bulk_create(payment for p in done for payment in p.order._pos_payments)
    StatusChange.objects.bulk_create(
        StatusChange(order=p.order, fulfillment=f, to_status=Fulfillment.Status.COLLECTED, actor_label="system",
                     note=f"till {device.name}"[:300], occurred_at=now)
        for p, f in zip(done, fulfillments, strict=True)
    )  # fmt: skip
    AuditEvent.objects.bulk_create(
        AuditEvent(actor_label="system", action="pos.sale_recorded", object_type=Order._meta.label_lower,
                   object_id=str(p.order.pk), store=store, occurred_at=now,
                   details={"number": p.order.number, "receipt": p.receipt, "device": device.pk})
        for p in done
    )  # fmt: skip
    record_pos_orders([(p.order, f) for p, f in zip(done, fulfillments, strict=True)], rows)
    try:
        record_sales(
            location=store,
            sales=[(f"pos:{store.code}:{p.receipt}"[:80], [(v, q) for v, q, _, _ in p.lines]) for p in done],
        )
    except InventoryError as exc:
        raise OrderError(exc.message, code=exc.code, extra=exc.extra) from None
    _loyalty_and_timeline(store=store, done=done, rows=rows, accounts=accounts, post=post_purchase_points,
                          points_for=purchase_points, now=now)  # fmt: skip


def _attach_lines(done: list[_Pending], rows: list[OrderLine]) -> None:
    """Hand each order its lines as if prefetched: the till's answer shows its tax per rate without a query."""
    lines_of: dict[int, list[OrderLine]] = {}
    for row in rows:
        lines_of.setdefault(row.order_id, []).append(row)
    for p in done:
        queryset = p.order.lines.all()
        queryset._result_cache, queryset._prefetch_done = lines_of.get(p.order.pk, []), True
        p.order._prefetched_objects_cache = {**getattr(p.order, "_prefetched_objects_cache", {}), "lines": queryset}


def _insert_orders(*, device: PosDevice, pending: list[_Pending], accounts: dict, now, results: list) -> list[_Pending]:
    """Insert the orders; returns the receipts stored now, in input order.

    Receipts paid without store credit go in one insert, in a savepoint. Should it fail (a receipt
    stored meanwhile by a concurrent upload, an order number drawn twice), it is rolled back and
    every receipt goes again in its own savepoint, as those paid with store credit always do: one
    receipt's failure never drops another's.
    """
    plain = [
        p for p in pending if not p.sale.redeems and all(method not in LEDGER_TENDERS for method, _, _ in p.tenders)
    ]
    alone = [p for p in pending if p not in plain]
    if plain:
        orders = [_new_order(device=device, p=p, accounts=accounts, now=now) for p in plain]
        try:
            with transaction.atomic():
                Order.objects.bulk_create(orders)
        except IntegrityError:
            alone = pending
        else:
            for p, order in zip(plain, orders, strict=True):
                order._pos_payments = _payments(order=order, p=p, now=now)  # no store credit: no query
                p.order = order
    for p in alone:
        try:
            p.order = _insert_order(device=device, p=p, accounts=accounts, now=now)
        except OrderError as exc:
            if p.sale.redeems and Order.objects.filter(store=device.store, receipt_number=p.receipt).exists():
                results[p.index] = PosResult(p.receipt, "replayed")  # a concurrent upload redeemed it first
                continue
            results[p.index] = PosResult(p.receipt, "rejected", error=exc)
        else:
            if p.order is None:  # another request stored this receipt meanwhile: theirs is the sale
                results[p.index] = PosResult(p.receipt, "replayed")
    done = [p for p in pending if p.order is not None]
    for p in done:
        results[p.index] = PosResult(p.receipt, "created", order=p.order)
    return done


def _new_order(*, device: PosDevice, p: _Pending, accounts: dict, now) -> Order:

    store, customer = device.store, p.customer
    sold_at = p.sale.sold_at or now
    p.gross = [money(u * q) for _, q, u, _ in p.lines]
    subtotal = sum(p.gross, Decimal("0.00"))
    discount = sum((d for *_, d in p.lines), Decimal("0.00"))
    tax_added = p.tax.tax_added if p.tax is not None else Decimal("0.00")
    points = 0
    if customer is not None and subtotal - discount >= 1:
        # on the prices, not on tax added; per unit of the home currency (converted at today's rate)
        points = purchase_points(accounts[customer.pk], subtotal - discount, store.market.currency)
    return Order(
        number=new_order_number(),  # unique by constraint; a clash is drawn again once, then reported
        customer=customer,
        channel=Order.Channel.STORE,
        store=store,
        status=Order.Status.COMPLETED,
        contact_name=customer.full_name if customer else "",
        email=customer.email if customer else "",
        phone=customer.phone if customer else "",
        currency=store.market.currency,  # a till sells in its store's market
        subtotal=subtotal,
        discount_total=discount,
        offer_discount=discount,
        prices_include_tax=p.tax.prices_include_tax if p.tax is not None else True,
        tax_added=tax_added,
        total=subtotal - discount + tax_added,
        points_earned=points,
        receipt_number=p.receipt,
        receipt_fingerprint=p.sale.fingerprint,
        device=device,
        placed_at=sold_at,
        updated_at=now,
        closed_at=sold_at,
    )


def _insert_order(*, device: PosDevice, p: _Pending, accounts: dict, now) -> Order | None:
    """One order (and any store-credit spend, offer and points) in its own savepoint; None when the
    receipt was stored meanwhile."""
    for attempt in range(2):
        order = _new_order(device=device, p=p, accounts=accounts, now=now)
        try:
            with transaction.atomic():
                lines = _redeem(order=order, p=p, accounts=accounts)
                order.save(force_insert=True)
                order._pos_payments = _payments(order=order, p=p, now=now)
            if p.sale.redeems:
                p.lines = lines
                if order.points_redeemed:  # the ledger moved under the lock: keep the batch's copy in step
                    accounts[p.customer.pk].balance -= order.points_redeemed
            return order
        except IntegrityError:
            if Order.objects.filter(store=device.store, receipt_number=p.receipt).exists():
                return None
            if attempt:
                raise OrderError(_("Please send the sale again."), code=OrderCode.ORDER_NUMBER_CLASH) from None
    return None  # pragma: no cover


def _redeem(*, order: Order, p: _Pending, accounts: dict) -> list:
    """The offer, then the points, redeemed by online checkout's own rules and services (the same
    codes, and the same once-only guarantee: an offer used online is refused here and vice versa),
    on what is due after the till's line discounts. The discount is shared over the lines to the
    cent; the tenders must pay what is left. Returns the lines with their new discounts."""
    sale = p.sale
    if not sale.redeems:
        return p.lines
    discounts = redeem_discounts(
        order=order,
        market=order.store.market,
        customer=p.customer,
        offer_code=sale.offer_code,
        points=sale.points,
        due=order.total,
        actor=None,
    )
    order.offer_code = discounts.offer_code
    order.offer_discount += discounts.offer
    order.points_redeemed, order.points_discount = discounts.points_redeemed, discounts.points
    order.discount_total += discounts.total
    lines = p.lines
    if discounts.total:
        shares = allocate(discounts.total, [money(u * q) - d for _, q, u, d in p.lines])
        lines = [(v, q, u, d + share) for (v, q, u, d), share in zip(p.lines, shares, strict=True)]
    # taxed after the discounts: where the market's prices exclude tax, it is added on what is left
    p.tax = _tax(store=order.store, sale=sale, lines=lines, now=order.updated_at)
    order.prices_include_tax, order.tax_added = p.tax.prices_include_tax, p.tax.tax_added
    goods = order.subtotal - order.discount_total
    order.total = goods + order.tax_added
    order.points_earned = purchase_points(accounts[p.customer.pk], goods, order.currency) if goods >= 1 else 0
    paid = sum((money(t["amount"]) for t in sale.tenders), Decimal("0.00"))
    if paid != order.total:
        amounts = {
            k: format_money(v, order.currency)
            for k, v in (("paid", paid), ("total", order.total), ("tax", order.tax_added))
        }
        message = (
            _(
                "The sale was not recorded: tenders add up to %(paid)s, the sale to %(total)s with %(tax)s of tax "
                "after the offer and points."
            )
            if order.tax_added
            else _(
                "The sale was not recorded: tenders add up to %(paid)s, the sale to %(total)s "
                "after the offer and points."
            )
        )
        raise OrderError(
            message % amounts,
            code=OrderCode.INVALID_SALE,
            fields={
                "tenders": [
                    (
                        _("Tenders add up to %(paid)s, the sale to %(total)s with %(tax)s of tax.")
                        if order.tax_added
                        else _("Tenders add up to %(paid)s, the sale to %(total)s.")
                    )
                    % amounts
                ]
            },
        )
    return lines


def _payments(*, order: Order, p: _Pending, now) -> list[Payment]:
    payments = []
    for method, amount, tender in p.tenders:
        if method == "store_credit":
            try:
                if str(tender.get("code") or "").strip():
                    use_pay_code(code=tender["code"], reference=order.number, customer=p.customer, actor=order.device)
                entry = spend_store_credit(
                    customer=p.customer, amount=amount, reference=order.number, store=order.store,
                    currency=order.currency,
                )  # fmt: skip
            except CustomerError as exc:
                code = exc.code if exc.code == CustomerCode.PAY_CODE_INVALID else OrderCode.INVALID_SALE
                raise OrderError(exc.message, code=code, fields={"tenders": [exc.message]}) from None
            reference, provider = f"credit:{entry.pk}", "store_credit"
        elif method == "gift_card":
            try:
                entry = redeem_gift_card(code=tender["code"], amount=amount, reference=order.number,
                                         caller=f"device:{order.device_id}", currency=order.currency,
                                         store=order.store)  # fmt: skip
            except CustomerError as exc:
                raise OrderError(
                    exc.message, code=exc.code, fields={"tenders": [exc.message]}, extra=exc.extra
                ) from None
            reference, provider = f"{GIFT_CARD_PROVIDER}:{entry.pk}", GIFT_CARD_PROVIDER
            tender = {**tender, "brand": "gift card", "last4": entry.card.last4}
        else:
            reference = str(tender.get("reference") or f"{order.store.code}:{order.receipt_number}")[:80]
            provider = POS_PROVIDER
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
    return payments


def _loyalty_and_timeline(*, store, done: list[_Pending], rows: list, accounts: dict, post, points_for, now) -> None:
    """Points earned and the purchase on the shopper's timeline, for every stored receipt with a shopper."""

    window = now - timedelta(days=365)
    lines_of: dict[int, list] = {}
    for row in rows:
        lines_of.setdefault(row.order_id, []).append(row)
    earns, purchases = [], []
    for p in done:
        order = p.order
        if order.customer_id is None:
            continue
        earns.append((accounts[order.customer_id], order.number, order.points_earned, order.total,
                      order.placed_at >= window, order.currency))  # fmt: skip
        purchases.append(
            Purchase(
                customer=p.customer,
                channel=order.channel,
                source="orders",
                external_id=f"{order.number}:sale",
                occurred_at=now,
                store=store,
                subject="",
                message=say("orders.bought_in_store", store=store.name, receipt=order.receipt_number),
                data={
                    "order_number": order.number,
                    "total": str(order.total),
                    "currency": order.currency,
                    "receipt": order.receipt_number,
                    "lines": [
                        {"sku": r.sku, "qty": r.quantity, "amount": str(r.total), "category": r.category,
                         "size": r.size}
                        for r in lines_of[order.pk]
                    ],
                },
            )
        )  # fmt: skip
    try:
        record_purchases(purchases)
    except CustomerError as exc:
        raise OrderError(exc.message, code=OrderCode.INVALID_SALE, fields={"lines": [exc.message]}) from None
    post(earns)  # after the purchased items: a tier re-ranked here counts them
