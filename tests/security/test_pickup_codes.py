"""Pick-up code guessing at the counter is limited, and a hand-over by code proves the code (F2, F3)."""

import pytest
from django.urls import reverse

from orders.models import Fulfillment

pytestmark = pytest.mark.django_db

GUESSES = 30


def test_typing_wrong_pickup_codes_at_the_counter_is_limited(client, store_b_work):
    # given a ready pick-up at store B, and an associate of B at the counter
    w = store_b_work
    client.force_login(w.associate)
    counter = reverse("orders_portal:counter")
    wrong = [f"{(int(w.pickup.pickup_code) + i) % 1_000_000:06d}" for i in range(1, GUESSES + 1)]
    # when someone keeps typing six-digit codes
    for code in wrong:
        client.get(counter, {"q": code})
    # then the counter stops accepting typed codes for a while, even the right one (429 or a refusal message)
    response = client.get(counter, {"q": w.pickup.pickup_code})
    assert response.status_code == 429 or b"Too many" in response.content
    assert reverse("orders_portal:hand-over", args=[w.pickup.pk]).encode() not in response.content


def test_hand_over_by_code_checks_the_code_on_the_server(client, store_b_work):
    # given the associate found the pick-up by ORDER NUMBER (which needs a photo ID check)
    w = store_b_work
    client.force_login(w.associate)
    # when the hand-over form is posted claiming "code" verification, without any code and no ID check
    client.post(
        reverse("orders_portal:hand-over", args=[w.pickup.pk]),
        {"verification": "code", "collected_by": w.order.contact_name},
    )
    # then it must be refused: "code" must be proven by the code itself, not declared by the form
    assert Fulfillment.objects.get(pk=w.pickup.pk).status == Fulfillment.Status.READY
