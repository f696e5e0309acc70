"""Insights in several currencies (issue 19.2): a Warsaw store sells in złoty beside the euro stores.
Every figure keeps each currency apart (never 100 EUR + 400 PLN = 500), and the totals and charts are
converted into the reporting currency (the home market's) at the rate stated on the page and in the
CSV; a currency without a rate that day is said, shown in its own money and left out of the total."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from insights import pages, selectors
from insights.filters import Period
from retail.domain.money import format_money
from retail.exchange_rates import save_exchange_rate
from retail.models import ExchangeRate
from tests.insights.conftest import at, make_order, october

pytestmark = pytest.mark.django_db

D = Decimal
URL = "/portal/insights/"
OCT = "start=2026-10-01&end=2026-10-31"


def pln_rate(rate="0.2315", start=date(2026, 10, 1)):
    return save_exchange_rate(rate=ExchangeRate(currency="PLN", rate=D(rate), valid_from=start), actor=None)


def test_sales_keep_each_currency_apart_in_every_path(chain, warsaw):
    # when head office reads October (cached by day), and the chosen stores (live)
    _by_channel, by_store = selectors.sales_overview(october())
    live = selectors.sales_series(october(store_ids=(chain.lon.pk, warsaw.pk)), by="store")
    totals = selectors.sales_totals(selectors.sales_series(october(), by="channel"))
    # then the web channel has a euro row and a złoty row, never one sum
    web = {t["currency"]: (t["orders"], t["gross"], t["refunds"], t["net"]) for t in totals if t["channel"] == "web"}
    assert web == {"EUR": (2, D("120.00"), D("30.00"), D("50.00")), "PLN": (1, D("400.00"), D("100.00"), D("300.00"))}
    assert [(r["store"], r["currency"], r["net"]) for r in by_store] == [
        ("LON-01", "EUR", D("210.00")),
        ("MAN-01", "EUR", D("40.00")),
        ("WAW-01", "PLN", D("500.00")),
    ]
    assert {(r["store"], r["currency"]) for r in live} == {("LON-01", "EUR"), ("WAW-01", "PLN")}


def test_the_sales_page_converts_at_the_stated_rate(chain, warsaw):
    # given PLN at 0.2315 from 1 October, and a later rate that October's figures do not use
    pln_rate()
    pln_rate("0.3000", date(2026, 11, 1))
    # when
    data = pages.sales(october())
    # then each currency in its own money, converted at the rate in force on 31 October
    by_code = {c["currency"]: c for c in data["money"]["currencies"]}
    assert by_code["PLN"]["net"] == D("500.00") and by_code["PLN"]["converted"]["net"] == D("115.75")
    assert by_code["PLN"]["rate"] == "1 PLN = 0.2315 EUR (rate from 1 Oct 2026)"
    assert by_code["EUR"]["net"] == D("250.00") and by_code["EUR"]["rate"] == ""
    assert data["kpis"]["net"] == D("365.75") and data["reporting_currency"] == "EUR"
    assert data["kpis"]["orders"] == 9 and data["money"]["missing"] == []
    # and the channel shares are of the converted net: web 50 EUR + 300 PLN (69.45 EUR) of 365.75
    web_pln = next(t for t in data["channel_totals"] if t["channel"] == "web" and t["currency"] == "PLN")
    assert web_pln["net_converted"] == D("69.45") and web_pln["share"] == 19.0


def test_a_currency_without_a_rate_is_said_and_left_out_of_the_total(superuser_client, chain, warsaw):
    # given no PLN rate in October (only from November)
    pln_rate("0.3000", date(2026, 11, 1))
    # when
    data = pages.sales(october())
    page = superuser_client.get(f"{URL}?{OCT}").content.decode()
    # then the euro total stands alone, and the page says why złoty is not in it
    assert data["kpis"]["net"] == D("250.00") and data["money"]["missing"] == ["PLN"]
    message = "No exchange rate from PLN to EUR on 31 Oct 2026"
    assert message in data["money"]["messages"][0]
    assert message in page and "data-missing-rates" in page
    assert format_money(D("500.00"), "PLN") in page  # Warsaw's net still shown, in złoty
    assert "no rate" in page


def test_the_sales_csv_says_the_currency_the_rate_and_the_converted_net(superuser_client, chain, warsaw):
    pln_rate()
    response = superuser_client.get(f"{URL}csv/sales-by-store/?{OCT}")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    warsaw_rows = [r for r in rows if r["store"] == "WAW-01"]
    assert {r["currency"] for r in warsaw_rows} == {"PLN"}
    assert {r["reporting_currency"] for r in rows} == {"EUR"}
    web_day = next(r for r in warsaw_rows if r["period"] == "2026-10-14")
    assert (web_day["net"], web_day["rate"], web_day["rate_from"], web_day["net_converted"]) == (
        "300.00",
        "0.23150000",
        "2026-10-01",
        "69.45",
    )
    london = next(r for r in rows if r["store"] == "LON-01")
    assert london["rate"] == "1" and london["rate_from"] == "" and london["net_converted"] == london["net"]


def test_the_page_shows_the_currencies_with_queries_independent_of_the_orders(superuser_client, chain, warsaw):
    pln_rate()
    superuser_client.get(URL)  # session and store choice settled

    def measured() -> int:
        selectors.forget_sales_days(date(2026, 10, 1), date(2026, 10, 31))
        with CaptureQueriesContext(connection) as captured:
            page = superuser_client.get(f"{URL}?{OCT}")
        assert "Sales by currency" in page.content.decode()
        assert "1 PLN = 0.2315 EUR (rate from 1 Oct 2026)" in page.content.decode()
        return len(captured.captured_queries)

    before = measured()
    for i in range(20):
        make_order(store=warsaw, channel="web", placed_at=at(10, 1 + i), total="10.00", currency="PLN")
    assert measured() == before


def test_one_currency_reads_as_before(superuser_client, chain):
    page = superuser_client.get(f"{URL}?{OCT}").content.decode()
    assert "Sales by currency" not in page and "Net sales</span>" in page
    assert pages.sales(october())["kpis"]["net"] == D("250.00")


def test_a_period_still_open_converts_at_todays_rate():
    from insights.currencies import conversion_day

    assert conversion_day(Period(start=date(2026, 10, 1), end=date(2999, 1, 1))) < date(2999, 1, 1)


def test_refunds_by_method_keep_each_currency_and_total_converted(superuser_client, chain, warsaw):
    pln_rate()
    # when
    methods = selectors.refund_methods(october())
    data = pages.returns(october())
    # then the card refunds are 30.00 EUR and 100.00 PLN, never 130
    original = {m["currency"]: m["amount"] for m in methods if m["method"] == "original"}
    assert original == {"EUR": D("30.00"), "PLN": D("100.00")}
    # and the total in euros: 30 + 60 + 15 + 23.15 (100 PLN at 0.2315)
    assert data["refunded"]["total"]["amount"] == D("128.15")
    page = superuser_client.get(f"{URL}?{OCT}&section=returns").content.decode()
    assert "Total in EUR" in page and "1 PLN = 0.2315 EUR (rate from 1 Oct 2026)" in page
    csv_rows = list(csv.DictReader(io.StringIO(b"".join(
        superuser_client.get(f"{URL}csv/refund-methods/?{OCT}").streaming_content).decode())))  # fmt: skip
    pln = next(r for r in csv_rows if r["currency"] == "PLN")
    assert (pln["amount"], pln["amount_converted"], pln["reporting_currency"]) == ("100.00", "23.15", "EUR")


def test_gift_card_liabilities_owed_now_in_the_reporting_currency(superuser_client, chain, warsaw):
    from tests.insights.test_giftcards import card

    # given a 50 EUR card and a 100 PLN card, and today's PLN rate
    pln_rate()
    card("50.00")
    card("100.00", currency="PLN", store=warsaw)
    # when
    owed = pages.giftcards(october())["owed"]
    # then each in its own money, and what is owed in euros
    assert {c["currency"]: c["outstanding"] for c in owed["currencies"]} == {"EUR": D("50.00"), "PLN": D("100.00")}
    assert owed["total"]["outstanding"] == D("73.15") and owed["missing"] == []
    assert "Owed on gift cards, every currency in EUR" in superuser_client.get(
        f"{URL}?{OCT}&section=giftcards").content.decode()  # fmt: skip


def test_tax_due_per_currency_and_converted(superuser_client, chain, warsaw):
    from orders.models import OrderLine

    # given a taxed euro line and a taxed złoty line
    OrderLine.objects.filter(order=chain.orders[2]).update(tax_rate=D("20"), net=D("41.67"), tax_amount=D("8.33"))
    warsaw_line = OrderLine.objects.filter(order__store=warsaw, order__total=D("200.00"))
    warsaw_line.update(tax_rate=D("23"), net=D("162.60"), tax_amount=D("37.40"))
    # when there is no rate yet / then złoty tax is said, not added
    totals = pages.tax(october())["totals"]
    assert {c["currency"]: c["tax_due"] for c in totals["currencies"]} == {"EUR": D("8.33"), "PLN": D("37.40")}
    assert totals["total"]["tax_due"] == D("8.33") and totals["missing"] == ["PLN"]
    # when head office adds the rate / then the total in euros: 8.33 + 8.66
    pln_rate()
    assert pages.tax(october())["totals"]["total"]["tax_due"] == D("16.99")
    assert "Tax due in EUR" in superuser_client.get(f"{URL}?{OCT}&section=tax").content.decode()
