"""Balances against their ledgers: loyalty points and store credit (gift cards: services.giftcards).

Each account's balance is a cached sum of its append-only entries, moved in the same transaction
(services.loyalty); these reads find the accounts where the two disagree. `manage.py
verify_customer_ledgers` runs them (nightly in production, docs/deploy.md 8; after the cluster
rehearsal's faults, docs/deploy.md 9).
"""

from decimal import Decimal

from django.db.models import DecimalField, F, IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from customers.models import LoyaltyAccount, PointsEntry, StoreCreditAccount, StoreCreditEntry


def _ledger_sum(entries, column: str, field, zero):
    sums = entries.filter(account=OuterRef("pk")).order_by().values("account").annotate(s=Sum(column))
    return Coalesce(Subquery(sums.values("s"), output_field=field), Value(zero), output_field=field)


def points_drift() -> list[dict]:
    """Loyalty accounts whose points balance is not the sum of their entries (empty when the ledger holds)."""
    ledger = _ledger_sum(PointsEntry.objects, "points", IntegerField(), 0)
    rows = LoyaltyAccount.objects.annotate(ledger=ledger).exclude(balance=F("ledger")).order_by("pk")
    return list(rows.values("pk", "customer_id", "balance", "ledger"))


def store_credit_drift() -> list[dict]:
    """Store credit accounts whose balance is not the sum of their entries (empty when the ledger holds)."""
    ledger = _ledger_sum(StoreCreditEntry.objects, "amount", DecimalField(max_digits=12, decimal_places=2), Decimal(0))
    rows = StoreCreditAccount.objects.annotate(ledger=ledger).exclude(balance=F("ledger")).order_by("pk")
    return list(rows.values("pk", "customer_id", "balance", "ledger"))
