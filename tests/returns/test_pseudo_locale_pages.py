"""The returns pages in the pseudo-locale (issue 19.1, done when; see tests/retail/test_pseudo_locale.py):
the shopper's purchases, the return of an order (its lines, the verdicts as they are previewed: eligible,
a fee, past the window with the manager's approval, a line without its reason), the receipt-less return,
an online return inspected or rejected, and the receipts (store credit with a unit held for inspection,
a manager's approval, an exchange), with every flash message on the way: no English left but data."""

from decimal import Decimal

import pytest
from django.urls import reverse

from orders.returns.models import ReturnRequest
from orders.returns.services import LineRequest, start_return
from tests.helpers import MANAGER_PIN
from tests.retail.test_pseudo_locale import assert_all_translated, database_data, pseudo_locale  # noqa: F401

pytestmark = pytest.mark.django_db
HTMX = {"hx-request": "true"}


@pytest.fixture
def desk(client, associate):
    client.force_login(associate)
    return client


def data_of(*orders) -> set[str]:
    """The database's names, the orders' numbers and what was typed at the desk."""
    data = database_data() | {"Not ours", "Unworn, regular", "Jane Shopper", "Jane"}
    data |= {o.number for o in orders} | set(ReturnRequest.objects.values_list("rma_number", flat=True))
    return data


def choose(order, sku, *, quantity=1, reason="wrong_size", condition="new", **more):
    line = order.lines.get(sku=sku)
    return {
        f"qty_{line.pk}": str(quantity),
        f"reason_{line.pk}": reason,
        f"condition_{line.pk}": condition,
        f"disposition_{line.pk}": "",
        "refund_method": "store_credit",
        **more,
    }


def test_purchases_and_the_return_of_an_order(desk, policy, deliver, shirt, jeans, shopper, manager, pseudo_locale):  # noqa: F811
    # given a recent order of two lines, and an old one past the return window
    order = deliver([("SHIRT-M", 2), ("JEANS-32", 1)], channel="web", days_ago=5)
    old = deliver([("SHIRT-M", 1)], channel="store", days_ago=60)
    page, preview = (reverse("returns_portal:order", args=[order.number]),
                     reverse("returns_portal:order-preview", args=[order.number]))  # fmt: skip
    data = data_of(order, old)

    # then the purchases, the order's page, and the verdicts: nothing chosen, eligible, a fee, a reason missing
    assert_all_translated(desk.get(reverse("returns_portal:purchases", args=[shopper.pk])), data)
    assert_all_translated(desk.get(page), data)
    assert_all_translated(desk.post(preview, {}, headers=HTMX), data)
    assert_all_translated(desk.post(preview, choose(order, "SHIRT-M"), headers=HTMX), data)
    assert_all_translated(desk.post(preview, choose(order, "SHIRT-M", condition="used"), headers=HTMX), data)
    assert_all_translated(desk.post(preview, choose(order, "JEANS-32", reason="defective"), headers=HTMX), data)
    assert_all_translated(desk.post(preview, choose(order, "SHIRT-M", reason=""), headers=HTMX), data)
    missing = desk.post(page, choose(order, "SHIRT-M", reason=""))
    assert missing.status_code == 400
    assert_all_translated(desk.get(page), data)  # the flash message of the missing reason

    # and past the window: the manager's approval asked, refused without it, then given (the receipt)
    old_page = reverse("returns_portal:order", args=[old.number])
    assert_all_translated(desk.post(reverse("returns_portal:order-preview", args=[old.number]),
                                    choose(old, "SHIRT-M"), headers=HTMX), data)  # fmt: skip
    refused = desk.post(old_page, choose(old, "SHIRT-M"))
    assert refused.status_code == 400 and "approval" in refused.content.decode()
    assert_all_translated(desk.get(old_page), data)
    approved = desk.post(old_page, choose(old, "SHIRT-M", manager_email=manager.email, manager_pin=MANAGER_PIN,
                                          approval_reason="Unworn, regular"))  # fmt: skip
    assert approved.status_code == 302
    assert_all_translated(desk.get(approved.url), data_of(order, old))

    # and a return with a worn line held for inspection, to store credit; the unit released from the receipt
    done = desk.post(page, choose(order, "SHIRT-M", condition="used"))
    assert done.status_code == 302
    assert_all_translated(desk.get(done.url), data_of(order, old))
    held = ReturnRequest.objects.get(rma_number=done.url.split("/")[-3]).lines.get()
    assert held.disposition == "inspection"
    desk.post(reverse("returns_portal:release", args=[held.request.rma_number, held.pk]), {"outcome": "restock"})
    assert_all_translated(desk.get(done.url), data_of(order, old))
    # the order's page once a line is all back
    assert_all_translated(desk.get(page), data_of(order, old))


def test_an_exchange_and_its_receipt(desk, policy, deliver, shirt, shirt_l, pseudo_locale):  # noqa: F811
    order = deliver([("SHIRT-M", 1)])
    page = reverse("returns_portal:order", args=[order.number])
    exchange = choose(order, "SHIRT-M", refund_method="exchange", exchange_sku="SHIRT-L", exchange_qty="1",
                      exchange_kind="pickup")  # fmt: skip
    assert_all_translated(
        desk.post(reverse("returns_portal:order-preview", args=[order.number]), exchange, headers=HTMX), data_of(order)
    )
    done = desk.post(page, exchange)
    assert done.status_code == 302
    request = ReturnRequest.objects.get()
    assert request.exchange_order is not None
    assert_all_translated(desk.get(done.url), data_of(order, request.exchange_order))


def test_receiptless_return(desk, policy, deliver, shirt, shopper, pseudo_locale):  # noqa: F811
    from customers.services import create_customer

    deliver([("SHIRT-M", 1)])
    form, preview = (reverse("returns_portal:receiptless", args=[shopper.pk]),
                     reverse("returns_portal:receiptless-preview", args=[shopper.pk]))  # fmt: skip
    row = {"sku_0": "SHIRT-M", "qty_0": "1", "reason_0": "changed_mind", "condition_0": "new",
           "refund_method": "store_credit"}  # fmt: skip
    # then the empty form, its verdicts, a row without its reason, and the receipt
    assert_all_translated(desk.get(form), data_of())
    assert_all_translated(desk.post(preview, row, headers=HTMX), data_of())
    assert_all_translated(desk.post(preview, {**row, "reason_0": ""}, headers=HTMX), data_of())
    done = desk.post(form, row)
    assert done.status_code == 302
    assert_all_translated(desk.get(done.url), data_of())
    # and a shopper with no purchase to find
    nobody = create_customer(first_name="Emma", last_name="Woodhouse", email="emma@example.com")
    assert_all_translated(desk.get(reverse("returns_portal:purchases", args=[nobody.pk])), data_of())


def test_an_online_return_inspected_or_rejected(desk, policy, deliver, shirt, store, pseudo_locale):  # noqa: F811
    # given two returns started in the app, one by mail
    order = deliver([("SHIRT-M", 2)], channel="app")
    kept = start_return(order=order, lines=[LineRequest(line_number=1, quantity=1, reason="defective",
                                                        reason_note="Seam open")], channel="app")  # fmt: skip
    mailed = start_return(order=order, lines=[LineRequest(line_number=1, quantity=1, reason="changed_mind")],
                          channel="app", method="mail")  # fmt: skip
    data = data_of(order) | {"Seam open"}
    line = kept.lines.get()

    # then its page, the verdicts as inspected (damaged by the shopper), the other's page, and a rejection
    assert_all_translated(desk.get(reverse("returns_portal:detail", args=[kept.rma_number])), data)
    inspected = {f"condition_{line.pk}": "damaged", f"disposition_{line.pk}": "damaged", "refund_method": "original"}
    detail_preview = reverse("returns_portal:detail-preview", args=[kept.rma_number])
    assert_all_translated(desk.post(detail_preview, inspected, headers=HTMX), data)
    assert_all_translated(desk.get(reverse("returns_portal:detail", args=[mailed.rma_number])), data)
    desk.post(reverse("returns_portal:reject", args=[mailed.rma_number]), {"reason": "Not ours"})
    assert_all_translated(desk.get(reverse("returns_portal:desk")), data)  # with the flash message
    assert_all_translated(desk.get(reverse("returns_portal:detail", args=[mailed.rma_number])), data)
    done = desk.post(reverse("returns_portal:detail", args=[kept.rma_number]), inspected)
    assert done.status_code == 302
    assert_all_translated(desk.get(done.url), data)
    assert ReturnRequest.objects.get(pk=kept.pk).refund_total == Decimal("30.00")


@pytest.mark.parametrize(
    ("language", "line", "request_words"),
    [
        (
            "it",
            "Acquistato sul web 12 giorni fa; per ordini dal web il reso è possibile entro 30 giorni. "
            "Indossato o usato: commissione di riassortimento del 10% (3,00\xa0€).",
            "Reso senza scontrino n. 3 in 90 giorni (limite 2): richiede l'approvazione di un responsabile.",
        ),
        (
            "pl",
            "Kupione przez internet 12 dni temu; zamówienia internetowe można zwrócić w ciągu 30 dni. "
            "Noszone lub używane: opłata za ponowne przyjęcie 10% (3,00\xa0€).",
            "3. zwrot bez paragonu w ciągu 90 dni (limit 2): zwrot wymaga zgody kierownika.",
        ),
        (
            "en-gb",
            "Bought on the web 12 days ago; web orders can be returned within 30 days. "
            "Worn or used: 10% restocking fee (€3.00).",
            "3rd return without a receipt in 90 days (limit 2): this needs a manager's approval.",
        ),
    ],
)
def test_the_policy_speaks_the_readers_language(language, line, request_words):
    """The verdicts in the language active when they are made: the desk's, or the API caller's."""
    from datetime import date, timedelta

    from django.utils import translation

    from orders.returns.models import ReturnPolicy
    from orders.returns.policy import APPROVAL, LineFacts, RequestFacts, Rules, judge_line, judge_request

    today, rules = date(2026, 11, 23), Rules.from_policy(ReturnPolicy(name="test"))
    worn = LineFacts(quantity=1, reason="wrong_size", condition="used", paid=Decimal("30.00"), today=today,
                     channel="web", bought_on=today - timedelta(days=12))  # fmt: skip
    unreceipted = LineFacts(quantity=1, reason="wrong_size", condition="new", paid=Decimal("30.00"), today=today,
                            channel="", bought_on=None, receiptless=True)  # fmt: skip
    with translation.override(language):
        assert judge_line(rules, worn).explanation == line
        verdict = judge_request(
            rules, RequestFacts(receiptless=True, prior_receiptless_count=2),
            [(unreceipted, judge_line(rules, unreceipted))],
        )  # fmt: skip
        assert verdict.sentences[0] == request_words
        assert str(APPROVAL) in request_words  # what the service picks out as the manager's reasons
