"""Gift cards (issue 18): a partial redeem from a card's ledger, and a till's balance check.

Target from the issue: a gift-card redeem p95 <= 2x the floor. The redeem is measured as the
service every channel calls (checkout's and the till's tenders: customers.services.giftcards.
redeem_gift_card), like inventory.reserve_release: the guessing-limit check in Redis, the card's
row lock, the once-per-reference check, the entry, the balance and the webhook event, committed.
The balance check is the HTTP request a till makes (POST /api/v1/giftcards/balance/).
"""

import itertools
from decimal import Decimal

from benchmarks.context import ScenarioContext
from benchmarks.registry import FLOOR, scenario
from customers.models import GiftCard, GiftCardEntry
from customers.services.giftcards import issue_gift_card, redeem_gift_card

MARK = "BENCHGC"
CARDS = 50


def _cards(ctx: ScenarioContext) -> list[str]:
    """CARDS cards of 1,000,000.00 each (issued through the service: numbers, hashes, ledger); their numbers."""
    _cleanup()
    return [
        issue_gift_card(amount=Decimal("1000.00"), source="sold", channel="store",
                        reference=f"{MARK}:{ctx.name}:issue:{i}").code
        for i in range(CARDS)
    ]  # fmt: skip


def _cleanup() -> None:
    """Remove the bench cards and their ledgers (bench data only: queryset deletes are fine here)."""
    ids = list(GiftCardEntry.objects.filter(kind="issue", reference__startswith=MARK).values_list("card_id", flat=True))
    GiftCardEntry.objects.filter(card_id__in=ids).delete()
    GiftCard.objects.filter(pk__in=ids).delete()


@scenario(name="giftcards.redeem", calls=300, warmup=20, max_queries=6, compare_with=FLOOR, max_ratio=2.0)
def redeem(ctx: ScenarioContext):
    """redeem_gift_card: 1.00 off one of 50 cards per call, each call its own reference (one transaction)."""
    codes = _cards(ctx)
    counter = itertools.count()

    def call():
        n = next(counter)
        redeem_gift_card(code=codes[n % CARDS], amount=Decimal("1.00"), reference=f"{MARK}:{n}",
                         caller=("device:bench",))  # fmt: skip

    yield call
    _cleanup()


@scenario(name="giftcards.balance", calls=300, warmup=20, max_queries=2, expect_status=200)
def balance(ctx: ScenarioContext):
    """POST /api/v1/giftcards/balance/: the number in the body, as a shopper's app or a till asks."""
    codes = _cards(ctx)
    counter = itertools.count()
    client = ctx.client

    def call():
        code = codes[next(counter) % CARDS]
        return client.post("/api/v1/giftcards/balance/", {"code": code}, content_type="application/json")

    yield call
    _cleanup()
