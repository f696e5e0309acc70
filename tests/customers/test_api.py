from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from jsonschema import Draft202012Validator

from customers.models import Consent, Customer, Interaction
from customers.partitions import MIN_RETENTION_MONTHS, add_months
from customers.services import create_customer, earn_points, issue_store_credit
from tests.customers.factories import OfferFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def event(i, **over):
    return {
        "id": f"ev-{i}",
        "kind": "product_view",
        "channel": "app",
        "occurred_at": (timezone.now() - timedelta(days=1)).isoformat(),  # inside the months the timeline keeps
        "subject": "SKU-1",
        "identities": {"app_install": "inst-1"},
        **over,
    }


def test_a_mixed_batch_keeps_the_good_events_and_reports_the_bad_by_index(api_client, store):
    # given a batch with good events, bad ones and a repeat
    batch = [
        event(0),
        event(1, kind="purchase"),  # clients cannot post purchases
        event(2, occurred_at="yesterday"),
        event(3, channel="store", store="LON-01", kind="store_visit"),
        event(4, store="NOPE-1", kind="store_visit"),
        event(0),  # the same id again in the batch
        "not an object",
        event(5, identities={"email": "someone@example.com"}),  # emails only once signed in
    ]
    # when it is posted anonymously
    response = api_client.post("/api/v1/events/", {"events": batch}, format="json")
    # then the valid events are stored and every bad one is named with a reason
    body = response.json()
    assert response.status_code == 200
    assert body["accepted"] == [0]
    assert body["duplicates"] == [5]
    rejected = {r["index"]: r for r in body["rejected"]}
    assert set(rejected) == {1, 2, 3, 4, 6, 7}
    assert "kind" in rejected[1]["fields"] and "occurred_at" in rejected[2]["fields"]
    assert "channel" in rejected[3]["fields"] and rejected[4]["code"] == "unknown_store"
    assert Interaction.objects.count() == 1
    # and posting the batch again stores nothing twice
    again = api_client.post("/api/v1/events/", {"events": batch[:1]}, format="json").json()
    assert again["duplicates"] == [0] and Interaction.objects.count() == 1


def test_batches_are_limited_and_must_be_batches(api_client):
    too_many = api_client.post("/api/v1/events/", {"events": [event(i) for i in range(501)]}, format="json")
    assert too_many.status_code == 400 and too_many.json()["code"] == "batch_too_large"
    not_a_batch = api_client.post("/api/v1/events/", {"event": {}}, format="json")
    assert not_a_batch.status_code == 400 and not_a_batch.json()["code"] == "unknown_field"
    assert not_a_batch.json()["fields"] == {
        "event": ["This operation does not take this field."],
        "events": ["This field is required."],
    }
    empty = api_client.post("/api/v1/events/", {"events": []}, format="json")
    assert empty.status_code == 400 and empty.json()["fields"] == {"events": ["At least 1 item."]}
    assert not Interaction.objects.exists()


def _app_login(api_client, email, password):
    response = api_client.post("/_allauth/app/v1/auth/login", {"email": email, "password": password}, format="json")
    assert response.status_code == 200, response.content
    return response.json()["meta"]["session_token"]


def test_signed_in_app_events_land_on_the_shopper_and_stitch_the_device(api_client, password):
    # given an app install that browsed anonymously
    api_client.post("/api/v1/events/", {"events": [event(1), event(2)]}, format="json")
    # and the shopper signs in in that app (allauth headless session token)
    user = UserFactory(email="ada@example.com", email_verified=True)
    token = _app_login(api_client, "ada@example.com", password)
    # when the app sends its next batch with the session token
    response = api_client.post("/api/v1/events/", {"events": [event(3)]}, format="json", HTTP_X_SESSION_TOKEN=token)
    # then all three events are on the shopper's profile
    assert response.status_code == 200 and response.json()["accepted"] == [0]
    shopper = Customer.objects.get(user=user)
    assert shopper.interactions.count() == 3 and not shopper.is_anonymous


def test_me_reads_and_updates_profile_sizes_and_consents(api_client, password, store):
    user = UserFactory(email="grace@example.com", full_name="Grace Hopper", email_verified=True)
    token = _app_login(api_client, "grace@example.com", password)
    headers = {"HTTP_X_SESSION_TOKEN": token}
    # when the app asks for /me the first time, a profile is made from the account
    me = api_client.get("/api/v1/me/", **headers).json()
    assert me["email"] == "grace@example.com" and me["first_name"] == "Grace"
    assert me["consents"] == {"email": None, "sms": None, "push": None}
    # when the shopper changes sizes, phone, home store and consents
    response = api_client.patch(
        "/api/v1/me/",
        {
            "phone": "+447700900456",
            "preferred_sizes": {"shoes": "38"},
            "home_store": "LON-01",
            "consents": {"email": True, "sms": False},
        },
        format="json",
        **headers,
    )
    # then they are stored normalised, and the consent records where it was given
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["phone"] == "+447700900456" and body["preferred_sizes"] == {"shoes": "38"}
    assert body["home_store"] == "LON-01" and body["consents"]["email"]["granted"] is True
    assert Consent.objects.get(customer__user=user, channel="sms").source == "app"
    # and bad input is a 400 with a field, changing nothing
    bad = api_client.patch("/api/v1/me/", {"phone": "12", "first_name": "X"}, format="json", **headers)
    assert bad.status_code == 400 and "phone" in bad.json()["fields"]
    assert Customer.objects.get(user=user).first_name == "Grace"


@pytest.mark.parametrize("item", [{}, {"label": "Anniversary"}, {"date": "2027-06-01"}])
def test_a_partial_profile_update_still_takes_whole_important_dates(api_client, password, item):
    # given a signed-in shopper (a PATCH leaves out fields of the profile, not of a date inside it)
    UserFactory(email="grace@example.com", email_verified=True)
    token = _app_login(api_client, "grace@example.com", password)
    # when an important date comes without its label or its date (the fuzzer's `[{}]` was a 500)
    response = api_client.patch("/api/v1/me/", {"important_dates": [item]}, format="json", HTTP_X_SESSION_TOKEN=token)
    # then it is a 400 naming what is missing, and nothing is stored
    assert response.status_code == 400, response.content
    missing = {"label", "date"} - set(item)
    assert response.json()["fields"] == {f"important_dates.0.{name}": ["This field is required."] for name in missing}
    assert not Customer.objects.filter(user__email="grace@example.com").exclude(important_dates=[]).exists()


def test_one_answer_names_every_mistake_in_the_body(api_client, password):
    # given a signed-in shopper
    UserFactory(email="grace@example.com", email_verified=True)
    token = _app_login(api_client, "grace@example.com", password)
    # when the app sends an unknown field, an unknown field nested in a known one and a wrong type
    body = {"is_staff": True, "consents": {"email": True, "fax": True}, "phone": 447700900123, "first_name": "Grace"}
    response = api_client.patch("/api/v1/me/", body, format="json", HTTP_X_SESSION_TOKEN=token)
    # then one 400 names all three (the nested one was left for a second round trip), and nothing is stored
    assert response.status_code == 400, response.content
    error = response.json()
    assert error["code"] == "unknown_field" and error["message"] == (
        "Unknown fields: consents.fax, is_staff. This operation does not take them."
    )
    assert set(error["fields"]) == {"is_staff", "consents.fax", "phone"}
    assert not Customer.objects.filter(user__email="grace@example.com", first_name="Grace").exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("important_dates", [{"label": "Anniversary", "date": "2026-02-31"}]),
        ("important_dates", [{"label": "Anniversary", "date": "0000-06-14"}]),
        ("birthday", "2025-02-29"),
    ],
)
def test_an_impossible_day_is_a_documented_refusal(api_client, password, field, value):
    # given a signed-in shopper, and what the schema says a date is (the fuzzer sent year 0000 and
    # 31 February as valid data while the schema's pattern admitted them)
    UserFactory(email="grace@example.com", email_verified=True)
    token = _app_login(api_client, "grace@example.com", password)
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/v1/me/"]["patch"]
    request_schema = operation["requestBody"]["content"]["application/json"]["schema"]
    # when the app sends a day that does not exist
    response = api_client.patch("/api/v1/me/", {field: value}, format="json", HTTP_X_SESSION_TOKEN=token)
    # then the schema already called it invalid (a generated client refuses it before sending) ...
    validator = Draft202012Validator(
        {**request_schema, "components": schema["components"]}, format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    assert not validator.is_valid({field: value})
    # (by its format alone: a fuzzer draws strings from a pattern and ignores the format beside it)
    components = schema["components"]["schemas"]
    published = (
        components["ImportantDateInputRequest"]["properties"]["date"]
        if field == "important_dates"
        else components["PatchedMeUpdateRequest"]["properties"]["birthday"]
    )
    assert published["format"] == "date" and "pattern" not in published
    # ... and the server refuses it with a 400 whose code the operation documents, naming the field
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] in operation["responses"]["400"]["x-error-codes"]
    path = f"{field}.0.date" if field == "important_dates" else field
    day = value[0]["date"] if field == "important_dates" else value
    assert body["fields"] == {path: [f"There is no such day as {day} (year 0001 to 9999, a day the month has)."]}
    assert body["message"].startswith(path)
    # and nothing is stored
    stored = Customer.objects.filter(user__email="grace@example.com")
    assert not stored.exclude(important_dates=[]).exists() and not stored.exclude(birthday=None).exists()


@pytest.mark.parametrize("birthday", ["2031-01-01", "1800-01-01"])
def test_a_birthday_to_come_or_before_1900_is_refused(api_client, password, birthday):
    # given a signed-in shopper (an app sent a birthday in 2031, and one in 1800: both were stored
    # and shown on the clienteling screen)
    UserFactory(email="grace@example.com", email_verified=True)
    token = _app_login(api_client, "grace@example.com", password)

    # when the app sends it
    response = api_client.patch("/api/v1/me/", {"birthday": birthday}, format="json", HTTP_X_SESSION_TOKEN=token)

    # then it is a 400 naming the field, and nothing is stored
    assert response.status_code == 400, response.content
    assert (response.json()["code"], response.json()["fields"]) == (
        "invalid",
        {"birthday": ["A past day, from 1900 on."]},
    )
    assert not Customer.objects.filter(user__email="grace@example.com").exclude(birthday=None).exists()


def test_me_loyalty_and_offers(api_client, password):
    user = UserFactory(email="lin@example.com")
    customer = create_customer(first_name="Lin", email="lin@example.com", user=user)
    earn_points(customer=customer, points=300, reference="ORD-1")
    issue_store_credit(customer=customer, amount=Decimal("5.00"), reference="RET-1")
    offer = OfferFactory(code="spring10")
    from customers.services import assign_offer

    assign_offer(offer=offer, customer=customer)
    api_client.force_authenticate(user)
    loyalty = api_client.get("/api/v1/me/loyalty/").json()
    assert loyalty["balance"] == 300 and loyalty["store_credit"] == "5.00"
    assert loyalty["entries"][0]["reference"] == "ORD-1"
    offers = api_client.get("/api/v1/me/offers/").json()
    assert [o["code"] for o in offers] == ["spring10"]


def test_me_requires_a_signed_in_shopper(api_client):
    response = api_client.get("/api/v1/me/")
    assert response.status_code in {401, 403} and response.json()["code"] in {"not_authenticated", "permission_denied"}


def test_me_lists_add_list_and_delete(api_client, catalog):
    user = UserFactory(email="list@example.com")
    api_client.force_authenticate(user)
    # when the shopper wishlists a variant twice and puts another on a shopping list
    first = api_client.post("/api/v1/me/lists/", {"sku": "A-M"}, format="json")
    api_client.post("/api/v1/me/lists/", {"sku": "A-M"}, format="json")
    api_client.post("/api/v1/me/lists/", {"sku": "B-S", "kind": "shopping", "channel": "web"}, format="json")
    # then the lists hold them (the repeat raised the quantity)
    assert first.status_code == 201
    lists = {lst["kind"]: lst for lst in api_client.get("/api/v1/me/lists/").json()}
    assert [(i["sku"], i["quantity"]) for i in lists["wishlist"]["items"]] == [("A-M", 2)]
    assert lists["shopping"]["items"][0]["sku"] == "B-S"
    # and an unknown SKU is a clear 400
    unknown = api_client.post("/api/v1/me/lists/", {"sku": "NOPE"}, format="json")
    assert unknown.status_code == 400 and unknown.json()["code"] == "unknown_sku"
    # when an item is deleted it is gone; someone else's item cannot be deleted
    item_id = lists["wishlist"]["items"][0]["id"]
    assert api_client.delete(f"/api/v1/me/lists/items/{item_id}/").status_code == 204
    api_client.force_authenticate(UserFactory(email="other@example.com"))
    other_item = lists["shopping"]["items"][0]["id"]
    assert api_client.delete(f"/api/v1/me/lists/items/{other_item}/").status_code == 404


@pytest.mark.parametrize(
    "occurred_at",
    ["0001-01-01T00:00:00Z", "1999-12-31T23:59:59Z", "2999-01-01T00:00:00Z"],
)
def test_an_event_time_the_timeline_does_not_keep_is_refused_by_index_with_its_code(api_client, occurred_at):
    # given a batch with an event of today and one of year 1 (or far in the future)
    today = timezone.now().isoformat()
    batch = [event(0, occurred_at=today), event(1, occurred_at=occurred_at)]

    # when it is posted
    body = api_client.post("/api/v1/events/", {"events": batch}, format="json").json()

    # then today's is kept and the other refused with a code saying why, naming the field
    assert body["accepted"] == [0]
    (rejected,) = body["rejected"]
    assert (rejected["index"], rejected["code"], list(rejected["fields"])) == (
        1,
        "occurred_at_out_of_range",
        ["occurred_at"],
    )
    assert Interaction.objects.count() == 1


def test_events_are_kept_back_to_the_oldest_month_the_timeline_keeps(api_client):
    # given the timeline keeps at least 13 whole months before this one (the archive's shortest retention)
    this_month = timezone.now().astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    oldest = add_months(this_month.date(), -MIN_RETENTION_MONTHS)
    first_kept = datetime(oldest.year, oldest.month, 1, tzinfo=UTC)
    batch = [
        event(0, occurred_at=first_kept.isoformat()),
        event(1, occurred_at=(first_kept - timedelta(seconds=1)).isoformat()),
    ]

    # when the first instant of that month and the last one before it are posted
    body = api_client.post("/api/v1/events/", {"events": batch}, format="json").json()

    # then the first is kept, the other refused, its message naming the oldest day taken
    assert body["accepted"] == [0]
    assert body["rejected"][0]["code"] == "occurred_at_out_of_range"
    assert first_kept.date().isoformat() in body["rejected"][0]["message"]
