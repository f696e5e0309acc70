"""Gift cards as a ledger: issue, check, partial redeem, refund to the card, expiry, guessing limit, races."""

import re
import threading
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connections, transaction
from django.utils import timezone

from customers.errors import CustomerError
from customers.models import GiftCard, GiftCardEntry
from customers.services.giftcards import (
    check_gift_card_balance,
    expire_gift_cards,
    gift_card_drift,
    hash_code,
    issue_gift_card,
    redeem_gift_card,
    refund_to_gift_card,
)
from retail.models import AuditEvent
from tests.customers.factories import CustomerFactory
from tests.factories import MarketFactory, UserFactory

pytestmark = pytest.mark.django_db

CALLER = "ip:203.0.113.9"


def sold(amount="100.00", reference="ORD-GC-1", **kwargs):
    return issue_gift_card(amount=Decimal(amount), source="sold", reference=reference, **kwargs)


def test_the_number_is_kept_only_as_a_keyed_hash_and_last_four():
    # when a card is sold
    issued = sold()
    card = GiftCard.objects.get(pk=issued.card.pk)
    # then the number is 16 digits, and only its HMAC and last four digits are stored
    assert len(issued.code) == 16 and issued.code.isdigit()
    assert card.code_hash == hash_code(issued.code) and issued.code not in card.code_hash
    assert card.last4 == issued.code[-4:]
    assert (card.balance, card.status, card.source) == (Decimal("100.00"), "active", "sold")
    assert card.expires_at > card.issued_at + timedelta(days=1000)
    assert list(card.entries.values_list("kind", "amount")) == [("issue", Decimal("100.00"))]


def test_a_goodwill_card_needs_a_reason_and_is_audited():
    staff = UserFactory(is_staff=True)
    with pytest.raises(CustomerError) as err:
        issue_gift_card(amount=Decimal("25"), source="goodwill", reference="GW-1", actor=staff)
    assert err.value.code == "invalid" and not GiftCard.objects.exists()
    # when head office gives one for a late delivery
    shopper = CustomerFactory()
    issued = issue_gift_card(amount=Decimal("25"), source="goodwill", reference="GW-1", actor=staff,
                             customer=shopper, reason="Late delivery")  # fmt: skip
    # then the audit trail says who gave how much to whom, and why (never the number)
    event = AuditEvent.objects.get(action="gift_card.issued_goodwill")
    assert event.actor == staff and event.object_id == str(issued.card.pk)
    assert event.details["reason"] == "Late delivery" and event.details["customer_id"] == shopper.pk
    assert issued.code not in str(event.details)


def test_a_card_is_loaded_only_in_a_currency_the_chain_sells_in():
    # given the deployment's currency (EUR) and a Polish market
    MarketFactory()
    # when head office types a currency nobody sells in (the admin's goodwill form takes any three letters)
    with pytest.raises(CustomerError) as refused:
        issue_gift_card(amount=Decimal("25.00"), source="goodwill", reason="Sorry", reference="GW-ZZZ",
                        currency="zzz")  # fmt: skip
    # then nothing is issued, and the answer says which currencies
    assert refused.value.code == "invalid" and "EUR, PLN" in refused.value.message
    assert not GiftCard.objects.exists()
    # while a market's currency, in any case, is fine
    assert issue_gift_card(amount=Decimal("25.00"), source="goodwill", reason="Sorry", reference="GW-PLN",
                           currency="pln").card.currency == "PLN"  # fmt: skip


def test_partial_redeems_until_the_balance_is_spent_and_no_further():
    issued = sold("50.00")
    redeem_gift_card(code=issued.code, amount=Decimal("20.00"), reference="ORD-A", caller=CALLER)
    # typed as printed, with spaces
    spaced = " ".join(issued.code[i : i + 4] for i in range(0, 16, 4))
    redeem_gift_card(code=spaced, amount=Decimal("25.50"), reference="ORD-B", caller=CALLER)
    assert check_gift_card_balance(code=issued.code, caller=CALLER).balance == Decimal("4.50")
    # over-spend: refused with the balance, nothing written
    with pytest.raises(CustomerError) as err:
        redeem_gift_card(code=issued.code, amount=Decimal("4.51"), reference="ORD-C", caller=CALLER)
    assert err.value.code == "insufficient_gift_card_balance" and err.value.extra == {"balance": "4.50"}
    # the same reference twice: refused, not booked twice
    with pytest.raises(CustomerError) as err:
        redeem_gift_card(code=issued.code, amount=Decimal("1.00"), reference="ORD-A", caller=CALLER)
    assert err.value.code == "gift_card_already_redeemed"
    with pytest.raises(CustomerError) as err:
        redeem_gift_card(code=issued.code, amount=Decimal("1.00"), reference="ORD-D", caller=CALLER, currency="GBP")
    assert err.value.code == "gift_card_wrong_currency"
    assert GiftCardEntry.objects.filter(card=issued.card).count() == 3
    assert gift_card_drift() == []


def test_refund_goes_back_to_the_card_never_more_than_it_paid():
    issued = sold("60.00")
    redeem_gift_card(code=issued.code, amount=Decimal("40.00"), reference="ORD-R", caller=CALLER)
    refund_to_gift_card(card=issued.card, amount=Decimal("15.00"), reference="RMA-1")
    again = refund_to_gift_card(card=issued.card, amount=Decimal("15.00"), reference="RMA-1")  # retried
    assert again.amount == Decimal("15.00")
    with pytest.raises(CustomerError) as err:
        refund_to_gift_card(card=issued.card, amount=Decimal("25.01"), reference="RMA-2")
    assert err.value.code == "gift_card_refund_too_large"
    refund_to_gift_card(card=issued.card, amount=Decimal("25.00"), reference="RMA-2")
    card = GiftCard.objects.get(pk=issued.card.pk)
    assert card.balance == Decimal("60.00")
    assert sorted(card.entries.values_list("kind", flat=True)) == ["issue", "redeem", "refund", "refund"]


def test_expiry_writes_off_what_is_left_and_the_number_stops_working():
    # given a card past its validity with 30.00 on it, and a live one
    old = sold("30.00", reference="ORD-OLD")
    live = sold("10.00", reference="ORD-NEW")
    GiftCard.objects.filter(pk=old.card.pk).update(
        issued_at=timezone.now() - timedelta(days=1200), expires_at=timezone.now() - timedelta(days=1)
    )
    # when the daily expiry runs (twice)
    assert expire_gift_cards() == 1
    assert expire_gift_cards() == 0
    # then the old card is empty and expired by an entry; the live one is untouched
    card = GiftCard.objects.get(pk=old.card.pk)
    assert (card.status, card.balance) == ("expired", Decimal("0.00"))
    assert card.entries.get(kind="expire").amount == Decimal("-30.00")
    assert GiftCard.objects.get(pk=live.card.pk).balance == Decimal("10.00")
    with pytest.raises(CustomerError) as err:
        check_gift_card_balance(code=old.code, caller=CALLER)
    assert err.value.code == "gift_card_not_found"
    assert gift_card_drift() == []


def test_unknown_and_wrong_numbers_get_one_answer_and_guessing_is_stopped(settings):
    settings.GIFT_CARD_LOOKUP_LIMIT = 5
    issued = sold()
    wrong = issued.code[:-1] + str((int(issued.code[-1]) + 1) % 10)
    answers = set()
    for guess in [wrong, "1234", "", "0" * 16, "abcd-efgh"]:
        with pytest.raises(CustomerError) as err:
            check_gift_card_balance(code=guess, caller=CALLER)
        answers.add((err.value.code, err.value.message))
    assert answers == {("gift_card_not_found", "No active gift card has that number. Check the number on the card.")}
    # then the caller is stopped, even with the right number; another caller is not
    with pytest.raises(CustomerError) as err:
        check_gift_card_balance(code=issued.code, caller=CALLER)
    assert err.value.code == "too_many_gift_card_attempts"
    with pytest.raises(CustomerError) as err:
        redeem_gift_card(code=issued.code, amount=Decimal("1"), reference="X", caller=CALLER)
    assert err.value.code == "too_many_gift_card_attempts"
    assert check_gift_card_balance(code=issued.code, caller="ip:198.51.100.7").balance == Decimal("100.00")


def test_the_database_refuses_a_negative_balance_and_a_wrong_signed_entry():
    issued = sold("5.00")
    with pytest.raises(IntegrityError), transaction.atomic():
        GiftCard.objects.filter(pk=issued.card.pk).update(balance=Decimal("-0.01"))
    with pytest.raises(IntegrityError), transaction.atomic():
        GiftCardEntry.objects.create(card=issued.card, kind="redeem", amount=Decimal("1.00"), reference="bad",
                                     created_at=timezone.now())  # fmt: skip
    with pytest.raises(IntegrityError), transaction.atomic():
        GiftCardEntry.objects.create(card=issued.card, kind="issue", amount=Decimal("1.00"),
                                     reference="ORD-GC-1", created_at=timezone.now())  # fmt: skip


def test_the_verify_command_finds_a_balance_that_is_not_its_ledger():
    issued = sold("20.00")
    out = StringIO()
    call_command("verify_gift_cards", stdout=out)
    assert "Every gift card balance equals" in out.getvalue()
    GiftCard.objects.filter(pk=issued.card.pk).update(balance=Decimal("21.00"))
    out = StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("verify_gift_cards", stdout=out, stderr=StringIO())
    assert exit_.value.code == 1
    assert f"gift card #{issued.card.pk}" in out.getvalue() and "balance 21.00, ledger sums to 20.00" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_spends_never_overdraw_one_card():
    # given a card holding 100.00 and 50 tills and checkouts spending 7.00 each at the same moment,
    # each on its own PostgreSQL connection
    issued = sold("100.00", reference="ORD-RACE")
    n = 50
    barrier, results = threading.Barrier(n), [None] * n

    def spend(i):
        try:
            barrier.wait(timeout=60)
            entry = redeem_gift_card(code=issued.code, amount=Decimal("7.00"), reference=f"SPEND-{i}",
                                     caller=f"till:{i}")  # fmt: skip
            results[i] = str(entry.amount)
        except CustomerError as exc:
            results[i] = exc.code
        except Exception as exc:  # noqa: BLE001 — a deadlock or crash must show up in the assertion
            results[i] = repr(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=spend, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads), "a spender hung"
    # then exactly 14 spends of 7.00 fit in 100.00; the other 36 are refused cleanly
    assert results.count("-7.00") == 14
    assert results.count("insufficient_gift_card_balance") == 36
    card = GiftCard.objects.get(pk=issued.card.pk)
    assert card.balance == Decimal("2.00")
    assert card.entries.filter(kind="redeem").count() == 14
    assert gift_card_drift() == []


def test_head_office_issues_a_goodwill_card_in_the_admin_and_sees_its_number_once(client):
    # given a head-office user with a second factor
    from tests.helpers import enrol_totp

    staff = UserFactory(is_staff=True, is_superuser=True)
    enrol_totp(staff)
    client.force_login(staff)
    shopper = CustomerFactory()
    url = "/admin/customers/giftcard/goodwill/"
    assert 'href="/admin/customers/giftcard/goodwill/"' in client.get("/admin/customers/giftcard/").content.decode()
    form = client.get(url).content.decode()
    reference = re.search(r'name="reference" value="(GW-[0-9a-f]+)"', form).group(1)
    body = {"amount": "25.00", "currency": "EUR", "customer": shopper.pk, "reason": "Late delivery",
            "reference": reference}  # fmt: skip
    # a reason is required: a form error, nothing issued
    assert client.post(url, {**body, "reason": ""}).status_code == 200 and not GiftCard.objects.exists()
    # when it is submitted twice (a double click)
    done = client.post(url, body, follow=True)
    again = client.post(url, body, follow=True)
    # then one card exists, its number was shown once, and the gift is audited
    card = GiftCard.objects.get()
    assert (card.source, card.balance, card.customer, card.issued_by) == ("goodwill", Decimal("25.00"), shopper, staff)
    shown = re.search(r"number (\d{4} \d{4} \d{4} \d{4})", done.content.decode()).group(1)
    assert hash_code(shown) == card.code_hash
    assert "already issued" in again.content.decode()
    assert AuditEvent.objects.filter(action="gift_card.issued_goodwill", actor=staff).count() == 1
    # and the shopper is emailed the number through the outbox (once)
    from customers.services.giftcards import CODE_TOPIC
    from retail.models import OutboxMessage

    (message,) = OutboxMessage.objects.filter(topic=CODE_TOPIC)
    assert message.payload["email"] == shopper.email and f"emailed to {shopper.email}" in done.content.decode()
    listing = client.get("/admin/customers/giftcard/").content.decode()
    assert f"Gift card ····{card.last4}" in listing and shown.replace(" ", "") not in listing


BALANCE_URL = "/api/v1/giftcards/balance/"


def test_the_balance_api_reads_the_number_from_the_body_and_shows_only_the_last_four():
    from rest_framework.test import APIClient

    issued = sold("80.00")
    redeem_gift_card(code=issued.code, amount=Decimal("30.00"), reference="ORD-API", caller=CALLER)
    response = APIClient().post(BALANCE_URL, {"code": issued.code}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["last4"], body["balance"], body["currency"]) == (issued.code[-4:], "50.00", "EUR")
    assert issued.code not in response.content.decode()
    refused = APIClient().post(BALANCE_URL, {"code": issued.code, "pin": "1"}, format="json")
    assert refused.status_code == 400 and refused.json()["code"] == "unknown_field"


def test_the_balance_api_answers_unknown_and_wrong_alike_and_stops_a_guesser(settings):
    from rest_framework.test import APIClient

    settings.GIFT_CARD_LOOKUP_LIMIT = 3
    issued = sold("10.00")
    guesser, other = APIClient(REMOTE_ADDR="203.0.113.50"), APIClient(REMOTE_ADDR="198.51.100.60")
    wrong = guesser.post(BALANCE_URL, {"code": issued.code[:-1] + str((int(issued.code[-1]) + 1) % 10)}, format="json")
    unknown = guesser.post(BALANCE_URL, {"code": "1111 2222 3333 4444"}, format="json")
    assert (wrong.status_code, wrong.json()) == (unknown.status_code, unknown.json())
    assert wrong.status_code == 404 and wrong.json()["code"] == "gift_card_not_found"
    guesser.post(BALANCE_URL, {"code": "12"}, format="json")
    # then, three misses later, even the right number is refused for that address; others are served
    blocked = guesser.post(BALANCE_URL, {"code": issued.code}, format="json")
    assert blocked.status_code == 429 and blocked.json()["code"] == "too_many_gift_card_attempts"
    assert other.post(BALANCE_URL, {"code": issued.code}, format="json").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_one_reference_issued_twice_at_once_leaves_one_card_and_no_empty_one():
    # given a till's issue for a reference, not yet committed
    issued, release = threading.Event(), threading.Event()
    outcome = {}

    def first():
        try:
            with transaction.atomic():
                issue_gift_card(amount=Decimal("10.00"), source="sold", channel="store", reference="till:R1")
                issued.set()
                release.wait(10)
        finally:
            connections.close_all()

    def second():
        try:
            issue_gift_card(amount=Decimal("10.00"), source="sold", channel="store", reference="till:R1")
            outcome["second"] = "issued"
        except CustomerError as exc:
            outcome["second"] = exc.code
        finally:
            connections.close_all()

    one = threading.Thread(target=first)
    one.start()
    assert issued.wait(10)
    # when a retry of the same sale issues for the same reference on another connection
    two = threading.Thread(target=second)
    two.start()
    two.join(0.5)  # it waits on the ledger's unique reference
    release.set()
    one.join(10)
    two.join(10)
    # then it is refused, and no card without its ledger entry is left behind (the whole issue is one transaction)
    assert outcome == {"second": "gift_card_already_issued"}
    assert GiftCard.objects.count() == 1
    assert GiftCardEntry.objects.filter(kind=GiftCardEntry.Kind.ISSUE).count() == 1
