"""Real concurrency on PostgreSQL: tills and app checkouts spend one gift card at the same moment."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from customers.models import GiftCard
from customers.services.giftcards import gift_card_drift, issue_gift_card
from inventory import services as inventory
from inventory.selectors import ledger_drift
from orders.errors import OrderError
from orders.models import Order, Payment
from orders.services import GroupRequest, TenderRequest, place_order
from retail.services import issue_pos_device
from tests.factories import StoreFactory
from tests.helpers import race
from tests.inventory.factories import VariantFactory

pytestmark = [pytest.mark.django_db(transaction=True)]


def test_fifty_spends_at_tills_and_in_the_app_never_overdraw_one_gift_card():
    # given a card bought online with 200.00 on it, 25 tills and 25 app checkouts each paying a 30.00 shirt with it
    store = StoreFactory(code="LON-01")
    shirt = VariantFactory(sku="SHIRT-M", product__base_price="30.00")
    inventory.receive_stock(location=store, lines=[(shirt, 60)], reference="PO-1")
    code = issue_gift_card(amount=Decimal("200.00"), source="sold", channel="app", reference="GC-RACE").code
    tokens = [issue_pos_device(store=store, name=f"Till {i + 1}")[1] for i in range(25)]

    def spend(index):
        if index % 2:
            till = APIClient()
            till.credentials(HTTP_AUTHORIZATION=f"Device {tokens[index // 2]}")
            body = {"receipt_number": f"R-{index}", "lines": [{"sku": "SHIRT-M", "quantity": 1}],
                    "tenders": [{"method": "gift_card", "amount": "30.00", "code": code}]}  # fmt: skip
            response = till.post("/api/v1/pos/sales/", body, format="json")
            return "paid" if response.status_code == 201 else response.json()["code"]
        place_order(
            channel="app",
            groups=[GroupRequest(kind="pickup", lines=[("SHIRT-M", 1)], store=store)],
            contact={"email": f"shopper{index}@example.com"},
            tenders=[TenderRequest(method="gift_card", token=code, amount=Decimal("30.00"))],
        )
        return "paid"

    # when all fifty go at once, each on its own connection
    results, errors = race(spend, 50, expected=OrderError)
    # then exactly six 30.00 spends fit in 200.00, the other 44 are refused with the documented code
    assert errors == [], errors
    assert sorted(results) == ["insufficient_gift_card_balance"] * 44 + ["paid"] * 6, results
    card = GiftCard.objects.get()
    assert card.balance == Decimal("20.00") and card.entries.filter(kind="redeem").count() == 6
    assert Payment.objects.filter(method="gift_card").count() == 6 == Order.objects.count()
    # and the ledgers hold: the verify command passes, no stock was sold for a refused sale
    out = StringIO()
    call_command("verify_gift_cards", stdout=out)
    assert "Every gift card balance equals" in out.getvalue()
    assert gift_card_drift() == [] and ledger_drift() == []
