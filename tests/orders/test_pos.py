"""POS sales posted by a till: idempotent by receipt, per-line errors, stock, points and timeline."""

from decimal import Decimal

import pytest

from customers.models import Interaction, LoyaltyAccount
from customers.services.profiles import update_customer_profile
from inventory.models import StockLevel, StockMovement
from orders.models import Order
from retail.services import issue_pos_device

pytestmark = pytest.mark.django_db


@pytest.fixture
def till(store, api_client):
    _, token = issue_pos_device(store=store, name="Till 1")
    api_client.credentials(HTTP_AUTHORIZATION=f"Device {token}")
    return api_client


def sale(**extra):
    return {
        "receipt_number": "R-0001",
        "lines": [{"sku": "SHIRT-M", "quantity": 2}, {"barcode": "5000000000024", "quantity": 1, "discount": "9.99"}],
        "tenders": [
            {"method": "card", "amount": "70.00", "brand": "visa", "last4": "4242"},
            {"method": "cash", "amount": "40.00"},
        ],
        **extra,
    }


def test_a_sale_becomes_a_store_order_with_stock_points_and_timeline(till, shirt, jeans, store, shopper):
    update_customer_profile(customer=shopper, values={"card_number": "OMNI-000123"})
    # when the till posts a sale for a shopper identified by loyalty card
    response = till.post("/api/v1/pos/sales/", sale(customer={"card": "OMNI-000123"}), format="json")
    # then a completed store order exists, with stock taken from this store as sales
    assert response.status_code == 201, response.json()
    order = Order.objects.get(number=response.json()["number"])
    assert (order.channel, order.store, order.status, order.total) == ("store", store, "completed", Decimal("110.00"))
    assert order.customer == shopper and order.receipt_number == "R-0001"
    assert StockLevel.objects.get(variant=shirt, location=store).on_hand == 8
    assert StockMovement.objects.filter(kind="sale", reference="pos:LON-01:R-0001").count() == 2
    # and points were earned and the purchase is on the timeline
    assert LoyaltyAccount.objects.get(customer=shopper).balance == order.points_earned == 110
    purchase = Interaction.objects.get(customer=shopper, kind="purchase")
    assert purchase.channel == "store" and purchase.store == store


def test_a_replayed_receipt_returns_the_same_order_and_changes_nothing(till, shirt, jeans, store):
    first = till.post("/api/v1/pos/sales/", sale(), format="json")
    # when the till re-sends the same receipt (it did not hear the answer)
    again = till.post("/api/v1/pos/sales/", sale(), format="json")
    # then 200 with the first order, and stock was taken once
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["number"] == first.json()["number"] and again["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1
    assert StockLevel.objects.get(variant=shirt, location=store).on_hand == 8


def test_a_receipt_number_resent_with_another_sale_is_refused_and_changes_nothing(till, shirt, jeans, store):
    first = till.post("/api/v1/pos/sales/", sale(), format="json")
    # when the till sends the same receipt number with other lines and tenders (a till reset its counter)
    other = sale(lines=[{"sku": "SHIRT-M", "quantity": 1}], tenders=[{"method": "cash", "amount": "30.00"}])
    refused = till.post("/api/v1/pos/sales/", other, format="json")
    # then 422 idempotency_mismatch naming the receipt, not the first order replayed; nothing written
    assert (first.status_code, refused.status_code) == (201, 422), refused.json()
    body = refused.json()
    assert body["code"] == "idempotency_mismatch" and "R-0001" in body["message"] and "number" not in body
    assert Order.objects.count() == 1 and StockLevel.objects.get(variant=shirt, location=store).on_hand == 8
    # and the same body again is still a replay of the first order
    again = till.post("/api/v1/pos/sales/", sale(), format="json")
    assert again.status_code == 200 and again.json()["number"] == first.json()["number"]


def test_a_receipt_stored_before_a_secret_key_rotation_still_replays(till, shirt, jeans, settings):
    # given a sale recorded, then the deployment's secret key rotated (the old one kept as a fallback)
    first = till.post("/api/v1/pos/sales/", sale(), format="json")
    stored = Order.objects.get().receipt_fingerprint
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-" + "x" * 40
    # when the till re-sends it: a replay; another sale on its number: refused
    assert till.post("/api/v1/pos/sales/", sale(), format="json").json()["number"] == first.json()["number"]
    other = sale(tenders=[{"method": "cash", "amount": "110.00"}])
    assert till.post("/api/v1/pos/sales/", other, format="json").status_code == 422
    assert Order.objects.count() == 1 and Order.objects.get().receipt_fingerprint == stored


def test_a_malformed_sale_is_reported_per_field_and_nothing_is_written(till, shirt, jeans, store):
    # given a sale whose lines and tenders are not what the schema says
    bad = sale(
        lines=[
            {"sku": "SHIRT-M", "quantity": 1},
            {"barcode": "5000000000024", "quantity": 0},
            {"sku": "SHIRT-M", "quantity": "2"},
        ],
        tenders=[{"method": "bitcoin", "amount": "10"}, {"method": "card", "amount": "-1"}],
    )
    # when the till posts it
    response = till.post("/api/v1/pos/sales/", bad, format="json")
    # then every field at fault is named at once
    assert response.status_code == 400
    data = response.json()
    assert data["code"] == "invalid"
    assert set(data["fields"]) == {"lines.1.quantity", "lines.2.quantity", "tenders.0.method", "tenders.1.amount"}
    assert data["fields"]["lines.2.quantity"] == ["Must be a whole number."]
    assert not Order.objects.exists()
    assert StockLevel.objects.get(variant=shirt, location=store).on_hand == 10


def test_unknown_skus_and_refused_tenders_are_reported_per_line_and_nothing_is_written(till, shirt, jeans, store):
    bad = sale(
        lines=[{"sku": "SHIRT-M", "quantity": 1}, {"sku": "NOPE-1", "quantity": 1}, {"quantity": 1}],
        tenders=[{"method": "cash", "amount": "0.00"}, {"method": "store_credit", "amount": "1.00"}],
    )
    response = till.post("/api/v1/pos/sales/", bad, format="json")
    assert response.status_code == 400
    data = response.json()
    assert data["code"] == "invalid_sale"
    assert set(data["fields"]) == {"lines.1", "lines.2", "tenders.0", "tenders.1"}
    assert "NOPE-1" in data["fields"]["lines.1"][0] and "sku or the barcode" in data["fields"]["lines.2"][0]
    assert not Order.objects.exists()
    assert StockLevel.objects.get(variant=shirt, location=store).on_hand == 10


def test_tenders_must_add_up_to_the_lines(till, shirt, jeans):
    response = till.post("/api/v1/pos/sales/", sale(tenders=[{"method": "cash", "amount": "10.00"}]), format="json")
    assert response.status_code == 400
    assert response.json()["fields"]["tenders"] == ["Tenders add up to €10.00, the lines to €110.00."]


def test_only_a_device_may_post_sales(api_client, shopper_user, shirt):
    assert api_client.post("/api/v1/pos/sales/", sale(), format="json").status_code in (401, 403)
    api_client.force_authenticate(shopper_user)
    response = api_client.post("/api/v1/pos/sales/", sale(), format="json")
    assert response.status_code == 403
    assert not Order.objects.exists()


def test_the_same_receipt_number_in_another_store_is_another_sale(till, shirt, jeans, other_store, api_client):
    from inventory import services as inventory

    inventory.receive_stock(location=other_store, lines=[(shirt, 5), (jeans, 5)], reference="PO-M")
    till.post("/api/v1/pos/sales/", sale(), format="json")
    from rest_framework.test import APIClient

    _, token = issue_pos_device(store=other_store, name="Till 1")
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Device {token}")
    assert other.post("/api/v1/pos/sales/", sale(), format="json").status_code == 201
    assert Order.objects.count() == 2


def test_a_till_sale_of_stock_the_ledger_missed_is_recorded_not_refused(till, shirt, jeans, store):
    from inventory.selectors import ledger_drift
    from inventory.services import adjust_stock

    # given the ledger believes only 1 shirt is left in the store, but the till sold 2
    on_hand = StockLevel.objects.get(variant=shirt, location=store).on_hand
    adjust_stock(location=store, variant=shirt, quantity=1 - on_hand, reason="shrinkage")
    # when the sale is posted
    response = till.post("/api/v1/pos/sales/", sale(), format="json")
    # then it lands, with the missing unit booked as found stock for the stock team to count
    assert response.status_code == 201, response.json()
    assert StockLevel.objects.get(variant=shirt, location=store).on_hand == 0
    found = StockMovement.objects.get(kind="adjustment", reference="pos:LON-01:R-0001")
    assert found.quantity == 1 and "count this SKU" in found.note
    assert ledger_drift() == []


def test_a_till_takes_a_gift_card_from_its_ledger_once_and_a_refund_loads_it_again(till, shirt, jeans, store):
    from customers.models import GiftCard
    from customers.services.giftcards import gift_card_drift, issue_gift_card
    from orders.models import Payment
    from orders.services.payments import refund_payment

    issued = issue_gift_card(amount=Decimal("100.00"), source="sold", reference="GC-TILL")
    paid = sale(tenders=[{"method": "gift_card", "amount": "60.00", "code": issued.code},
                         {"method": "cash", "amount": "50.00"}])  # fmt: skip
    # when the till posts the sale, then re-sends it
    first = till.post("/api/v1/pos/sales/", paid, format="json")
    again = till.post("/api/v1/pos/sales/", paid, format="json")
    # then 60.00 came off the card once, and the payment names the card by its last four digits
    assert (first.status_code, again.status_code) == (201, 200), first.json()
    assert GiftCard.objects.get(pk=issued.card.pk).balance == Decimal("40.00")
    payment = Payment.objects.get(order__number=first.json()["number"], method="gift_card")
    assert (payment.provider, payment.last4, payment.captured_amount) == ("giftcard", issued.code[-4:], Decimal("60"))
    # a sale the card cannot cover is refused with the balance; no code at all is an invalid sale
    short = till.post("/api/v1/pos/sales/", {**paid, "receipt_number": "R-0002"}, format="json")
    assert (short.status_code, short.json()["code"]) == (409, "insufficient_gift_card_balance")
    no_code = sale(receipt_number="R-0003", tenders=[{"method": "gift_card", "amount": "110.00"}])
    refused = till.post("/api/v1/pos/sales/", no_code, format="json")
    assert (refused.status_code, refused.json()["code"]) == (400, "invalid_sale")
    assert Order.objects.count() == 1 and GiftCard.objects.get(pk=issued.card.pk).balance == Decimal("40.00")
    # when part of it is refunded (a return), it goes back onto the same card
    refund_payment(payment=payment, amount=Decimal("25.00"), reference="RMA-TILL")
    assert GiftCard.objects.get(pk=issued.card.pk).balance == Decimal("65.00")
    assert gift_card_drift() == []
