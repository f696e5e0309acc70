"""Discounts at checkout and at the till: an offer, then loyalty points, redeemed against an order number.

Online checkout, assisted orders (through it) and POS sales share these rules and codes, and the
once-only guarantee of the ledgers behind them: an offer used online is refused at the till.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.errors import CustomerError
from customers.models import Customer, Offer, OfferAssignment
from customers.services.loyalty import redeem_offer, redeem_points, refuse_offer_in_currency
from orders.errors import OrderCode, OrderError
from orders.models import Order
from orders.services._common import actor_or_none
from retail.domain.money import format_money, money
from retail.exchange_rates import rates_on
from retail.models import Market

ZERO = Decimal("0.00")


def point_value() -> Decimal:
    """What one loyalty point is worth at checkout in the home market's currency (settings.ORDERS_POINT_VALUE,
    default 0.01): points are earned per unit of it too (customers.services.loyalty.points_for_amount)."""
    return Decimal(str(getattr(settings, "ORDERS_POINT_VALUE", "0.01")))


def point_rate(market: Market) -> Decimal:
    """Head office's rate of today from the market's currency into the home currency (1 at home): a point is
    worth point_value() / this in the market's currency. No query in the home market, two elsewhere;
    `points_unavailable` (409) when the currency has no rate today."""
    if market.is_home:
        return Decimal(1)
    conversion = rates_on(currencies={market.currency}, day=timezone.localdate())[market.currency]
    if conversion.missing:
        raise OrderError(
            _("Points cannot be spent in %(currency)s today: head office has no exchange rate for it yet.")
            % {"currency": market.currency},
            code=OrderCode.POINTS_UNAVAILABLE,
            fields={"points": [_("Not in %(currency)s today.") % {"currency": market.currency}]},
            extra={"currency": market.currency},
        )
    return conversion.rate


@dataclass(frozen=True)
class Discounts:
    """What the offer and the points took off an amount due, and what was redeemed for it."""

    offer: Decimal = ZERO
    points: Decimal = ZERO
    offer_code: str = ""
    points_redeemed: int = 0

    @property
    def total(self) -> Decimal:
        return self.offer + self.points


def redeem_discounts(
    *, order: Order, market: Market, customer: Customer, offer_code: str, points: int, due: Decimal, actor
) -> Discounts:
    """The offer on what is due, then the points on what is left (worth their value in the order's market's
    currency), redeemed against `order.number` (the row may not exist yet). Online checkout, assisted
    orders and the till share these rules."""
    offer = apply_offer(order=order, customer=customer, offer_code=offer_code, subtotal=due, actor=actor)
    points_value = apply_points(
        order=order, market=market, customer=customer, points=points, due=due - offer, actor=actor
    )
    return Discounts(
        offer=offer,
        points=points_value,
        offer_code=offer_code.strip() if offer else "",
        points_redeemed=points if points_value else 0,
    )


def expected_discounts(*, customer: Customer, offer_code: str, points: int, due: Decimal, market: Market) -> Discounts:
    """What redeem_discounts will take off `due` (in the market's currency), read without a lock: checkout asks the tax
    provider with these amounts before it locks the offer and the loyalty account. Points worth more than is
    left are refused here already (`invalid_points`, as apply_points), and so is an amount off in another
    currency (`offer_wrong_currency`); an offer that is not the shopper's, used or expired is refused by
    redeem_discounts, which then takes the locks. One query with an offer code."""
    code = (offer_code or "").strip()
    offer = ZERO
    if code:
        assignment = OfferAssignment.objects.select_related("offer").filter(customer=customer, offer__code=code).first()
        if assignment is not None:
            _offer_error(refuse_offer_in_currency, assignment.offer, market.currency)
            offer = offer_discount(assignment.offer, due)
    points_value = _points_value(points, due - offer, market) if points else ZERO
    return Discounts(offer=offer, points=points_value, offer_code=code if offer else "",
                     points_redeemed=points if points_value else 0)  # fmt: skip


def offer_discount(offer: Offer, subtotal: Decimal) -> Decimal:
    """What an offer takes off a subtotal: its percent or its amount, never more than the subtotal.
    An amount off is in the offer's currency: the caller has checked the subtotal is in it too."""
    if offer.discount_percent is not None:
        discount = money(subtotal * offer.discount_percent / Decimal("100"))
    else:
        discount = money(offer.discount_amount)
    return min(discount, subtotal)


def apply_offer(*, order: Order, customer: Customer, offer_code: str, subtotal: Decimal, actor) -> Decimal:
    offer_code = (offer_code or "").strip()
    if not offer_code:
        return Decimal("0.00")

    assignment = _offer_error(
        redeem_offer,
        customer=customer,
        offer_code=offer_code,
        channel=order.channel,
        currency=order.currency,
        reference=order.number,
        store=order.store,
        actor=actor_or_none(actor),
    )
    return offer_discount(assignment.offer, subtotal)


def _offer_error(service, *args, **kwargs):
    """The customers service's answer, its refusal as the order's error on the offer code."""
    try:
        return service(*args, **kwargs)
    except CustomerError as exc:
        raise OrderError(exc.message, code=exc.code, fields={"offer_code": [exc.message]}, extra=exc.extra) from None


def _points_value(points: int, due: Decimal, market: Market) -> Decimal:
    """What the points are worth in the market's currency (their home-currency value converted at today's
    rate); `invalid_points` when that is more than is left to pay."""
    rate = point_rate(market)
    value = money(points * point_value() / rate, market.currency)
    if value > due:
        raise OrderError(
            _("%(points)s points are worth %(value)s, more than the %(due)s left to pay.")
            % {"points": points, "value": format_money(value, market.currency),
               "due": format_money(due, market.currency)},
            code=OrderCode.INVALID_POINTS,
            fields={"points": [_("At most %(value)s.") % {"value": int(due * rate / point_value())}]},
        )  # fmt: skip
    return value


def apply_points(*, order: Order, market: Market, customer: Customer, points: int, due: Decimal, actor) -> Decimal:
    if not points:
        return Decimal("0.00")
    value = _points_value(points, due, market)

    try:
        redeem_points(customer=customer, points=points, reference=order.number, actor=actor_or_none(actor))
    except CustomerError as exc:
        raise OrderError(exc.message, code=exc.code, fields={"points": [exc.message]}, extra=exc.extra) from None
    return value
