"""Demo returns: on every channel and in every state, the open ones on recent orders.

Every return goes through the real services (RMA, verdicts, receiving with return_restock and
damage movements, refunds to tenders or store credit, points reversed, exchanges placed as
orders), so the stock, points and store-credit ledgers stay exact. Returns of older orders are
then dated back to when they happened (our own rows only) and judged again for that day.
Numbers come from ctx.rng; messages are muted.
"""

from collections import Counter
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from customers.errors import CustomerError
from customers.models import PurchasedItem
from inventory.errors import InventoryError
from inventory.models import StockLevel
from orders.errors import OrderError
from orders.models import Order, Payment
from orders.numbers import seeded_numbers
from orders.returns.errors import ReturnError
from orders.returns.models import ReturnPolicy, ReturnRequest, standard_windows
from orders.returns.services import (
    ExchangeRequest,
    LineRequest,
    cancel_return,
    complete_return,
    receive_return,
    refund_return,
    reject_return,
    start_return,
)
from orders.returns.services.notify import happened_at, notifications_muted
from orders.returns.services.policy_admin import save_return_policy
from orders.returns.services.receiving import rejudge_return
from orders.services import notifications_muted as order_notifications_muted
from retail.domain.channel import Channel
from retail.models import Market, Store, StoreMembership
from retail.seeding import SeedContext, seed_step

STATES = ["refunded"] * 62 + ["exchanged"] * 5 + ["requested"] * 9 + ["received"] * 4 + ["inspected"] * 4
STATES += ["rejected"] * 4 + ["cancelled"] * 6
OPEN = {"requested", "received", "inspected", "exchanged"}  # recent orders first
ONLINE_REASONS = ["wrong_size"] * 36 + ["changed_mind"] * 22 + ["not_as_described"] * 12 + ["defective"] * 8
ONLINE_REASONS += ["arrived_damaged"] * 6 + ["wrong_item"] * 4 + ["late"] * 4 + ["other"] * 3
STORE_REASONS = ["wrong_size"] * 30 + ["changed_mind"] * 38 + ["defective"] * 14 + ["not_as_described"] * 8
STORE_REASONS += ["other"] * 5
FAULTS = {"defective", "arrived_damaged", "wrong_item", "not_as_described"}
TEST_CARD = "tok_visa_4242"  # the demo payment provider's test token
REJECTIONS = ["Worn and washed: not returnable", "Not bought from Omnistore", "Security tag removed, item marked"]
# the desk's associate writes the reason in the store's language (issue 19.6); as many per language
LOCAL_REJECTIONS = {
    "it": [
        "Capo indossato e lavato: non restituibile",
        "Non acquistato presso Omnistore",
        "Antitaccheggio rimosso, capo segnato",
    ],
    "pl": [
        "Towar noszony i prany: nie podlega zwrotowi",
        "Towar nie pochodzi z Omnistore",
        "Usunięte zabezpieczenie, towar oznaczony",
    ],
}
# A return policy per market (issue 19.2), its amounts in the market's currency: Italy (home) the standard
# windows in euros; Poland 14 days at the counter and 30 online, in złoty; the UK 28 days everywhere, in pounds.
# A market of the chain not listed here is judged by the home market's (converted at head office's rate).
MARKET_POLICIES = {
    "it": ("Resi Italia 2026", {}, {}),
    "pl": (
        "Zwroty Polska 2026",
        {Channel.STORE.value: 14},
        {"mail_return_fee": "15.99", "receiptless_max_amount": "600.00", "approval_over": "1000.00"},
    ),
    "uk": (
        "UK returns 2026",
        dict.fromkeys(standard_windows(), 28),
        {"mail_return_fee": "2.95", "receiptless_max_amount": "120.00", "approval_over": "200.00"},
    ),
}


def seed_return_policies(ctx: SeedContext) -> None:
    """Each market of MARKET_POLICIES without an active policy gets its own; the home market gets the
    standard one when it has none (a chain with markets of other codes)."""
    markets = list(Market.objects.filter(is_active=True).order_by("code"))
    with_policy = set(ReturnPolicy.objects.filter(is_active=True).values_list("market_id", flat=True))
    for market in markets:
        if market.pk in with_policy or (market.code not in MARKET_POLICIES and not market.is_home):
            continue
        name, windows, amounts = MARKET_POLICIES.get(market.code, ("Standard returns 2026", {}, {}))
        policy = ReturnPolicy(name=name, market=market, is_active=True, **{k: Decimal(v) for k, v in amounts.items()})
        save_return_policy(policy=policy, actor=None, windows=standard_windows() | windows)
        ctx.log(f"  return policy {name} ({market.currency}) for {market.name}")


@seed_step(order=50, name="returns")
def seed_returns(ctx: SeedContext) -> None:
    seed_return_policies(ctx)
    if ReturnRequest.objects.exists():
        ctx.log("  returns already present; left as they are")
        return
    rng, now = ctx.rng, timezone.now()
    stores = list(Store.objects.active().filter(accepts_returns=True).order_by("code"))
    desks = [s for s in stores if s.kind == Store.Kind.STORE]
    warehouses = [s for s in stores if s.kind == Store.Kind.WAREHOUSE] or desks
    if not desks:
        ctx.log("  no store takes returns; no returns seeded")
        return
    staff = {}
    for member in StoreMembership.objects.select_related("user").filter(store__in=stores).order_by("role", "pk"):
        staff.setdefault(member.store_id, member.user)
    orders = list(
        Order.objects.filter(status=Order.Status.COMPLETED, customer__isnull=False, customer__merged_into__isnull=True)
        .filter(customer__erased_at__isnull=True)
        .select_related("customer__home_store", "store")
        .order_by("pk")
    )
    rng.shuffle(orders)
    # Every return runs the real services (~0.17 s of CPU each): 110 at small scale keep the seed
    # under a minute and still give every state, reason and channel on recent and older orders.
    wanted = min(ctx.count(110, minimum=20), max(1, round(len(orders) * 0.1)))
    recent = [o for o in orders if o.placed_at >= now - timedelta(days=20)]
    older = [o for o in orders if o.placed_at < now - timedelta(days=20)]
    counts: Counter = Counter()
    with (
        seeded_numbers(rng),  # order numbers (exchanges) and RMA numbers
        notifications_muted(),
        order_notifications_muted(),
    ):
        # every state at least once, then the realistic mix
        plan = sorted(set(STATES)) + [rng.choice(STATES) for _ in range(max(0, wanted - len(set(STATES))))]
        for index, state in enumerate(plan):
            # the first of each state tries a few orders: an order may not fit (policy, stock)
            for _attempt in range(4 if index < len(set(STATES)) else 1):
                pool = (recent or older) if state in OPEN else (older or recent)
                if not pool:
                    break
                order = pool.pop()
                try:
                    with transaction.atomic():
                        made = _one(ctx, order, state, desks, warehouses, staff)
                except (ReturnError, OrderError, InventoryError, CustomerError) as exc:
                    counts[f"skipped ({exc.code})"] += 1
                    ctx.log(f"    {order.number} could not be returned as {state}: {exc.message}")
                    continue
                counts[made] += 1
                if made == state:
                    break
        counts.update(_receiptless(ctx, desks, staff))
    summary = ", ".join(f"{n} {state}" for state, n in sorted(counts.items()))
    ctx.log(f"  {sum(counts.values())} returns of {len(orders)} orders: {summary}")


def _desk_for(rng, order: Order, method: str, desks, warehouses):
    if method == ReturnRequest.Method.MAIL:
        return rng.choice(warehouses)
    if order.channel == Channel.STORE and order.store.accepts_returns and rng.random() < 0.7:
        return order.store
    home = order.customer.home_store
    if home is not None and home.accepts_returns and home.kind == Store.Kind.STORE and rng.random() < 0.6:
        return home
    return rng.choice(desks)


def _lines(rng, order: Order) -> list[LineRequest]:
    online = order.channel in Channel.away_from_the_counter()
    lines = list(order.lines.order_by("line_number"))
    chosen = rng.sample(lines, k=1 if len(lines) == 1 or rng.random() < 0.75 else 2)
    out = []
    for line in chosen:
        reason = rng.choice(ONLINE_REASONS if online else STORE_REASONS)
        roll = rng.random()
        condition = "new" if roll < 0.7 else "opened" if roll < 0.92 else "used"
        if reason in FAULTS and rng.random() < 0.5:
            condition = "damaged" if reason in ("defective", "arrived_damaged") else "opened"
        out.append(
            LineRequest(
                line_number=line.line_number,
                quantity=line.picked_quantity if rng.random() < 0.3 else 1,
                reason=reason,
                condition=condition,
            )
        )
    return out


def _backdate(return_request: ReturnRequest, **moments) -> None:
    ReturnRequest.objects.filter(pk=return_request.pk).update(**moments)
    for field, value in moments.items():
        setattr(return_request, field, value)


def _exchange_for(order: Order, desk: Store, lines: list[LineRequest]) -> ExchangeRequest | None:
    """Another size of the first returned item, if this store has one to sell."""
    line = order.lines.select_related("variant").get(line_number=lines[0].line_number)
    sibling = (
        StockLevel.objects.filter(
            location=desk,
            variant__product_id=line.variant.product_id,
            variant__is_active=True,
            variant__product__is_active=True,
            available__gte=1,
        )
        .exclude(variant_id=line.variant_id)
        .values_list("variant__sku", flat=True)
        .first()
    )
    if sibling is None or not desk.pickup_enabled:
        return None
    return ExchangeRequest(lines=[(sibling, 1)], card_token=TEST_CARD, difference_to="store_credit")


def _one(ctx: SeedContext, order: Order, state: str, desks, warehouses, staff) -> str:
    rng, now = ctx.rng, timezone.now()
    online = order.channel in Channel.away_from_the_counter()
    method = ReturnRequest.Method.MAIL if online and rng.random() < 0.35 else ReturnRequest.Method.IN_STORE
    desk = _desk_for(rng, order, method, desks, warehouses)
    associate = staff.get(desk.pk)
    lines = _lines(rng, order)
    return_request = start_return(
        order=order,
        lines=lines,
        channel=order.channel if online and order.channel in Channel.own_device_values() else Channel.STORE,
        method=method,
        store=desk if online and method == ReturnRequest.Method.IN_STORE else None,
        actor=None if online else associate,
    )
    started = min(order.placed_at + timedelta(days=rng.randint(1, 18), hours=rng.randint(0, 9)), now)
    _backdate(return_request, created_at=started, updated_at=started)
    rejudge_return(return_request=return_request)
    return_request.refresh_from_db()
    if return_request.approval_required:
        cancel_return(return_request=return_request)
        return "cancelled"
    if state == "requested":
        return state
    if state == "cancelled":
        cancel_return(return_request=return_request, actor=associate)
        return state
    received = min(started + timedelta(days=rng.randint(2, 6) if method == "mail" else 0, hours=1), now)
    if state in ("received", "rejected"):
        receive_return(return_request=return_request, store=desk, actor=associate, inspect=False)
        _backdate(return_request, received_at=received)
        if state == "rejected":
            reject_return(
                return_request=return_request,
                store=desk,
                actor=associate,
                reason=rng.choice(LOCAL_REJECTIONS.get(desk.market.default_language, REJECTIONS)),
            )
            _backdate(return_request, closed_at=received)
        return state
    receive_return(return_request=return_request, store=desk, actor=associate)
    _backdate(return_request, received_at=received, inspected_at=received)
    if state == "inspected":
        return state
    pos_paid = Payment.objects.filter(order=order, provider="pos").exists()
    method_out = "original" if pos_paid and rng.random() < 0.8 else "store_credit"
    exchange = _exchange_for(order, desk, lines) if state == "exchanged" and desk.kind == Store.Kind.STORE else None
    closed = min(received + timedelta(hours=rng.randint(0, 30)), now)
    with happened_at(closed):
        refund_return(
            return_request=return_request,
            store=desk,
            actor=associate,
            method="exchange" if exchange else method_out,
            exchange=exchange,
        )
    _backdate(return_request, closed_at=closed, updated_at=closed)
    return "exchanged" if exchange else "refunded"


def _receiptless(ctx: SeedContext, desks, staff) -> Counter:
    """A few shoppers bring something back without a receipt (store credit at the lowest recent price)."""

    rng, counts = ctx.rng, Counter()
    bought = list(
        PurchasedItem.objects.filter(
            quantity__gt=0, customer__merged_into__isnull=True, customer__erased_at__isnull=True
        )
        .select_related("customer")
        .order_by("pk")[:400]
    )
    for item in rng.sample(bought, k=min(len(bought), ctx.count(6, minimum=2))):
        desk = rng.choice(desks)
        try:
            with transaction.atomic():
                complete_return(
                    store=desk,
                    actor=staff.get(desk.pk),
                    refund_method="store_credit",
                    customer=item.customer,
                    lines=[LineRequest(sku=item.sku, quantity=1, reason="changed_mind")],
                )
            counts["refunded without receipt"] += 1
        except (ReturnError, OrderError, InventoryError, CustomerError) as exc:
            counts[f"skipped ({exc.code})"] += 1
    return counts
