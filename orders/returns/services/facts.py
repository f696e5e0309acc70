"""Facts the policy engine needs, read from orders, the catalog and earlier returns.

Shared by the services (which store the verdicts) and the desk's preview (which only shows
them). Every function here reads; callers that need it hold the locks.
"""

from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Case, Count, Exists, Min, OuterRef, Q, Sum, When
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.catalog_texts import reading_order, reads_own_text
from inventory.errors import InventoryError
from inventory.market_prices import market_prices
from inventory.models import CategoryTranslation
from orders.models import Fulfillment, Order, OrderLine
from orders.returns.errors import ReturnError
from orders.returns.models import Condition, Disposition, ReturnLine, ReturnPolicy, ReturnRequest
from orders.returns.policy import (
    LineFacts,
    LineVerdict,
    OfferFacts,
    RequestFacts,
    RequestVerdict,
    Rules,
    ShippingFacts,
    in_every_language,
    judge_line,
    judge_request,
    receiptless_price,
)
from retail.domain.money import Money, allocate, money, unit_share
from retail.domain.tax import LineTax, reverse_units
from retail.exchange_rates import rate_on
from retail.models import Market, Store
from retail.models.markets import home_market_id
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
    """The home market's rules (its policy, or the built-in one)."""
    return rules_for_market(None)


def order_market(order: Order) -> Market:
    """The market that sold `order`, whose policy judges its returns wherever they come back: its
    store's (the selling store, or the one that shipped it: the market its tax was reckoned in) when
    that market sells in the order's currency; else the active market in the order's currency that
    lists its channel (an order shipped from a store of another market), else any market in that
    currency; else the home market. No query when the order's store and its market were read with it."""
    store = order.store if Order.store.is_cached(order) else None
    if store is not None and Store.market.is_cached(store) and store.market.currency == order.currency:
        return store.market
    sells_here = Exists(Store.objects.filter(pk=order.store_id, market=OuterRef("pk")))
    same = Q(currency=order.currency)
    rank = Case(
        When(same & Q(sells_here=True), then=0),
        When(same & Q(is_active=True, online_channels__contains=[order.channel]), then=1),
        When(same & Q(is_active=True), then=2),
        When(same, then=3),
        default=4,
    )
    found = (
        Market.objects.annotate(sells_here=sells_here)
        .filter(same | Q(is_home=True))
        .annotate(rank=rank)
        .order_by("rank", "code")
        .first()
    )
    return found or Market.objects.get(pk=home_market_id())


def return_market(return_request: ReturnRequest) -> Market:
    """Whose policy judges a return: the market that sold its order; without a receipt, the market of
    the store it was brought to (whose prices and currency credit it)."""
    if return_request.order_id:
        return order_market(return_request.order)
    store = return_request.started_store or return_request.store
    return store.market if store is not None else Market.objects.get(pk=home_market_id())


def rules_for_market(market: Market | None, *, day: date | None = None) -> Rules:
    """The rules returns of what `market` sold are judged by (None: the home market's), in one query
    when the market has an active policy of its own.

    A market without one is judged by the home market's policy (or, when head office has none, the
    built-in one): its windows, percentages and days as they are, its amounts (fees, limits) in the
    market's currency at head office's exchange rate on `day` (today), to the cent. Without a rate
    those amounts cannot be known in that currency: nothing is charged (no postage, no offer taken
    back) and a manager approves every refund and every receipt-less credit. The verdict says so."""
    policy = ReturnPolicy.objects.for_market(market.pk if market is not None else None)
    if policy.pk is not None and (market is None or policy.market_id == market.pk):
        return Rules.from_policy(policy)
    home = policy.market if policy.pk is not None else (market if market is not None and market.is_home else None)
    if home is None:
        home = Market.objects.get(pk=home_market_id())
    policy.market = home
    rules = Rules.from_policy(policy)
    if market is None or market.pk == home.pk:
        return rules
    if market.currency == home.currency:
        return replace(rules, note=_("%(market)s has no return policy of its own: %(home)s's applies.")
                       % {"market": market.name, "home": home.name})  # fmt: skip
    day = day or timezone.localdate()
    conversion = rate_on(currency=market.currency, day=day)
    if conversion.missing or conversion.reporting_currency != home.currency:
        note = _(
            "%(market)s has no return policy of its own, and %(home)s's amounts cannot be stated in "
            "%(currency)s without an exchange rate: no fees are charged and a manager approves the refund."
        ) % {"market": market.name, "home": home.name, "currency": market.currency}
        return replace(rules, currency=market.currency, note=note, mail_return_fee=ZERO, offer_minimum_spend=ZERO,
                       receiptless_max_amount=ZERO, approval_over=ZERO)  # fmt: skip

    def converted(amount: Decimal) -> Decimal:
        return money(amount / conversion.rate, market.currency)

    note = _(
        "%(market)s has no return policy of its own: %(home)s's applies, its amounts in %(currency)s at "
        "%(rate)s %(home_currency)s to 1 %(currency)s."
    ) % {"market": market.name, "home": home.name, "currency": market.currency,
         "rate": f"{conversion.rate.normalize():f}", "home_currency": home.currency}  # fmt: skip
    return replace(
        rules,
        currency=market.currency,
        note=note,
        mail_return_fee=converted(rules.mail_return_fee),
        receiptless_max_amount=converted(rules.receiptless_max_amount),
        approval_over=converted(rules.approval_over),
        offer_minimum_spend=converted(rules.offer_minimum_spend),
    )


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


def _category_window(product, names: dict[int, str] | None = None) -> tuple[int | None, str]:
    """(the window of the style's category or its nearest ancestor with one, that category's name in the
    reader's language from `names` {category id: name}, else the catalog's own name)."""
    names = names or {}
    category = product.category
    while category is not None:
        if category.return_window_days is not None:
            return category.return_window_days, names.get(category.pk, category.name)
        category = category.parent
    return None, names.get(product.category_id, product.category.name) if product.category_id else ""


def category_names(products) -> dict[int, str]:
    """{category id: name in the active language (best of the reading order)} for the products' categories
    and their ancestors: the policy's sentences name them ("items in Uomo…"). One query; none when the
    reader reads the catalog's own language."""
    if reads_own_text():
        return {}
    languages = reading_order()
    wanted: set[int] = set()
    for product in products:
        category = product.category
        while category is not None and category.pk not in wanted:
            wanted.add(category.pk)
            category = category.parent
    if not wanted or not languages:
        return {}
    found: dict[int, tuple[int, str]] = {}
    rows = CategoryTranslation.objects.filter(category_id__in=wanted, language__in=languages)
    for category_id, language, name in rows.values_list("category_id", "language", "name"):
        rank = languages.index(language)
        if category_id not in found or rank < found[category_id][0]:
            found[category_id] = (rank, name)
    return {category_id: name for category_id, (_rank, name) in found.items()}


def _variant(item: Item):
    return item.order_line.variant if item.order_line is not None else item.variant


def line_facts(item: Item, *, order: Order | None, today: date, names: dict[int, str] | None = None) -> LineFacts:
    variant = _variant(item)
    product = variant.product
    window, category_name = _category_window(product, names)
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


def price_receiptless(items: list[Item], *, rules: Rules, market: Market, now=None, strict: bool = True) -> None:
    """Receipt-less units are credited in `market` (the returning store's), in its currency: at the
    lowest unit price paid in that currency in the last N days, or the market's price list's today
    (inventory.market_prices). `not_sold_in_market` names a SKU the market has no price for (not
    `strict`, the desk's preview: such items are left out of `items`)."""
    now = now or timezone.now()
    since = now - timedelta(days=rules.receiptless_price_days)
    pricing = market_prices(variants=[i.variant for i in items], market=market, at=now)
    if not strict:
        items[:] = [i for i in items if pricing.get(i.variant.pk) is not None]
    try:
        today = pricing.require([i.variant for i in items])
    except InventoryError as exc:
        raise ReturnError(exc.message, code=exc.code, fields=exc.fields) from None
    lowest = dict(
        OrderLine.objects.filter(
            variant__in=[i.variant for i in items], order__placed_at__gte=since, order__currency=market.currency
        )
        .values("variant_id")
        .annotate(low=Min("unit_price"))
        .values_list("variant_id", "low")
    )
    for item in items:
        basis, note = receiptless_price(
            current=today[item.variant.pk].amount,
            lowest_recent=lowest.get(item.variant.pk),
            days=rules.receiptless_price_days,
            currency=market.currency,
        )
        item.unit_basis, item.price_note = basis, note
        item.paid = money(basis * item.quantity, market.currency)


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
    names = category_names(_variant(item).product for item in items)
    for item in items:
        item.facts = line_facts(item, order=order, today=today, names=names)
        item.verdict = judge_line(rules, item.facts)
        judged.append((item.facts, item.verdict))
    count, amount = (0, ZERO)
    if order is None and customer is not None:
        count, amount = receiptless_history(customer, rules=rules, exclude_request=exclude_request)
    request_facts = RequestFacts(
        method=method,
        receiptless=order is None,
        prior_receiptless_count=count,
        prior_receiptless_amount=amount,
        offer=offer,
        shipping=shipping,
    )
    return in_every_language(rules, request_facts, judged, judge_request(rules, request_facts, judged))
