"""Markets (issue 19), the writes and reads: head office saves a market (audited), and every sale
asks which market it belongs to."""

from django.db import transaction

from retail.models import Market, Store, User
from retail.models.markets import home_market_id
from retail.services import record_audit_event


@transaction.atomic
def save_market(*, market: Market, actor: User | None, changed: list[str] | None = None) -> Market:
    """Save a market; making it home retires the home market before (the database allows one).

    Takes every market's row lock (primary-key order) first, so two saves cannot both pass the check
    that a country is in one market only."""
    list(Market.objects.select_for_update().order_by("pk").values_list("pk", flat=True))
    market.full_clean()
    if market.is_home:
        Market.objects.filter(is_home=True).exclude(pk=market.pk).update(is_home=False)
    market.save()
    record_audit_event(
        actor=actor,
        action="market.saved",
        obj=market,
        details={"code": market.code, "currency": market.currency, "home": market.is_home, "changed": changed or []},
    )
    return market


def home_market() -> Market:
    return Market.objects.get(pk=home_market_id())


def market_for_sale(*, store: Store | None = None, channel: str = "", country: str = "") -> Market:
    """The market a sale belongs to: its store's, else the active market that lists the online
    channel and covers the shopper's country, else one that lists the channel, else the home market."""
    if store is not None:
        return store.market
    markets = list(Market.objects.filter(is_active=True, online_channels__contains=[channel]).order_by("code"))
    country = country.strip().upper()
    return (
        next((m for m in markets if country and country in m.countries), None)
        or next((m for m in markets if m.is_home), None)
        or (markets[0] if markets else home_market())
    )
