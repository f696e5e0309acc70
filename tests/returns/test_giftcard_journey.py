"""Issue 18's gift card journey through the API: bought in the app, half spent at a till, the purchase
returned at the till and refunded back onto the same card."""

import re
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from customers.models import GiftCard
from customers.services.giftcards import CODE_TOPIC, gift_card_drift
from orders.notifications import RecordingAdapter
from retail.models import OutboxMessage
from retail.outbox import deliver_outbox_message
from retail.services import issue_pos_device

pytestmark = pytest.mark.django_db


def test_a_gift_card_bought_online_is_half_spent_in_store_and_the_return_goes_back_onto_it(
    policy, shirt, store, shopper, shopper_user
):
    app, till = APIClient(), APIClient()
    app.force_authenticate(shopper_user)
    till.credentials(HTTP_AUTHORIZATION=f"Device {issue_pos_device(store=store, name='Till 1')[1]}")
    # given Jane buys a 60.00 gift card in the app and gets its number by email
    bought = app.post("/api/v1/me/giftcards/", {"amount": "60.00", "payment_token": "tok_visa_4242"},
                      format="json", HTTP_IDEMPOTENCY_KEY="gift-1")  # fmt: skip
    assert bought.status_code == 201, bought.json()
    (message,) = OutboxMessage.objects.filter(topic=CODE_TOPIC)
    assert deliver_outbox_message(message_id=message.pk, attempt=0)[0] == "delivered"
    (mail,) = [m for m in RecordingAdapter.sent if m.recipient == "jane@example.com"]
    code = re.search(r"Gift card number: ([\d ]+)", mail.body).group(1).strip()
    # when she pays a 30.00 shirt with it at the till (half the card)
    sale = {"receipt_number": "S-1", "lines": [{"sku": "SHIRT-M", "quantity": 1}],
            "customer": {"email": "jane@example.com"},
            "tenders": [{"method": "gift_card", "amount": "30.00", "code": code}]}  # fmt: skip
    sold = till.post("/api/v1/pos/sales/", sale, format="json")
    assert sold.status_code == 201, sold.json()
    half = till.post("/api/v1/giftcards/balance/", {"code": code}, format="json").json()
    assert half["balance"] == "30.00" and half["last4"] == bought.json()["last4"]
    # and returns the shirt at the till the next day
    returned = till.post("/api/v1/pos/returns/", {"receipt_number": "R-1", "original_receipt": "S-1",
                                                  "lines": [{"sku": "SHIRT-M", "quantity": 1, "reason": "wrong_size"}]},
                         format="json")  # fmt: skip
    # then the 30.00 went back onto the same card, which holds its 60.00 again
    assert returned.status_code == 201, returned.json()
    assert returned.json()["refund_total"] == "30.00" and returned.json()["status"] == "refunded"
    assert app.post("/api/v1/giftcards/balance/", {"code": code}, format="json").json()["balance"] == "60.00"
    card = GiftCard.objects.get()
    assert sorted(card.entries.values_list("kind", "amount")) == [
        ("issue", Decimal("60.00")), ("redeem", Decimal("-30.00")), ("refund", Decimal("30.00"))]  # fmt: skip
    assert (card.channel, card.customer) == ("app", shopper) and gift_card_drift() == []
