"""GET /api/v1/stores/: list, nearest first by real distance, pages, constant queries, devices, throttling."""

import math
from base64 import b64encode

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from retail.models import PosDevice
from retail.services import issue_pos_device
from tests.factories import StoreFactory, WarehouseFactory

pytestmark = pytest.mark.django_db

LONDON = (51.5072, -0.1276)


def haversine_km(lat1, lng1, lat2, lng2) -> float:
    p1, p2, dp, dl = map(math.radians, (lat1, lat2, lat2 - lat1, lng2 - lng1))
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(a))


@pytest.fixture
def chain(db):
    return {
        "MAN-01": StoreFactory(code="MAN-01", city="Manchester", latitude="53.483900", longitude="-2.238600"),
        "LON-02": StoreFactory(code="LON-02", city="London", latitude="51.505400", longitude="-0.023500"),
        "EDI-01": StoreFactory(code="EDI-01", city="Edinburgh", latitude="55.953300", longitude="-3.188300"),
        "LON-01": StoreFactory(code="LON-01", city="London", latitude="51.512900", longitude="-0.124000"),
        "BRS-WH": WarehouseFactory(code="BRS-WH", city="Bristol", latitude="51.454500", longitude="-2.587900"),
        "OLD-01": StoreFactory(code="OLD-01", city="London", latitude="51.5", longitude="-0.12", is_active=False),
    }


def codes(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["code"] for row in response.json()["results"]]


def test_lists_active_locations_by_code(api_client, chain):
    response = api_client.get("/api/v1/stores/")
    assert response.status_code == 200
    assert codes(response) == ["BRS-WH", "EDI-01", "LON-01", "LON-02", "MAN-01"]
    assert all(row["distance_km"] is None for row in response.json()["results"])
    assert (response.json()["next"], response.json()["previous"]) == (None, None)


def test_near_orders_by_real_distance_and_reports_it(api_client, chain):
    # when a shopper in central London asks for the nearest locations
    response = api_client.get("/api/v1/stores/", {"near": f"{LONDON[0]},{LONDON[1]}"})
    # then London comes first, then Bristol, Manchester and Edinburgh, each with its distance in km
    assert response.status_code == 200
    assert codes(response) == ["LON-01", "LON-02", "BRS-WH", "MAN-01", "EDI-01"]
    for row in response.json()["results"]:
        expected = haversine_km(*LONDON, float(row["latitude"]), float(row["longitude"]))
        assert row["distance_km"] == pytest.approx(expected, abs=0.01)
    assert response.json()["results"][3]["distance_km"] == pytest.approx(263, abs=2)


def test_near_with_filters(api_client, chain):
    near = f"{LONDON[0]},{LONDON[1]}"
    StoreFactory(code="LON-03", latitude="51.51", longitude="-0.13", pickup_enabled=False)
    assert codes(api_client.get("/api/v1/stores/", {"near": near, "kind": "warehouse"})) == ["BRS-WH"]
    assert codes(api_client.get("/api/v1/stores/", {"near": near, "pickup": "true"})) == [
        "LON-01",
        "LON-02",
        "MAN-01",
        "EDI-01",
    ]


def pages(api_client, params, *, back: bool = True) -> list[list[str]]:
    """Every page's codes, following `next` from the first page; with `back`, `previous` leads back."""
    out, url, previous = [], "/api/v1/stores/", None
    while url:
        response = api_client.get(url, params if not out else None)
        out.append(codes(response))
        if back and previous is not None:
            assert codes(api_client.get(response.json()["previous"])) == previous
        previous, url = out[-1], response.json()["next"]
    return out


def test_the_chain_comes_a_page_at_a_time_by_code(api_client, chain):
    # given five open locations
    # when a client reads them two at a time
    # then it gets every one once, by code, and `previous` leads back
    assert pages(api_client, {"page_size": "2"}) == [["BRS-WH", "EDI-01"], ["LON-01", "LON-02"], ["MAN-01"]]
    # and the filters hold on every page
    assert pages(api_client, {"page_size": "2", "kind": "store"}) == [["EDI-01", "LON-01"], ["LON-02", "MAN-01"]]


def test_a_page_holds_50_stores_by_default_and_at_most_100(api_client):
    # given a chain of 120 locations
    StoreFactory.create_batch(120)
    # then the list gives 50 a page by default, and up to 100 when asked
    first = api_client.get("/api/v1/stores/").json()
    assert (len(first["results"]), first["previous"]) == (50, None)
    assert first["next"]
    assert len(api_client.get("/api/v1/stores/", {"page_size": "100"}).json()["results"]) == 100
    # and more than 100 is refused, not cut
    for size in ("101", "0", "-1", "ten", ""):
        response = api_client.get("/api/v1/stores/", {"page_size": size})
        assert response.status_code == 400, size
        assert response.json()["code"] == "invalid"
        assert "page_size" in response.json()["fields"]


def test_near_gives_the_nearest_ten_then_the_farther_ones(api_client):
    # given 13 stores, each a little farther north of the shopper than the one before
    for n in range(13):
        StoreFactory(code=f"N-{n:02d}", latitude=f"{51.5 + n * 0.05:.6f}", longitude="-0.127600")
    near = {"near": f"{LONDON[0]},{LONDON[1]}"}
    # when the app asks for stores near the shopper
    first = api_client.get("/api/v1/stores/", near).json()
    # then it gets the nearest ten, nearest first, each with its distance
    assert [row["code"] for row in first["results"]] == [f"N-{n:02d}" for n in range(10)]
    distances = [row["distance_km"] for row in first["results"]]
    assert distances == sorted(distances) and distances[0] < 1 < distances[1]
    # and `next` goes on to the three farther ones, `previous` back
    second = api_client.get(first["next"]).json()
    assert [row["code"] for row in second["results"]] == ["N-10", "N-11", "N-12"]
    assert second["next"] is None
    assert [row["code"] for row in api_client.get(second["previous"]).json()["results"]] == [
        f"N-{n:02d}" for n in range(10)
    ]
    # and page_size asks for fewer or more (at most 100)
    assert codes(api_client.get("/api/v1/stores/", {**near, "page_size": "3"})) == ["N-00", "N-01", "N-02"]
    assert len(codes(api_client.get("/api/v1/stores/", {**near, "page_size": "100"}))) == 13
    assert api_client.get("/api/v1/stores/", {**near, "page_size": "101"}).status_code == 400


def test_near_pages_neither_skip_nor_repeat_stores_at_the_same_distance(api_client):
    # given seven stores, five of them in one shopping centre (the same coordinates)
    for code in ("C-A", "C-B", "C-C", "C-D", "C-E"):
        StoreFactory(code=code, latitude="51.520000", longitude="-0.100000")
    StoreFactory(code="HERE", latitude="51.507200", longitude="-0.127600")
    StoreFactory(code="FAR", latitude="52.200000", longitude="0.120000")
    # when the app reads them two at a time (forward: going back across equal distances, DRF's cursor may
    # give a shorter page, its documented artefact of a position shared by several rows)
    walked = pages(api_client, {"near": f"{LONDON[0]},{LONDON[1]}", "page_size": "2"}, back=False)
    # then each comes once, nearest first, the centre's stores by code
    assert [code for page in walked for code in page] == ["HERE", "C-A", "C-B", "C-C", "C-D", "C-E", "FAR"]


def cursor(text: str) -> str:
    return b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    ("params", "junk"),
    [
        ({}, "junk"),
        ({}, ""),
        ({}, "!!!!"),
        ({}, "////"),  # base64, but not of text
        ({}, cursor("o=2") + "x"),
        ({}, cursor("x=1")),
        ({}, cursor("o=-1")),
        ({}, cursor("r=2")),
        ({}, cursor("o=1&o=2")),
        ({}, cursor("p=LON%0001")),
        ({"near": "51.5072,-0.1276"}, cursor("p=far")),
        ({"near": "51.5072,-0.1276"}, cursor("p=nan")),
        ({"near": "51.5072,-0.1276"}, cursor("p=inf")),
        ({"near": "51.5072,-0.1276"}, cursor("p=-inf")),
    ],
)
def test_a_cursor_the_api_did_not_hand_out_is_a_400(api_client, chain, params, junk):
    # when a client sends a cursor it made up
    response = api_client.get("/api/v1/stores/", {**params, "cursor": junk})
    # then it is told so (not given the first page, not a 404 or a 500)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid_cursor"
    assert body["fields"]["cursor"]
    assert body["message"]


def test_the_cursors_handed_out_are_taken_for_every_ordering(api_client, chain):
    # a page's position is a code for the list and a distance (a float, written back exactly) with near
    by_code = api_client.get("/api/v1/stores/", {"page_size": "1"}).json()["next"]
    assert codes(api_client.get(by_code)) == ["EDI-01"]
    by_distance = api_client.get("/api/v1/stores/", {"near": "51.5072,-0.1276", "page_size": "1"}).json()["next"]
    assert codes(api_client.get(by_distance)) == ["LON-02"]


@pytest.mark.parametrize("count", [2, 120])
@pytest.mark.parametrize("params", [{}, {"near": "51.5072,-0.1276"}], ids=["list", "near"])
def test_one_query_however_many_stores(api_client, django_assert_num_queries, count, params):
    # given a chain of 2 or 120 locations
    StoreFactory.create_batch(count)
    # when a client reads the first page, then the next
    with django_assert_num_queries(1):
        response = api_client.get("/api/v1/stores/", params)
    # then one statement each, and the page is bounded, not the chain
    expected = min(count, 10 if params else 50)
    assert len(response.json()["results"]) == expected
    if count > expected:
        with django_assert_num_queries(1):
            assert api_client.get(response.json()["next"]).status_code == 200


def test_the_schema_describes_the_pages(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/stores/"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert parameters["page_size"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 100}
    assert "nearest 10" in parameters["page_size"]["description"]
    assert "cursor" in parameters
    page = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert set(schema["components"]["schemas"][page]["properties"]) == {"next", "previous", "results"}
    assert "invalid_cursor" in operation["responses"]["400"]["description"]


def test_store_detail_by_code(api_client, chain):
    response = api_client.get("/api/v1/stores/LON-01/")
    assert response.status_code == 200
    assert response.json()["city"] == "London"
    assert api_client.get("/api/v1/stores/OLD-01/").status_code == 404


@pytest.mark.urls("tests.retail.api_urls")
class TestPosDeviceAuthentication:
    def test_a_device_token_authenticates_the_device(self, api_client, store):
        # given a till issued a token
        device, token = issue_pos_device(store=store, name="Till 1")
        api_client.credentials(HTTP_AUTHORIZATION=f"Device {token}")
        # when it calls the API
        response = api_client.get("/api/v1/whoami/")
        # then it is that device, and we know when it was last seen
        assert response.status_code == 200
        assert response.json() == {"principal": f"device:{device.pk}"}
        device.refresh_from_db()
        assert device.last_seen_at is not None
        assert token not in {device.token_hash, device.token_prefix}

    def test_a_wrong_token_is_refused(self, api_client, store):
        _, token = issue_pos_device(store=store, name="Till 1")
        api_client.credentials(HTTP_AUTHORIZATION=f"Device {token}x")
        response = api_client.get("/api/v1/whoami/")
        assert response.status_code == 401
        assert response.json()["code"] == "authentication_failed"

    def test_an_inactive_device_is_refused(self, api_client, store):
        device, token = issue_pos_device(store=store, name="Till 1")
        PosDevice.objects.filter(pk=device.pk).update(is_active=False)
        api_client.credentials(HTTP_AUTHORIZATION=f"Device {token}")
        response = api_client.get("/api/v1/whoami/")
        assert response.status_code == 401
        assert response.json()["code"] == "authentication_failed"

    def test_a_device_of_a_closed_store_is_refused(self, api_client, store):
        _, token = issue_pos_device(store=store, name="Till 1")
        store.is_active = False
        store.save(update_fields=["is_active"])
        api_client.credentials(HTTP_AUTHORIZATION=f"Device {token}")
        assert api_client.get("/api/v1/whoami/").status_code == 401

    def test_issuing_is_audited_and_names_are_unique_per_store(self, store):
        device, _ = issue_pos_device(store=store, name="Till 1")
        from retail.errors import RetailError
        from retail.models import AuditEvent

        assert AuditEvent.objects.filter(action="pos_device.issued", object_id=str(device.pk), store=store).exists()
        with pytest.raises(RetailError) as error:
            issue_pos_device(store=store, name="Till 1")
        assert error.value.code == "device_exists"


def tiny_rates(**rates):
    return override_settings(
        REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": None, **rates}}
    )


@tiny_rates(anon="2/min")
def test_anonymous_clients_are_throttled_with_a_429(api_client, chain):
    answers = [api_client.get("/api/v1/stores/") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    body = answers[2].json()
    assert body["code"] == "throttled"
    assert "Try again in" in body["message"]
    assert 0 < body["retry_after"] <= 60
    assert int(answers[2]["Retry-After"]) <= 60


@tiny_rates(anon="1/min", device="2/min")
def test_each_device_has_its_own_bucket(api_client, store):
    # given the anonymous bucket is already empty
    assert api_client.get("/api/v1/stores/").status_code == 200
    assert api_client.get("/api/v1/stores/").status_code == 429
    _, first_token = issue_pos_device(store=store, name="Till 1")
    _, second_token = issue_pos_device(store=store, name="Till 2")
    # when two tills call
    api_client.credentials(HTTP_AUTHORIZATION=f"Device {first_token}")
    first = [api_client.get("/api/v1/stores/").status_code for _ in range(3)]
    api_client.credentials(HTTP_AUTHORIZATION=f"Device {second_token}")
    second = api_client.get("/api/v1/stores/").status_code
    # then each has its own allowance
    assert first == [200, 200, 429]
    assert second == 200


def test_last_seen_is_written_at_most_once_a_minute(api_client, store, django_assert_num_queries):
    device, token = issue_pos_device(store=store, name="Till 1")
    PosDevice.objects.filter(pk=device.pk).update(last_seen_at=timezone.now())
    api_client.credentials(HTTP_AUTHORIZATION=f"Device {token}")
    # the device lookup and the list: no write of last_seen_at for a device seen seconds ago
    with django_assert_num_queries(2):
        assert api_client.get("/api/v1/stores/").status_code == 200
