"""No English left in what shoppers are sent (issue 19.1, done when): every message template (orders,
pick-ups, pay-by-link, saved carts, gift cards, returns; email text and HTML, SMS, push) and every
subject, rendered in the pseudo-locale of tests/retail/test_pseudo_locale.py down each branch (every
kind, with and without the optional parts), has no visible word outside ⟦ ⟧ but its data."""

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.template.loader import render_to_string

from orders.handlers import SUBJECTS as ORDER_SUBJECTS
from orders.handlers import render_message
from orders.returns.handlers import SUBJECTS as RETURN_SUBJECTS
from orders.returns.handlers import render_return_message
from tests.retail.test_pseudo_locale import pseudo_locale, untranslated  # noqa: F401 - a fixture

CHANNELS = ("email", "sms", "push")
DATA = {
    "Jane Fairfax", "Jane", "Harriet Smith", "Covent Garden", "Omnistore Covent Garden",
    "12 Long Acre, London WC2E 9LH", "Fri 4 Dec, 18:00", "Sat 5 Dec, 10:00", "Linen shirt", "Blue Fiat",
    "https://shop.example/pay/abc",
    "https://shop.example/cart/xyz", "Happy birthday!", "the dress to try", "Not our item", "Priya",
    # the store's hours (Django's catalog names the days) and the payment's method (a lazily translated choice)
    "SHIRT-M", "Mon", "Sun", "Closed", "Card",
}  # fmt: skip


def assert_words_translated(*texts: str) -> None:
    for text in texts:
        left = untranslated(text or "", DATA)
        assert not left, "Words not marked for translation:\n" + "\n".join(left) + "\n---\n" + text


def order_context(kind: str, *, full: bool) -> dict:
    store = SimpleNamespace(name="Covent Garden")
    line = SimpleNamespace(picked_quantity=1, quantity=1, name="Linen shirt", sku="SHIRT-M", total=Decimal("40.00"))
    order = SimpleNamespace(
        number="W-10001", contact_name="Jane Fairfax" if full else "", total=Decimal("40.00"), currency="EUR",
        points_redeemed=100 if full else 0, points_earned=40 if full else 0,
    )  # fmt: skip
    fulfillment = SimpleNamespace(
        qr_token="",
        pickup_code="482913",
        proxy_name="Harriet Smith" if full else "",
        tracking_number="TRK123" if full else "",
    )
    payment = SimpleNamespace(get_method_display="Card", last4="4242", captured_amount=Decimal("40.00"))
    return {
        "order": order, "fulfillment": fulfillment, "store": store, "kind": kind, "hold": "Fri 4 Dec, 18:00",
        "address": "12 Long Acre, London WC2E 9LH" if full else "", "sender": "Omnistore Covent Garden",
        "collected_at": "Sat 5 Dec, 10:00" if full else "", "lines": [line], "payments": [payment],
        "opening_hours": [("Mon", "09:00-19:00", True), ("Sun", "Closed", False)] if full else [],
        "pay_url": "https://shop.example/pay/abc", "pay_until": "Fri 4 Dec, 18:00", "qr_cid": "qr" if full else "",
    }  # fmt: skip


@pytest.mark.parametrize("full", [True, False])
@pytest.mark.parametrize("kind", list(ORDER_SUBJECTS))
def test_order_messages(pseudo_locale, kind, full):  # noqa: F811
    context = order_context(kind, full=full)
    for channel in CHANNELS:
        message = render_message(channel, context, key="k", recipient="r")
        assert_words_translated(message.subject, message.body, message.html or "")
    assert_words_translated(render_to_string("orders/messages/email.html", context))


def return_context(kind: str, *, full: bool) -> dict:
    request = SimpleNamespace(
        rma_number="RMA-1001", store=SimpleNamespace(name="Covent Garden") if full else None,
        refund_total=Decimal("30.00"), currency="EUR", refund_method="store_credit" if full else "original",
        fees_total=Decimal("2.00") if full else 0, clawback_total=Decimal("5.00") if full else 0,
        points_reversed=30 if full else 0, exchange_order=SimpleNamespace(number="X-2001"),
        exchange_charged=Decimal("10.00") if full else 0, refunded_to_tenders=Decimal("4.00") if full else 0,
        note="Not our item",
    )  # fmt: skip
    line = SimpleNamespace(quantity=1, name="Linen shirt", sku="SHIRT-M", amount=Decimal("30.00"))
    return {"request": request, "kind": kind, "lines": [line], "name": "Jane" if full else "", "currency": "EUR"}


@pytest.mark.parametrize("full", [True, False])
@pytest.mark.parametrize("kind", list(RETURN_SUBJECTS))
def test_return_messages(pseudo_locale, kind, full):  # noqa: F811
    for channel in CHANNELS:
        message = render_return_message(channel, return_context(kind, full=full), key="k", recipient="r")
        assert_words_translated(message.subject, message.body)


@pytest.mark.parametrize("units", [1, 3])
@pytest.mark.parametrize("full", [True, False])
def test_saved_cart_messages(pseudo_locale, units, full):  # noqa: F811
    variant = SimpleNamespace(product=SimpleNamespace(name="Linen shirt"), sku="SHIRT-M", price=Decimal("40.00"))
    context = {
        "saved": SimpleNamespace(units=units, note="the dress to try" if full else ""),
        "customer": SimpleNamespace(first_name="Jane" if full else ""),
        "store": SimpleNamespace(name="Covent Garden"),
        "sender": "Omnistore Covent Garden",
        "associate": "Priya",
        "lines": [(variant, units)],
        "url": "https://shop.example/cart/xyz",
        "until": "Fri 4 Dec, 18:00",
    }
    for channel in CHANNELS:
        assert_words_translated(render_to_string("orders/messages/saved_cart.txt", {**context, "channel": channel}))


@pytest.mark.parametrize("full", [True, False])
def test_gift_card_message(pseudo_locale, full):  # noqa: F811
    context = {
        "card": SimpleNamespace(balance=Decimal("50.00"), currency="EUR", expires_at=date(2027, 12, 4)),
        "name": "Jane" if full else "",
        "note": "Happy birthday!" if full else "",
        "number": "1234 5678 9012 3456",
        "brand": "Omnistore",
    }
    body = render_to_string("orders/messages/gift_card.txt", context)
    # the month's name comes from Django's catalog (⟦December⟧)
    assert_words_translated(body)
