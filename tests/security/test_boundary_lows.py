"""Issue 13, the lows in h13's scope: enumeration, Cache-Control, the returns desk's reach, and
inputs that were 500s (NUL in the portal, overflowing counts, NaN/1e999 and dry runs in imports)."""

import pytest
from django.urls import reverse

from customers.services import create_customer
from inventory.catalog_import import import_catalog
from inventory.imports import import_stock
from inventory.models import Product, StockCount
from inventory.operations import start_stock_count
from tests.factories import TEST_PASSWORD, UserFactory
from tests.inventory.factories import VariantFactory

pytestmark = pytest.mark.django_db


# --- 10. enumeration: PATCH /me with another shopper's phone ----------------------------------


def test_a_phone_someone_else_holds_is_not_answered_with_their_id(api_client):
    other = create_customer(first_name="Bea", email="bea@example.com", phone="07700 900222")
    user = UserFactory(email="mal@example.com")
    api_client.force_authenticate(user)
    taken = api_client.patch("/api/v1/me/", {"phone": "+447700900222"}, format="json")
    free = api_client.patch("/api/v1/me/", {"phone": "+447700900333"}, format="json")
    assert taken.status_code == free.status_code == 200
    # (the answer is the caller's own profile: nothing in it is Bea's, neither her id nor her name)
    assert taken.json()["id"] != other.pk and "customer_id" not in taken.json()
    assert "Bea" not in taken.content.decode() and "bea@" not in taken.content.decode()


# --- 11. personal API answers are never cached -------------------------------------------------


@pytest.mark.parametrize("url", ["/api/v1/me/", "/api/v1/me/loyalty/", "/api/v1/me/orders/", "/api/v1/returns/"])
def test_personal_api_answers_say_no_store_private(api_client, url):
    api_client.force_authenticate(UserFactory(email="ann@example.com"))
    response = api_client.get(url)
    assert response.status_code in (200, 404), (url, response.status_code)
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_allauths_session_token_answer_is_not_cached(api_client):
    UserFactory(email="ann@example.com", email_verified=True)
    signed_up = api_client.post(
        "/_allauth/app/v1/auth/signup", {"email": "new@example.com", "password": "a-long-Passphrase-9"}, format="json"
    )
    signed_in = api_client.post(
        "/_allauth/app/v1/auth/login", {"email": "ann@example.com", "password": TEST_PASSWORD}, format="json"
    )
    # both carry a session token (pending the emailed code, and signed in)
    assert signed_up.status_code == 401 and signed_up.json()["meta"]["session_token"]
    assert signed_in.status_code == 200 and signed_in.json()["meta"]["session_token"]
    assert "no-store" in signed_up["Cache-Control"] and "no-store" in signed_in["Cache-Control"]


# --- 12. the returns desk does not open another store's uncollected pick-up --------------------


def test_the_returns_desk_does_not_show_an_uncollected_pick_up(associate_client, store_b_work):
    waiting = store_b_work.pickup.order  # ready at store B, not collected
    desk = associate_client.get(reverse("returns_portal:desk"), {"q": waiting.number})
    page = associate_client.get(reverse("returns_portal:order", args=[waiting.number]))
    assert desk.status_code == 200 and waiting.contact_name not in desk.content.decode()
    assert page.status_code == 404


# --- 9. portal and import inputs that were 500s ------------------------------------------------


@pytest.mark.parametrize("url", ["/portal/customers/?q=ab%00c", "/portal/stock/?q=%00", "/portal/returns/?q=R%00"])
def test_a_nul_in_a_portal_search_is_a_400(associate_client, url):
    assert associate_client.get(url).status_code == 400


def test_a_nul_in_a_portal_form_is_a_400(associate_client):
    shopper = create_customer(first_name="Ada", email="ada@example.com")
    url = reverse("customers_portal:notes", args=[shopper.pk])
    response = associate_client.post(url, "body=a%00b", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert not shopper.notes.exists()


@pytest.mark.parametrize("figure", ["99999999999", str(2**31), "1000001"])
def test_an_overflowing_count_is_refused_not_a_500(associate_client, associate, store, figure):
    variant = VariantFactory(sku="SHIRT-M")
    count = start_stock_count(location=store, actor=associate)
    scan = associate_client.post(
        reverse("inventory_portal:count-scan", args=[count.pk]), {"code": variant.sku, "quantity": figure}
    )
    typed = associate_client.post(
        reverse("inventory_portal:count-set", args=[count.pk]), {"sku": variant.sku, "quantity": figure}
    )
    assert scan.status_code == typed.status_code == 400
    assert "at most 1,000,000" in typed.content.decode()
    assert not StockCount.objects.get(pk=count.pk).lines.exists()


HEADER = "style_code,name,category,base_price,sku,image_url,return_window_days\n"


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        ("NaN,,", "is not a price"),
        ("Infinity,,", "is not a price"),
        ("1e999,,", "is not a price"),
        ("sNaN,,", "is not a price"),
        ("19.99,not a url,", "image_url"),
        ("19.99,,99999999", "return_window_days"),
        ("19.99,,²", "whole number"),
    ],
)
def test_a_bad_catalog_cell_is_a_line_error_in_the_dry_run_and_the_import(cells, message):
    text = HEADER + f"TS-1,Tee,Men/Tops,{cells.replace(',', ',TS-1-M,', 1)}\n"
    dry = import_catalog(text=text, dry_run=True, create_categories=True)
    real = import_catalog(text=text, create_categories=True)
    assert dry.errors == real.errors and any(message in e for e in real.errors), real.errors
    assert not Product.objects.exists()


def test_a_category_path_too_long_for_its_slug_fails_the_dry_run_too():
    text = HEADER + f"TS-1,Tee,{'/'.join(['x' * 79] * 3)},19.99,TS-1-M,,\n"
    assert import_catalog(text=text, dry_run=True, create_categories=True).errors
    assert not Product.objects.exists()


def test_a_stock_figure_the_count_would_refuse_fails_the_dry_run(store):
    VariantFactory(sku="SHIRT-M")
    text = f"sku,location,on_hand\nSHIRT-M,{store.code},5000000\n"
    assert import_stock(text=text, dry_run=True).errors == import_stock(text=text).errors != []


# --- 14. look-alike email domains are pointed out to staff -------------------------------------

LOOKALIKE = "ada@gm\u0430il.com"  # a Cyrillic a in gmail


def test_a_new_profile_with_a_look_alike_domain_needs_the_associate_to_check(associate_client):
    real = create_customer(first_name="Ada", last_name="L", email="ada@gmail.com")
    data = {"first_name": "Ada", "last_name": "L", "email": LOOKALIKE}
    # when the associate types the look-alike address
    warned = associate_client.post(reverse("customers_portal:new"), data)
    # then nothing is created, the form says what it looks like and offers the real profile
    html = warned.content.decode()
    assert warned.status_code == 200 and "looks like an address at gmail.com" in html
    assert reverse("customers_portal:detail", args=[real.pk]) in html
    from customers.models import Customer

    assert Customer.objects.count() == 1
    # when the associate confirms it is right as typed, it is created, and its header says so
    created = associate_client.post(reverse("customers_portal:new"), {**data, "lookalike_ok": "on"})
    assert created.status_code == 302
    page = associate_client.get(created.url).content.decode()
    assert "Look-alike address: not gmail.com" in page


@pytest.mark.parametrize(
    ("email", "mimics"),
    [
        ("a@gmail.com", None),
        ("a@example.org", None),
        (LOOKALIKE, "gmail.com"),
        ("a@rnsn.com", "msn.com"),
        ("a@g00glemail.com", "googlemail.com"),
        ("a@" + "gm\u0430il.com".encode("idna").decode(), "gmail.com"),
    ],
)
def test_look_alike_domains(email, mimics):
    from customers.normalise import lookalike_domain

    assert lookalike_domain(email) == mimics
