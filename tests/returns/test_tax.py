"""Returns give back tax exactly (issue 19.3): each return line records the tax within what its units
paid (retail.domain.tax.reverse_units), so the returns of a line give back its tax to the cent, never
more; lines that recorded no tax give back none recorded. Insights' tax report nets them (here, where
the order-and-return fixtures are)."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from customers.services.loyalty import assign_offer
from insights.charts import money_label
from insights.filters import Period
from insights.selectors import tax_by_market
from orders.models import Order
from orders.returns.models import ReturnLine
from orders.returns.services import LineRequest, complete_return
from orders.services import GroupRequest, TenderRequest, place_order, short_pick
from retail.domain.money import format_money
from retail.markets import save_market, save_tax_rate
from retail.models import Market, TaxClass, TaxRate
from retail.models.tax import STANDARD
from tests.admin.conftest import staff_user
from tests.customers.factories import OfferFactory
from tests.factories import MarketFactory
from tests.inventory.factories import enter_market_prices
from tests.returns.factories import make_policy

pytestmark = pytest.mark.django_db


@pytest.fixture
def poland(store, shirt, jeans) -> Market:
    """The returns store sells in Poland: prices include 23% VAT; the shirt and jeans have złoty prices
    (the catalog's amounts)."""
    market = MarketFactory()
    store.market = market
    store.save(update_fields=["market"])
    enter_market_prices(market, shirt, jeans)
    rate = TaxRate(market=market, tax_class=TaxClass.objects.get(code=STANDARD), rate=Decimal(23),
                   valid_from=date(2011, 1, 1))  # fmt: skip
    save_tax_rate(rate=rate, actor=None)
    make_policy("Polska", market=market)  # its own, in złoty: the home market's limits are in euros
    return market


def give_back(order, store, associate, sku, quantity):
    request = complete_return(
        store=store,
        actor=associate,
        refund_method="original",
        order=order,
        lines=[LineRequest(sku=sku, quantity=quantity, reason="wrong_size")],
    )
    return ReturnLine.objects.get(request=request)


def test_a_partial_refund_then_the_rest_give_back_the_lines_tax_to_the_cent(
    poland, policy, deliver, shirt, jeans, shopper, store, associate
):
    # given 3 shirts and jeans with 15% off, taxed at 23% inside the price
    assign_offer(offer=OfferFactory(code="autumn15", discount_percent=Decimal("15.00")), customer=shopper)
    order = deliver([("SHIRT-M", 3), ("JEANS-32", 1)], offer_code="autumn15")
    shirts = order.lines.get(sku="SHIRT-M")
    assert (shirts.total, shirts.tax_amount) == (Decimal("76.50"), Decimal("14.31"))

    # when one shirt comes back, then the other two
    first = give_back(order, store, associate, "SHIRT-M", 1)
    rest = give_back(order, store, associate, "SHIRT-M", 2)

    # then the first gives back its share (25.50 paid, 4.77 of it tax), the rest exactly what is left
    assert (first.amount, first.tax_amount) == (Decimal("25.50"), Decimal("4.77"))
    assert (rest.amount, rest.tax_amount) == (Decimal("51.00"), Decimal("9.54"))
    assert first.tax_amount + rest.tax_amount == shirts.tax_amount
    assert first.amount + rest.amount == shirts.total


def test_a_line_without_recorded_tax_gives_back_none(policy, deliver, shirt, store, associate):
    order = deliver([("SHIRT-M", 2)])
    line = give_back(order, store, associate, "SHIRT-M", 1)
    assert (line.amount, line.tax_amount) == (Decimal("30.00"), None)


def test_the_tax_report_per_market_and_rate_nets_the_returns(
    poland, policy, deliver, shirt, jeans, store, associate, django_assert_num_queries
):
    # given a Polish order (3 shirts, jeans) with one shirt back, and an untaxed order elsewhere
    order = deliver([("SHIRT-M", 3), ("JEANS-32", 1)])
    first = give_back(order, store, associate, "SHIRT-M", 1)
    lines = list(order.lines.all())
    today = timezone.localdate()

    # when (insights' figure: lines sold in the period, returns of those sales; the stores' clocks read once before)
    tax_by_market(Period(start=today, end=today))
    with django_assert_num_queries(5):  # lines, their returns, short picks, shipping charges, their refunds
        (row,) = tax_by_market(Period(start=today, end=today))

    # then
    assert (row["market"], row["currency"], row["rate"], row["lines"]) == ("pl", order.currency, Decimal("23.00"), 2)
    assert row["tax"] == sum(line.tax_amount for line in lines)
    assert row["net"] + row["tax"] == row["gross"] == order.total
    assert (row["returned_gross"], row["returned_tax"]) == (first.amount, first.tax_amount)
    assert row["tax_due"] == row["tax"] - first.tax_amount
    assert row["cancelled_tax"] == 0


def test_the_tax_report_counts_short_picked_units_as_not_charged(
    poland, policy, shirt, shopper, store, associate, django_assert_num_queries
):
    # given 3 shirts (16.83 of tax inside 90.00), one of which the store could not find and cancelled
    order = place_order(
        channel="web",
        groups=[GroupRequest(kind="pickup", lines=[("SHIRT-M", 3)], store=store)],
        customer=shopper,
        tenders=[TenderRequest(method="card", token="tok_visa_4242")],
    )
    line = order.lines.get()
    short_pick(line=line, missing=1, resolution="cancel", actor=associate, store=store)
    today = timezone.localdate()

    # when (one query more for the few short lines, however many)
    tax_by_market(Period(start=today, end=today))
    with django_assert_num_queries(5):  # lines, returns, short picks, shipping charges, their refunds
        (row,) = tax_by_market(Period(start=today, end=today))

    # then the last unit's tax (30.00 of which 5.61) is not due
    assert (row["tax"], row["cancelled_tax"], row["tax_due"]) == (Decimal("16.83"), Decimal("5.61"), Decimal("11.22"))


def test_insights_show_the_tax_per_market_and_rate(poland, policy, deliver, shirt, store, associate, client):
    # given
    order = deliver([("SHIRT-M", 3)])
    first = give_back(order, store, associate, "SHIRT-M", 1)
    line = order.lines.get()
    client.force_login(staff_user(superuser=True))

    # when
    page = client.get("/portal/insights/?section=tax").content.decode()

    # then
    row = page.split('id="tax-h"')[1]
    assert "Poland" in row and "23%" in row
    for amount in (line.tax_amount, first.tax_amount, line.tax_amount - first.tax_amount):
        assert format_money(amount, order.currency) in row


def test_a_tax_exclusive_order_refunds_its_tax_with_its_units_to_the_cent(
    poland, policy, deliver, shirt, jeans, shopper, store, associate
):
    # given Poland's prices exclude tax (a B2B market): 3 shirts and jeans, 15% off, 23% added on top
    # (29.32 on the 127.49 net, 17.59 of it on the shirts' 76.50)
    poland.prices_include_tax = False
    save_market(market=poland, actor=None)
    assign_offer(offer=OfferFactory(code="autumn15", discount_percent=Decimal("15.00")), customer=shopper)
    order = deliver([("SHIRT-M", 3), ("JEANS-32", 1)], offer_code="autumn15")
    shirts = order.lines.get(sku="SHIRT-M")
    assert (shirts.net, shirts.tax_amount, shirts.total) == (Decimal("76.50"), Decimal("17.59"), Decimal("94.09"))

    # when one shirt comes back, then the other two
    first = give_back(order, store, associate, "SHIRT-M", 1)
    rest = give_back(order, store, associate, "SHIRT-M", 2)

    # then each refund gives back its units' net and the tax added on them, the two exactly the line's
    assert (first.amount, first.tax_amount) == (Decimal("31.36"), Decimal("5.86"))
    assert (rest.amount, rest.tax_amount) == (Decimal("62.73"), Decimal("11.73"))
    assert first.tax_amount + rest.tax_amount == shirts.tax_amount
    assert first.amount + rest.amount == shirts.total
    # and the card was refunded what the shopper paid for them, tax included
    (payment,) = order.payments.all()
    assert payment.refunded_amount == shirts.total
    assert first.request.refund_total + rest.request.refund_total == shirts.total


def test_insights_draw_the_tax_due_per_currency(poland, policy, deliver, shirt, store, associate, client):
    # given two taxed sales at the Polish store, one of them moved into euros here (as if sold elsewhere)
    euros = deliver([("SHIRT-M", 1)])
    zloty = deliver([("SHIRT-M", 2)])
    assert zloty.currency == "PLN"
    Order.objects.filter(pk=euros.pk).update(currency="EUR")
    head_office = staff_user(superuser=True)
    head_office.language = "en"  # the page's headings read here in English (the store's market speaks Polish)
    head_office.save(update_fields=["language"])
    client.force_login(head_office)

    # when
    page = client.get("/portal/insights/?section=tax").content.decode()

    # then one chart per currency, and each row in its own
    section = page.split('id="tax-h"')[1]
    assert "Tax due per market and rate (EUR)" in section and "Tax due per market and rate (PLN)" in section
    assert format_money(euros.lines.get().tax_amount, "EUR") in section
    assert format_money(zloty.lines.get().tax_amount, "PLN") in section
    # and each chart's bars say their currency (QA in Polish: € and zł bars read as one money)
    pln_chart = section.split("Tax due per market and rate (PLN)")[1].split("</svg>")[0]
    eur_chart = section.split("Tax due per market and rate (EUR)")[1].split("</svg>")[0]
    assert f"{money_label(zloty.lines.get().tax_amount)} PLN" in pln_chart and " EUR<" not in pln_chart
    assert f"{money_label(euros.lines.get().tax_amount)} EUR" in eur_chart and " PLN<" not in eur_chart
