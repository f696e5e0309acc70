"""Checkout asks the tax provider before it locks anything (issue 19.3): while an external tax service
answers (slowly, or not at all), the shopper's offer and loyalty account stay free for other checkouts
and the till; a service that fails keeps nothing; an offer changed between the read and the lock is
quoted again at what was taken. The provider is the project's TestTaxService, seen from a second
PostgreSQL connection that tries to lock the rows with NOWAIT while it is being asked."""

import threading
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction

from customers.models import LoyaltyAccount, Offer, OfferAssignment
from customers.services.loyalty import adjust_points, assign_offer
from inventory.models import StockLevel
from orders.errors import OrderError
from orders.models import Order, Payment
from orders.services import GroupRequest, TenderRequest, place_order
from retail.tax_providers import TestTaxService
from tests.customers.factories import OfferFactory

pytestmark = [pytest.mark.django_db(transaction=True)]

SEEN: list[dict] = []  # what each quote saw from the other connection
ON_QUOTE: list = []  # something another connection does during the first quote (head office editing)


def _from_another_connection(work) -> dict:
    result: dict = {}

    def run():
        try:
            work(result)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    return result


def _try_locks(result: dict) -> None:
    for name, rows in (("offer", OfferAssignment.objects.all()), ("points", LoyaltyAccount.objects.all())):
        try:
            with transaction.atomic():
                list(rows.select_for_update(nowait=True))
            result[name] = "free"
        except DatabaseError:
            result[name] = "locked"


class ProbingTaxService(TestTaxService):
    """The test tax service, which first looks from another connection whether the rows are locked."""

    def quote(self, request):
        SEEN.append(_from_another_connection(_try_locks))
        if ON_QUOTE:
            _from_another_connection(ON_QUOTE.pop())
        return super().quote(request)


@pytest.fixture(autouse=True)
def probing(settings):
    settings.TAX_PROVIDER = f"{__name__}.ProbingTaxService"
    SEEN.clear()
    ON_QUOTE.clear()
    yield
    SEEN.clear()
    ON_QUOTE.clear()


@pytest.fixture
def loyal(shopper):
    """The shopper holds 500 points and a 10% offer."""
    adjust_points(customer=shopper, points=500, note="welcome")
    assign_offer(offer=OfferFactory(code="ten"), customer=shopper)
    return shopper


def checkout(shopper, store):
    return place_order(
        channel="web",
        groups=[GroupRequest(kind="pickup", lines=[("SHIRT-M", 2)], store=store)],
        customer=shopper,
        offer_code="ten",
        points=300,
        tenders=[TenderRequest(method="card", token="tok_visa_4242")],
    )


def test_the_tax_service_is_asked_while_the_offer_and_points_are_free(loyal, shirt, store):
    # when the shopper checks out 2 x 30.00 with the offer and 300 points
    order = checkout(loyal, store)

    # then the service was asked once, and at that moment both rows could be locked by anyone else
    assert SEEN == [{"offer": "free", "points": "free"}]
    # and the order is whole: 60.00 - 6.00 - 3.00, taxed at the service's 20% inside the prices
    assert (order.offer_discount, order.points_discount, order.total) == (
        Decimal("6.00"),
        Decimal("3.00"),
        Decimal("51.00"),
    )
    assert sum(line.tax_amount for line in order.lines.all()) == Decimal("8.50")
    assert OfferAssignment.objects.get().redeemed_at is not None
    assert LoyaltyAccount.objects.get(customer=loyal).balance == 200


def test_a_tax_service_that_fails_keeps_nothing_and_locked_nothing(loyal, shirt, store, settings):
    # given the service down
    settings.TAX_TEST_SERVICE_DOWN = True

    # when the shopper checks out
    with pytest.raises(OrderError) as refused:
        checkout(loyal, store)

    # then a retryable refusal; nothing was locked while it was asked, and nothing is kept
    assert refused.value.code == "tax_service_unavailable"
    assert SEEN == [{"offer": "free", "points": "free"}]
    assert not Order.objects.exists() and not Payment.objects.exists()
    assert OfferAssignment.objects.get().redeemed_at is None
    assert LoyaltyAccount.objects.get(customer=loyal).balance == 500
    assert StockLevel.objects.get(variant=shirt, location=store).reserved == 0
    # and the other connection can take both rows now
    assert _from_another_connection(_try_locks) == {"offer": "free", "points": "free"}


def test_an_offer_changed_between_the_read_and_the_lock_is_quoted_again_at_what_was_taken(loyal, shirt, store):
    # given head office raises the offer to 50% while the service answers the first time
    ON_QUOTE.append(lambda result: Offer.objects.filter(code="ten").update(discount_percent=Decimal("50.00")))

    # when
    order = checkout(loyal, store)

    # then a second quote, under the locks (the rare case), at the 50% really taken: 60 - 30 - 3 = 27.00
    assert len(SEEN) == 2 and SEEN[1] == {"offer": "locked", "points": "locked"}
    assert (order.offer_discount, order.total) == (Decimal("30.00"), Decimal("27.00"))
    assert sum(line.tax_amount for line in order.lines.all()) == Decimal("4.50")
