"""Gift card liabilities: what the chain still owes on the cards it sold or gave, by currency, issue
month and channel."""

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.utils.translation import gettext as _

from customers.models import GiftCardEntry
from insights.filters import Period, chain_zone
from insights.selectors._common import MONEY, ZERO, _ratio, channel_labels
from retail.replica import reporting_db

GOODWILL = "goodwill"


def gift_card_liabilities(period: Period) -> list[dict]:
    """Cards issued in the period (their issue month on the chain's clock), per currency (a card's
    money is never added to another currency's), month and channel (goodwill for head office's):
    how many, loaded, redeemed, refunded to them, written off at expiry (breakage) and outstanding
    now, the liability. With stores chosen, the cards sold at their tills. The ledger's sums, in
    one query (outstanding = the sum of every entry = the cards' balances, which verify_gift_cards
    checks)."""
    cards = Q(card__issued_at__gte=period.since, card__issued_at__lt=period.until)
    if period.store_ids is not None:
        sold_here = GiftCardEntry.objects.filter(kind="issue", store_id__in=period.store_ids).values("card_id")
        cards &= Q(card_id__in=sold_here)
    rows = (
        GiftCardEntry.objects.using(reporting_db())
        .filter(cards)
        .annotate(month=TruncMonth("card__issued_at", tzinfo=chain_zone()))
        .values("card__currency", "month", "card__channel", "card__source")
        .annotate(
            cards=Count("card_id", distinct=True),
            issued=Coalesce(Sum("amount", filter=Q(kind="issue")), ZERO, output_field=MONEY),
            redeemed=Coalesce(-Sum("amount", filter=Q(kind="redeem")), ZERO, output_field=MONEY),
            refunded=Coalesce(Sum("amount", filter=Q(kind="refund")), ZERO, output_field=MONEY),
            breakage=Coalesce(-Sum("amount", filter=Q(kind="expire")), ZERO, output_field=MONEY),
            outstanding=Coalesce(Sum("amount"), ZERO, output_field=MONEY),
            expired_cards=Count("card_id", distinct=True, filter=Q(kind="expire")),
        )
        .order_by("card__currency", "month", "card__source", "card__channel")
    )
    labels = channel_labels()
    result = []
    for row in rows:
        channel = GOODWILL if row["card__source"] == GOODWILL else row["card__channel"] or "unknown"
        result.append({
            "currency": row["card__currency"],
            "month": row["month"].date().isoformat()[:7],
            "channel": channel,
            "channel_label": _("Goodwill (head office)") if channel == GOODWILL else labels.get(channel, channel),
            "cards": row["cards"],
            "issued": row["issued"],
            "redeemed": row["redeemed"],
            "refunded": row["refunded"],
            "breakage": row["breakage"],
            "expired_cards": row["expired_cards"],
            "outstanding": row["outstanding"],
            "redeemed_share": _ratio(row["redeemed"] - row["refunded"], row["issued"]),
        })  # fmt: skip
    return result
