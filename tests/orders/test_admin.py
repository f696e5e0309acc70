"""Head office's order admin: read-only, filterable, CSV export."""

import pytest

from orders.models import Order
from tests.factories import UserFactory
from tests.helpers import enrol_totp

pytestmark = pytest.mark.django_db


@pytest.fixture
def merchandiser_client(client):
    # A superuser: the role groups only get orders' permissions once the post-migrate sync runs
    # (see the report); the admin's own rules (read-only, export) are what is tested here.
    user = UserFactory(is_staff=True, is_superuser=True)
    enrol_totp(user)  # admin users must have a second factor
    client.force_login(user)
    return client


def test_orders_are_listed_filtered_and_read_only(merchandiser_client, place_pickup, shirt):
    order = place_pickup([("SHIRT-M", 1)])
    listing = merchandiser_client.get("/admin/orders/order/?channel__exact=web&status__exact=open")
    assert listing.status_code == 200 and order.number in listing.content.decode()
    assert order.number not in merchandiser_client.get("/admin/orders/order/?channel__exact=store").content.decode()
    page = merchandiser_client.get(f"/admin/orders/order/{order.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert merchandiser_client.get("/admin/orders/order/add/").status_code == 403


def test_csv_export(merchandiser_client, place_pickup, shirt):
    orders = [place_pickup([("SHIRT-M", 1)]) for _ in range(3)]
    response = merchandiser_client.post(
        "/admin/orders/order/", {"action": "export_csv", "_selected_action": [o.pk for o in orders[:2]]}
    )
    assert response.status_code == 200 and response["Content-Type"] == "text/csv"
    lines = b"".join(response.streaming_content).decode().strip().splitlines()
    assert lines[0].startswith("number,placed_at,channel,store,status")
    assert sorted(line.split(",")[0] for line in lines[1:]) == sorted(o.number for o in orders[:2])
    assert Order.objects.count() == 3
