"""Returns: reasons, the channel bought vs channel returned matrix, refund methods."""

from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from insights.filters import Period
from insights.selectors._common import _ratio, _scalar_sum, channels, sold_orders
from orders.models import OrderLine
from orders.returns.models import Reason, ReturnLine, ReturnRequest
from retail.domain.money import money
from retail.replica import reporting_db


def received_returns(period: Period):
    """Returns whose goods were received in the period at the chosen stores (not rejected/cancelled)."""
    return (
        ReturnRequest.objects.using(reporting_db())
        .filter(period.within("received_at", "store"), period.at("store"))
        .exclude(status__in=[ReturnRequest.Status.REJECTED, ReturnRequest.Status.CANCELLED])
    )


def units_sold(period: Period) -> int:
    """Units of sold orders (see `sold_orders`) that were not cancelled at picking (one query,
    lines reached per order through their order index)."""
    units = _scalar_sum(
        OrderLine.objects.filter(order=OuterRef("pk")),
        F("quantity") - F("cancelled_quantity"),
        output_field=IntegerField(),
    )
    return sold_orders(period).annotate(units=units).aggregate(total=Sum("units"))["total"] or 0


def returns_by_reason(period: Period) -> list[dict]:
    """Returned units per reason and currency (a return's value is in its order's currency, a
    receipt-less one's in its store's market's: euros and złoty are two rows, never added), their
    share of returns and their rate against units sold.

    return rate = units received back for the reason / units sold in the same period and stores;
    the rows of a reason in several currencies add up to its share and rate. Two queries.
    """
    sold = units_sold(period)
    rows = list(
        ReturnLine.objects.using(reporting_db())
        .filter(period.within("request__received_at", "request__store"), period.at("request__store"))
        .exclude(request__status__in=[ReturnRequest.Status.REJECTED, ReturnRequest.Status.CANCELLED])
        .values("reason", currency=F("request__currency"))
        .annotate(lines=Count("pk"), units=Sum("quantity"), amount=Sum("amount"))
        .order_by("-units", "reason", "currency")
    )
    returned = sum(r["units"] for r in rows)
    labels = dict(Reason.choices)
    return [
        {
            "reason": r["reason"],
            "label": labels.get(r["reason"], r["reason"]),
            "currency": r["currency"],
            "lines": r["lines"],
            "units": r["units"],
            "amount": money(r["amount"] or 0, r["currency"]),
            "share": _ratio(r["units"], returned),
            "return_rate": _ratio(r["units"], sold, 2),
            "units_sold": sold,
        }
        for r in rows
    ]


def returns_channel_matrix(period: Period) -> dict:
    """Returns counted by the channel the goods were bought on x how they came back.

    Bought: the order's channel ("none" for receipt-less returns). Returned: "mail" for mail
    returns, otherwise the channel the return was started on (store for the desk and the POS).
    `rows` are per currency too (what each cell refunded, in the return's currency: never added
    across currencies); the grid counts returns whatever their currency. One query.
    """
    returned_via = Case(When(method=ReturnRequest.Method.MAIL, then=Value("mail")), default=F("channel"))
    rows = list(
        received_returns(period)
        .annotate(bought=Coalesce("order__channel", Value("none")), returned=returned_via)
        .values("bought", "returned", "currency")
        .annotate(returns=Count("pk"), refunds=Sum("refund_total"))
        .order_by("bought", "returned", "currency")
    )
    bought = sorted({r["bought"] for r in rows}, key=_channel_order)
    returned = sorted({r["returned"] for r in rows}, key=_channel_order)
    cells: dict[tuple[str, str], int] = {}
    for r in rows:
        cells[(r["bought"], r["returned"])] = cells.get((r["bought"], r["returned"]), 0) + r["returns"]
    return {
        "rows": [
            {
                "bought": r["bought"],
                "returned": r["returned"],
                "currency": r["currency"],
                "returns": r["returns"],
                "refunds": money(r["refunds"] or 0, r["currency"]),
            }
            for r in rows
        ],
        "bought": bought,
        "returned": returned,
        "grid": [
            [b, [cells.get((b, x), 0) for x in returned], sum(cells.get((b, x), 0) for x in returned)] for b in bought
        ],
        "cross_channel": sum(r["returns"] for r in rows if r["bought"] != r["returned"]),
        "total": sum(r["returns"] for r in rows),
    }


def _channel_order(name: str) -> tuple:
    order = [*channels(), "mail", "none"]
    return (order.index(name) if name in order else len(order), name)


def refund_methods(period: Period) -> list[dict]:
    """Refunded or exchanged returns received in the period, per refund method and currency (amounts
    of two currencies are never added; the share is of the number of returns). One query."""
    labels = dict(ReturnRequest.RefundMethod.choices)
    rows = list(
        received_returns(period)
        .filter(status__in=ReturnRequest.DONE_STATUSES)
        .values("refund_method", "currency")
        .annotate(returns=Count("pk"), amount=Sum("refund_total"))
        .order_by("-returns", "refund_method", "currency")
    )
    total = sum(r["returns"] for r in rows)
    return [
        {
            "method": r["refund_method"],
            "label": labels.get(r["refund_method"], r["refund_method"]),
            "currency": r["currency"],
            "returns": r["returns"],
            "share": _ratio(r["returns"], total),
            "amount": money(r["amount"] or 0, r["currency"]),
        }
        for r in rows
    ]
