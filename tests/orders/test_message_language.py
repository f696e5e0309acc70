"""Shopper messages in the shopper's language (issue 19.1): theirs if they have one, else the language
of the market of the store the message is about; dates and amounts written that language's way."""

import pytest

from orders.notifications import RecordingAdapter
from orders.services import GroupRequest, TenderRequest, place_order
from retail.models import Market
from tests.orders.test_service_messages import deliver_pending, make_ready

pytestmark = pytest.mark.django_db


def ready_messages(store, associate, *, language: str = "") -> dict:
    order = place_order(
        channel="web",
        groups=[GroupRequest(kind="pickup", lines=[("SHIRT-M", 1)], store=store)],
        contact={"email": "guest@example.com", "phone": "+447700900456"},
        tenders=[TenderRequest(method="card", token="tok_visa_4242")],
    )
    order.customer.language = language
    order.customer.save(update_fields=["language"])
    fulfillment = make_ready(order, associate=associate, store=store)
    RecordingAdapter.reset()
    assert deliver_pending() == ["delivered"]
    return {"fulfillment": fulfillment, "order": order} | {m.channel: m for m in RecordingAdapter.sent}


def test_a_polish_shopper_is_told_in_polish(shirt, store, associate):
    # when
    sent = ready_messages(store, associate, language="pl")

    # then
    number, code = sent["order"].number, sent["fulfillment"].pickup_code
    assert sent["sms"].body.startswith(f"Omnistore Covent Garden: zamówienie {number} czeka na odbiór do ")
    assert sent["sms"].body.endswith(f"Kod odbioru {code}.")
    assert sent["email"].subject == f"Twoje zamówienie {number} czeka na odbiór"


def test_a_shopper_without_a_language_reads_the_stores_market_language(shirt, store, associate):
    # given the store's market speaks Italian
    Market.objects.filter(pk=store.market_id).update(default_language="it")

    # when
    sent = ready_messages(store, associate)

    # then the SMS is Italian, its deadline named the Italian way ("Ven 4 Dic, 19:00")
    assert "è pronto per il ritiro fino a " in sent["sms"].body
    hold = sent["sms"].body.split("fino a ")[1].split(".")[0]
    assert hold.split(" ")[0].lower() in {"lun", "mar", "mer", "gio", "ven", "sab", "dom"}
    assert sent["email"].subject.startswith("Il tuo ordine ")


def test_an_english_shopper_reads_what_they_always_read(shirt, store, associate):
    sent = ready_messages(store, associate)
    assert "is ready to collect until " in sent["sms"].body
    assert sent["email"].subject == f"Your order {sent['order'].number} is ready to collect"


def test_head_office_sets_a_shoppers_language_in_the_admin(shirt, store, associate):
    from customers.services import create_customer, update_customer_profile

    # given
    jan = create_customer(first_name="Jan", last_name="Kowalski", email="jan@example.com", language="pl")
    assert jan.language == "pl"

    # when
    update_customer_profile(customer=jan, values={"language": "it"}, actor=None)

    # then
    jan.refresh_from_db()
    assert jan.language == "it"
