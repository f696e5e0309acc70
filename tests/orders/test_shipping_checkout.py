"""Shipping at checkout through the API (issue 19.4): the methods a cart can ship with to a country
and their price, the chosen one charged on the order with its tax (the order's tax is its lines'
plus its shipping's, to the cent), captured when the parcel ships, the carrier's tracking page in
the shopper's API; unknown and inapplicable methods are refused with their codes, nothing kept."""

import uuid
from datetime import date
from decimal import Decimal

import pytest

from customers.services.loyalty import assign_offer
from inventory import services as inventory
from orders.models import Carrier, Fulfillment, Order, OrderLine, Payment, ShippingBand, ShippingMethod
from orders.notifications import RecordingAdapter
from orders.services import ship_fulfillment, start_picking
from orders.services.pickups import scan_pick
from orders.services.shipping import save_carrier, save_shipping_method
from retail.domain.channel import Channel
from retail.domain.money import Money
from retail.domain.tax import TaxableLine, compute_tax
from retail.markets import save_market, save_tax_rate
from retail.models import AuditEvent, Market, OutboxMessage, TaxClass, TaxRate
from retail.models.tax import STANDARD
from retail.outbox import deliver_outbox_message
from tests.customers.factories import OfferFactory
from tests.factories import WarehouseFactory
from tests.inventory.factories import VariantFactory, enter_market_prices

pytestmark = pytest.mark.django_db

ROME = {"line1": "Via del Corso 1", "city": "Roma", "postcode": "00186", "country": "IT"}


@pytest.fixture
def italy(store) -> Market:
    """The test store sells and ships in Italy (EUR, 22% VAT inside prices)."""
    market = save_market(
        market=Market(code="it", name="Italia", countries=["IT", "SM"], currency="EUR", default_language="it",
                      online_channels=[Channel.WEB.value, Channel.APP.value]),
        actor=None,
    )  # fmt: skip
    store.market, store.ships_orders = market, True
    store.save(update_fields=["market", "ships_orders"])
    standard = TaxClass.objects.get(code=STANDARD)
    rate = TaxRate(market=market, tax_class=standard, rate=Decimal(22), valid_from=date(2020, 1, 1))
    save_tax_rate(rate=rate, actor=None)
    return market


@pytest.fixture
def poste(db) -> Carrier:
    return save_carrier(
        carrier=Carrier(code="poste", name="Poste Italiane", tracking_url="https://poste.example/track?n={number}"),
        actor=None,
    )


@pytest.fixture
def standard(italy, poste) -> ShippingMethod:
    """4.90 flat, free from 50.00 of goods."""
    return save_shipping_method(
        method=ShippingMethod(market=italy, code="standard", name="Standard", carrier=poste, price=Decimal("4.90"),
                              free_over=Decimal("50.00"), min_days=2, max_days=4),
        actor=None,
    )  # fmt: skip


@pytest.fixture
def by_weight(italy, poste) -> ShippingMethod:
    """Up to 1 kg 6.00, up to 5 kg 9.00, nothing heavier; only to Italy proper."""
    method = save_shipping_method(
        method=ShippingMethod(market=italy, code="heavy", name="Corriere", carrier=poste, basis="weight",
                              countries=["IT"], position=1),
        actor=None,
    )  # fmt: skip
    ShippingBand.objects.create(method=method, up_to=Decimal(1000), price=Decimal("6.00"))
    ShippingBand.objects.create(method=method, up_to=Decimal(5000), price=Decimal("9.00"))
    return method


@pytest.fixture
def home_shipper(shirt):
    """A warehouse of the home market with shirts: an order to France (in no market: the home one's)
    ships from its own market, never from the Italian store (orders.services.checkout._ship_plan)."""
    warehouse = WarehouseFactory(code="HOME-WH", market=Market.objects.get(is_home=True))
    inventory.receive_stock(location=warehouse, lines=[(shirt, 10)], reference="PO-HOME")
    return warehouse


@pytest.fixture
def signed_in(api_client, shopper_user, shopper):
    api_client.force_authenticate(shopper_user)
    return api_client


def checkout(client, lines, *, method=None, address=ROME, **extra):
    body = {
        "lines": [{"sku": sku, "quantity": quantity} for sku, quantity in lines],
        "fulfillment": {"kind": "ship", "shipping_address": address},
        "payments": [{"method": "card", "token": "tok_visa_4242"}],
        **extra,
    }
    if method is not None:
        body["shipping_method"] = method
    return client.post("/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))


def fill_cart(client, lines):
    body = {"lines": [{"sku": sku, "quantity": quantity} for sku, quantity in lines]}
    assert client.put("/api/v1/me/cart/", body, format="json").status_code == 200


def test_the_cart_lists_the_methods_to_its_country_with_their_price(signed_in, standard, by_weight, shirt):
    # given a 30.00 shirt of 400 g in the cart
    shirt.weight_grams = 400
    shirt.save(update_fields=["weight_grams"])
    fill_cart(signed_in, [(shirt.sku, 1)])

    # when
    answer = signed_in.get("/api/v1/me/cart/shipping-methods/?country=IT").json()

    # then both methods, in their order, priced for 30.00 and 400 g
    summary = (answer["country"], answer["currency"], answer["goods"], answer["weight_grams"])
    assert summary == ("IT", "EUR", "30.00", 400)
    assert [(m["code"], m["price"], m["free"], m["carrier"]) for m in answer["methods"]] == [
        ("standard", "4.90", False, "Poste Italiane"),
        ("heavy", "6.00", False, "Poste Italiane"),
    ]
    # San Marino is in the market but the courier does not go there; nothing ships to France
    to_sm = signed_in.get("/api/v1/me/cart/shipping-methods/?country=SM").json()["methods"]
    assert [m["code"] for m in to_sm] == ["standard"]
    assert signed_in.get("/api/v1/me/cart/shipping-methods/?country=FR").json()["methods"] == []


def test_a_free_threshold_and_a_weight_past_every_band_show_in_the_list(signed_in, standard, by_weight, shirt):
    shirt.product.weight_grams = 3000
    shirt.product.save(update_fields=["weight_grams"])
    fill_cart(signed_in, [(shirt.sku, 2)])  # 60.00, 6 kg

    methods = signed_in.get("/api/v1/me/cart/shipping-methods/?country=IT").json()["methods"]

    assert [(m["code"], m["price"], m["free"]) for m in methods] == [("standard", "0.00", True)]


@pytest.mark.parametrize("country", ["", "I1", "XX", "ITA"])
def test_a_country_that_is_none_is_a_400(signed_in, standard, country):
    response = signed_in.get(f"/api/v1/me/cart/shipping-methods/?country={country}")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_country"


def test_an_empty_country_is_a_400_even_when_the_cart_has_one(signed_in, standard, shirt):
    # given a cart that ships to Italy (PUT .../country/), so that leaving the parameter out asks for Italy
    from orders.models import Cart

    fill_cart(signed_in, [(shirt.sku, 1)])
    Cart.objects.update(country="IT")
    assert signed_in.get("/api/v1/me/cart/shipping-methods/").json()["country"] == "IT"
    # when the parameter is there but empty (schemathesis: the schema's pattern refuses it)
    response = signed_in.get("/api/v1/me/cart/shipping-methods/?country=")
    # then it is no country, not the cart's
    assert (response.status_code, response.json()["code"]) == (400, "invalid_country")


def test_the_list_costs_the_same_queries_for_one_line_or_eight(
    signed_in, standard, by_weight, store, django_assert_num_queries
):
    variants = [VariantFactory(sku=f"W-{i}", product__base_price="5.00", weight_grams=100) for i in range(8)]
    inventory.receive_stock(location=store, lines=[(v, 5) for v in variants], reference="PO-W")
    fill_cart(signed_in, [(variants[0].sku, 1)])
    with django_assert_num_queries(5):  # customer, cart, its lines, methods, their bands
        assert len(signed_in.get("/api/v1/me/cart/shipping-methods/?country=IT").json()["methods"]) == 2
    fill_cart(signed_in, [(v.sku, 1) for v in variants])
    with django_assert_num_queries(5):
        assert len(signed_in.get("/api/v1/me/cart/shipping-methods/?country=IT").json()["methods"]) == 2


def test_an_anonymous_cart_lists_its_methods_too(api_client, standard, shirt):
    cart = api_client.post("/api/v1/carts/", {"lines": [{"sku": shirt.sku, "quantity": 1}]}, format="json").json()
    answer = api_client.get(f"/api/v1/carts/{cart['token']}/shipping-methods/?country=IT").json()
    assert [(m["code"], m["price"]) for m in answer["methods"]] == [("standard", "4.90")]
    missing = api_client.get("/api/v1/carts/nope/shipping-methods/?country=IT")
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")


def test_checkout_charges_the_method_with_its_tax_and_captures_it_when_shipped(
    signed_in, standard, store, shirt, jeans, associate
):
    # given a shopper shipping a shirt (30.00) to Rome with the 4.90 standard method
    # when
    response = checkout(signed_in, [(shirt.sku, 1)], method=standard.pk)

    # then the order's total has the shipping in it, taxed at 22% with the lines
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["total"] == "34.90"
    assert body["shipping"] == {"method": standard.pk, "name": "Standard", "amount": "4.90", "tax_rate": "22.000",
                                "tax": "0.88"}  # fmt: skip
    order = Order.objects.get(number=body["number"])
    line = OrderLine.objects.get(order=order)
    expected = compute_tax(
        [TaxableLine(Money("30.00", "EUR"), Decimal(22)), TaxableLine(Money("4.90", "EUR"), Decimal(22))],
        prices_include_tax=True,
        currency="EUR",
    )
    assert line.tax_amount + order.shipping_tax == expected.tax.amount == Decimal(body["tax"]) == Decimal("6.29")
    assert order.shipping_net + order.shipping_tax == order.shipping_total
    assert Payment.objects.get(order=order).amount == Decimal("34.90")
    fulfillment = Fulfillment.objects.get(order=order)
    assert fulfillment.carrier.code == "poste"

    # when the store picks and ships it with a tracking number
    start_picking(fulfillment=fulfillment, actor=associate)
    scan_pick(fulfillment=fulfillment, code=shirt.sku, actor=associate)
    ship_fulfillment(fulfillment=Fulfillment.objects.get(pk=fulfillment.pk), actor=associate, tracking_number="RR 1/2")

    # then the goods and the shipping are captured, and the shopper's API links the carrier's page
    assert Payment.objects.get(order=order).captured_amount == Decimal("34.90")
    shipped = signed_in.get(f"/api/v1/orders/{order.number}/").json()["fulfillments"][0]
    assert (shipped["carrier"], shipped["tracking_number"], shipped["tracking_url"]) == (
        "Poste Italiane",
        "RR 1/2",
        "https://poste.example/track?n=RR%201%2F2",
    )


def test_the_free_threshold_counts_the_goods_after_discounts(signed_in, standard, shopper, shirt):
    # given 60.00 of shirts and a 10% offer: 54.00 after it, still over 50.00
    assign_offer(offer=OfferFactory(code="ten", channels=[Channel.WEB.value]), customer=shopper)
    body = checkout(signed_in, [(shirt.sku, 2)], method=standard.pk, offer_code="ten").json()
    assert (body["shipping"]["amount"], body["total"]) == ("0.00", "54.00")
    # a 20% offer leaves 48.00: shipping is charged
    twenty = OfferFactory(code="twenty", channels=[Channel.WEB.value], discount_percent=Decimal(20))
    assign_offer(offer=twenty, customer=shopper)
    body = checkout(signed_in, [(shirt.sku, 2)], method=standard.pk, offer_code="twenty").json()
    assert (body["shipping"]["amount"], body["total"]) == ("4.90", "52.90")


def test_an_unknown_method_is_refused_and_nothing_kept(signed_in, standard, shirt):
    for method in (999_999, 2**31 - 1):
        response = checkout(signed_in, [(shirt.sku, 1)], method=method)
        assert (response.status_code, response.json()["code"]) == (400, "shipping_method_unknown")
    standard.is_active = False
    save_shipping_method(method=standard, actor=None)
    response = checkout(signed_in, [(shirt.sku, 1)], method=standard.pk)
    assert (response.status_code, response.json()["code"]) == (400, "shipping_method_unknown")
    assert checkout(signed_in, [(shirt.sku, 1)], method=2**31).status_code == 400
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("address", "weight", "reason"),
    [
        ({**ROME, "country": "SM"}, 100, "other_country"),  # the courier goes to Italy only
        ({**ROME, "country": "FR"}, 100, "other_country"),
        (ROME, None, "weight_unknown"),
        (ROME, 6000, "too_heavy"),
    ],
)
def test_a_method_that_cannot_ship_the_order_is_refused_with_its_reason(
    signed_in, by_weight, shirt, home_shipper, address, weight, reason
):
    shirt.weight_grams = weight
    shirt.save(update_fields=["weight_grams"])
    response = checkout(signed_in, [(shirt.sku, 1)], method=by_weight.pk, address=address)
    assert response.status_code == 400
    assert (response.json()["code"], response.json()["reason"]) == ("shipping_method_unavailable", reason)
    assert not Order.objects.exists()


def test_a_method_for_a_pickup_order_is_refused(signed_in, standard, shirt):
    body = {
        "lines": [{"sku": shirt.sku, "quantity": 1}],
        "fulfillment": {"kind": "pickup", "store": "LON-01"},
        "payments": [{"method": "card", "token": "tok_visa_4242"}],
        "shipping_method": standard.pk,
    }
    response = signed_in.post("/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
    assert (response.status_code, response.json()["reason"]) == (400, "nothing_to_ship")


def test_a_shopper_shipping_where_methods_exist_must_choose_one(signed_in, standard, shirt, home_shipper):
    response = checkout(signed_in, [(shirt.sku, 1)])
    assert (response.status_code, response.json()["code"]) == (400, "shipping_method_required")
    # where the chain has no methods set up (or none in the order's currency), shipping is not charged
    response = checkout(signed_in, [(shirt.sku, 1)], address={**ROME, "country": "FR"})
    assert response.status_code == 201
    assert (response.json()["shipping"], response.json()["total"]) == (None, "30.00")


def test_head_office_saves_methods_and_carriers_audited(standard, poste, italy):
    assert AuditEvent.objects.filter(action="shipping_method.saved", object_id=str(standard.pk)).exists()
    assert AuditEvent.objects.filter(action="carrier.saved", object_id=str(poste.pk)).exists()
    with pytest.raises(Exception) as refused:
        save_shipping_method(
            method=ShippingMethod(market=italy, code="fr", name="France", countries=["FR"]), actor=None
        )
    assert "countries" in refused.value.message_dict


def test_the_portal_ships_with_another_carrier_and_links_its_page(signed_in, standard, store, shirt, associate_client):
    # given a paid ship order with the standard method (Poste), picked at the store
    order = Order.objects.get(number=checkout(signed_in, [(shirt.sku, 1)], method=standard.pk).json()["number"])
    gls = Carrier(code="gls", name="GLS", tracking_url="https://gls.example/{number}")
    courier = save_carrier(carrier=gls, actor=None)
    fulfillment = Fulfillment.objects.get(order=order)
    associate_client.post(f"/portal/orders/pickups/{fulfillment.pk}/scan/", {"code": shirt.sku}, HTTP_HX_REQUEST="true")
    sheet = associate_client.get(f"/portal/orders/pickups/{fulfillment.pk}/").content.decode()
    assert 'name="carrier"' in sheet and "GLS" in sheet

    # when the associate ships it with GLS (and a carrier id that is no number changes nothing)
    response = associate_client.post(
        f"/portal/orders/pickups/{fulfillment.pk}/ship/", {"tracking": "GLS-77", "carrier": str(courier.pk)}
    )
    assert response.status_code == 302

    # then the order page links GLS's page, and the shopper's API too
    page = associate_client.get(f"/portal/orders/{order.number}/").content.decode()
    assert 'href="https://gls.example/GLS-77"' in page
    assert "Standard" in page and ("4.90" in page or "4,90" in page)  # the store's market's language
    shipped = signed_in.get(f"/api/v1/orders/{order.number}/").json()["fulfillments"][0]
    assert (shipped["carrier"], shipped["tracking_url"]) == ("GLS", "https://gls.example/GLS-77")


def test_the_shipped_message_links_the_carriers_page(signed_in, standard, store, shirt, associate):
    order = Order.objects.get(number=checkout(signed_in, [(shirt.sku, 1)], method=standard.pk).json()["number"])
    fulfillment = Fulfillment.objects.get(order=order)
    scan_pick(fulfillment=fulfillment, code=shirt.sku, actor=associate)
    ship_fulfillment(fulfillment=Fulfillment.objects.get(pk=fulfillment.pk), actor=associate, tracking_number="RR9")
    for message in OutboxMessage.objects.filter(topic="orders.notify"):
        deliver_outbox_message(message_id=message.pk, attempt=0)
    sent = [m for m in RecordingAdapter.sent if "RR9" in str(m)]
    assert sent and all("https://poste.example/track?n=RR9" in str(m) for m in sent)


def test_a_ship_checkout_costs_the_same_queries_for_three_lines_or_ten(
    signed_in, by_weight, store, django_assert_num_queries
):
    variants = [VariantFactory(sku=f"P-{i}", product__base_price="4.00", weight_grams=50) for i in range(10)]
    inventory.receive_stock(location=store, lines=[(v, 50) for v in variants], reference="PO-P")
    assert checkout(signed_in, [(variants[0].sku, 1)], method=by_weight.pk).status_code == 201  # warm: profile
    # 38 once the timeline claims its key first; 40 with the market of the country shipped to and its
    # prices (one read each, whatever the lines); 42 with the lines' names in the order's language (one read
    # of the translations, 5c1ddcb) and the home currency the tier's spend is counted in (897db12)
    with django_assert_num_queries(42):
        assert checkout(signed_in, [(v.sku, 1) for v in variants[:3]], method=by_weight.pk).status_code == 201
    with django_assert_num_queries(42):  # the method and its bands are read once, whatever the lines
        assert checkout(signed_in, [(v.sku, 1) for v in variants], method=by_weight.pk).status_code == 201


def test_where_prices_exclude_tax_the_shippings_tax_is_added_on_top_with_the_lines(signed_in, italy, standard, shirt):
    # given Italy pricing without tax (a B2B-style market): 22% is added at checkout
    italy.prices_include_tax = False
    save_market(market=italy, actor=None)

    # when a 30.00 shirt ships with the 4.90 method
    body = checkout(signed_in, [(shirt.sku, 1)], method=standard.pk).json()

    # then the shipping's 22% is added on top with the lines': 30.00 + 4.90 + 6.60 + 1.08
    order = Order.objects.get(number=body["number"])
    assert (order.shipping_total, order.shipping_net, order.shipping_tax) == (
        Decimal("4.90"),
        Decimal("4.90"),
        Decimal("1.08"),
    )
    assert (body["tax_added"], body["tax"], body["total"]) == ("7.68", "7.68", "42.58")
    assert order.shipping_paid == Decimal("5.98")
    assert Payment.objects.get(order=order).amount == Decimal("42.58")


def test_the_order_placed_event_says_the_shipping_and_the_tax_added(signed_in, italy, standard, shirt):
    from webhooks.models import Event

    # given Italy pricing without tax, a 30.00 shirt shipped with the 4.90 method
    italy.prices_include_tax = False
    save_market(market=italy, actor=None)
    number = checkout(signed_in, [(shirt.sku, 1)], method=standard.pk).json()["number"]
    # when a receiver reads order.placed
    order = next(
        e.data["order"] for e in Event.objects.filter(type="order.placed") if e.data["order"]["number"] == number
    )
    # then the shipping and the tax on top are in it, and the total adds up from its parts
    assert (order["shipping_total"], order["tax_added"], order["total"], order["currency"]) == (
        "4.90",
        "7.68",
        "42.58",
        "EUR",
    )
    parts = [Decimal(order[f]) for f in ("subtotal", "discount_total", "tax_added", "shipping_total")]
    assert parts[0] - parts[1] + parts[2] + parts[3] == Decimal(order["total"])


def test_an_order_shipped_to_a_market_is_in_its_currency_and_takes_its_methods(signed_in, italy, standard, shirt):
    # given the Italian market sells in francs (its list prices the shirt); its methods are in its currency
    # (orders follow the market of the country shipped to since issue 19.2: a method in another currency
    # than the order's cannot arise there any more)
    Market.objects.filter(pk=italy.pk).update(currency="CHF")
    italy.refresh_from_db()
    enter_market_prices(italy, shirt, price="40.00")

    # then a method is required, and Italy's ships the franc order
    assert checkout(signed_in, [(shirt.sku, 1)]).json()["code"] == "shipping_method_required"
    placed = checkout(signed_in, [(shirt.sku, 1)], method=standard.pk)
    assert placed.status_code == 201, placed.json()
    assert placed.json()["currency"] == "CHF"


def test_the_receipt_shows_the_shipping_charged_so_its_lines_add_up_to_the_total(
    signed_in, standard, store, shirt, associate, associate_client
):
    # given a shirt (30.00) shipped with the 4.90 standard method, picked and shipped
    order = Order.objects.get(number=checkout(signed_in, [(shirt.sku, 1)], method=standard.pk).json()["number"])
    fulfillment = Fulfillment.objects.get(order=order)
    scan_pick(fulfillment=fulfillment, code=shirt.sku, actor=associate)
    ship_fulfillment(fulfillment=Fulfillment.objects.get(pk=fulfillment.pk), actor=associate, tracking_number="RR 1")

    # when the store prints its receipt (found on the demo: a Warsaw receipt listed 68.99 + 128.99 and a
    # total of 212.97, the 14.99 of shipping nowhere but inside the tax table)
    page = associate_client.get(f"/portal/orders/{order.number}/receipt/").content.decode()

    # then the shipping is a row of its own, with the method's name, between the lines and the total
    assert "data-receipt-shipping" in page
    row = page[page.index("data-receipt-shipping") :]
    row = row[: row.index("</tr>")]
    assert "Standard" in row and ("4.90" in row or "4,90" in row)
    assert page.index("data-receipt-shipping") < page.index("<tfoot>")  # above the total, with the lines
