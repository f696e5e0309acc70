"""Orders, carts, tills, payments, refunds, store credit, gift cards and wallet in their market's
currency (issue 19.2): a PLN order is priced from Poland's list and paid in PLN; currencies never mix."""

from decimal import Decimal

import pytest

from customers.models import StoreCreditAccount
from customers.services.giftcards import issue_gift_card
from customers.services.loyalty import issue_store_credit
from inventory import services as inventory
from orders.models import Cart, Order, Payment
from tests.inventory.factories import VariantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def unpriced(store, warsaw):
    """Sold at home only: no price in Poland."""
    variant = VariantFactory(sku="SOCKS", product__base_price="5.00")
    inventory.receive_stock(location=warsaw, lines=[(variant, 10)], reference="PO-S")
    return variant


@pytest.fixture
def shopper_api(api_client, shopper, shopper_user):
    api_client.force_authenticate(shopper_user)
    return api_client


def checkout(client, key="k-1", HTTP_ACCEPT_LANGUAGE="en-gb", **extra):
    data = {
        "channel": "app",
        "lines": [{"sku": "SHIRT-M", "quantity": 2}],
        "fulfillment": {"kind": "pickup", "store": "WAW-01"},
        "payments": [{"method": "card", "token": "tok_visa_4242"}],
        **extra,
    }
    data = {k: v for k, v in data.items() if v is not None}
    return client.post(
        "/api/v1/orders/", data, format="json", HTTP_IDEMPOTENCY_KEY=key, HTTP_ACCEPT_LANGUAGE=HTTP_ACCEPT_LANGUAGE
    )


def test_a_pln_order_placed_through_the_api_has_pln_lines_and_payments(shopper_api, shirt_in_poland, store):
    # when the shopper picks up in Warsaw
    response = checkout(shopper_api)

    # then the order, its lines and its card payment are in złoty at Poland's price
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["currency"], data["total"]) == ("PLN", "258.00")
    assert [(line["unit_price"], line["total"]) for line in data["lines"]] == [("129.00", "258.00")]
    order = Order.objects.get(number=data["number"])
    assert order.currency == "PLN"
    assert list(order.payments.values_list("amount", flat=True)) == [Decimal("258.00")]

    # and the same shirt picked up at home is in the home currency at the catalog's price
    home = checkout(shopper_api, key="k-2", fulfillment={"kind": "pickup", "store": store.code})
    assert home.status_code == 201, home.json()
    assert (home.json()["currency"], home.json()["total"]) == (store.market.currency, "60.00")


def test_a_variant_without_a_price_in_the_market_is_not_sold_there(shopper_api, shirt_in_poland, unpriced):
    response = checkout(shopper_api, lines=[{"sku": "SHIRT-M", "quantity": 1}, {"sku": "SOCKS", "quantity": 1}])

    assert response.status_code == 409
    assert response.json()["code"] == "not_sold_in_market"
    assert "SOCKS" in response.json()["message"]
    assert not Order.objects.exists()


def test_a_gift_card_or_store_credit_in_euros_cannot_pay_a_pln_order(shopper_api, shopper, shirt_in_poland, settings):
    # given euros on a gift card and as store credit
    euros = issue_gift_card(amount=Decimal("500"), source="goodwill", reference="gc-1", currency=settings.CURRENCY,
                            reason="test")  # fmt: skip
    issue_store_credit(customer=shopper, amount=Decimal("500"), reference="sc-1", currency=settings.CURRENCY)

    # when they are offered for a złoty order
    by_card = checkout(shopper_api, payments=[{"method": "gift_card", "token": euros.code, "amount": "258.00"}])
    by_credit = checkout(shopper_api, key="k-2", payments=[{"method": "store_credit", "amount": "258.00"}])

    # then both are refused with their codes, nothing placed
    assert (by_card.status_code, by_card.json()["code"]) == (409, "gift_card_wrong_currency")
    assert (by_credit.status_code, by_credit.json()["code"]) == (409, "store_credit_wrong_currency")
    assert not Order.objects.exists()
    assert StoreCreditAccount.objects.get(customer=shopper).balance == Decimal("500.00")


def test_pln_store_credit_pays_a_pln_order_and_its_refund_goes_back_in_pln(shopper_api, shopper, shirt_in_poland):
    from orders.services import cancel_order

    issue_store_credit(customer=shopper, amount=Decimal("300"), reference="sc-1", currency="PLN")
    response = checkout(shopper_api, payments=[{"method": "store_credit", "amount": "258.00"}])
    assert response.status_code == 201, response.json()
    order = Order.objects.get(number=response.json()["number"])
    assert order.payments.get().method == Payment.Method.STORE_CREDIT

    # when the order is cancelled, the credit comes back in złoty
    cancel_order(order=order, actor=None, reason="changed mind")
    account = StoreCreditAccount.objects.get(customer=order.customer)
    assert (account.balance, account.currency) == (Decimal("300.00"), "PLN")


def test_a_payment_error_says_its_amounts_in_the_orders_currency_and_names_the_tender_sent(
    shopper_api, shirt_in_poland
):
    # given a Polish-speaking shopper paying a 258 zł order
    polish = {"HTTP_ACCEPT_LANGUAGE": "pl"}

    # when the card asks for more than the total, or a gift card (sent second) says no amount
    over = checkout(shopper_api, payments=[{"method": "card", "token": "tok_visa_4242", "amount": "300.00"}], **polish)
    unsaid = checkout(
        shopper_api,
        key="k-2",
        payments=[
            {"method": "card", "token": "tok_visa_4242", "amount": "1.00"},
            {"method": "gift_card", "token": "x"},
        ],
        **polish,
    )

    # then the total reads as złoty are written in Polish, and the error names the tender that was sent
    assert over.status_code == 400
    assert over.json()["message"] == "Płatności przekraczają łączną kwotę 258,00\xa0zł."
    assert list(over.json()["fields"]) == ["payments.0.amount"]
    assert unsaid.status_code == 400
    assert list(unsaid.json()["fields"]) == ["payments.1.amount"]
    assert unsaid.json()["message"] == "Podaj kwotę do zapłaty: karta podarunkowa."
    assert not Order.objects.exists()


def test_one_order_never_mixes_markets_of_two_currencies(shopper_api, shirt_in_poland, store):
    response = checkout(shopper_api, groups=[
        {"kind": "pickup", "store": "WAW-01", "lines": [{"sku": "SHIRT-M", "quantity": 1}]},
        {"kind": "pickup", "store": store.code, "lines": [{"sku": "SHIRT-M", "quantity": 1}]},
    ], lines=None, fulfillment=None)  # fmt: skip
    assert (response.status_code, response.json()["code"]) == (409, "currency_mismatch"), response.json()
    assert not Order.objects.exists()


def test_a_cart_holds_lines_of_one_currency(shopper, shirt_in_poland, poland, store):
    from orders.errors import OrderError
    from orders.services import open_cart_for, set_cart_line

    # given a cart priced in Poland
    cart = open_cart_for(customer=shopper)
    set_cart_line(cart=cart, sku="SHIRT-M", quantity=1, market=poland)
    cart.refresh_from_db()
    assert (cart.currency, cart.lines.get().price_when_added) == ("PLN", Decimal("129.00"))

    # when a line in the home currency is added
    with pytest.raises(OrderError) as caught:
        set_cart_line(cart=cart, sku="SHIRT-M", quantity=1, add=True, market=store.market)

    # then refused; the cart still holds its złoty line
    assert caught.value.code == "currency_mismatch"
    assert Cart.objects.get(pk=cart.pk).lines.get().quantity == 1


def test_checking_out_a_pln_cart_at_a_home_store_is_refused(shopper_api, shopper, shirt_in_poland, poland, store):
    from orders.services import open_cart_for, set_cart_line

    set_cart_line(cart=open_cart_for(customer=shopper), sku="SHIRT-M", quantity=1, market=poland)
    response = checkout(shopper_api, lines=None, from_cart=True, fulfillment={"kind": "pickup", "store": store.code})
    assert (response.status_code, response.json()["code"]) == (409, "currency_mismatch")
