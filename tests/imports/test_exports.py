"""CSV exports: customers respect consent (marketing) and roles (service), stock and orders, streamed."""

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.management import CommandError, call_command
from django.http import StreamingHttpResponse
from django.utils import timezone

from customers.models import Customer
from customers.services import create_customer, erase_customer, merge_customers, set_consent
from inventory import services as stock
from retail.models import AuditEvent
from tests.admin.conftest import staff_user
from tests.factories import StoreFactory, UserFactory
from tests.insights.conftest import make_order
from tests.inventory.factories import VariantFactory

pytestmark = pytest.mark.django_db


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def streamed(response) -> list[list[str]]:
    assert isinstance(response, StreamingHttpResponse)
    return rows(b"".join(response.streaming_content).decode())


@pytest.fixture
def shoppers(store):
    yes = create_customer(first_name="Yes", email="yes@example.com", phone="07700 900001", home_store=store)
    set_consent(customer=yes, channel="email", granted=True, source="app")
    withdrawn = create_customer(first_name="Withdrawn", email="no@example.com")
    set_consent(customer=withdrawn, channel="email", granted=True, source="app")
    set_consent(customer=withdrawn, channel="email", granted=False, source="web")
    sms_only = create_customer(first_name="Sms", email="sms@example.com")
    set_consent(customer=sms_only, channel="sms", granted=True, source="store:LON-01")
    create_customer(first_name="Silent", email="silent@example.com")  # never asked: no consent
    gone = create_customer(first_name="Gone", email="gone@example.com")
    set_consent(customer=gone, channel="email", granted=True, source="app")
    erase_customer(customer=gone, actor=None, reason="asked")
    twin = create_customer(first_name="Twin", email="twin@example.com")
    set_consent(customer=twin, channel="email", granted=True, source="app")
    merge_customers(source=twin, target=yes, reason="same person")  # merged away: listed once, as its target
    return yes


def test_the_marketing_export_holds_only_customers_who_said_yes_to_email(shoppers, capsys):
    # when
    call_command("export_customers", "--marketing")
    # then only the consenting, live profile is listed
    table = rows(capsys.readouterr().out)
    assert table[0] == ["customer_id", "email", "first_name", "last_name", "home_store", "tier", "email_consent_since"]
    assert [r[1] for r in table[1:]] == ["yes@example.com"]
    assert AuditEvent.objects.filter(action="customers.exported", details__kind="marketing").exists()


def test_the_service_export_needs_a_customer_service_role(shoppers, tmp_path):
    merchandiser = UserFactory(is_staff=True, groups=["merchandiser"])
    agent = UserFactory(is_staff=True, groups=["customer-service"])
    with pytest.raises(CommandError, match=r"needs the customers\.change_customer permission"):
        call_command("export_customers", "--service", "--user", merchandiser.email)
    with pytest.raises(CommandError, match="may not export"):
        call_command("export_customers", "--service")
    # when customer service exports
    out = tmp_path / "all.csv"
    call_command("export_customers", "--service", "--user", agent.email, "-o", str(out))
    # then every live profile is there with its consents; erased and merged-away ones are not
    table = {r[3]: r for r in rows(out.read_text())[1:]}
    assert sorted(table) == ["no@example.com", "silent@example.com", "sms@example.com", "yes@example.com"]
    assert table["yes@example.com"][4] == "+447700900001"
    assert table["no@example.com"][11:14] == ["no", "no", "no"] and table["sms@example.com"][11:14] == [
        "no",
        "yes",
        "no",
    ]
    assert AuditEvent.objects.get(action="customers.exported", details__kind="service").actor == agent


def test_admin_exports_respect_consent_and_role(client, shoppers):
    # given a merchandiser in the customer changelist with every customer selected
    client.force_login(staff_user("merchandiser"))
    every = {"_selected_action": list(Customer.objects.values_list("pk", flat=True))}
    # when they export the marketing list
    marketing = client.post("/admin/customers/customer/", {**every, "action": "export_marketing"})
    # then it streams only the consenting customer
    assert [r[1] for r in streamed(marketing)[1:]] == ["yes@example.com"]
    # and the full export is not offered to them
    refused = client.post("/admin/customers/customer/", {**every, "action": "export_service"})
    assert not isinstance(refused, StreamingHttpResponse)
    assert "export_service" not in client.get("/admin/customers/customer/").content.decode()


def test_stock_exports_from_the_command_and_the_admin(client, capsys):
    # given stock at two locations
    lon, man = StoreFactory(code="LON-01"), StoreFactory(code="MAN-01")
    shirt = VariantFactory(sku="SHIRT-M")
    stock.receive_stock(location=lon, lines=[(shirt, 5)], reference="PO-1")
    stock.receive_stock(location=man, lines=[(shirt, 2)], reference="PO-2")
    stock.reserve_stock(lines=[(shirt, 1)], location=lon, reference="o-1")
    # when
    call_command("export_stock", "--location", "LON-01")
    table = rows(capsys.readouterr().out)
    # then
    assert table[0][:6] == ["sku", "location", "on_hand", "safety_stock", "reserved", "available"]
    assert [r[:6] for r in table[1:]] == [["SHIRT-M", "LON-01", "5", "0", "1", "4"]]
    with pytest.raises(CommandError, match="Unknown location"):
        call_command("export_stock", "--location", "NOPE")
    # and from the admin, as a merchandiser, streamed
    client.force_login(staff_user("merchandiser"))
    levels = list(shirt.stock_levels.values_list("pk", flat=True))
    response = client.post("/admin/inventory/stocklevel/", {ACTION_CHECKBOX_NAME: levels, "action": "export_csv"})
    assert [r[:3] for r in streamed(response)[1:]] == [["SHIRT-M", "LON-01", "5"], ["SHIRT-M", "MAN-01", "2"]]


def test_orders_export_by_date_channel_and_store(capsys):
    lon, man = StoreFactory(code="LON-01"), StoreFactory(code="MAN-01")
    now = timezone.now()
    web = make_order(store=lon, channel="web", placed_at=now, total="25.00")
    make_order(store=man, channel="store", placed_at=now, total="10.00")
    make_order(store=lon, channel="web", placed_at=now - timedelta(days=40), total="5.00")
    since = (timezone.localdate() - timedelta(days=7)).isoformat()
    call_command("export_orders", "--since", since, "--channel", "web")
    table = rows(capsys.readouterr().out)
    assert table[0][:5] == ["number", "placed_at", "channel", "store", "status"]
    assert [(r[0], r[3], r[10]) for r in table[1:]] == [(web.number, "LON-01", "25.00")]
    call_command("export_orders", "--store", "MAN-01")
    assert [r[3] for r in rows(capsys.readouterr().out)[1:]] == ["MAN-01"]
    with pytest.raises(CommandError, match="not a date"):
        call_command("export_orders", "--since", "last week")
