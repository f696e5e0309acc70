"""ASVS V5 (output encoding): what shoppers and staff type is shown as text, never run as markup.

A shopper whose name is a script tag (typed in the app, on the web or at a till) and a note with
markup are shown on every portal screen that names them, escaped.
"""

import pytest
from django.urls import reverse

from customers.services.clienteling import add_note
from customers.services.profiles import create_customer

pytestmark = pytest.mark.django_db

PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_shopper_text_is_escaped_on_every_screen_that_shows_it(associate_client, associate, store):
    # given a shopper whose name and a note carry markup
    shopper = create_customer(first_name=PAYLOAD, last_name="Evil", email="evil@example.com", home_store=store)
    add_note(customer=shopper, author=associate, store=store, body=PAYLOAD)
    screens = [
        reverse("customers_portal:search") + "?q=Evil",
        reverse("customers_portal:detail", args=[shopper.pk]),
        reverse("customers_portal:notes", args=[shopper.pk]),
        reverse("customers_portal:timeline", args=[shopper.pk]),
    ]
    for url in screens:
        # when the screen is shown
        response = associate_client.get(url)
        html = response.content.decode()
        # then the markup is text: escaped, never a live tag
        assert response.status_code == 200, url
        assert "<script>alert" not in html and "<img src=x" not in html, url
    detail = associate_client.get(screens[1]).content.decode()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in detail


def test_api_answers_are_json_never_html(api_client, store):
    # a name with markup comes back as a JSON string with a JSON content type (nothing a browser renders)
    response = api_client.get("/api/v1/stores/", {"q": PAYLOAD})
    assert response["Content-Type"] == "application/json"
    assert response["X-Content-Type-Options"] == "nosniff"
