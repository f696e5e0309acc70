"""Assisted sales per seller: the commission report (orders an associate placed for a shopper)."""

from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce

from insights.filters import Period
from orders.models import Order
from retail.replica import reporting_db


def sales_by_seller(period: Period) -> list[dict]:
    """Assisted orders (endless aisle, phone) placed in the period at these stores, per seller:
    and currency (a seller's euros and złoty are two rows, never added): the commission report's
    figures, in the currency the orders were sold in. `sold` counts orders not cancelled and `sold_total` their
    totals; `paid` those whose payment arrived (till or link), `awaiting` those still waiting,
    `unpaid` those cancelled because no payment came. One query."""
    paid = Q(payment_request__status="paid") | Q(payment_request__isnull=True)
    live = ~Q(status=Order.Status.CANCELLED)
    rows = (
        Order.objects.using(reporting_db())
        .filter(period.within("placed_at", "store"), period.at("store"), seller__isnull=False)
        .values("seller_id", "seller__full_name", "seller__email", "currency")
        .annotate(
            orders=Count("pk"),
            sold=Count("pk", filter=live),
            sold_total=Coalesce(Sum("total", filter=live), Decimal("0.00")),
            paid=Count("pk", filter=live & paid),
            paid_total=Coalesce(Sum("total", filter=live & paid), Decimal("0.00")),
            awaiting=Count("pk", filter=live & Q(payment_request__status="pending")),
            unpaid=Count("pk", filter=Q(payment_request__status="expired")),
            stores=Count("store_id", distinct=True),
        )
        .order_by("-paid_total", "seller__full_name", "seller_id", "currency")
    )
    return [
        {
            "seller": row["seller__full_name"] or row["seller__email"],
            "seller_email": row["seller__email"],
            "currency": row["currency"],
            "orders": row["orders"],
            "sold": row["sold"],
            "sold_total": row["sold_total"],
            "paid": row["paid"],
            "paid_total": row["paid_total"],
            "awaiting": row["awaiting"],
            "unpaid": row["unpaid"],
            "stores": row["stores"],
        }
        for row in rows
    ]
