"""The return policy engine: pure functions from facts to a verdict explained in words.

No database here. Services gather the facts (when and where it was bought, what was paid, the
catalog's windows and final-sale flag, the shopper's receipt-less history) and store the
verdicts; the desk and the API show the same sentences, in the reader's language (the active one
when the verdict is made: the desk's, or the API caller's).
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import get_language, gettext_lazy, ngettext, override, pgettext
from django.utils.translation import gettext as _

from orders.returns.models import FAULT_REASONS, Condition, ReturnPolicy, ReturnRequest, ShippingRefund
from retail.domain.channel import Channel
from retail.domain.money import format_money as _m
from retail.domain.money import money

ZERO = Decimal("0.00")
# Every sentence that sends a return to a manager holds these words (services pick those sentences out).
APPROVAL = gettext_lazy("needs a manager's approval")


def channel_words(value: str) -> tuple[str, str]:
    """Where it was bought, in a sentence and as a heading ("in the app", "App orders"): the kernel's."""
    channel = Channel.read(value)
    if channel is not None:
        return str(channel.bought), str(channel.purchases)
    return _("on %(channel)s") % {"channel": value}, _("%(channel)s orders") % {"channel": value}


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
    explanations: dict[str, str] = field(default_factory=dict)  # by language code: in_every_language

    @property
    def explanation(self) -> str:
        return " ".join(self.sentences)


def _ago(days: int) -> str:
    if days == 0:
        return _("today")
    if days == 1:
        return _("yesterday")
    return ngettext("%(days)s day ago", "%(days)s days ago", days) % {"days": days}


def window_for(rules: Rules, facts: LineFacts) -> tuple[int | None, str]:
    """(days, who says so): the style's own window, else its category's, else the channel's row.
    None when the policy has no window for the channel: no other channel's window stands in."""
    if facts.product_window_days is not None:
        return facts.product_window_days, _("this style")
    if facts.category_window_days is not None:
        if facts.category_name:
            return facts.category_window_days, _("items in %(category)s") % {"category": facts.category_name}
        return facts.category_window_days, _("this category")
    return rules.windows.get(facts.channel), channel_words(facts.channel)[1].lower()


def judge_line(rules: Rules, facts: LineFacts) -> LineVerdict:
    """The verdict on one line: can it come back without a manager, what fee, what refund."""
    m = partial(_m, currency=rules.currency)  # amounts in the policy's market's currency
    sentences: list[str] = []
    needs_approval = False
    fault = facts.reason in FAULT_REASONS

    if facts.receiptless or facts.bought_on is None:
        sentences.append(facts.price_note or _("No receipt: credited as store credit."))
    else:
        days = (facts.today - facts.bought_on).days
        window, source = window_for(rules, facts)
        words = {
            "where": channel_words(facts.channel)[0],
            "ago": _ago(days),
            "source": source,
            "window": window,
            "days": rules.fault_window_days,
            "approval": APPROVAL,
        }
        if window is None:
            if fault and days <= rules.fault_window_days:
                sentences.append(
                    ngettext(
                        "Bought %(where)s %(ago)s; the policy sets no return window for %(source)s, but faulty "
                        "items can be returned within %(days)s day.",
                        "Bought %(where)s %(ago)s; the policy sets no return window for %(source)s, but faulty "
                        "items can be returned within %(days)s days.",
                        rules.fault_window_days,
                    )
                    % words
                )
            else:
                sentences.append(
                    _(
                        "Bought %(where)s %(ago)s; the policy sets no return window for %(source)s, "
                        "so this %(approval)s."
                    )
                    % words
                )
                needs_approval = True
        elif days <= window:
            sentences.append(
                ngettext(
                    "Bought %(where)s %(ago)s; %(source)s can be returned within %(window)s day.",
                    "Bought %(where)s %(ago)s; %(source)s can be returned within %(window)s days.",
                    window,
                )
                % words
            )
        elif fault and days <= rules.fault_window_days:
            sentences.append(
                ngettext(
                    "Bought %(where)s %(ago)s, past the %(window)s-day window of %(source)s; "
                    "faulty items can be returned within %(days)s day.",
                    "Bought %(where)s %(ago)s, past the %(window)s-day window of %(source)s; "
                    "faulty items can be returned within %(days)s days.",
                    rules.fault_window_days,
                )
                % words
            )
        else:
            if fault:
                rule = ngettext(
                    "faulty items can be returned within %(days)s day",
                    "faulty items can be returned within %(days)s days",
                    rules.fault_window_days,
                )
            else:
                rule = ngettext(
                    "%(source)s can be returned within %(window)s day",
                    "%(source)s can be returned within %(window)s days",
                    window,
                )
            words["rule"] = rule % words
            sentences.append(_("Bought %(where)s %(ago)s; %(rule)s, so this %(approval)s.") % words)
            needs_approval = True

    if facts.final_sale:
        if fault:
            sentences.append(_("Final sale, but faulty items can always be returned."))
        else:
            sentences.append(_("Final sale: returnable only if faulty, so this %(approval)s.") % {"approval": APPROVAL})
            needs_approval = True

    if facts.condition == Condition.DAMAGED and not fault:
        sentences.append(_("Returned damaged, and not for a fault: this %(approval)s.") % {"approval": APPROVAL})
        needs_approval = True

    fee = ZERO
    if facts.condition == Condition.USED and not fault and rules.restocking_fee_percent > 0:
        fee = min(money(facts.paid * rules.restocking_fee_percent / Decimal("100")), facts.paid)
        percent = number_format(Decimal(f"{rules.restocking_fee_percent.normalize():f}"))
        sentences.append(
            _("Worn or used: %(percent)s%% restocking fee (%(fee)s).") % {"percent": percent, "fee": m(fee)}
        )
    elif fault:
        sentences.append(_("Our fault: no fees."))
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
        note = ngettext(
            "No receipt: credited at %(price)s, the lowest price in the last %(days)s day (now %(current)s).",
            "No receipt: credited at %(price)s, the lowest price in the last %(days)s days (now %(current)s).",
            days,
        )
        return price, note % {"price": m(price), "days": days, "current": m(current)}
    note = ngettext(
        "No receipt: credited at today's price of %(price)s, the lowest in the last %(days)s day.",
        "No receipt: credited at today's price of %(price)s, the lowest in the last %(days)s days.",
        days,
    )
    return current, note % {"price": m(current), "days": days}


RefundMethod = ReturnRequest.RefundMethod
NO_RECEIPT = gettext_lazy("Without a receipt the refund is store credit or an exchange.")
NO_PROFILE = gettext_lazy(
    "Store credit and exchanges need the shopper's profile; refund to the original payment instead."
)


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
        refused[RefundMethod.ORIGINAL] = str(NO_RECEIPT)
    if not known_shopper:
        refused |= {RefundMethod.STORE_CREDIT: str(NO_PROFILE), RefundMethod.EXCHANGE: str(NO_PROFILE)}
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
    summaries: dict[str, list[str]] = field(default_factory=dict)  # by language code: in_every_language

    @property
    def explanation(self) -> str:
        return " ".join(self.sentences)


def _ordinal(n: int) -> str:
    """ "3rd" in English; another language says through its catalog how it writes the n-th ("3º", "3.")."""
    if not (get_language() or "en").startswith("en"):
        return pgettext("an ordinal number: the 3rd", "no. %(count)s") % {"count": n}
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
            sentences.append(_("Mail return of faulty items: no postage charged."))
        else:
            postage = min(rules.mail_return_fee, goods - fees)
            fees += postage
            sentences.append(_("Mail return: %(postage)s postage deducted.") % {"postage": m(postage)})

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
                _(
                    "Offer %(code)s needs %(minimum)s of goods; the shopper keeps %(kept)s, so its %(clawback)s "
                    "discount on the kept items is taken back."
                )
                % {
                    "code": offer.code,
                    "minimum": m(rules.offer_minimum_spend),
                    "kept": m(offer.kept_gross),
                    "clawback": m(clawback),
                }
            )
        elif clawback < 0:
            sentences.append(
                _("Offer %(code)s: the %(amount)s taken back on an earlier return is refunded now.")
                % {"code": offer.code, "amount": m(-clawback)}
            )

    shipping, shipping_tax = _shipping_back(rules, facts.shipping, all_fault=all_fault, sentences=sentences)
    refund = goods - fees - clawback + shipping

    if facts.receiptless:
        count = facts.prior_receiptless_count + 1
        amount = facts.prior_receiptless_amount + refund
        words = {
            "ordinal": _ordinal(count),
            "count": count,
            "period": rules.receiptless_period_days,
            "limit": rules.receiptless_max_returns,
            "amount": m(amount),
            "most": m(rules.receiptless_max_amount),
            "approval": APPROVAL,
        }
        if count > rules.receiptless_max_returns:
            sentences.append(
                _("%(ordinal)s return without a receipt in %(period)s days (limit %(limit)s): this %(approval)s.")
                % words
            )
            needs = True
        if amount > rules.receiptless_max_amount:
            sentences.append(
                _(
                    "Credit for returns without a receipt in %(period)s days would reach %(amount)s (limit %(most)s): "
                    "this %(approval)s."
                )
                % words
            )
            needs = True
        if not needs:
            sentences.append(
                _(
                    "Returns without a receipt in %(period)s days, this one included: %(count)s of %(limit)s allowed, "
                    "%(amount)s of %(most)s."
                )
                % words
            )

    if refund > rules.approval_over:
        sentences.append(
            _("A refund of %(refund)s is over %(threshold)s: this %(approval)s.")
            % {"refund": m(refund), "threshold": m(rules.approval_over), "approval": APPROVAL}
        )
        needs = True
    if lines_need:
        sentences.append(_("Some lines are outside the policy; a manager may accept them with a reason."))

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
        sentences.append(_("The order's shipping was refunded with an earlier return."))
        return ZERO, None
    charged = {"amount": m(facts.charged)}
    if facts.whole_order_back:
        sentences.append(_("The whole order is back: its shipping (%(amount)s) is refunded.") % charged)
        return facts.charged, facts.tax
    if all_fault and rules.shipping_refund == ShippingRefund.WHOLE_ORDER_OR_FAULT:
        sentences.append(_("Every item returned is our fault: the shipping (%(amount)s) is refunded.") % charged)
        return facts.charged, facts.tax
    sentences.append(_("The shipping (%(amount)s) is refunded when the whole order comes back.") % charged)
    return ZERO, None


def in_every_language(
    rules: Rules, facts: RequestFacts, lines: list[tuple[LineFacts, LineVerdict]], verdict: RequestVerdict
) -> RequestVerdict:
    """The verdict's words in every language of the portal (settings.LANGUAGES), kept with the return so
    a reader of another language than the judge's reads it in theirs: the same facts judged again under
    each language give the same verdict in its words (sets each line's `explanations` and the request's
    `summaries`). A price note already worded in the facts (receipt-less) stays as it was worded."""
    for code, _name in settings.LANGUAGES:
        with override(code):
            again = [(line_facts, judge_line(rules, line_facts)) for line_facts, _verdict in lines]
            verdict.summaries[code] = judge_request(rules, facts, again).sentences
        for (_facts, line_verdict), (_again, worded) in zip(lines, again, strict=True):
            line_verdict.explanations[code] = worded.explanation
    return verdict
