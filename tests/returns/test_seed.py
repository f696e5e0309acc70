"""The demo seed: returns in every state across channels, with stock, points and credit ledgers intact."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import F, Sum

from customers.models import LoyaltyAccount, PointsEntry, StoreCreditAccount, StoreCreditEntry
from orders.models import Order
from orders.returns.models import ReturnPolicy, ReturnRequest

pytestmark = pytest.mark.django_db


def test_the_demo_seed_returns_about_one_order_in_ten_in_every_state_with_exact_ledgers(capsys):
    # when the whole demo is seeded (tiny scale)
    call_command("seed_demo", "--seed", "7", "--scale", "tiny")
    # then every state is there, from online and store purchases, in store and by mail
    statuses = set(ReturnRequest.objects.values_list("status", flat=True))
    assert set(ReturnRequest.Status.values) - {"cancelled"} <= statuses
    assert {"app", "web", "store"} <= set(ReturnRequest.objects.values_list("order__channel", flat=True))
    assert set(ReturnRequest.objects.values_list("method", flat=True)) == {"in_store", "mail"}
    rate = ReturnRequest.objects.exclude(receiptless=True).count() / Order.objects.filter(status="completed").count()
    assert 0.05 <= rate <= 0.12
    # and each market judges returns by its own policy, in its currency (issue 19.2); a return is in its order's
    policies = {p.market.code: p for p in ReturnPolicy.objects.filter(is_active=True).select_related("market")}
    assert {code: p.currency for code, p in policies.items()} == {"it": "EUR", "pl": "PLN", "uk": "GBP"}
    assert (policies["pl"].approval_over, policies["pl"].windows_by_channel()["store"]) == (Decimal("1000.00"), 14)
    assert not ReturnRequest.objects.filter(order__isnull=False).exclude(currency=F("order__currency")).exists()
    # and every line has its verdict in words
    assert not ReturnRequest.objects.filter(lines__explanation="").exists()
    # and the stock ledger still explains every level
    call_command("verify_stock_ledger")
    assert "Every stock level equals the sum of its ledger" in capsys.readouterr().out
    # and store credit and points balances are the sums of their ledgers
    for account in StoreCreditAccount.objects.all():
        assert account.balance == (
            StoreCreditEntry.objects.filter(account=account).aggregate(s=Sum("amount"))["s"] or 0
        )
    for account in LoyaltyAccount.objects.all():
        assert account.balance == (PointsEntry.objects.filter(account=account).aggregate(s=Sum("points"))["s"] or 0)
