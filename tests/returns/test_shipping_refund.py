"""Returns give back shipping by the policy's rule (issue 19.4): with the return that brings the whole
order back (or, by the policy's flag, with one whose every item is our fault; or never), whole and
with its tax, and never twice: the return's tax is its lines' plus the shipping's, to the cent."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from insights.filters import Period
from insights.selectors import tax_by_market
from inventory import services as inventory
from orders.models import Fulfillment, Order, Payment, ShippingMethod
from orders.returns.models import ReturnPolicy, ReturnRequest, ShippingRefund
from orders.returns.services import LineRequest, complete_return
from orders.services import GroupRequest, TenderRequest, place_order, scan_pick, ship_fulfillment
from orders.services.shipping import save_shipping_method
from retail.markets import save_market, save_tax_rate
from retail.models import Market, TaxClass, TaxRate
from retail.models.tax import STANDARD
from tests.factories import MarketFactory
from tests.returns.factories import make_policy

pytestmark = pytest.mark.django_db

ROME = {"line1": "Via del Corso 1", "city": "Roma", "postcode": "00186", "country": "IT"}


@pytest.fixture
def italy(warehouse) -> Market:
    market = MarketFactory(code="it", name="Italia", countries=["IT"], currency="EUR", default_language="it")
    warehouse.market, warehouse.ships_orders = market, True
    warehouse.save(update_fields=["market", "ships_orders"])
    standard = TaxClass.objects.get(code=STANDARD)
    save_tax_rate(rate=TaxRate(market=market, tax_class=standard, rate=Decimal(22), valid_from=date(2020, 1, 1)),
                  actor=None)  # fmt: skip
    return market


@pytest.fixture
def express(italy) -> ShippingMethod:
    method = ShippingMethod(market=italy, code="express", name="Express", price=Decimal("7.90"))
    return save_shipping_method(method=method, actor=None)


@pytest.fixture
def shipped_with_charge(warehouse, associate, shopper, express):
    """A web order shipped from the warehouse to Rome with the 7.90 express method."""

    def place(lines):
        inventory.receive_stock(location=warehouse, lines=[(sku, q) for sku, q in lines], reference="PO-WH")
        order = place_order(
            channel="web",
            groups=[GroupRequest(kind="ship", lines=lines, shipping_address=ROME)],
            customer=shopper,
            tenders=[TenderRequest(method="card", token="tok_visa_4242")],
            shipping_method=express.pk,
        )
        fulfillment = order.fulfillments.get()
        for line in fulfillment.lines.all():
            for _ in range(line.quantity):
                scan_pick(fulfillment=fulfillment, code=line.sku, actor=associate)
        ship_fulfillment(fulfillment=Fulfillment.objects.get(pk=fulfillment.pk), actor=associate)
        return Order.objects.get(pk=order.pk)

    return place


def give_back(order, store, associate, lines, reason="wrong_size") -> ReturnRequest:
    return complete_return(
        store=store,
        actor=associate,
        refund_method="original",
        order=order,
        lines=[LineRequest(sku=sku, quantity=quantity, reason=reason) for sku, quantity in lines],
    )


def return_tax(request: ReturnRequest) -> Decimal:
    return sum((line.tax_amount for line in request.lines.all()), Decimal(0)) + (request.shipping_tax or 0)


def test_shipping_comes_back_with_the_return_that_completes_the_order(
    policy, shipped_with_charge, shirt, jeans, store, associate
):
    # given a shipped order: 2 shirts (60.00) and jeans (59.99) with 7.90 express, all captured
    order = shipped_with_charge([("SHIRT-M", 2), ("JEANS-32", 1)])
    assert (order.total, order.shipping_total, order.shipping_tax) == (
        Decimal("127.89"),
        Decimal("7.90"),
        Decimal("1.42"),
    )
    assert Payment.objects.get(order=order).captured_amount == Decimal("127.89")

    # when one shirt comes back, nothing of the shipping does
    first = give_back(order, store, associate, [("SHIRT-M", 1)])
    assert (first.shipping_refund, first.shipping_tax, first.refund_total) == (Decimal("0.00"), None, Decimal("30.00"))
    assert "The shipping (€7.90) is refunded when the whole order comes back." in first.summary

    # when the rest comes back, the shipping does, whole and with its tax
    rest = give_back(order, store, associate, [("SHIRT-M", 1), ("JEANS-32", 1)])
    assert (rest.shipping_refund, rest.shipping_tax) == (Decimal("7.90"), Decimal("1.42"))
    assert rest.refund_total == Decimal("30.00") + Decimal("59.99") + Decimal("7.90")

    # then everything paid is back, and the returns' tax is the order's, to the cent
    assert first.refund_total + rest.refund_total == order.total
    assert Payment.objects.get(order=order).refunded_amount == order.total
    order_tax = sum(line.tax_amount for line in order.lines.all()) + order.shipping_tax
    assert return_tax(first) + return_tax(rest) == order_tax


def test_by_the_policy_flag_a_faulty_item_brings_the_shipping_back_once(
    policy, shipped_with_charge, shirt, jeans, store, associate
):
    # given a policy that refunds shipping on returns of faulty items too
    policy.shipping_refund = ShippingRefund.WHOLE_ORDER_OR_FAULT
    policy.save(update_fields=["shipping_refund"])
    order = shipped_with_charge([("SHIRT-M", 1), ("JEANS-32", 1)])

    # when the faulty shirt comes back, then the jeans (the whole order back now)
    faulty = give_back(order, store, associate, [("SHIRT-M", 1)], reason="defective")
    rest = give_back(order, store, associate, [("JEANS-32", 1)])

    # then the shipping came back with the first only
    assert (faulty.shipping_refund, rest.shipping_refund) == (Decimal("7.90"), Decimal("0.00"))
    assert "The order's shipping was refunded with an earlier return." in rest.summary
    assert faulty.refund_total + rest.refund_total == order.total


def test_a_policy_that_never_refunds_shipping_keeps_it(policy, shipped_with_charge, shirt, store, associate):
    ReturnPolicy.objects.filter(pk=policy.pk).update(shipping_refund=ShippingRefund.NEVER)
    order = shipped_with_charge([("SHIRT-M", 1)])
    back = give_back(order, store, associate, [("SHIRT-M", 1)])
    assert (back.shipping_refund, back.refund_total) == (Decimal("0.00"), Decimal("30.00"))


def test_the_database_refuses_a_second_return_refunding_the_shipping(
    policy, shipped_with_charge, shirt, jeans, store, associate
):
    order = shipped_with_charge([("SHIRT-M", 1), ("JEANS-32", 1)])
    whole = give_back(order, store, associate, [("SHIRT-M", 1), ("JEANS-32", 1)])
    assert whole.shipping_refund == Decimal("7.90")
    twin = ReturnRequest.objects.get(pk=whole.pk)
    twin.pk, twin.rma_number, twin.qr_token, twin.submission_key = None, "RMA-TWIN-0001", "twin", ""
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()


def test_where_tax_is_added_on_top_the_whole_order_back_refunds_the_shipping_with_its_tax(
    policy, italy, shipped_with_charge, shirt, store, associate
):
    # given Italy priced without tax: the 7.90 express pays 1.74 of tax on top
    italy.prices_include_tax = False
    save_market(market=italy, actor=None)
    order = shipped_with_charge([("SHIRT-M", 1)])
    assert (order.shipping_total, order.shipping_tax, order.shipping_paid) == (
        Decimal("7.90"),
        Decimal("1.74"),
        Decimal("9.64"),
    )

    # when the shirt comes back
    back = give_back(order, store, associate, [("SHIRT-M", 1)])

    # then everything paid is back: the shirt with its tax and the shipping with its tax
    assert (back.shipping_refund, back.shipping_tax) == (Decimal("9.64"), Decimal("1.74"))
    assert back.refund_total == order.total
    assert return_tax(back) == sum(line.tax_amount for line in order.lines.all()) + order.shipping_tax


def test_the_tax_report_counts_the_shipping_and_its_refund(policy, shipped_with_charge, shirt, store, associate):
    # given a shipped order whose shirt then comes back, the shipping with it
    order = shipped_with_charge([("SHIRT-M", 1)])
    today = timezone.localdate()
    (before,) = tax_by_market(Period(start=today, end=today))
    back = give_back(order, store, associate, [("SHIRT-M", 1)])

    # when
    (row,) = tax_by_market(Period(start=today, end=today))

    # then the charge is in its rate's row, and its refund counted against it
    line = order.lines.get()
    assert (before["lines"], before["shipping_charges"]) == (1, 1)
    assert before["tax"] == line.tax_amount + order.shipping_tax
    assert before["gross"] == order.total
    assert (row["returned_gross"], row["returned_tax"]) == (back.refund_total, return_tax(back))
    assert row["tax_due"] == Decimal("0.00")


def test_a_pln_order_with_23_percent_vat_and_shipping_refunded_in_part_then_whole_reconciles_to_the_grosz(
    policy, warehouse, shirt, jeans, shopper, associate
):
    """Issue 19's done-when: an order in PLN with 23% VAT lines, shipping and a partial refund whose tax
    reconciles to the cent."""
    from tests.factories import StoreFactory
    from tests.inventory.factories import enter_market_prices

    # given Poland (PLN, 23% inside the prices) shipping from the warehouse, with złoty prices and a 14.99 method,
    # and its own return policy: a manager approves refunds over 1000 zł
    poland = MarketFactory(name="Polska")
    make_policy("Polska", market=poland, approval_over=Decimal("1000.00"))
    warehouse.market, warehouse.ships_orders = poland, True
    warehouse.save(update_fields=["market", "ships_orders"])
    standard = TaxClass.objects.get(code=STANDARD)
    save_tax_rate(rate=TaxRate(market=poland, tax_class=standard, rate=Decimal(23), valid_from=date(2020, 1, 1)),
                  actor=None)  # fmt: skip
    enter_market_prices(poland, shirt, price="129.99")
    enter_market_prices(poland, jeans, price="249.99")
    courier = save_shipping_method(
        method=ShippingMethod(market=poland, code="kurier", name="Kurier", price=Decimal("14.99")), actor=None
    )
    warsaw = StoreFactory(code="WAW-01", name="Warszawa", market=poland, country="PL", accepts_returns=True)
    inventory.receive_stock(location=warehouse, lines=[("SHIRT-M", 3), ("JEANS-32", 1)], reference="PO-PL")

    # when a Warsaw shopper's order of 3 shirts and jeans ships with the courier
    order = place_order(
        channel="web",
        groups=[GroupRequest(kind="ship", lines=[("SHIRT-M", 3), ("JEANS-32", 1)], shipping_address={
            "line1": "ul. Marszałkowska 1", "city": "Warszawa", "postcode": "00-001", "country": "PL"})],
        customer=shopper,
        tenders=[TenderRequest(method="card", token="tok_visa_4242")],
        shipping_method=courier.pk,
    )  # fmt: skip
    fulfillment = order.fulfillments.get()
    for line in fulfillment.lines.all():
        for _ in range(line.quantity):
            scan_pick(fulfillment=fulfillment, code=line.sku, actor=associate)
    ship_fulfillment(fulfillment=Fulfillment.objects.get(pk=fulfillment.pk), actor=associate)
    order = Order.objects.get(pk=order.pk)

    # then everything is in złoty at 23%, and the order's tax is its lines' plus its shipping's
    assert order.currency == "PLN"
    assert order.total == Decimal("3") * Decimal("129.99") + Decimal("249.99") + Decimal("14.99")
    assert {line.tax_rate for line in order.lines.all()} == {Decimal(23)}
    order_tax = sum(line.tax_amount for line in order.lines.all()) + order.shipping_tax
    assert order.shipping_tax == Decimal("2.80")  # 14.99 * 23/123, to the grosz

    # when one shirt comes back in Warsaw (no shipping back yet), then the rest
    first = give_back(order, warsaw, associate, [("SHIRT-M", 1)])
    rest = give_back(order, warsaw, associate, [("SHIRT-M", 2), ("JEANS-32", 1)])

    # then the partial refund is the shirt's share, the rest brings the shipping back once, and the refunds' tax
    # and amounts are the order's to the grosz
    assert (first.refund_total, first.shipping_refund) == (Decimal("129.99"), Decimal("0.00"))
    assert (rest.shipping_refund, rest.shipping_tax) == (Decimal("14.99"), Decimal("2.80"))
    assert first.refund_total + rest.refund_total == order.total
    assert return_tax(first) + return_tax(rest) == order_tax
    assert Payment.objects.get(order=order).refunded_amount == order.total
