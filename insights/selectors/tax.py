"""Tax per market and rate (issue 19.3): what the lines of the period's sales hold and what their
returns gave back, per currency, as a VAT return reads it."""

from decimal import Decimal

from django.db.models import Count, Sum

from insights.filters import Period
from insights.selectors._common import ZERO, _sold_through
from orders.models import Order, OrderLine
from orders.returns.models import ReturnLine, ReturnRequest
from retail.domain.money import Money
from retail.domain.tax import LineTax, reverse_units
from retail.replica import reporting_db

MARKET = "order__store__market"


def tax_by_market(period: Period) -> list[dict]:
    """Per market of the selling store, currency and rate: the net, tax and gross of the lines of the
    orders sold in the period that recorded their tax, the gross and tax their refunded or exchanged
    returns gave back (attributed to the sale, as the sales figures' refunds are), and the tax of units
    short-picked and cancelled (never charged); `tax_due` is what is left. Lines without recorded tax
    (before tax, untaxed markets) are not counted. Shipping charges count with the lines of their rate
    (`shipping_charges` of them), and what returns gave back of them. Five queries, whatever the number
    of lines, on the reporting database (retail.replica)."""
    sold = (
        OrderLine.objects.using(reporting_db())
        .filter(_sold_through(period, "order__"), tax_amount__isnull=False)
        .values(f"{MARKET}__code", f"{MARKET}__name", "order__currency", "tax_rate")
        .annotate(lines=Count("pk"), net=Sum("net"), tax=Sum("tax_amount"), gross=Sum("total"))
        .order_by()
    )
    back = (
        ReturnLine.objects.using(reporting_db())
        .filter(
            _sold_through(period, "order_line__order__"),
            request__status__in=ReturnRequest.DONE_STATUSES,
            tax_amount__isnull=False,
        )
        .values(f"order_line__{MARKET}__code", "order_line__order__currency", "order_line__tax_rate")
        .annotate(gross=Sum("amount"), tax=Sum("tax_amount"))
        .order_by()
    )
    returned = {
        (r[f"order_line__{MARKET}__code"], r["order_line__order__currency"], r["order_line__tax_rate"]): r for r in back
    }
    not_charged: dict[tuple, Decimal] = {}
    short = (
        OrderLine.objects.using(reporting_db())
        .filter(_sold_through(period, "order__"), tax_amount__isnull=False, cancelled_quantity__gt=0)
        .values_list(f"{MARKET}__code", "order__currency", "tax_rate", "net", "tax_amount", "total", "quantity",
                     "cancelled_quantity")
        .order_by()
    )  # fmt: skip
    for code, currency, rate, net, tax, total, quantity, cancelled in short:
        # the cancelled units are the line's last (orders.services.pickups.short_pick), their tax as returns split it
        line = LineTax(net=Money(net, currency), tax=Money(tax, currency), gross=Money(total, currency), rate=rate)
        units = reverse_units(line, quantity=quantity, start=quantity - cancelled, count=cancelled)
        not_charged[(code, currency, rate)] = not_charged.get((code, currency, rate), ZERO) + units.tax.amount
    rows: dict[tuple, dict] = {}
    for row in sold:
        key = (row[f"{MARKET}__code"], row["order__currency"], row["tax_rate"])
        given_back = returned.get(key, {"gross": ZERO, "tax": ZERO})
        rows[key] = {
            "market": key[0],
            "market_name": row[f"{MARKET}__name"],
            "currency": key[1],
            "rate": key[2],
            "lines": row["lines"],
            "shipping_charges": 0,
            "net": row["net"],
            "tax": row["tax"],
            "gross": row["gross"],
            "returned_gross": given_back["gross"],
            "returned_tax": given_back["tax"],
            "cancelled_tax": not_charged.get(key, ZERO),
        }  # fmt: skip
    _add_shipping(rows, period)
    for row in rows.values():
        row["tax_due"] = row["tax"] - row["returned_tax"] - row["cancelled_tax"]
    return sorted(rows.values(), key=lambda r: (r["market"], r["currency"], r["rate"]))


def _add_shipping(rows: dict[tuple, dict], period: Period) -> None:
    """The period's shipping charges that recorded their tax, and what done returns gave back of them, into
    the rows of their market, currency and rate (a rate only shipping paid gets its own row)."""
    market = "store__market"
    charged = (
        Order.objects.using(reporting_db())
        .filter(_sold_through(period, ""), shipping_tax__isnull=False)
        .values(f"{market}__code", f"{market}__name", "currency", "shipping_tax_rate")
        .annotate(charges=Count("pk"), net=Sum("shipping_net"), tax=Sum("shipping_tax"))
        .order_by()
    )
    back = (
        ReturnRequest.objects.using(reporting_db())
        .filter(_sold_through(period, "order__"), status__in=ReturnRequest.DONE_STATUSES, shipping_tax__isnull=False)
        .values(f"order__{market}__code", "order__currency", "order__shipping_tax_rate")
        .annotate(gross=Sum("shipping_refund"), tax=Sum("shipping_tax"))
        .order_by()
    )
    for row in charged:
        key = (row[f"{market}__code"], row["currency"], row["shipping_tax_rate"])
        target = rows.setdefault(key, {
            "market": key[0], "market_name": row[f"{market}__name"], "currency": key[1], "rate": key[2],
            "lines": 0, "shipping_charges": 0, "net": ZERO, "tax": ZERO, "gross": ZERO,
            "returned_gross": ZERO, "returned_tax": ZERO, "cancelled_tax": ZERO,
        })  # fmt: skip
        target["shipping_charges"] += row["charges"]
        target["net"] += row["net"]
        target["tax"] += row["tax"]
        target["gross"] += row["net"] + row["tax"]  # paid: the tax inside the charge or on top of it
    for row in back:
        key = (row[f"order__{market}__code"], row["order__currency"], row["order__shipping_tax_rate"])
        if key in rows:
            rows[key]["returned_gross"] += row["gross"]
            rows[key]["returned_tax"] += row["tax"]
