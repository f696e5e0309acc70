"""The return policy engine: pure functions from facts to a verdict explained in words.

No database here. Services gather the facts (when and where it was bought, what was paid, the
catalog's windows and final-sale flag, the shopper's receipt-less history) and store the
verdicts; the desk and the API show the same sentences.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import partial

from orders.returns.models import FAULT_REASONS, Condition, ReturnPolicy, ReturnRequest, ShippingRefund
from retail.domain.channel import Channel
from retail.domain.money import format_money as _m
from retail.domain.money import money

ZERO = Decimal("0.00")
APPROVAL = "needs a manager's approval"


def channel_words(value: str) -> tuple[str, str]:
    """Where it was bought, in a sentence and as a heading ("in the app", "App orders"): the kernel's."""
    channel = Channel.read(value)
    return (channel.bought, channel.purchases) if channel is not None else (f"on {value}", f"{value} orders")


@dataclass(frozen=True)
class Rules:
    """The policy's numbers, copied from a ReturnPolicy row (or given directly in tests)."""

    windows: dict[str, int]  # {channel: days}; a channel without one has no window (manager's approval)
    fault_window_days: int = 180
    restocking_fee_percent: Decimal = Decimal("10.00")
    mail_return_fee: Decimal = Decimal("3.95")
    receiptless_period_days: int = 90
    receiptless_max_returns: int = 2
    receiptless_max_amount: Decimal = Decimal("150.00")
    receiptless_price_days: int = 30
    approval_over: Decimal = Decimal("250.00")
    offer_minimum_spend: Decimal = ZERO
    shipping_refund: str = ShippingRefund.WHOLE_ORDER
    currency: str | None = None  # of the amounts above: the policy's market's (None: settings.CURRENCY)
    note: str = ""  # said on every verdict: e.g. whose policy this is when a market has none of its own

    @classmethod
    def from_policy(cls, policy: ReturnPolicy) -> "Rules":
        return cls(
            currency=policy.currency,
            windows=policy.windows_by_channel(),
            fault_window_days=policy.fault_window_days,
            restocking_fee_percent=policy.restocking_fee_percent,
            mail_return_fee=policy.mail_return_fee,
            receiptless_period_days=policy.receiptless_period_days,
            receiptless_max_returns=policy.receiptless_max_returns,
            receiptless_max_amount=policy.receiptless_max_amount,
            receiptless_price_days=policy.receiptless_price_days,
            approval_over=policy.approval_over,
            offer_minimum_spend=policy.offer_minimum_spend,
            shipping_refund=policy.shipping_refund,
        )


@dataclass(frozen=True)
class LineFacts:
    quantity: int
    reason: str
    condition: str
    paid: Decimal  # what these units paid; receipt-less: the price basis x quantity
    today: date
    channel: str = ""  # where it was bought ("" without receipt)
    bought_on: date | None = None
    final_sale: bool = False
    product_window_days: int | None = None
    category_window_days: int | None = None
    category_name: str = ""
    receiptless: bool = False
    price_note: str = ""  # receipt-less: how the price basis was found


@dataclass
class LineVerdict:
    needs_approval: bool
    sentences: list[str]
    fee: Decimal
    refund: Decimal

    @property
    def explanation(self) -> str:
        return " ".join(self.sentences)


def _ago(days: int) -> str:
    return "today" if days == 0 else "yesterday" if days == 1 else f"{days} days ago"


def window_for(rules: Rules, facts: LineFacts) -> tuple[int | None, str]:
    """(days, who says so): the style's own window, else its category's, else the channel's row.
    None when the policy has no window for the channel: no other channel's window stands in."""
    if facts.product_window_days is not None:
        return facts.product_window_days, "this style"
    if facts.category_window_days is not None:
        return facts.category_window_days, f"items in {facts.category_name}" if facts.category_name else "this category"
    return rules.windows.get(facts.channel), channel_words(facts.channel)[1].lower()


def judge_line(rules: Rules, facts: LineFacts) -> LineVerdict:
    """The verdict on one line: can it come back without a manager, what fee, what refund."""
    m = partial(_m, currency=rules.currency)  # amounts in the policy's market's currency
    sentences: list[str] = []
    needs_approval = False
    fault = facts.reason in FAULT_REASONS

    if facts.receiptless or facts.bought_on is None:
        sentences.append(facts.price_note or "No receipt: credited as store credit.")
    else:
        days = (facts.today - facts.bought_on).days
        where = channel_words(facts.channel)[0]
        window, source = window_for(rules, facts)
        if window is None:
            if fault and days <= rules.fault_window_days:
                sentences.append(
                    f"Bought {where} {_ago(days)}; the policy sets no return window for {source}, but faulty "
                    f"items can be returned within {rules.fault_window_days} days."
                )
            else:
                sentences.append(
                    f"Bought {where} {_ago(days)}; the policy sets no return window for {source}, so this {APPROVAL}."
                )
                needs_approval = True
        elif days <= window:
            sentences.append(f"Bought {where} {_ago(days)}; {source} can be returned within {window} days.")
        elif fault and days <= rules.fault_window_days:
            sentences.append(
                f"Bought {where} {_ago(days)}, past the {window}-day window of {source}; "
                f"faulty items can be returned within {rules.fault_window_days} days."
            )
        else:
            rule = (
                f"faulty items can be returned within {rules.fault_window_days} days"
                if fault
                else f"{source} can be returned within {window} days"
            )
            sentences.append(f"Bought {where} {_ago(days)}; {rule}, so this {APPROVAL}.")
            needs_approval = True

    if facts.final_sale:
        if fault:
            sentences.append("Final sale, but faulty items can always be returned.")
        else:
            sentences.append(f"Final sale: returnable only if faulty, so this {APPROVAL}.")
            needs_approval = True

    if facts.condition == Condition.DAMAGED and not fault:
        sentences.append(f"Returned damaged, and not for a fault: this {APPROVAL}.")
        needs_approval = True

    fee = ZERO
    if facts.condition == Condition.USED and not fault and rules.restocking_fee_percent > 0:
        fee = min(money(facts.paid * rules.restocking_fee_percent / Decimal("100")), facts.paid)
        sentences.append(f"Worn or used: {rules.restocking_fee_percent.normalize():f}% restocking fee ({m(fee)}).")
    elif fault:
        sentences.append("Our fault: no fees.")
    return LineVerdict(needs_approval=needs_approval, sentences=sentences, fee=fee, refund=facts.paid - fee)


def receiptless_price(
    *, current: Decimal, lowest_recent: Decimal | None, days: int, currency: str | None = None
) -> tuple[Decimal, str]:
    """The price a receipt-less unit is credited at: the lowest of the last `days` days or today's,
    both in `currency` (the returning store's market's)."""
    m = partial(_m, currency=currency)
    current = money(current, currency)
    if lowest_recent is not None and money(lowest_recent, currency) < current:
        price = money(lowest_recent, currency)
        return (
            price,
            f"No receipt: credited at {m(price)}, the lowest price in the last {days} days (now {m(current)}).",
        )
    return (
        current,
        f"No receipt: credited at today's price of {m(current)}, the lowest in the last {days} days.",
    )


RefundMethod = ReturnRequest.RefundMethod
NO_RECEIPT = "Without a receipt the refund is store credit or an exchange."
NO_PROFILE = "Store credit and exchanges need the shopper's profile; refund to the original payment instead."


@dataclass(frozen=True)
class RefundMethods:
    """The ways a return may give the money back, and for each one it may not, the sentence why."""

    allowed: list[str]
    refused: dict[str, str]


def allowed_refund_methods(*, receiptless: bool, known_shopper: bool) -> RefundMethods:
    """Without a receipt, never to the original payment (store credit or an exchange); store credit
    and exchanges need the shopper's profile. The service enforces it, the desk offers only these."""
    refused: dict[str, str] = {}
    if receiptless:
        refused[RefundMethod.ORIGINAL] = NO_RECEIPT
    if not known_shopper:
        refused |= {RefundMethod.STORE_CREDIT: NO_PROFILE, RefundMethod.EXCHANGE: NO_PROFILE}
    return RefundMethods(allowed=[m for m in RefundMethod.values if m not in refused], refused=refused)


@dataclass(frozen=True)
class OfferFacts:
    """An order-level offer on the order, and what the order keeps after this return."""

    code: str
    kept_gross: Decimal  # list value of the units the shopper keeps
    offer_share_on_kept: Decimal  # the offer's discount that sits on those kept units
    already_clawed_back: Decimal = ZERO


@dataclass(frozen=True)
class ShippingFacts:
    """The order's shipping charge (with the tax in it), whether a done return already gave it back,
    and whether every unit that reached the shopper is back once this return is done."""

    charged: Decimal
    tax: Decimal | None
    already_refunded: bool
    whole_order_back: bool


@dataclass(frozen=True)
class RequestFacts:
    method: str = "in_store"
    receiptless: bool = False
    prior_receiptless_count: int = 0  # in the rolling period, this request excluded
    prior_receiptless_amount: Decimal = ZERO
    offer: OfferFacts | None = None
    shipping: ShippingFacts | None = None


@dataclass
class RequestVerdict:
    goods: Decimal
    fees: Decimal
    clawback: Decimal
    refund: Decimal
    needs_approval: bool
    lines_need_approval: bool
    sentences: list[str] = field(default_factory=list)
    shipping: Decimal = ZERO  # the order's shipping given back with this return
    shipping_tax: Decimal | None = None
    currency: str | None = None  # of every amount here: the rules' (None: settings.CURRENCY)

    @property
    def explanation(self) -> str:
        return " ".join(self.sentences)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def judge_request(rules: Rules, facts: RequestFacts, lines: list[tuple[LineFacts, LineVerdict]]) -> RequestVerdict:
    """Totals and request-level rules: mail postage, offer clawback, receipt-less limits, threshold."""
    m = partial(_m, currency=rules.currency)  # amounts in the policy's market's currency
    goods = sum((f.paid for f, _ in lines), ZERO)
    fees = sum((v.fee for _, v in lines), ZERO)
    sentences: list[str] = [rules.note] if rules.note else []
    lines_need = any(v.needs_approval for _, v in lines)
    needs = lines_need

    all_fault = bool(lines) and all(f.reason in FAULT_REASONS for f, _ in lines)
    if facts.method == "mail" and rules.mail_return_fee > 0:
        if all_fault:
            sentences.append("Mail return of faulty items: no postage charged.")
        else:
            postage = min(rules.mail_return_fee, goods - fees)
            fees += postage
            sentences.append(f"Mail return: {m(postage)} postage deducted.")

    clawback = ZERO
    offer = facts.offer
    if offer is not None and rules.offer_minimum_spend > 0:
        # What the order should have given back of its offer once this return is done, less what
        # earlier returns already took: negative when the kept items come back too.
        qualifies = offer.kept_gross >= rules.offer_minimum_spend or offer.kept_gross == 0
        target = ZERO if qualifies else offer.offer_share_on_kept
        clawback = min(target - offer.already_clawed_back, goods - fees)
        if clawback > 0:
            sentences.append(
                f"Offer {offer.code} needs {m(rules.offer_minimum_spend)} of goods; the shopper keeps "
                f"{m(offer.kept_gross)}, so its {m(clawback)} discount on the kept items is taken back."
            )
        elif clawback < 0:
            sentences.append(f"Offer {offer.code}: the {m(-clawback)} taken back on an earlier return is refunded now.")

    shipping, shipping_tax = _shipping_back(rules, facts.shipping, all_fault=all_fault, sentences=sentences)
    refund = goods - fees - clawback + shipping

    if facts.receiptless:
        count = facts.prior_receiptless_count + 1
        amount = facts.prior_receiptless_amount + refund
        period = rules.receiptless_period_days
        if count > rules.receiptless_max_returns:
            sentences.append(
                f"{_ordinal(count)} receipt-less return in {period} days (limit {rules.receiptless_max_returns}): "
                f"this {APPROVAL}."
            )
            needs = True
        if amount > rules.receiptless_max_amount:
            sentences.append(
                f"Receipt-less credit in {period} days would reach {m(amount)} "
                f"(limit {m(rules.receiptless_max_amount)}): this {APPROVAL}."
            )
            needs = True
        if not needs:
            sentences.append(
                f"Receipt-less returns in {period} days: {count} of {rules.receiptless_max_returns}, "
                f"{m(amount)} of {m(rules.receiptless_max_amount)}."
            )

    if refund > rules.approval_over:
        sentences.append(f"A refund of {m(refund)} is over {m(rules.approval_over)}: this {APPROVAL}.")
        needs = True
    if lines_need:
        sentences.append("Some lines are outside the policy; a manager may accept them with a reason.")

    return RequestVerdict(
        goods=goods,
        fees=fees,
        clawback=clawback,
        refund=refund,
        needs_approval=needs,
        lines_need_approval=lines_need,
        sentences=sentences,
        shipping=shipping,
        shipping_tax=shipping_tax,
        currency=rules.currency,
    )


def _shipping_back(
    rules: Rules, facts: ShippingFacts | None, *, all_fault: bool, sentences: list[str]
) -> tuple[Decimal, Decimal | None]:
    """The order's shipping charge, whole with its tax, when the policy gives it back with this return;
    never twice (a done return that refunded it stops every later one)."""
    m = partial(_m, currency=rules.currency)  # amounts in the policy's market's currency
    if facts is None or facts.charged <= 0 or rules.shipping_refund == ShippingRefund.NEVER:
        return ZERO, None
    if facts.already_refunded:
        sentences.append("The order's shipping was refunded with an earlier return.")
        return ZERO, None
    if facts.whole_order_back:
        sentences.append(f"The whole order is back: its shipping ({m(facts.charged)}) is refunded.")
        return facts.charged, facts.tax
    if all_fault and rules.shipping_refund == ShippingRefund.WHOLE_ORDER_OR_FAULT:
        sentences.append(f"Every item returned is our fault: the shipping ({m(facts.charged)}) is refunded.")
        return facts.charged, facts.tax
    sentences.append(f"The shipping ({m(facts.charged)}) is refunded when the whole order comes back.")
    return ZERO, None
