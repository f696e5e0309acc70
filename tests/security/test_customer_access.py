"""ASVS V4/V8 on the clienteling screen: the profile is shared by the chain, a store's own work is not.

Any associate may open any shopper (single customer view; every look is audited), but notes are
pinned and tasks closed only by the store that wrote them, notes and tasks are reached only through
their own shopper, and the full data export is for managers, audited.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import Note, Task
from customers.services.clienteling import add_note, create_task
from customers.services.profiles import create_customer
from retail.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def b_work(store_b_work):
    shopper = store_b_work.order.customer
    note = add_note(customer=shopper, author=store_b_work.associate, store=store_b_work.store, body="Prefers calls")
    task = create_task(
        customer=shopper,
        store=store_b_work.store,
        kind="call",
        title="Call about the blouse",
        due_on=timezone.localdate() + timedelta(days=1),
        actor=store_b_work.associate,
        assignee=store_b_work.associate,
    )
    return shopper, note, task


def test_any_store_may_look_at_a_shopper_and_every_look_is_audited(associate_client, associate, store, b_work):
    shopper, _, _ = b_work
    response = associate_client.get(reverse("customers_portal:detail", args=[shopper.pk]))
    assert response.status_code == 200
    seen = AuditEvent.objects.filter(action="customer.viewed", object_id=str(shopper.pk))
    assert list(seen.values_list("actor", "store")) == [(associate.pk, store.pk)]


def test_store_a_cannot_pin_store_bs_note_or_close_its_task(associate_client, b_work):
    shopper, note, task = b_work
    # when an associate of A pins B's note and closes B's task
    associate_client.post(reverse("customers_portal:pin-note", args=[shopper.pk, note.pk]), {"pinned": "1"})
    associate_client.post(reverse("customers_portal:close-task", args=[shopper.pk, task.pk]), {"status": "done"})
    # then both are refused and unchanged
    assert Note.objects.get(pk=note.pk).pinned is False
    assert Task.objects.get(pk=task.pk).status == Task.Status.OPEN


def test_a_note_or_task_is_only_reached_through_its_own_shopper(client, store_b_work, b_work):
    _, note, task = b_work
    other = create_customer(first_name="Other", last_name="Shopper", email="other@example.com")
    client.force_login(store_b_work.associate)
    # when B's own associate addresses them under another shopper's id
    pin = client.post(reverse("customers_portal:pin-note", args=[other.pk, note.pk]), {"pinned": "1"})
    close = client.post(reverse("customers_portal:close-task", args=[other.pk, task.pk]), {"status": "done"})
    # then they are not found there
    assert (pin.status_code, close.status_code) == (404, 404)
    assert Note.objects.get(pk=note.pk).pinned is False
    assert Task.objects.get(pk=task.pk).status == Task.Status.OPEN


def test_the_data_export_is_for_managers_only(associate_client, b_work):
    shopper, _, _ = b_work
    response = associate_client.get(reverse("customers_portal:export", args=[shopper.pk]))
    assert response.status_code == 302  # back to the dashboard with a message
    assert "application/json" not in response.get("Content-Type", "")
    assert not AuditEvent.objects.filter(action="customer.exported").exists()
