"""Every insights figure that adds money keeps each currency apart and converts at the stated rates
(issue 19.2): sellers, returns by reason, the channel matrix's refunds, multichannel spend, RFM and
lifetime value, and the dashboard's today tile. The chain sells in euros (LON-01, MAN-01) and a
Warsaw store in złoty, PLN at 0.2315 from 1 October (or no rate, where said)."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from insights import pages, selectors
from insights.figures import SECTIONS
from orders.models import Order
from retail.domain.money import format_money
from tests.customers.factories import CustomerFactory
from tests.factories import UserFactory
from tests.insights.conftest import at, make_order, october
from tests.insights.test_currencies import OCT, URL, pln_rate

pytestmark = pytest.mark.django_db

D = Decimal


def csv_rows(client, figure: str) -> list[dict]:
    response = client.get(f"{URL}csv/{figure}/?{OCT}")
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.fixture
def seller(chain, warsaw):
    """One associate who sold 100.00 EUR in London and 400.00 PLN in Warsaw (both paid at the till)."""
    associate = UserFactory(full_name="Ola Nowak")
    eur = make_order(store=chain.lon, channel="phone", placed_at=at(10, 3), total="100.00")
    pln = make_order(store=warsaw, channel="phone", placed_at=at(10, 4), total="400.00", currency="PLN")
    Order.objects.filter(pk__in=[eur.pk, pln.pk]).update(seller=associate)
    return associate


def test_a_seller_in_two_currencies_has_a_row_for_each_ranked_converted(superuser_client, seller):
    pln_rate()
    # when
    rows = selectors.sales_by_seller(october())
    data = pages.sales(october())
    # then 100 EUR and 400 PLN, never 500; ranked by the paid total in euros (92.60 < 100.00)
    assert [(r["currency"], r["paid_total"]) for r in rows] == [("PLN", D("400.00")), ("EUR", D("100.00"))]
    board = [(s["currency"], s["paid_total_converted"]) for s in data["sellers"]]
    assert board == [("EUR", D("100.00")), ("PLN", D("92.60"))]
    page = superuser_client.get(f"{URL}?{OCT}").content.decode()
    assert format_money(D("400.00"), "PLN") in page and "Paid in EUR" in page
    pln = next(r for r in csv_rows(superuser_client, "sales-by-seller") if r["currency"] == "PLN")
    assert (pln["paid_total"], pln["paid_total_converted"], pln["rate"]) == ("400.00", "92.60", "0.23150000")


def test_returns_by_reason_are_valued_per_currency_and_totalled_converted(superuser_client, chain, warsaw):
    pln_rate()
    # when
    rows = selectors.returns_by_reason(october())
    data = pages.returns(october())
    # then wrong size came back in euros (R1 40.00 + R3 100.00... as the chain says) and in złoty apart
    wrong = {r["currency"]: r["amount"] for r in rows if r["reason"] == "wrong_size"}
    assert wrong["PLN"] == D("100.00") and "EUR" in wrong
    assert sum(r["share"] for r in rows) == pytest.approx(100, abs=0.2)
    value = data["reasons_value"]
    assert {c["currency"]: c["amount"] for c in value["currencies"]}["PLN"] == D("100.00")
    eur_total = sum((r["amount"] for r in rows if r["currency"] == "EUR"), D("0.00"))
    assert value["total"]["amount"] == eur_total + D("23.15")
    page = superuser_client.get(f"{URL}?{OCT}&section=returns").content.decode()
    assert "data-return-reasons" in page and format_money(D("100.00"), "PLN") in page
    pln = next(r for r in csv_rows(superuser_client, "return-reasons") if r["currency"] == "PLN")
    assert (pln["amount"], pln["amount_converted"], pln["reporting_currency"]) == ("100.00", "23.15", "EUR")


def test_the_channel_matrix_refunds_per_currency_and_counts_every_return(superuser_client, chain, warsaw):
    # given no PLN rate (only from November)
    pln_rate("0.3000", date(2026, 11, 1))
    # when
    matrix = selectors.returns_channel_matrix(october())
    data = pages.returns(october())
    # then the web-bought złoty return is its own row; the grid counts it with the euro ones
    web_store = [
        (r["currency"], r["refunds"]) for r in matrix["rows"] if (r["bought"], r["returned"]) == ("web", "store")
    ]
    assert ("PLN", D("100.00")) in web_store and any(c == "EUR" for c, _ in web_store)
    assert matrix["total"] == sum(r["returns"] for r in matrix["rows"])
    assert data["matrix_refunds"]["missing"] == ["PLN"]  # said, not added into euros
    page = superuser_client.get(f"{URL}?{OCT}&section=returns").content.decode()
    assert "data-matrix-refunds" in page and "No exchange rate from PLN to EUR on 31 Oct 2026" in page
    rows = csv_rows(superuser_client, "return-channels")
    pln = next(r for r in rows if r["currency"] == "PLN")
    assert (pln["refunds"], pln["refunds_converted"]) == ("100.00", "")


@pytest.fixture
def two_currency_shopper(chain, warsaw):
    """Zofia bought 100.00 EUR in London and 400.00 PLN in Warsaw in October, 200.00 PLN in September."""
    zofia = CustomerFactory(first_name="Zofia")
    make_order(store=chain.lon, channel="app", placed_at=at(10, 10), total="100.00", customer=zofia)
    make_order(store=warsaw, channel="store", placed_at=at(10, 11), total="400.00", customer=zofia, currency="PLN")
    make_order(store=warsaw, channel="store", placed_at=at(9, 11), total="200.00", customer=zofia, currency="PLN")
    return zofia


def test_rfm_ranks_and_values_a_shopper_in_the_reporting_currency(superuser_client, two_currency_shopper):
    pln_rate("0.2315", date(2026, 9, 1))
    # when
    rows = {r["customer_id"]: r for r in selectors.rfm_customers(october())}
    # then her spend is 100 + 400 x 0.2315 = 192.60 EUR (not 500), her lifetime adds September's 46.30
    zofia = rows[two_currency_shopper.pk]
    assert (zofia["spend"], zofia["lifetime"], zofia["currency"]) == (D("192.60"), D("238.90"), "EUR")
    segments = pages.rfm(october())
    assert segments["missing"] == [] and segments["reporting_currency"] == "EUR"
    assert "1 PLN = 0.2315 EUR (rate from 1 Sep 2026)" in segments["rates"]
    page = superuser_client.get(f"{URL}?{OCT}&section=rfm").content.decode()
    assert "data-rfm-currency" in page and "data-missing-rates" not in page


def test_rfm_names_a_currency_without_a_rate_and_leaves_it_out(superuser_client, two_currency_shopper):
    # when there is no PLN rate on 31 October
    rows = {r["customer_id"]: r for r in selectors.rfm_customers(october())}
    data = pages.rfm(october())
    # then her złoty are in no euro figure, and the page says why
    assert rows[two_currency_shopper.pk]["spend"] == D("100.00")
    assert data["missing"] == ["PLN"] and "No exchange rate from PLN to EUR" in data["messages"][0]
    page = superuser_client.get(f"{URL}?{OCT}&section=rfm").content.decode()
    assert "data-missing-rates" in page


def test_multichannel_spend_is_converted_before_it_is_added(superuser_client, chain, two_currency_shopper):
    pln_rate()
    # when
    data = selectors.channel_customers(october())
    # then Zofia (app + store: multichannel) counts 192.60 EUR, and every group says its currency
    without = selectors.channel_customers(october(store_ids=(chain.lon.pk, chain.man.pk)))
    multi, multi_without = data["groups"][1], without["groups"][1]
    # without Warsaw she bought on one channel only: the multichannel spend loses her 100 EUR + 92.60 EUR
    assert multi["spend"] - multi_without["spend"] == D("192.60")
    assert {g["currency"] for g in data["groups"]} == {"EUR"} and data["missing"] == []
    assert csv_rows(superuser_client, "channel-customers")[0]["currency"] == "EUR"


def test_every_section_costs_the_same_queries_with_more_orders_in_two_currencies(superuser_client, chain, warsaw):
    pln_rate()
    superuser_client.get(URL)
    associate = UserFactory(full_name="Ola Nowak")

    def add(count: int):
        for i in range(count):
            order = make_order(store=warsaw, channel=["app", "web", "store"][i % 3], placed_at=at(10, 1 + i % 28),
                               total="40.00", currency="PLN", customer=[chain.a, chain.b, chain.c][i % 3])  # fmt: skip
            Order.objects.filter(pk=order.pk).update(seller=associate)

    def measured() -> dict:
        counts = {}
        for section, _ in SECTIONS:
            cache.delete(selectors.STOCK_SUMMARY_KEY)
            selectors.forget_sales_days(*(october().start, october().end))
            with CaptureQueriesContext(connection) as captured:
                assert superuser_client.get(f"{URL}?{OCT}&section={section}").status_code == 200
            counts[section] = len(captured.captured_queries)
        return counts

    add(3)
    before = measured()
    add(30)
    assert measured() == before


def test_the_today_tile_says_each_currency(warsaw):
    from insights.portal.tiles import store_day

    since, until, _ = store_day(warsaw, now=at(10, 14, 15))
    numbers = selectors.store_today(store=warsaw, since=since, until=until)
    assert numbers["sales"] == [{"currency": "PLN", "amount": D("400.00")}]
    assert {c["currency"] for c in numbers["by_channel"]} == {"PLN"}


def _shipped(order, shipping: str):
    """The order's total keeps its amount, of which `shipping` is the shipping charged (untaxed)."""
    amount = D(shipping)
    Order.objects.filter(pk=order.pk).update(shipping_total=amount, subtotal=order.total - amount)


def test_sales_say_the_shipping_charged_per_currency_and_converted(superuser_client, chain, warsaw):
    pln_rate()
    # given 4.90 EUR of shipping in London and 19.90 PLN in Warsaw
    _shipped(chain.orders[3], "4.90")
    _shipped(Order.objects.get(store=warsaw, total=D("400.00")), "19.90")
    # when (cached days and live figures alike)
    selectors.forget_sales_days(october().start, october().end)
    data = pages.sales(october())
    live = selectors.sales_totals(selectors.sales_series(october(store_ids=(chain.lon.pk, warsaw.pk))))
    # then each currency's shipping in its money, and the total in euros: 4.90 + 4.61 (19.90 x 0.2315)
    by_code = {c["currency"]: c["shipping"] for c in data["money"]["currencies"]}
    assert by_code == {"EUR": D("4.90"), "PLN": D("19.90")} and data["kpis"]["shipping"] == D("9.51")
    assert {(t["currency"], t["shipping"]) for t in live if t["shipping"]} == {("EUR", D("4.90")), ("PLN", D("19.90"))}
    page = superuser_client.get(f"{URL}?{OCT}").content.decode()
    assert 'data-kpi="shipping"' in page and format_money(D("19.90"), "PLN") in page
    rows = csv_rows(superuser_client, "sales-by-store")
    assert sum(D(r["shipping"]) for r in rows if r["currency"] == "PLN") == D("19.90")
