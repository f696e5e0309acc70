"""Orders' and returns' shopper messages became one Notification model (orders 0009, returns 0010):
the rows of both move in, and back out when the migrations are reversed."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from orders.models import Notification
from tests.factories import StoreFactory
from tests.insights.conftest import make_order, make_return

BEFORE = [("orders", "0008_orderline_tax"), ("returns", "0009_channels_from_the_kernel")]


def _migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets or executor.loader.graph.leaf_nodes())
    return executor


@pytest.mark.django_db(transaction=True)
def test_the_messages_of_orders_and_returns_move_into_one_model_and_back():
    # given the two models of before, one message in each (the orders' and returns' tables are unchanged)
    old = _migrate(BEFORE).loader.project_state(BEFORE).apps
    store = StoreFactory()
    order = make_order(store=store, channel="app", placed_at=timezone.now(), total="20.00")
    request = make_return(store=store, received_at=timezone.now(), lines=[("changed_mind", 1, "20.00")], order=order,
                          refund_method="original", refund_total="20.00")  # fmt: skip
    now = timezone.now()
    old.get_model("orders", "Notification").objects.create(
        order_id=order.pk, kind="ready", channel="email", recipient="a@example.com", status="sent",
        message_key="outbox:1", created_at=now,
    )  # fmt: skip
    old.get_model("returns", "ReturnNotification").objects.create(
        request_id=request.pk, kind="refunded", channel="sms", recipient="", status="no_contact",
        message_key="outbox:2", created_at=now,
    )  # fmt: skip

    # when
    _migrate(None)

    # then both are rows of the one model, about what they were about
    rows = {(n.subject, n.reference, n.kind, n.channel, n.status, n.message_key) for n in Notification.objects.all()}
    assert rows == {
        (order, order.number, "ready", "email", "sent", "outbox:1"),
        (request, request.rma_number, "refunded", "sms", "no_contact", "outbox:2"),
    }
    assert [n.kind for n in order.notifications.all()] == ["ready"]
    assert [n.kind for n in request.notifications.all()] == ["refunded"]

    # and reversed, each goes back to its own model
    try:
        old = _migrate(BEFORE).loader.project_state(BEFORE).apps
        orders_rows = old.get_model("orders", "Notification").objects.values_list("order_id", "kind", "message_key")
        returns_rows = old.get_model("returns", "ReturnNotification").objects.values_list(
            "request_id", "kind", "status", "message_key"
        )
        assert list(orders_rows) == [(order.pk, "ready", "outbox:1")]
        assert list(returns_rows) == [(request.pk, "refunded", "no_contact", "outbox:2")]
    finally:
        _migrate(None)
