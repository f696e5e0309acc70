"""GET /api/v1/stores/: list, nearest first by real distance, constant queries, devices, throttling."""

import math

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
    return [row["code"] for row in response.json()]


def test_lists_active_locations_by_code(api_client, chain):
    response = api_client.get("/api/v1/stores/")
    assert response.status_code == 200
    assert codes(response) == ["BRS-WH", "EDI-01", "LON-01", "LON-02", "MAN-01"]
    assert all(row["distance_km"] is None for row in response.json())


def test_near_orders_by_real_distance_and_reports_it(api_client, chain):
    # when a shopper in central London asks for the nearest locations
    response = api_client.get("/api/v1/stores/", {"near": f"{LONDON[0]},{LONDON[1]}"})
    # then London comes first, then Bristol, Manchester and Edinburgh, each with its distance in km
    assert response.status_code == 200
    assert codes(response) == ["LON-01", "LON-02", "BRS-WH", "MAN-01", "EDI-01"]
    for row in response.json():
        expected = haversine_km(*LONDON, float(row["latitude"]), float(row["longitude"]))
        assert row["distance_km"] == pytest.approx(expected, abs=0.01)
    assert response.json()[3]["distance_km"] == pytest.approx(263, abs=2)


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


@pytest.mark.parametrize("count", [2, 20])
@pytest.mark.parametrize("params", [{}, {"near": "51.5072,-0.1276"}], ids=["list", "near"])
def test_one_query_however_many_stores(api_client, django_assert_num_queries, count, params):
    StoreFactory.create_batch(count)
    with django_assert_num_queries(1):
        response = api_client.get("/api/v1/stores/", params)
    assert len(response.json()) == count


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
