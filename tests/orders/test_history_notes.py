"""The reasons the system writes into an order's history and a merge read in the reader's language (issue 19.1):
the order admin's history, like the portal's, words the services' notes; a person's words stay as typed."""

import pytest
from django.urls import reverse
from django.utils import translation

from customers.services.linking import merge_reason_read
from customers.services.profiles import DEVICE_LINKED
from orders.portal.history import history_note
from orders.services import cancel_order
from orders.services.assisted import UNPAID_REASONS
from tests.factories import UserFactory
from tests.helpers import enrol_totp

pytestmark = pytest.mark.django_db


def test_the_systems_reasons_for_cancelling_read_in_polish_and_a_persons_as_typed():
    with translation.override("pl"):
        assert history_note(f"cancelled by the store: {UNPAID_REASONS['link']}") == (
            "anulowane przez sklep: nie opłacono na czas linkiem do płatności"
        )
        assert history_note(f"cancelled by the store: {UNPAID_REASONS['till']}").endswith(
            ": nie opłacono przy kasie na czas"
        )
        assert history_note("cancelled by the store: Shopper called").endswith(": Shopper called")
    with translation.override("it"):
        assert merge_reason_read(DEVICE_LINKED) == "dispositivo collegato"


def test_the_order_admins_history_words_the_services_notes(client, place_pickup, shirt):
    # given an order the store cancelled for the system's reason
    order = place_pickup([("SHIRT-M", 1)])
    cancel_order(order=order, actor=None, reason=UNPAID_REASONS["link"])
    user = UserFactory(is_staff=True, is_superuser=True, language="pl")
    enrol_totp(user)
    client.force_login(user)
    # when a Polish head-office user reads the order
    page = client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    # then its history says why in Polish
    assert "nie opłacono na czas linkiem do płatności" in page and "not paid by the payment link" not in page
