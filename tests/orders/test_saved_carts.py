# ruff: noqa: F811 — pytest fixtures imported from the assisted-order tests are arguments here
"""Saved carts and send-to-shopper (issue 18.2): kept on the profile, reopened by any associate, sent
through the outbox with a signed link that loads the cart into the shopper's own cart, once."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from customers.models import Interaction
from customers.services.linking import link_user_to_customer
from customers.services.merge import merge_customers, undo_merge
from customers.services.profiles import create_customer
from orders.errors import OrderError
from orders.models import Cart, SavedCart
from orders.notifications import RecordingAdapter
from orders.services import open_cart_for, set_cart_line
from orders.services.saved_carts import (
    SAVED_CART_TOPIC,
    open_sent_cart,
    save_cart_for_customer,
    saved_cart_token,
    send_saved_cart,
)
from retail.models import AuditEvent, OutboxMessage
from retail.outbox import deliver_outbox_message
from tests.factories import MembershipFactory, UserFactory
from tests.orders.test_assisted_portal import add, stock, urls  # noqa: F401 — DRESS-S in Manchester, BAG-1 here

OPEN = "/api/v1/me/cart/open-sent/"


@pytest.fixture
def app(shopper_user, shopper):
    client = APIClient()
    client.force_authenticate(shopper_user)
    return client


@pytest.fixture
def sent(associate, store, shopper, stock):
    return save_cart_for_customer(customer=shopper, store=store, actor=associate,
                                  lines=[("DRESS-S", 1), ("BAG-1", 2)], note="Your size", send=True)  # fmt: skip


def deliver_saved_cart_messages() -> list[str]:
    pks = (
        OutboxMessage.objects.filter(status="pending", topic=SAVED_CART_TOPIC)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return [deliver_outbox_message(message_id=pk, attempt=0)[0] for pk in pks]


def token_in(body: str) -> str:
    return body.split("/cart/", 1)[1].split("/", 1)[0]


# --------------------------------------------------------------------------- services


def test_a_basket_saved_on_the_profile_is_audited_and_refuses_bad_input(associate, store, other_store, shopper, stock):
    # when the associate saves the basket
    saved = save_cart_for_customer(customer=shopper, store=store, actor=associate, lines=[("BAG-1", 1), ("BAG-1", 1)])
    # then it is on the profile, the same SKU summed, audited, not sent
    assert (saved.status, saved.lines, saved.saved_by, saved.units) == ("saved", [["BAG-1", 2]], associate, 2)
    assert AuditEvent.objects.filter(action="saved_cart.saved", object_id=str(saved.pk), actor=associate).exists()
    assert not OutboxMessage.objects.filter(topic=SAVED_CART_TOPIC).exists()
    # and an empty basket, an unknown SKU, or someone not of the store are refused with a code
    for kwargs, code in [
        ({"lines": []}, "empty_cart"),
        ({"lines": [("NOPE-1", 1)]}, "unknown_sku"),
        ({"lines": [("BAG-1", 1)], "store": other_store}, "invalid_channel"),
    ]:
        with pytest.raises(OrderError) as caught:
            save_cart_for_customer(**{"customer": shopper, "store": store, "actor": associate, **kwargs})
        assert caught.value.code == code
    assert SavedCart.objects.count() == 1


def test_sending_tells_the_shopper_on_every_contact_with_the_link_and_the_timeline_says_so(
    sent, shopper, shopper_user, associate
):
    # when the outbox delivers the message (twice: a redelivered task)
    assert deliver_saved_cart_messages() == ["delivered"]
    # then email and push carry the link (no phone on the profile), once each
    by_channel = {m.channel: m for m in RecordingAdapter.sent}
    assert set(by_channel) == {"email", "push"}
    email = by_channel["email"]
    assert email.recipient == "jane@example.com" and email.subject == "Your cart from Covent Garden"
    assert "1 \u00d7 " in email.body and "2 \u00d7 " in email.body and "\u201cYour size" not in email.body
    assert '"Your size"' in email.body and "/cart/" in email.body
    assert by_channel["push"].recipient == f"user:{shopper_user.pk}"
    # and the timeline shows the cart sent, by whom; the audit trail too
    entry = Interaction.objects.get(customer=shopper, kind="message_sent")
    assert entry.subject == f"Cart sent: 3 items by {associate.get_short_name()} (Email, Push)"
    assert entry.data["msg"] == {
        "key": "orders.saved_cart_sent",
        "params": {"count": 3, "associate": associate.get_short_name(), "channels": ["email", "push"]},
    }
    assert entry.associate == associate
    assert AuditEvent.objects.filter(action="saved_cart.sent", object_id=str(sent.pk)).exists()


def test_the_shopper_it_was_sent_to_opens_it_in_the_app_once(sent, app, shopper, shopper_user):
    # given the shopper had a shirt in their cart already, and the message arrived
    deliver_saved_cart_messages()
    token = token_in(next(m for m in RecordingAdapter.sent if m.channel == "email").body)
    # when the app opens the link
    response = app.post(OPEN, {"token": token, "channel": "app"}, format="json")
    # then the sent items are in their cart, the timeline says the cart was opened
    assert response.status_code == 200, response.json()
    body = response.json()
    assert [(line["sku"], line["quantity"]) for line in body["cart"]["lines"]] == [("DRESS-S", 1), ("BAG-1", 2)]
    assert (body["unavailable"], body["sent_from"]) == ([], "Covent Garden")
    opened = Interaction.objects.get(customer=shopper, kind="add_to_cart", external_id=f"saved-cart:{sent.pk}:opened")
    assert opened.channel == "app" and opened.subject == "Cart opened in the app: 3 items sent from Covent Garden"
    sent.refresh_from_db()
    assert sent.status == "opened" and sent.opened_into == Cart.objects.get(customer=shopper, status="open")
    # when it is opened again (a second tap)
    again = app.post(OPEN, {"token": token}, format="json")
    # then a 409 with a code, and nothing added twice
    assert (again.status_code, again.json()["code"]) == (409, "cart_link_used")
    assert app.get("/api/v1/me/cart/").json()["item_count"] == 3


def test_another_shoppers_token_and_anonymous_callers_are_refused(sent, app, shopper):
    # given the link sent to Jane
    token = saved_cart_token(sent)
    mallory = UserFactory(email="mallory@example.com")
    link_user_to_customer(user=mallory)
    other = APIClient()
    other.force_authenticate(mallory)
    # when Mallory (signed in) and an anonymous caller use it
    hers = other.post(OPEN, {"token": token}, format="json")
    nobody = APIClient().post(OPEN, {"token": token}, format="json")
    forged = app.post(OPEN, {"token": token[:-3] + "AAA"}, format="json")
    # then 403 / 401 / 404 with codes; Mallory's cart holds nothing, Jane's link still works
    assert (hers.status_code, hers.json()["code"]) == (403, "cart_link_not_yours")
    assert (nobody.status_code, nobody.json()["code"]) == (401, "not_authenticated")
    assert (forged.status_code, forged.json()["code"]) == (404, "cart_link_invalid")
    assert not Cart.objects.filter(customer__user=mallory, lines__isnull=False).exists()
    sent.refresh_from_db()
    assert sent.status == "sent"
    assert app.post(OPEN, {"token": token}, format="json").status_code == 200


def test_an_expired_link_and_a_link_replaced_by_a_newer_sending_give_410(sent, app, associate, store):
    old = saved_cart_token(sent)
    # when the associate sends it again, the first link no longer opens it
    resent = send_saved_cart(saved_cart=sent, actor=associate, store=store)
    replaced = app.post(OPEN, {"token": old}, format="json")
    assert (replaced.status_code, replaced.json()["code"]) == (410, "cart_link_expired")
    assert "newer link" in replaced.json()["message"]
    # and the newest one, past its time, neither
    SavedCart.objects.filter(pk=sent.pk).update(link_expires_at=timezone.now() - timedelta(minutes=1))
    expired = app.post(OPEN, {"token": saved_cart_token(resent)}, format="json")
    assert (expired.status_code, expired.json()["code"]) == (410, "cart_link_expired")
    assert not Cart.objects.filter(lines__isnull=False).exists()


def test_items_no_longer_sold_are_named_not_added(sent, shopper_user, shopper):
    from inventory.models import Variant

    Variant.objects.filter(sku="BAG-1").update(is_active=False)
    set_cart_line(cart=open_cart_for(customer=shopper), sku="DRESS-S", quantity=1)
    cart, _, gone = open_sent_cart(token=saved_cart_token(sent), user=shopper_user, channel="web")
    assert gone == ["BAG-1"]
    assert list(cart.lines.values_list("variant__sku", "quantity")) == [("DRESS-S", 2)]


def test_a_shopper_without_an_account_cannot_be_sent_a_cart(associate, store, stock):
    walk_in = create_customer(first_name="Walk", last_name="In", email="walk.in@example.com")
    with pytest.raises(OrderError) as caught:
        save_cart_for_customer(customer=walk_in, store=store, actor=associate, lines=[("BAG-1", 1)], send=True)
    assert caught.value.code == "invalid_customer" and "no app or web account" in caught.value.message
    assert not SavedCart.objects.exists()  # saved and sent together, or neither


def test_a_merge_takes_saved_carts_to_the_kept_profile_and_undo_brings_them_back(associate, store, shopper, stock):
    duplicate = create_customer(first_name="Jane", last_name="S", email="jane.dup@example.com")
    saved = save_cart_for_customer(customer=duplicate, store=store, actor=associate, lines=[("BAG-1", 1)])
    merge = merge_customers(source=duplicate, target=shopper)
    assert SavedCart.objects.get(pk=saved.pk).customer == shopper
    undo_merge(merge=merge)
    assert SavedCart.objects.get(pk=saved.pk).customer == duplicate


def test_erasing_the_shopper_wipes_the_associates_note(associate, store, shopper, stock):
    from customers.services.privacy import erase_customer

    saved = save_cart_for_customer(customer=shopper, store=store, actor=associate, lines=[("BAG-1", 1)],
                                   note="Jane Shopper, size 12, for her wedding")  # fmt: skip
    erase_customer(customer=shopper, actor=None, reason="GDPR request")
    saved.refresh_from_db()
    assert saved.note == "" and saved.lines == [["BAG-1", 1]]


# --------------------------------------------------------------------------- the portal


def test_save_and_reopen_from_another_store_on_the_assisted_screen(
    associate_client,
    associate,
    shopper,
    stock,
    other_store,
    client,
    django_assert_num_queries,
):
    # given a basket with the bag, saved on the profile
    add(associate_client, shopper, "BAG-1")
    saved_answer = associate_client.post(reverse("orders_portal:assisted-save", args=[shopper.pk]),
                                         {"action": "save", "note": "Try in blue"}, follow=True)  # fmt: skip
    assert "Saved 1 item(s) on Jane" in saved_answer.content.decode()
    saved = SavedCart.objects.get()
    assert 'class="empty"' in saved_answer.content.decode()  # the basket starts again
    # when an associate of Manchester opens the screen, then reopens it there
    colleague = MembershipFactory(store=other_store).user
    client.force_login(colleague)
    client.get(urls(shopper)["assisted"])  # the view audit is written on the first look
    with django_assert_num_queries(7):  # an empty basket reads no stock
        page = client.get(urls(shopper)["assisted"]).content.decode()
    assert "Try in blue" in page and "Reopen" in page
    reopened = client.post(reverse("orders_portal:saved-reopen", args=[shopper.pk, saved.pk]), follow=True)
    # then the bag is in their basket, and the reopening is audited for Manchester
    html = reopened.content.decode()
    assert "Reopened the cart saved" in html and "Canvas bag" in html
    assert AuditEvent.objects.filter(action="saved_cart.reopened", actor=colleague, store=other_store).exists()
    # when they send the reopened basket, it is the same saved cart that is sent, now Manchester's
    client.post(reverse("orders_portal:assisted-save", args=[shopper.pk]), {"action": "send"})
    (one,) = SavedCart.objects.all()
    assert (one.pk, one.status, one.store, one.sent_by, one.note) == (saved.pk, "sent", other_store, colleague,
                                                                     "Try in blue")  # fmt: skip


def test_the_screen_costs_the_same_with_five_saved_carts(associate, associate_client, shopper, store, stock,
                                                         django_assert_num_queries):  # fmt: skip
    associate_client.get(urls(shopper)["assisted"])
    for _ in range(6):
        save_cart_for_customer(customer=shopper, store=store, actor=associate, lines=[("BAG-1", 1)], send=True)
    with django_assert_num_queries(7):  # the same with one saved cart or six (five shown)
        page = associate_client.get(urls(shopper)["assisted"]).content.decode()
    assert page.count("Send again") == 5


def test_send_from_the_screen_and_a_cart_of_another_shopper_is_not_found(
    associate,
    associate_client,
    shopper,
    store,
    stock,
):
    add(associate_client, shopper, "DRESS-S")
    sent = associate_client.post(reverse("orders_portal:assisted-save", args=[shopper.pk]), {"action": "send"},
                                 follow=True)  # fmt: skip
    assert "Sent 1 item(s) to Jane" in sent.content.decode()
    saved = SavedCart.objects.get()
    assert saved.status == "sent" and saved.sent_by == associate
    # another shopper's URL with this cart's id: 404, nothing reopened
    other = create_customer(first_name="Ann", last_name="Other", email="ann@example.com")
    assert associate_client.post(reverse("orders_portal:saved-reopen", args=[other.pk, saved.pk])).status_code == 404
    assert associate_client.post(reverse("orders_portal:saved-send", args=[other.pk, saved.pk])).status_code == 404
    assert not AuditEvent.objects.filter(action="saved_cart.reopened").exists()


def test_the_saved_cart_lookup_checks_the_store_in_its_query(associate, shopper, store, other_store, stock):
    from orders.basket import saved_cart_for_staff

    saved = save_cart_for_customer(customer=shopper, store=store, actor=associate, lines=[("BAG-1", 1)])
    assert saved_cart_for_staff(associate, store=store, customer_id=shopper.pk, saved_cart_id=saved.pk) == saved
    # acting for a store they are not a member of: nothing
    assert saved_cart_for_staff(associate, store=other_store, customer_id=shopper.pk, saved_cart_id=saved.pk) is None


def test_the_web_link_page_shows_the_items_and_opens_them_for_the_signed_in_shopper(sent, client, shopper_user):
    url = reverse("saved-cart-link", args=[saved_cart_token(sent)])
    # anonymous: the items, and a sign-in button; posting goes to sign-in
    page = client.get(url)
    assert page.status_code == 200 and "Sign in and add to my cart" in page.content.decode()
    assert client.post(url).status_code == 302
    # signed in as Jane: added to her cart
    client.force_login(shopper_user)
    done = client.post(url)
    assert done.status_code == 200 and "in your cart now" in done.content.decode()
    assert client.post(url).status_code == 409
    assert client.get(reverse("saved-cart-link", args=["nope"])).status_code == 404
