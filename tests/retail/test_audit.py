"""The audit trail: one service writes it; the admin shows it and lets nobody change it."""

import pytest
from django.contrib.admin.sites import site

from retail.models import AuditEvent
from retail.services import issue_pos_device, record_audit_event
from tests.factories import UserFactory
from tests.helpers import enrol_totp

pytestmark = pytest.mark.django_db


def test_records_actor_object_store_and_details(associate, store):
    # when an associate does something to a store's record
    event = record_audit_event(
        actor=associate, action="store.hours_changed", obj=store, store=store, details={"mon": ["09:00", "18:00"]}
    )
    # then the trail says who, what, on which object, where and when
    event.refresh_from_db()
    assert event.actor == associate
    assert event.actor_label == str(associate)
    assert (event.action, event.object_type, event.object_id) == ("store.hours_changed", "retail.store", str(store.pk))
    assert event.store == store
    assert event.details == {"mon": ["09:00", "18:00"]}
    assert event.occurred_at is not None


def test_the_label_outlives_the_actor(associate, store):
    event = record_audit_event(actor=associate, action="store.viewed", obj=store, store=store)
    label = str(associate)
    associate.delete()
    event.refresh_from_db()
    assert event.actor is None
    assert event.actor_label == label


def test_system_and_device_actors_are_labelled(store):
    device, _ = issue_pos_device(store=store, name="Till 4")
    by_system = record_audit_event(actor=None, action="outbox.sent")
    by_device = record_audit_event(actor=device, action="pos.sale_posted", store=store)
    assert (by_system.actor, by_system.actor_label) == (None, "system")
    assert (by_device.actor, by_device.actor_label) == (None, f"device Till 4 @ {store.code}")


@pytest.fixture
def admin_client(client):
    superuser = UserFactory(is_staff=True, is_superuser=True)
    enrol_totp(superuser)  # admin users must have a second factor
    client.force_login(superuser)
    return client


def test_the_admin_shows_the_trail_but_nobody_can_change_it(admin_client, associate, store):
    event = record_audit_event(actor=associate, action="store.viewed", obj=store, store=store)
    model_admin = site._registry[AuditEvent]
    # the list shows it
    listing = admin_client.get("/admin/retail/auditevent/")
    assert listing.status_code == 200
    assert b"store.viewed" in listing.content
    # even a superuser can neither add, change nor delete
    assert admin_client.get("/admin/retail/auditevent/add/").status_code == 403
    assert admin_client.post(f"/admin/retail/auditevent/{event.pk}/change/", {"action": "edited"}).status_code == 403
    assert admin_client.post(f"/admin/retail/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    request = listing.wsgi_request
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)
    event.refresh_from_db()
    assert event.action == "store.viewed"
