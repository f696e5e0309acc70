from datetime import date, timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from customers.errors import CustomerError
from customers.models import Task
from customers.services import (
    add_list_item,
    complete_task,
    create_task,
    raise_birthday_tasks,
    raise_task_for_event,
    reassign_client_book,
    set_consent,
)
from inventory.services import receive_stock, record_sale
from retail.messages import say
from retail.models import StoreMembership
from tests.customers.factories import CustomerFactory
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db
TOMORROW = timezone.localdate() + timedelta(days=1)


def test_a_message_needs_consent_on_its_channel(store, associate):
    shopper = CustomerFactory()
    # when there is no SMS consent, the message is refused and nothing is written
    with pytest.raises(CustomerError) as err:
        create_task(
            customer=shopper, store=store, kind="message", channel="sms", title="Hi", due_on=TOMORROW, actor=associate
        )
    assert err.value.code == "no_consent" and not Task.objects.exists()
    # when the shopper agrees, it goes through; when they withdraw, it is refused again
    set_consent(customer=shopper, channel="sms", granted=True, source="store:LON-01")
    create_task(
        customer=shopper, store=store, kind="message", channel="sms", title="Hi", due_on=TOMORROW, actor=associate
    )
    set_consent(customer=shopper, channel="sms", granted=False, source="app")
    with pytest.raises(CustomerError):
        create_task(
            customer=shopper, store=store, kind="message", channel="sms", title="Hi", due_on=TOMORROW, actor=associate
        )


@override_settings(CUSTOMERS_CONTACT_CAP=2, CUSTOMERS_CONTACT_WINDOW_DAYS=7)
def test_outreach_respects_the_contact_frequency_cap(store, associate):
    shopper = CustomerFactory()
    for title in ("Call 1", "Call 2"):
        create_task(customer=shopper, store=store, kind="call", title=title, due_on=TOMORROW, actor=associate)
    # when a third contact is asked for within the week
    with pytest.raises(CustomerError) as err:
        create_task(customer=shopper, store=store, kind="call", title="Call 3", due_on=TOMORROW, actor=associate)
    assert err.value.code == "contact_cap_reached"
    # then an appointment (asked for by the shopper) is still fine, and older contacts roll off
    create_task(customer=shopper, store=store, kind="appointment", title="Fitting", due_on=TOMORROW, actor=associate)
    Task.objects.filter(kind="call").update(created_at=timezone.now() - timedelta(days=8))
    create_task(customer=shopper, store=store, kind="call", title="Call 3", due_on=TOMORROW, actor=associate)
    # and an event-raised task is skipped quietly when capped, never an error
    Task.objects.update(created_at=timezone.now())
    assert (
        raise_task_for_event(
            customer=shopper,
            reason="birthday",
            trigger_key="b:1",
            message=say("customers.birthday_task_unnamed", day="2026-12-11"),
            store=store,
        )
        is None
    )


def test_tasks_are_created_and_closed_only_in_the_associates_store(store, other_store, associate):
    shopper = CustomerFactory()
    with pytest.raises(CustomerError) as err:
        create_task(customer=shopper, store=other_store, kind="call", title="x", due_on=TOMORROW, actor=associate)
    assert err.value.code == "not_store_member"
    colleague = MembershipFactory(store=other_store).user
    task = create_task(customer=shopper, store=other_store, kind="call", title="x", due_on=TOMORROW, actor=colleague)
    with pytest.raises(CustomerError) as err:
        complete_task(task=task, actor=associate, store=other_store)
    assert err.value.code == "not_store_member"
    complete_task(task=task, actor=colleague, store=other_store)
    task.refresh_from_db()
    assert task.status == "done" and task.completed_at is not None


def test_back_in_stock_raises_one_task_for_the_home_store_associate(
    store, associate, catalog, django_capture_on_commit_callbacks, eager_celery
):
    # given a shopper of this store who wish-listed C-L (none in stock here)
    shopper = CustomerFactory(home_store=store, assigned_associate=associate)
    away = CustomerFactory(home_store=None)
    add_list_item(customer=shopper, sku="C-L", channel="app")
    add_list_item(customer=away, sku="C-L", channel="web")
    # when C-L arrives in the store (inventory sends stock_back_in_stock on commit)
    with django_capture_on_commit_callbacks(execute=True):
        receive_stock(location=store, lines=[("C-L", 2)], reference="PO-2")
    # then the shopper's associate has a task, and the shopper without a home store none
    task = Task.objects.get()
    assert (task.customer, task.assignee, task.reason, task.store) == (shopper, associate, "back_in_stock", store)
    # and selling out and restocking the same day does not raise it twice
    with django_capture_on_commit_callbacks(execute=True):
        record_sale(location=store, lines=[("C-L", 2)], reference="S-1")
    with django_capture_on_commit_callbacks(execute=True):
        receive_stock(location=store, lines=[("C-L", 1)], reference="PO-3")
    assert Task.objects.count() == 1


def test_birthday_tasks_a_week_ahead_once_a_year(store):
    today = date(2026, 3, 1)
    shopper = CustomerFactory(home_store=store, birthday=date(1990, 3, 8))
    CustomerFactory(home_store=store, birthday=date(1990, 3, 9))
    assert raise_birthday_tasks(today=today) == 1
    assert raise_birthday_tasks(today=today) == 0
    assert Task.objects.get().customer == shopper


def test_a_client_book_is_handed_to_a_colleague_of_the_same_store(store, other_store, associate):
    colleague = MembershipFactory(store=store, role=StoreMembership.Role.ASSOCIATE).user
    stranger = MembershipFactory(store=other_store).user
    clients = [CustomerFactory(assigned_associate=associate) for _ in range(3)]
    with pytest.raises(CustomerError):
        reassign_client_book(from_associate=associate, to_associate=stranger, store=store)
    assert reassign_client_book(from_associate=associate, to_associate=colleague, store=store) == 3
    assert {c.pk for c in colleague.client_book.all()} == {c.pk for c in clients}


def test_important_dates_raise_a_call_a_week_ahead(store):
    from customers.services import raise_important_date_tasks

    shopper = CustomerFactory(home_store=store, important_dates=[{"label": "Anniversary", "date": "2015-06-14"}])
    CustomerFactory(home_store=store, important_dates=[{"label": "Graduation", "date": "2020-07-01"}])
    assert raise_important_date_tasks(today=date(2026, 6, 7)) == 1
    task = Task.objects.get()
    assert task.customer == shopper and task.reason == "important_date" and "Anniversary" in task.title
    assert raise_important_date_tasks(today=date(2026, 6, 7)) == 0
