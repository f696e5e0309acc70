"""Insights' gift card liabilities: the ledger's sums by currency, issue month and channel, breakage,
constant queries."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import GiftCard
from customers.services.giftcards import expire_gift_cards, issue_gift_card, redeem_gift_card, refund_to_gift_card
from insights import selectors
from retail.models import Market
from tests.factories import MarketFactory
from tests.insights.conftest import at, october

pytestmark = pytest.mark.django_db

URL = "/portal/insights/"
OCT = "start=2026-10-01&end=2026-10-31"


def card(amount: str, *, channel="store", source="sold", when=None, store=None, reference=None, currency=None):
    reference = reference or f"GC-{GiftCard.objects.count()}"
    issued = issue_gift_card(amount=Decimal(amount), source=source, channel=channel, store=store,
                             reference=reference, reason="Late delivery", currency=currency)  # fmt: skip
    moment = when or at(10, 10)
    GiftCard.objects.filter(pk=issued.card.pk).update(issued_at=moment, expires_at=moment + timedelta(days=1095))
    return issued


def test_liabilities_sum_the_ledger_by_month_and_channel_with_breakage(chain):
    # given in October: two till cards at LON (one half spent then 10.00 refunded to it), an app card,
    # a goodwill card; one till card of September (outside), and an app card that expired with 30.00 on it
    lon = card("100.00", store=chain.lon)
    redeem_gift_card(code=lon.code, amount=Decimal("50.00"), reference="ORD-1", caller="t")
    refund_to_gift_card(card=lon.card, amount=Decimal("10.00"), reference="RMA-1")
    card("20.00", store=chain.lon)
    card("40.00", store=chain.man)
    card("50.00", channel="app")
    card("25.00", source="goodwill")
    card("99.00", when=at(9, 20), store=chain.lon)
    gone = card("30.00", channel="app", when=at(10, 1))
    GiftCard.objects.filter(pk=gone.card.pk).update(expires_at=at(10, 2))
    assert expire_gift_cards() == 1
    # when
    rows = {r["channel"]: r for r in selectors.gift_card_liabilities(october())}
    # then
    assert set(rows) == {"store", "app", "goodwill"} and {r["month"] for r in rows.values()} == {"2026-10"}
    store, app = rows["store"], rows["app"]
    assert (store["cards"], store["issued"], store["redeemed"], store["refunded"]) == (
        3, Decimal("160.00"), Decimal("50.00"), Decimal("10.00"))  # fmt: skip
    assert store["outstanding"] == Decimal("120.00") and store["breakage"] == Decimal("0.00")
    assert (app["cards"], app["breakage"], app["expired_cards"], app["outstanding"]) == (
        2, Decimal("30.00"), 1, Decimal("50.00"))  # fmt: skip
    assert rows["goodwill"]["channel_label"] == "Goodwill (head office)"
    assert rows["goodwill"]["outstanding"] == Decimal("25.00")
    # with a store chosen: the cards sold at its tills only
    (lon_only,) = selectors.gift_card_liabilities(october(store_ids=(chain.lon.pk,)))
    assert (lon_only["channel"], lon_only["cards"], lon_only["outstanding"]) == ("store", 2, Decimal("80.00"))


def poland() -> Market:
    return MarketFactory()


def test_each_currency_is_summed_apart_in_the_figures_and_the_csv(superuser_client, chain):
    # given in October: 100.00 and 20.00 in euros at LON's till, 70.00 and 5.00 in złoty on the web
    poland()
    card("100.00", store=chain.lon)
    card("20.00", store=chain.lon)
    pln = card("70.00", channel="web", currency="PLN")
    card("5.00", channel="web", currency="PLN")
    redeem_gift_card(code=pln.code, amount=Decimal("30.00"), reference="ORD-PL", caller="t")
    # when
    rows = selectors.gift_card_liabilities(october())
    # then a row set per currency, nothing of one added to the other
    assert [(r["currency"], r["channel"], r["cards"], r["issued"], r["outstanding"]) for r in rows] == [
        ("EUR", "store", 2, Decimal("120.00"), Decimal("120.00")),
        ("PLN", "web", 2, Decimal("75.00"), Decimal("45.00")),
    ]  # fmt: skip
    # and the CSV says the currency of every row
    download = superuser_client.get(f"{URL}csv/gift-card-liabilities/?{OCT}")
    table = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode())))
    currency, outstanding = table[0].index("currency"), table[0].index("outstanding")
    assert [(r[currency], r[outstanding]) for r in table[1:]] == [("EUR", "120.00"), ("PLN", "45.00")]


def test_the_page_shows_the_liability_with_queries_independent_of_the_cards(superuser_client, chain,
                                                                             django_assert_num_queries):  # fmt: skip
    # given three euro cards and, in a Polish market, one card in złoty
    for i in range(3):
        card("10.00", channel=["store", "app", "web"][i], when=at(10, 3 + i), store=chain.lon)
    poland()
    card("7.00", channel="web", when=at(10, 3), currency="PLN")
    superuser_client.get(URL)  # session and store choice settled
    with CaptureQueriesContext(connection) as few:
        html = superuser_client.get(f"{URL}?{OCT}&section=giftcards").content.decode()
    # then each currency has its block, in its own money, never summed (37.00 of nothing)
    assert "Gift card liabilities in EUR" in html and "Gift card liabilities in PLN" in html
    assert "€30.00" in html and "zł7.00" in html and "37.00" not in html
    assert '<svg class="chart"' in html
    for i in range(30):
        card("5.00", channel=["store", "app", "web"][i % 3], when=at(10, 1 + i % 28), store=chain.man)
    with django_assert_num_queries(len(few.captured_queries)):
        html = superuser_client.get(f"{URL}?{OCT}&section=giftcards").content.decode()
    assert "€180.00" in html and "zł7.00" in html and "187.00" not in html
    assert len(few.captured_queries) <= 10  # with the reporting currency and the rates owed is converted at


def test_a_long_channel_label_is_drawn_whole_inside_the_chart():
    # given the outstanding-by-channel bars, whose goodwill label is the longest of the kernel's
    import re

    from insights import charts

    # when the chart is drawn
    svg = str(charts.bar_chart([("Goodwill (head office)", 100), ("App", 50)], title="Outstanding now by channel",
                               value_format=charts.money_label))  # fmt: skip
    # then the label is whole and its right-anchored text ends where the column leaves room for it
    # (it was cut to 22 characters in a 130-unit column: "oodwill (head office)" on screen)
    x = float(re.search(r'<text x="([0-9.]+)"[^>]*text-anchor="end"[^>]*>Goodwill \(head office\)</text>', svg)[1])
    assert x >= 7 * len("Goodwill (head office)")
    # and a half-width chart says so, so that alone in a wide card it keeps its size (the stylesheet caps it)
    assert svg.startswith('<svg class="chart" data-size="half"')
