"""The policy engine, rule by rule, with the words the desk and the API show."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from orders.returns.models import ReturnPolicy
from orders.returns.policy import (
    LineFacts,
    OfferFacts,
    RequestFacts,
    Rules,
    judge_line,
    judge_request,
    receiptless_price,
)

TODAY = date(2026, 11, 23)
RULES = Rules.from_policy(ReturnPolicy(name="test", market=None))


def facts(**kwargs) -> LineFacts:
    values = {
        "quantity": 1,
        "reason": "wrong_size",
        "condition": "new",
        "paid": Decimal("30.00"),
        "today": TODAY,
        "channel": "web",
        "bought_on": TODAY - timedelta(days=12),
    }
    values.update(kwargs)
    return LineFacts(**values)


def test_within_the_channel_window_is_eligible_and_says_why():
    # when
    verdict = judge_line(RULES, facts())
    # then
    assert not verdict.needs_approval
    assert verdict.explanation == "Bought on the web 12 days ago; web orders can be returned within 30 days."
    assert verdict.refund == Decimal("30.00") and verdict.fee == Decimal("0.00")


@pytest.mark.parametrize(
    ("channel", "days", "needs", "words"),
    [
        ("app", 30, False, "Bought in the app 30 days ago; app orders can be returned within 30 days."),
        ("app", 31, True, "Bought in the app 31 days ago; app orders can be returned within 30 days, so this"),
        ("store", 28, False, "Bought in store 28 days ago; store purchases can be returned within 28 days."),
        ("store", 29, True, "store purchases can be returned within 28 days, so this needs a manager's approval."),
        ("web", 0, False, "Bought on the web today;"),
        ("web", 1, False, "Bought on the web yesterday;"),
    ],
)
def test_window_by_channel(channel, days, needs, words):
    # when
    verdict = judge_line(RULES, facts(channel=channel, bought_on=TODAY - timedelta(days=days)))
    # then
    assert verdict.needs_approval is needs
    assert words in verdict.explanation


def test_a_channel_without_a_window_needs_a_manager_and_borrows_no_other_window():
    # given a policy with windows for the web and the store only
    rules = Rules(windows={"web": 30, "store": 28})
    # when a phone order of 3 days ago comes back for a change of mind, and another as faulty
    changed_mind = judge_line(rules, facts(channel="phone", bought_on=TODAY - timedelta(days=3)))
    faulty = judge_line(rules, facts(channel="phone", reason="defective", bought_on=TODAY - timedelta(days=3)))
    # then the first needs a manager, in words; the fault window still holds for the second
    assert changed_mind.needs_approval
    assert changed_mind.explanation == (
        "Bought by phone 3 days ago; the policy sets no return window for phone orders, "
        "so this needs a manager's approval."
    )
    assert not faulty.needs_approval
    assert "no return window for phone orders, but faulty items can be returned within 180 days" in (faulty.explanation)


def test_the_built_in_policy_has_the_standard_windows():
    # given no policy in the database: the built-in one (unsaved)
    # then every channel of the kernel has its window: 28 days over a store's counter, 30 elsewhere
    assert RULES.windows == {"app": 30, "web": 30, "store": 28, "phone": 30, "kiosk": 30}


def test_category_window_overrides_the_channel_and_the_style_overrides_the_category():
    # given a category with 60 days, and a style with 14
    by_category = facts(bought_on=TODAY - timedelta(days=45), category_window_days=60, category_name="Outerwear")
    by_style = facts(bought_on=TODAY - timedelta(days=20), category_window_days=60, product_window_days=14)
    # when
    category_verdict = judge_line(RULES, by_category)
    style_verdict = judge_line(RULES, by_style)
    # then
    assert not category_verdict.needs_approval
    assert "items in Outerwear can be returned within 60 days" in category_verdict.explanation
    assert style_verdict.needs_approval
    assert "this style can be returned within 14 days, so this needs a manager's approval" in style_verdict.explanation


def test_faulty_items_have_the_longer_window_and_no_fee():
    # given a faulty, used item bought 100 days ago
    verdict = judge_line(RULES, facts(reason="defective", condition="used", bought_on=TODAY - timedelta(days=100)))
    # then
    assert not verdict.needs_approval
    assert "faulty items can be returned within 180 days" in verdict.explanation
    assert "Our fault: no fees." in verdict.explanation
    assert verdict.fee == Decimal("0.00")


def test_faulty_past_the_fault_window_needs_approval():
    verdict = judge_line(RULES, facts(reason="defective", bought_on=TODAY - timedelta(days=181)))
    assert verdict.needs_approval
    assert "faulty items can be returned within 180 days, so this needs a manager's approval" in verdict.explanation


def test_final_sale_needs_approval_unless_faulty():
    # when
    changed_mind = judge_line(RULES, facts(final_sale=True, reason="changed_mind"))
    faulty = judge_line(RULES, facts(final_sale=True, reason="defective"))
    # then
    assert changed_mind.needs_approval
    assert "Final sale: returnable only if faulty, so this needs a manager's approval." in changed_mind.explanation
    assert not faulty.needs_approval
    assert "Final sale, but faulty items can always be returned." in faulty.explanation


def test_damaged_by_the_shopper_needs_approval():
    verdict = judge_line(RULES, facts(condition="damaged", reason="changed_mind"))
    assert verdict.needs_approval
    assert "Returned damaged, and not for a fault" in verdict.explanation


def test_restocking_fee_on_worn_items_to_the_cent():
    # given a worn item that paid 33.33
    verdict = judge_line(RULES, facts(condition="used", paid=Decimal("33.33")))
    # then 10% is 3.33, and the refund is the rest
    assert verdict.fee == Decimal("3.33")
    assert verdict.refund == Decimal("30.00")
    assert "Worn or used: 10% restocking fee (€3.33)." in verdict.explanation


def test_receiptless_price_is_the_lowest_of_recent_and_today():
    # when
    lower_before, note_before = receiptless_price(current=Decimal("24.99"), lowest_recent=Decimal("19.99"), days=30)
    lower_now, note_now = receiptless_price(current=Decimal("17.50"), lowest_recent=Decimal("19.99"), days=30)
    never_sold, _ = receiptless_price(current=Decimal("24.99"), lowest_recent=None, days=30)
    # then
    assert lower_before == Decimal("19.99")
    assert note_before == "No receipt: credited at €19.99, the lowest price in the last 30 days (now €24.99)."
    assert lower_now == Decimal("17.50") and "today's price of €17.50" in note_now
    assert never_sold == Decimal("24.99")


def _judged(*pairs):
    return [(f, judge_line(RULES, f)) for f in pairs]


def test_receiptless_limits_by_count_and_amount():
    line = facts(receiptless=True, bought_on=None, channel="", paid=Decimal("40.00"), price_note="No receipt.")
    # when the shopper already made two receipt-less returns in the period
    over_count = judge_request(RULES, RequestFacts(receiptless=True, prior_receiptless_count=2), _judged(line))
    # when their receipt-less credit would pass 150.00
    over_amount = judge_request(
        RULES, RequestFacts(receiptless=True, prior_receiptless_amount=Decimal("120.00")), _judged(line)
    )
    within = judge_request(RULES, RequestFacts(receiptless=True, prior_receiptless_count=1), _judged(line))
    # then
    assert over_count.needs_approval
    assert (
        "3rd return without a receipt in 90 days (limit 2): this needs a manager's approval." in over_count.explanation
    )
    assert over_amount.needs_approval
    assert "would reach €160.00 (limit €150.00)" in over_amount.explanation
    assert not within.needs_approval
    assert "Returns without a receipt in 90 days, this one included: 2 of 2 allowed, €40.00 of €150.00." in (
        within.explanation
    )


def test_refund_over_the_threshold_needs_a_manager():
    verdict = judge_request(RULES, RequestFacts(), _judged(facts(paid=Decimal("250.01"))))
    at_threshold = judge_request(RULES, RequestFacts(), _judged(facts(paid=Decimal("250.00"))))
    assert verdict.needs_approval and "A refund of €250.01 is over €250.00" in verdict.explanation
    assert not at_threshold.needs_approval


def test_mail_returns_pay_postage_unless_our_fault():
    paid = facts(paid=Decimal("30.00"))
    faulty = facts(paid=Decimal("30.00"), reason="arrived_damaged")
    charged = judge_request(RULES, RequestFacts(method="mail"), _judged(paid))
    free = judge_request(RULES, RequestFacts(method="mail"), _judged(faulty))
    assert charged.fees == Decimal("3.95") and charged.refund == Decimal("26.05")
    assert "Mail return: €3.95 postage deducted." in charged.explanation
    assert free.fees == Decimal("0.00") and "no postage charged" in free.explanation


def test_offer_clawback_when_the_kept_goods_fall_below_the_minimum():
    rules = Rules.from_policy(ReturnPolicy(name="t", market=None, offer_minimum_spend=Decimal("50.00")))
    offer = OfferFacts(code="SPRING10", kept_gross=Decimal("30.00"), offer_share_on_kept=Decimal("3.00"))
    still_qualifies = OfferFacts(code="SPRING10", kept_gross=Decimal("60.00"), offer_share_on_kept=Decimal("6.00"))
    # when
    clawed = judge_request(rules, RequestFacts(offer=offer), _judged(facts(paid=Decimal("27.00"))))
    kept = judge_request(rules, RequestFacts(offer=still_qualifies), _judged(facts(paid=Decimal("27.00"))))
    # then
    assert clawed.clawback == Decimal("3.00") and clawed.refund == Decimal("24.00")
    assert "Offer SPRING10 needs €50.00 of goods; the shopper keeps €30.00, so its €3.00 discount" in clawed.explanation
    assert kept.clawback == Decimal("0.00") and kept.refund == Decimal("27.00")


def test_deductions_never_exceed_the_goods():
    # given a worn item worth 2.00 returned by mail (postage 3.95)
    verdict = judge_request(RULES, RequestFacts(method="mail"), _judged(facts(paid=Decimal("2.00"), condition="used")))
    # then the refund is zero, never negative
    assert verdict.refund == Decimal("0.00")
    assert verdict.goods == verdict.fees + verdict.clawback


def test_a_clawback_is_given_back_when_the_kept_items_come_back_too():
    rules = Rules.from_policy(ReturnPolicy(name="t", market=None, offer_minimum_spend=Decimal("50.00")))
    nothing_kept = OfferFacts(
        code="SPRING10", kept_gross=Decimal("0.00"), offer_share_on_kept=Decimal("0.00"),
        already_clawed_back=Decimal("3.00"),
    )  # fmt: skip
    verdict = judge_request(rules, RequestFacts(offer=nothing_kept), _judged(facts(paid=Decimal("27.00"))))
    assert verdict.clawback == Decimal("-3.00") and verdict.refund == Decimal("30.00")
    assert "Offer SPRING10: the €3.00 taken back on an earlier return is refunded now." in verdict.explanation
