"""Tax per market and rate (issue 19.3): what the lines of the period's sales hold and what their
returns gave back, per currency, as a VAT return reads it."""

from django.db.models import Count, Sum

from insights.filters import Period
from insights.selectors._common import ZERO, _sold_through
from orders.models import OrderLine
from orders.returns.models import ReturnLine, ReturnRequest
from retail.replica import reporting_db

MARKET = "order__store__market"


def tax_by_market(period: Period) -> list[dict]:
    """Per market of the selling store, currency and rate: the net, tax and gross of the lines of the
    orders sold in the period that recorded their tax, and the gross and tax their refunded or
    exchanged returns gave back (attributed to the sale, as the sales figures' refunds are); `tax_due`
    is what is left. Lines without recorded tax (before tax, untaxed markets) are not counted. Two
    queries, whatever the number of lines, on the reporting database (retail.replica)."""
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
    rows = []
    for row in sold:
        key = (row[f"{MARKET}__code"], row["order__currency"], row["tax_rate"])
        given_back = returned.get(key, {"gross": ZERO, "tax": ZERO})
        rows.append({
            "market": key[0],
            "market_name": row[f"{MARKET}__name"],
            "currency": key[1],
            "rate": key[2],
            "lines": row["lines"],
            "net": row["net"],
            "tax": row["tax"],
            "gross": row["gross"],
            "returned_gross": given_back["gross"],
            "returned_tax": given_back["tax"],
            "tax_due": row["tax"] - given_back["tax"],
        })  # fmt: skip
    return sorted(rows, key=lambda r: (r["market"], r["currency"], r["rate"]))
