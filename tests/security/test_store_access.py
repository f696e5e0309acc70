"""ASVS V4 (access control): an associate of store A cannot see or act on store B's work through the portal.

Every portal URL that takes an object id (orders, inventory and returns portal/urls.py) is called by
an associate of A with an object of B: reads answer 404 with none of B's data, writes answer 404 (or
are refused with a message) and change nothing. The same URLs work for B's own associate, so the
404s are about the store, not a broken link. The returns desk reads any order and RMA in the chain
by design (buy anywhere, return anywhere); acting on a return received at B stays with B.
"""

import pytest
from django.urls import reverse

from inventory.models import StockCount, StockCountLine, StockLevel, Transfer
from orders.models import Fulfillment, Order, Payment
from orders.returns.models import ReturnLine, ReturnRequest

pytestmark = pytest.mark.django_db

SHOPPER = b"Bea"  # store B's shopper; her name must not appear in anything store A is shown


def reads(w):
    return {
        "orders_portal:pick": [w.pickup.pk],
        "orders_portal:detail": [w.order.number],
        "orders_portal:receipt": [w.order.number],
        "inventory_portal:transfer-receive": [w.transfer_in.pk],
        "inventory_portal:count": [w.count.pk],
    }


def writes(w):
    return {
        ("orders_portal:pick-scan", (w.pickup.pk,)): {"code": "SHIRT-M"},
        ("orders_portal:pick-action", (w.pickup.pk, "start")): {},
        ("orders_portal:pick-action", (w.pickup.pk, "ready")): {},
        ("orders_portal:pick-action", (w.pickup.pk, "cancel")): {"reason": "out of stock"},
        ("orders_portal:hand-over", (w.pickup.pk,)): {"verification": "code", "collected_by": "Bea Shopper"},
        ("orders_portal:cancel", (w.order.number,)): {"reason": "asked by phone"},
        ("inventory_portal:transfer-ship", (w.transfer_out.pk,)): {},
        ("inventory_portal:transfer-receive", (w.transfer_in.pk,)): {},
        ("inventory_portal:count-scan", (w.count.pk,)): {"code": "SHIRT-M"},
        ("inventory_portal:count-set", (w.count.pk,)): {"sku": "SHIRT-M", "quantity": "0"},
        ("inventory_portal:count-post", (w.count.pk,)): {},
        ("inventory_portal:count-decide", (w.count.pk,)): {"decision": "approve", "manager_email": "m@example.com"},
        ("inventory_portal:count-cancel", (w.count.pk,)): {},
    }


def snapshot(w) -> dict:
    """Everything store B's work consists of; a refused write leaves all of it as it was."""
    return {
        "pickup": Fulfillment.objects.filter(pk=w.pickup.pk).values("status", "handed_over_by").get(),
        "picked": list(w.pickup.lines.order_by("pk").values_list("picked_quantity", flat=True)),
        "order": Order.objects.filter(pk=w.order.pk).values_list("status", flat=True).get(),
        "payments": list(Payment.objects.order_by("pk").values_list("status", "captured_amount", "refunded_amount")),
        "transfers": dict(Transfer.objects.values_list("pk", "status")),
        "count": StockCount.objects.filter(pk=w.count.pk).values_list("status", flat=True).get(),
        "count_lines": StockCountLine.objects.filter(count=w.count).count(),
        "levels": sorted(StockLevel.objects.values_list("location__code", "on_hand", "reserved")),
        "returns": sorted(ReturnRequest.objects.values_list("rma_number", "status", "store__code")),
        "released": list(ReturnLine.objects.order_by("pk").values_list("inspection_released_at", flat=True)),
    }


def test_store_a_reads_none_of_store_bs_objects(associate_client, store_b_work):
    for name, args in reads(store_b_work).items():
        # when an associate of A opens B's object by its id or number
        response = associate_client.get(reverse(name, args=args))
        # then it is not found, and nothing of B's shopper is shown
        assert response.status_code == 404, name
        assert SHOPPER not in response.content, name


def test_store_b_reads_its_own_objects(client, store_b_work):
    # the control: the same URLs work for B's own associate
    client.force_login(store_b_work.associate)
    for name, args in reads(store_b_work).items():
        assert client.get(reverse(name, args=args)).status_code == 200, name


def test_store_a_cannot_act_on_store_bs_pickups_orders_transfers_or_counts(associate_client, store_b_work):
    before = snapshot(store_b_work)
    for (name, args), data in writes(store_b_work).items():
        # when an associate of A posts an action on B's object
        response = associate_client.post(reverse(name, args=args), data)
        # then it is not found there, and nothing of B changed
        assert response.status_code == 404, name
        assert SHOPPER not in response.content, name
        assert snapshot(store_b_work) == before, name


def test_store_a_cannot_reject_release_or_refund_a_return_received_at_store_b(associate_client, store_b_work):
    w = store_b_work
    before = snapshot(w)
    attempts = [
        (reverse("returns_portal:reject", args=[w.open_rma.rma_number]), {"reason": "not ours"}),
        (
            reverse("returns_portal:release", args=[w.rma.rma_number, w.inspection_line.pk]),
            {"outcome": "restock"},
        ),
        (reverse("returns_portal:detail", args=[w.open_rma.rma_number]), {"refund_method": "original"}),
    ]
    for url, data in attempts:
        # when an associate of A acts on a return that B received
        response = associate_client.post(url, data, follow=True)
        # then it is refused (a message or a 4xx form page), never a 500, and nothing changed
        assert response.status_code in (200, 400, 403, 404), url
        assert snapshot(w) == before, url


def test_store_a_lists_show_nothing_of_store_b(associate_client, store_b_work):
    w = store_b_work
    pages = [
        reverse("portal:dashboard"),
        reverse("orders_portal:pickup-queue"),
        reverse("orders_portal:pickup-queue") + "?tab=ready",
        reverse("inventory_portal:transfers"),
        reverse("inventory_portal:counts"),
        reverse("returns_portal:desk"),
    ]
    for url in pages:
        response = associate_client.get(url)
        assert response.status_code == 200, url
        assert w.order.number.encode() not in response.content, url
        assert w.transfer_in.reference.encode() not in response.content, url
        assert w.open_rma.rma_number.encode() not in response.content, url
    # and searching for B's order by its number finds nothing (the page only repeats the query)
    search = associate_client.get(reverse("orders_portal:search"), {"q": w.order.number})
    assert search.status_code == 200 and SHOPPER not in search.content
    assert reverse("orders_portal:detail", args=[w.order.number]).encode() not in search.content


def test_counter_does_not_find_store_bs_pickup_by_code_qr_or_number(associate_client, store_b_work):
    w = store_b_work
    for query in (w.pickup.pickup_code, f"OMNI-PICKUP:{w.pickup.qr_token}", w.order.number):
        response = associate_client.get(reverse("orders_portal:counter"), {"q": query})
        assert response.status_code == 200
        assert SHOPPER not in response.content, query
        assert reverse("orders_portal:hand-over", args=[w.pickup.pk]).encode() not in response.content
