from decimal import Decimal

import pytest
from django.core.management import call_command

from customers.ledgers import points_drift, store_credit_drift
from customers.models import LoyaltyAccount, StoreCreditAccount
from customers.services import earn_points, issue_store_credit, redeem_points, spend_store_credit
from tests.customers.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_verify_customer_ledgers_passes_then_names_each_drifted_account(capsys):
    # given points earned and redeemed, store credit issued and spent, through the services
    shopper, other = CustomerFactory(), CustomerFactory()
    earn_points(customer=shopper, reference="W-1", points=120)
    redeem_points(customer=shopper, points=20, reference="W-2")
    issue_store_credit(customer=other, amount=Decimal("30.00"), reference="R-1")
    spend_store_credit(customer=other, amount=Decimal("12.50"), reference="W-3")
    call_command("verify_customer_ledgers")
    assert "Every points and store credit balance equals the sum of its ledger" in capsys.readouterr().out
    assert points_drift() == store_credit_drift() == []

    # when balances change behind their ledgers' backs
    LoyaltyAccount.objects.filter(customer=shopper).update(balance=150)
    StoreCreditAccount.objects.filter(customer=other).update(balance=Decimal("20.00"))

    # then the command names both and fails
    with pytest.raises(SystemExit) as exc:
        call_command("verify_customer_ledgers")
    assert exc.value.code == 1
    out = capsys.readouterr().out
    assert f"DRIFT points of customer #{shopper.pk}: balance 150, ledger sums to 100" in out
    assert f"DRIFT store credit of customer #{other.pk}: balance 20.00, ledger sums to 17.50" in out


def test_an_account_without_entries_must_hold_nothing():
    shopper = CustomerFactory()
    earn_points(customer=shopper, reference="W-9", points=5)
    account = LoyaltyAccount.objects.get(customer=shopper)
    account.entries.all().delete()
    assert points_drift() == [{"pk": account.pk, "customer_id": shopper.pk, "balance": 5, "ledger": 0}]
