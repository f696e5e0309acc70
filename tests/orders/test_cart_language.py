"""The shopper's cart reads in the caller's language (found by QA on the demo): a Polish app asking in
Polish got 'Coastal denim shirt' in its cart while the catalog and the order said 'Koszula jeansowa
Coastal', and the cart's warnings were English whatever the Accept-Language."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.models import ProductTranslation, Variant

pytestmark = pytest.mark.django_db


def test_a_polish_caller_reads_the_carts_names_and_warnings_in_polish_for_one_query_more(
    api_client, shopper, shopper_user, shirt, jeans
):
    # given a cart with the shirt (named in Polish in the catalog) and the jeans (not)
    ProductTranslation.objects.create(product=shirt.product, language="pl", name="Koszula Oxford")
    api_client.force_authenticate(shopper_user)
    body = {"lines": [{"sku": "SHIRT-M", "quantity": 1}, {"sku": "JEANS-32", "quantity": 1}]}
    assert api_client.put("/api/v1/me/cart/", body, format="json").status_code == 200
    # and the shirt's price changed since
    Variant.objects.filter(pk=shirt.pk).update(price_override=Decimal("35.00"))

    # when the cart is read in English, then in Polish
    with CaptureQueriesContext(connection) as english:
        in_english = api_client.get("/api/v1/me/cart/", HTTP_ACCEPT_LANGUAGE="en-gb").json()
    with CaptureQueriesContext(connection) as polish:
        in_polish = api_client.get("/api/v1/me/cart/", HTTP_ACCEPT_LANGUAGE="pl").json()

    # then the names follow the catalog's texts in the caller's language, else its own words
    assert [line["name"] for line in in_english["lines"]] == [shirt.product.name, jeans.product.name]
    assert [line["name"] for line in in_polish["lines"]] == ["Koszula Oxford", jeans.product.name]
    # and the warning says the price changed in the caller's language
    assert in_english["warnings"] and in_english["warnings"][0].startswith("The price of SHIRT-M changed")
    assert in_polish["warnings"][0].startswith("Cena SHIRT-M zmieniła się")
    # and the Polish texts cost one query, for both lines
    assert len(polish) == len(english) + 1
