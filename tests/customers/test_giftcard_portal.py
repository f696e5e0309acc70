"""The counter's gift card balance check: number in the body, last four shown, guessing stopped per associate."""

from decimal import Decimal

import pytest

from customers.services.giftcards import issue_gift_card, redeem_gift_card

pytestmark = pytest.mark.django_db

URL = "/portal/giftcards/"


def test_an_associate_scans_a_card_and_sees_its_balance_and_last_four_only(associate_client, django_assert_num_queries):
    # given a 40.00 card with 15.00 spent
    issued = issue_gift_card(amount=Decimal("40.00"), source="sold", channel="web", reference="ORD-P1")
    redeem_gift_card(code=issued.code, amount=Decimal("15.00"), reference="ORD-P2", caller="ip:1")
    assert associate_client.get(URL).status_code == 200
    scanned = " ".join(issued.code[i : i + 4] for i in range(0, 16, 4))
    # when the associate scans it (htmx: only the fragment comes back)
    with django_assert_num_queries(4):  # session, user, membership, the card
        response = associate_client.post(URL, {"code": scanned}, HTTP_HX_REQUEST="true")
    # then the balance and last four are shown; never the number
    html = response.content.decode()
    assert response.status_code == 200 and "€25.00" in html and f"····{issued.code[-4:]}" in html
    assert issued.code not in html and issued.code[:12] not in html
    assert "<html" not in html


def test_wrong_numbers_are_one_answer_and_stop_the_associate_not_the_store(associate_client, client, store,
                                                                           settings):  # fmt: skip
    from retail.models import StoreMembership
    from tests.factories import MembershipFactory

    settings.GIFT_CARD_LOOKUP_LIMIT = 2
    issued = issue_gift_card(amount=Decimal("10.00"), source="sold", channel="store", reference="ORD-P3")
    for guess in ("1111222233334444", "12"):
        wrong = associate_client.post(URL, {"code": guess})
        assert wrong.status_code == 400 and "No active gift card has that number" in wrong.content.decode()
    blocked = associate_client.post(URL, {"code": issued.code})
    assert blocked.status_code == 400 and "Too many wrong gift card numbers" in blocked.content.decode()
    colleague = MembershipFactory(store=store, role=StoreMembership.Role.ASSOCIATE).user
    client.force_login(colleague)
    assert "€10.00" in client.post(URL, {"code": issued.code}).content.decode()


def test_a_wrong_number_scanned_through_htmx_is_answered_in_the_fragment_htmx_swaps(associate_client):
    # given the counter's form, which posts through htmx and swaps only 2xx answers
    # when the associate scans a number no card has
    wrong = associate_client.post(URL, {"code": "1111222233334444"}, HTTP_HX_REQUEST="true")
    # then the answer is the fragment with the reason, in a status htmx swaps (a 400 showed nothing)
    html = wrong.content.decode()
    assert wrong.status_code == 200 and "No active gift card has that number" in html
    assert 'role="alert"' in html and "<html" not in html


def test_the_check_needs_a_signed_in_associate_and_csrf(client, associate):
    assert client.post(URL, {"code": "1"}).status_code == 302
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(associate)
    assert strict.post(URL, {"code": "1111222233334444"}).status_code == 403
