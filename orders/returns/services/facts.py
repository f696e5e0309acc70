"""Facts the policy engine needs, read from orders, the catalog and earlier returns.

Shared by the services (which store the verdicts) and the desk's preview (which only shows
them). Every function here reads; callers that need it hold the locks.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Min, Sum
from django.utils import timezone

from orders.models import Fulfillment, Order, OrderLine
from orders.returns.models import Condition, Disposition, ReturnLine, ReturnPolicy, ReturnRequest
from orders.returns.policy import (
    LineFacts,
    LineVerdict,
    OfferFacts,
    RequestFacts,
    RequestVerdict,
    Rules,
    ShippingFacts,
    judge_line,
    judge_request,
    receiptless_price,
)
from retail.domain.money import Money, allocate, money, unit_share
from retail.domain.tax import LineTax, reverse_units
from retail.selectors import store_zone

ZERO = Decimal("0.00")
DELIVERED = (Fulfillment.Status.COLLECTED, Fulfillment.Status.SHIPPED)
DEFAULT_DISPOSITION = {
    Condition.NEW: Disposition.RESTOCK,
    Condition.OPENED: Disposition.RESTOCK,
    Condition.USED: Disposition.INSPECTION,
    Condition.DAMAGED: Disposition.DAMAGED,
}


def current_rules() -> Rules:
    return Rules.from_policy(ReturnPolicy.objects.current())


def local_date(moment, order: Order | None = None) -> date:
    """`moment`'s day on the clock of the store that sold `order` (a return window is counted in its
    days), else on the current clock. Its store read with the order costs nothing; else the cached
    zones of the stores answer."""
    if order is None:
        return timezone.localtime(moment).date()
    zone = order.store.zone if Order.store.is_cached(order) else store_zone(order.store_id)
    return timezone.localtime(moment, zone).date()


@dataclass
class Item:
    """One line being judged: an order line (receipted) or a variant at a price basis (receipt-less)."""

    quantity: int
    reason: str
    condition: str
    order_line: OrderLine | None = None
    variant: object = None
    paid: Decimal = ZERO
    tax: Decimal | None = None  # the tax within `paid`, when its order line recorded its tax
    unit_basis: Decimal = ZERO
    price_note: str = ""
    disposition: str = ""
    reason_note: str = ""
    facts: LineFacts | None = None
    verdict: LineVerdict | None = None


def delivered_units(line: OrderLine) -> int:
    """Units of the line that reached the shopper (only those can come back)."""
    return line.picked_quantity if line.fulfillment.status in DELIVERED else 0


@dataclass(frozen=True)
class ReturnableLine:
    """One order line seen from the returns desk: what reached the shopper, what is already on a live
    return (requested, received, inspected, refunded or exchanged), and what is left to bring back."""

    line: OrderLine
    delivered: int
    held: int

    @property
    def left(self) -> int:
        return max(0, self.delivered - self.held)


def returnable_lines(order_lines: list[OrderLine], *, exclude_request: int | None = None) -> dict[int, ReturnableLine]:
    """{order line id: its returnable units}, in one query. The service refuses more than `left`;
    the desk offers up to `left`. `exclude_request`: a return being re-judged does not hold its own."""
    held = units_in_returns(
        [line.pk for line in order_lines], statuses=ReturnRequest.LIVE_STATUSES, exclude_request=exclude_request
    )
    return {
        line.pk: ReturnableLine(line=line, delivered=delivered_units(line), held=held.get(line.pk, 0))
        for line in order_lines
    }


def units_in_returns(order_line_ids, *, statuses, exclude_request: int | None = None) -> dict[int, int]:
    qs = ReturnLine.objects.filter(order_line_id__in=list(order_line_ids), request__status__in=statuses)
    if exclude_request is not None:
        qs = qs.exclude(request_id=exclude_request)
    return dict(qs.values_list("order_line_id").annotate(units=Sum("quantity")).values_list("order_line_id", "units"))


def order_lines_for(order: Order, *, lock: bool = False) -> list[OrderLine]:
    qs = OrderLine.objects.filter(order=order)
    if lock:
        # Row locks on the order's lines, in primary-key order: returns of one order queue here.
        qs = qs.select_for_update(of=("self",))
    return list(qs.select_related("fulfillment", "variant__product__category__parent").order_by("pk"))


def _category_window(product) -> tuple[int | None, str]:
    category = product.category
    while category is not None:
        if category.return_window_days is not None:
            return category.return_window_days, category.name
        category = category.parent
    return None, product.category.name if product.category_id else ""


def line_facts(item: Item, *, order: Order | None, today: date) -> LineFacts:
    variant = item.order_line.variant if item.order_line is not None else item.variant
    product = variant.product
    window, category_name = _category_window(product)
    return LineFacts(
        quantity=item.quantity,
        reason=item.reason,
        condition=item.condition,
        paid=item.paid,
        today=today,
        channel=order.channel if order is not None else "",
        bought_on=local_date(order.placed_at, order) if order is not None else None,
        final_sale=product.final_sale,
        product_window_days=product.return_window_days,
        category_window_days=window,
        category_name=category_name,
        receiptless=order is None,
        price_note=item.price_note,
    )


def price_receipted(items: list[Item], *, already: dict[int, int]) -> None:
    """What each item's units paid: the next units of the line after `already` returned ones, to the cent."""
    taken: dict[int, int] = dict(already)
    for item in items:
        line = item.order_line
        start = taken.get(line.pk, 0)
        count = min(item.quantity, max(0, line.quantity - start))
        item.paid = unit_share(line.total, line.quantity, start, count) if count else ZERO
        item.tax = tax_given_back(line, start=start, count=count)
        taken[line.pk] = start + item.quantity


def tax_given_back(line: OrderLine, *, start: int, count: int) -> Decimal | None:
    """The tax within what units start+1 .. start+count of the line paid (retail.domain.tax.reverse_units:
    all of a line's returns give back exactly its tax, none more than is left); None when the line
    recorded no tax."""
    if line.tax_amount is None:
        return None
    if not count:
        return ZERO
    taxed = LineTax(net=Money(line.net), tax=Money(line.tax_amount), gross=Money(line.total), rate=line.tax_rate)
    return reverse_units(taxed, quantity=line.quantity, start=start, count=count).tax.amount


def price_receiptless(items: list[Item], *, rules: Rules, now=None) -> None:
    """Receipt-less units are credited at the lowest unit price paid in the last N days, or today's."""
    now = now or timezone.now()
    since = now - timedelta(days=rules.receiptless_price_days)
    lowest = dict(
        OrderLine.objects.filter(variant__in=[i.variant for i in items], order__placed_at__gte=since)
        .values("variant_id")
        .annotate(low=Min("unit_price"))
        .values_list("variant_id", "low")
    )
    for item in items:
        basis, note = receiptless_price(
            current=item.variant.price, lowest_recent=lowest.get(item.variant.pk), days=rules.receiptless_price_days
        )
        item.unit_basis, item.price_note = basis, note
        item.paid = money(basis * item.quantity)


def receiptless_history(customer, *, rules: Rules, exclude_request: int | None = None, now=None) -> tuple[int, Decimal]:
    now = now or timezone.now()
    qs = ReturnRequest.objects.filter(
        customer=customer,
        receiptless=True,
        status__in=ReturnRequest.LIVE_STATUSES,
        created_at__gte=now - timedelta(days=rules.receiptless_period_days),
    )
    if exclude_request is not None:
        qs = qs.exclude(pk=exclude_request)
    agg = qs.aggregate(n=Count("id"), amount=Sum("refund_total"))
    return agg["n"] or 0, agg["amount"] or ZERO


def offer_facts(order: Order, lines: list[OrderLine], *, returning: dict[int, int], done: dict[int, int]):
    """The order-level offer and what the shopper keeps once this return and earlier ones are done."""
    if not order.offer_code or order.offer_discount <= 0 or order.discount_total <= 0:
        return None
    kept_gross, discount_on_kept = ZERO, ZERO
    for line in lines:
        kept = max(0, delivered_units(line) - done.get(line.pk, 0) - returning.get(line.pk, 0))
        if not kept:
            continue
        kept_gross += money(line.unit_price * kept)
        discount_on_kept += unit_share(line.discount, line.quantity, 0, kept)
    # The kept units' discount, split to the cent between the offer and the rest (points, line discounts).
    offer_on_kept = (
        allocate(discount_on_kept, [order.offer_discount, order.discount_total - order.offer_discount])[0]
        if discount_on_kept
        else ZERO
    )
    clawed = (
        ReturnRequest.objects.filter(order=order, status__in=ReturnRequest.DONE_STATUSES).aggregate(
            s=Sum("clawback_total")
        )["s"]
        or ZERO
    )
    return OfferFacts(
        code=order.offer_code, kept_gross=kept_gross, offer_share_on_kept=offer_on_kept, already_clawed_back=clawed
    )


def shipping_facts(
    order: Order, lines: list[OrderLine], *, returning: dict[int, int], done: dict[int, int], exclude_request=None
) -> ShippingFacts | None:
    """The order's shipping charge as the policy weighs it (None when it paid none): refunded already
    by a done return? every unit that reached the shopper back once this one is, and nothing still on
    its way? One query, only for orders that paid shipping."""
    if order.shipping_paid <= 0:
        return None
    refunded = ReturnRequest.objects.filter(
        order=order, status__in=ReturnRequest.DONE_STATUSES, shipping_refund__gt=0
    ).exclude(pk=exclude_request)
    whole = all(
        not line.fulfillment.is_open and delivered_units(line) <= done.get(line.pk, 0) + returning.get(line.pk, 0)
        for line in lines
    )
    return ShippingFacts(
        charged=order.shipping_paid,
        tax=order.shipping_tax,
        already_refunded=refunded.exists(),
        whole_order_back=whole,
    )


def judge_items(
    items: list[Item],
    *,
    rules: Rules,
    order: Order | None,
    today: date,
    method: str,
    customer=None,
    offer: OfferFacts | None = None,
    shipping: ShippingFacts | None = None,
    exclude_request: int | None = None,
) -> RequestVerdict:
    """Run the policy over the items (sets item.facts and item.verdict) and the return as a whole."""
    judged = []
    for item in items:
        item.facts = line_facts(item, order=order, today=today)
        item.verdict = judge_line(rules, item.facts)
        judged.append((item.facts, item.verdict))
    count, amount = (0, ZERO)
    if order is None and customer is not None:
        count, amount = receiptless_history(customer, rules=rules, exclude_request=exclude_request)
    return judge_request(
        rules,
        RequestFacts(
            method=method,
            receiptless=order is None,
            prior_receiptless_count=count,
            prior_receiptless_amount=amount,
            offer=offer,
            shipping=shipping,
        ),
        judged,
    )
