"""The returns desk in the portal: find, choose, verdicts, approval, refund, receipt; constant queries."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.models import StoreCreditAccount
from orders.returns.models import ReturnRequest
from orders.returns.numbers import qr_payload
from orders.returns.services import LineRequest, receive_return, start_return
from tests.factories import TEST_PASSWORD
from tests.helpers import MANAGER_PIN

pytestmark = pytest.mark.django_db

DESK = "/portal/returns/"


@pytest.fixture
def desk_client(client, associate):
    client.force_login(associate)
    return client


def form(order, **values):
    line = order.lines.get(line_number=1)
    data = {
        f"qty_{line.pk}": "1",
        f"reason_{line.pk}": "wrong_size",
        f"condition_{line.pk}": "new",
        f"disposition_{line.pk}": "",
        "refund_method": "store_credit",
    }
    data.update(values)
    return data


def test_scanning_a_return_qr_opens_it_and_typing_an_order_opens_its_lines(desk_client, policy, deliver, shirt):
    order = deliver([("SHIRT-M", 1)], channel="web")
    request = start_return(
        order=order, lines=[LineRequest(line_number=1, quantity=1, reason="wrong_size")], channel="app"
    )
    # when the scanner types the QR payload, then an order number in lower case
    by_qr = desk_client.get(DESK, {"q": qr_payload(request.qr_token)})
    by_order = desk_client.get(DESK, {"q": order.number.lower()})
    nothing = desk_client.get(DESK, {"q": "RMA-0000-0000"})
    # then
    assert by_qr.status_code == 302 and by_qr.url == reverse("returns_portal:detail", args=[request.rma_number])
    assert by_order.status_code == 302 and by_order.url == reverse("returns_portal:order", args=[order.number])
    assert "No return, order, receipt or shopper matches" in nothing.content.decode()


def test_the_desk_says_when_more_shoppers_match_than_it_lists(desk_client, store):
    from tests.customers.factories import CustomerFactory

    for i in range(10):
        CustomerFactory(first_name=f"Amir{i}", last_name="Hussain")
    ten = desk_client.get(DESK, {"q": "hussain"}).content.decode()
    assert ten.count("Hussain</a>") == 10 and "More shoppers match" not in ten
    CustomerFactory(first_name="Zara", last_name="Hussain")
    eleven = desk_client.get(DESK, {"q": "hussain"}).content.decode()
    assert eleven.count("Hussain</a>") == 10
    assert "More shoppers match: the 10 closest are listed" in eleven and "/portal/customers/?q=hussain" in eleven


def test_the_desk_counter_flow_refunds_to_store_credit_and_shows_the_receipt(
    desk_client, policy, deliver, shirt, shopper, store
):
    order = deliver([("SHIRT-M", 2)], channel="web", days_ago=5)
    page = desk_client.get(reverse("returns_portal:order", args=[order.number]))
    assert page.status_code == 200 and "Choose what comes back" in page.content.decode()
    # when the associate previews the verdict, then completes
    preview = desk_client.post(
        reverse("returns_portal:order-preview", args=[order.number]), form(order), HTTP_HX_REQUEST="true"
    )
    done = desk_client.post(reverse("returns_portal:order", args=[order.number]), form(order))
    # then
    assert "Bought on the web 5 days ago; web orders can be returned within 30 days." in preview.content.decode()
    request = ReturnRequest.objects.get()
    assert done.status_code == 302 and done.url == reverse("returns_portal:receipt", args=[request.rma_number])
    assert request.status == "refunded" and request.store == store
    assert StoreCreditAccount.objects.get(customer=shopper).balance == Decimal("30.00")
    receipt = desk_client.get(done.url).content.decode()
    assert request.rma_number in receipt and "As store credit" in receipt


def test_the_desk_refuses_without_a_manager_and_keeps_nothing(desk_client, policy, deliver, shirt, associate):
    order = deliver([("SHIRT-M", 1)], channel="web", days_ago=60)
    # when no manager confirms
    page = desk_client.post(reverse("returns_portal:order", args=[order.number]), form(order))
    # when the associate types their own credentials as "manager"
    own = desk_client.post(
        reverse("returns_portal:order", args=[order.number]),
        form(order, manager_email=associate.email, manager_password=TEST_PASSWORD, approval_reason="please"),
    )
    # then both are refused on the page, with nothing written
    assert page.status_code == 400
    assert "A manager of this store must approve this return" in page.content.decode()
    assert "Manager approval" in page.content.decode()
    assert own.status_code == 400 and "Manager approval refused" in own.content.decode()
    assert ReturnRequest.objects.count() == 0


def test_a_manager_approves_on_the_same_screen(desk_client, policy, deliver, shirt, manager):
    order = deliver([("SHIRT-M", 1)], channel="web", days_ago=60)
    done = desk_client.post(
        reverse("returns_portal:order", args=[order.number]),
        form(order, manager_email=manager.email, manager_pin=MANAGER_PIN, approval_reason="Unworn, regular"),
    )
    assert done.status_code == 302
    assert ReturnRequest.objects.get().approved_by == manager


def test_an_online_return_is_inspected_and_refunded_from_its_page(desk_client, policy, deliver, shirt, store):
    order = deliver([("SHIRT-M", 1)], channel="app")
    request = start_return(
        order=order, lines=[LineRequest(line_number=1, quantity=1, reason="defective")], channel="app"
    )
    line = request.lines.get()
    page = desk_client.get(reverse("returns_portal:detail", args=[request.rma_number]))
    assert "Inspect what came back" in page.content.decode()
    done = desk_client.post(
        reverse("returns_portal:detail", args=[request.rma_number]),
        {f"condition_{line.pk}": "damaged", f"disposition_{line.pk}": "damaged", "refund_method": "original"},
    )
    assert done.status_code == 302
    request.refresh_from_db()
    assert request.status == "refunded" and request.lines.get().disposition == "damaged"
    assert order.payments.get().refunded_amount == Decimal("30.00")


def test_a_location_without_returns_desk_says_so(client, policy, outlet, deliver, shirt):
    from retail.models import StoreMembership
    from tests.factories import MembershipFactory

    user = MembershipFactory(store=outlet, role=StoreMembership.Role.ASSOCIATE).user
    client.force_login(user)
    order = deliver([("SHIRT-M", 1)])
    page = client.get(DESK).content.decode()
    refused = client.post(reverse("returns_portal:order", args=[order.number]), form(order))
    assert "does not take returns" in page
    assert refused.status_code == 400 and "does not take returns" in refused.content.decode()
    assert ReturnRequest.objects.count() == 0


def _in_progress(order, count, store, associate):
    for _ in range(count):
        request = start_return(
            order=order, lines=[LineRequest(line_number=1, quantity=1, reason="wrong_size")], channel="web", store=store
        )
        receive_return(return_request=request, store=store, actor=associate, inspect=False)


def test_desk_queries_are_constant_in_the_number_of_returns(
    desk_client, policy, deliver, shirt, store, associate, django_assert_num_queries
):
    order = deliver([("SHIRT-M", 12)])
    _in_progress(order, 1, store, associate)
    desk_client.get(DESK)  # warm: session and store choice
    with CaptureQueriesContext(connection) as one:
        page = desk_client.get(DESK)
    assert page.content.decode().count("/portal/returns/RMA-") == 1
    _in_progress(order, 9, store, associate)
    with django_assert_num_queries(len(one.captured_queries)):
        page = desk_client.get(DESK)
    assert page.content.decode().count("/portal/returns/RMA-") == 10


def test_order_page_queries_are_constant_in_the_number_of_lines(
    desk_client, policy, deliver, shirt, jeans, coat, django_assert_num_queries
):
    small = deliver([("SHIRT-M", 1)])
    large = deliver([("SHIRT-M", 1), ("JEANS-32", 2), ("COAT-M", 1)])
    desk_client.get(DESK)  # warm: session and store choice
    with CaptureQueriesContext(connection) as one:
        desk_client.get(reverse("returns_portal:order", args=[small.number]))
    with django_assert_num_queries(len(one.captured_queries)):
        desk_client.get(reverse("returns_portal:order", args=[large.number]))


def test_clienteling_panel_and_dashboard_tile(desk_client, policy, deliver, shirt, shopper, store, associate):
    order = deliver([("SHIRT-M", 2)])
    _in_progress(order, 1, store, associate)
    panel = desk_client.get(reverse("returns_portal:customer-returns", args=[shopper.pk]), HTTP_HX_REQUEST="true")
    profile = desk_client.get(reverse("customers_portal:detail", args=[shopper.pk])).content.decode()
    below_fold = desk_client.get(reverse("customers_portal:below-fold", args=[shopper.pk]), HTTP_HX_REQUEST="true")
    dashboard = desk_client.get("/portal/").content.decode()
    rma_number = ReturnRequest.objects.get().rma_number
    assert panel.status_code == 200 and rma_number in panel.content.decode()
    # the profile keeps a place for it, filled with the other panels below the fold
    assert 'id="panel-returns"' in profile and rma_number in below_fold.content.decode()
    assert "Returns waiting" in dashboard and "received, to inspect" in dashboard


def test_receiptless_return_from_the_shoppers_profile(desk_client, policy, deliver, shirt, shopper):
    deliver([("SHIRT-M", 1)])
    purchases = desk_client.get(reverse("returns_portal:purchases", args=[shopper.pk])).content.decode()
    assert "Return without a receipt" in purchases
    done = desk_client.post(
        reverse("returns_portal:receiptless", args=[shopper.pk]),
        {
            "sku_0": "SHIRT-M",
            "qty_0": "1",
            "reason_0": "changed_mind",
            "condition_0": "new",
            "refund_method": "store_credit",
        },
    )
    request = ReturnRequest.objects.get()
    assert done.status_code == 302 and request.receiptless and request.status == "refunded"
    assert StoreCreditAccount.objects.get(customer=shopper).balance == Decimal("30.00")


def test_reject_an_online_return_from_its_page(desk_client, policy, deliver, shirt):
    order = deliver([("SHIRT-M", 1)], channel="web")
    request = start_return(order=order, lines=[LineRequest(line_number=1, quantity=1, reason="other")], channel="web")
    without_reason = desk_client.post(reverse("returns_portal:reject", args=[request.rma_number]), {"reason": ""})
    done = desk_client.post(reverse("returns_portal:reject", args=[request.rma_number]), {"reason": "Not ours"})
    request.refresh_from_db()
    assert without_reason.status_code == 302 and done.status_code == 302
    assert request.status == "rejected" and request.note == "Not ours"


def test_a_unit_held_for_inspection_is_released_from_the_receipt(desk_client, policy, deliver, shirt, store):
    from inventory.models import StockLevel

    order = deliver([("SHIRT-M", 1)])
    before = StockLevel.objects.get(variant=shirt, location=store).on_hand
    line = order.lines.get()
    desk_client.post(
        reverse("returns_portal:order", args=[order.number]),
        {f"qty_{line.pk}": "1", f"reason_{line.pk}": "changed_mind", f"condition_{line.pk}": "used",
         "refund_method": "original"},
    )  # fmt: skip
    request = ReturnRequest.objects.get()
    held = request.lines.get()
    assert held.disposition == "inspection" and request.fees_total == Decimal("3.00")
    assert StockLevel.objects.get(variant=shirt, location=store).on_hand == before
    receipt = desk_client.get(reverse("returns_portal:receipt", args=[request.rma_number])).content.decode()
    assert "Back on sale" in receipt
    desk_client.post(reverse("returns_portal:release", args=[request.rma_number, held.pk]), {"outcome": "restock"})
    assert StockLevel.objects.get(variant=shirt, location=store).on_hand == before + 1


def test_a_double_click_on_complete_returns_the_goods_once(desk_client, policy, deliver, shirt):
    # given two shirts bought, and the desk form for the order
    order = deliver([("SHIRT-M", 2)])
    page = desk_client.get(reverse("returns_portal:order", args=[order.number])).content.decode()
    key = page.split('name="submission_key" value="')[1].split('"')[0]
    # when the same form is sent twice
    first = desk_client.post(reverse("returns_portal:order", args=[order.number]), form(order, submission_key=key))
    second = desk_client.post(reverse("returns_portal:order", args=[order.number]), form(order, submission_key=key))
    # then one shirt came back, and the second answer is the same receipt
    assert ReturnRequest.objects.count() == 1
    assert first.status_code == second.status_code == 302 and first.url == second.url


def test_the_reason_is_chosen_by_the_associate_never_by_default(desk_client, policy, deliver, shirt, shopper):
    # given the desk form of an order: no reason is preselected
    order = deliver([("SHIRT-M", 2)])
    url = reverse("returns_portal:order", args=[order.number])
    line = order.lines.get(line_number=1)
    page = desk_client.get(url).content.decode()
    select = page[
        page.index(f'name="reason_{line.pk}"') : page.index("</select>", page.index(f'name="reason_{line.pk}"'))
    ]
    assert '<option value="">Choose…</option>' in select and "selected" not in select
    # when the associate completes it without choosing a reason
    refused = desk_client.post(url, form(order, **{f"reason_{line.pk}": ""}))
    # then it is a form error on that line, the other choices kept, and nothing is returned
    html = refused.content.decode()
    assert refused.status_code == 400 and "Choose why SHIRT-M is coming back (the reason)" in html
    assert 'aria-invalid="true" aria-describedby="reason_' in html and "Choose the reason" in html
    assert re.search(rf'name="qty_{line.pk}">.*<option value="1" selected>', html)
    assert not ReturnRequest.objects.exists()
    # and a receipt-less return too, its SKU kept on the page shown again
    receiptless = reverse("returns_portal:receiptless", args=[shopper.pk])
    data = {"sku_0": "shirt-m", "qty_0": "1", "reason_0": "", "condition_0": "new", "refund_method": "store_credit"}
    again = desk_client.post(receiptless, data)
    assert again.status_code == 400 and "Choose why SHIRT-M is coming back" in again.content.decode()
    assert 'name="sku_0" value="shirt-m"' in again.content.decode()
    assert not ReturnRequest.objects.exists()
    # when the reason is chosen, the return is made with it
    done = desk_client.post(url, form(order, **{f"reason_{line.pk}": "defective"}))
    assert done.status_code == 302 and ReturnRequest.objects.get().lines.get().reason == "defective"


def test_the_verdicts_preview_waits_for_a_reason_without_failing(desk_client, policy, deliver, shirt):
    order = deliver([("SHIRT-M", 1)])
    line = order.lines.get(line_number=1)
    preview = desk_client.post(
        reverse("returns_portal:order-preview", args=[order.number]),
        {f"qty_{line.pk}": "1", f"reason_{line.pk}": "", f"condition_{line.pk}": "new"},
        HTTP_HX_REQUEST="true",
    )
    assert preview.status_code == 200


def test_return_page_and_purchases_queries_are_constant_in_size(
    desk_client, policy, deliver, shirt, jeans, coat, shopper, django_assert_num_queries
):
    small = deliver([("SHIRT-M", 1)], channel="web")
    large = deliver([("SHIRT-M", 1), ("JEANS-32", 2), ("COAT-M", 1)], channel="web")
    one = start_return(order=small, lines=[LineRequest(line_number=1, quantity=1, reason="other")], channel="web")
    three = start_return(
        order=large,
        lines=[LineRequest(line_number=n, quantity=1, reason="other") for n in (1, 2, 3)],
        channel="web",
    )
    desk_client.get(DESK)  # warm: session and store choice
    with CaptureQueriesContext(connection) as first:
        desk_client.get(reverse("returns_portal:detail", args=[one.rma_number]))
    with django_assert_num_queries(len(first.captured_queries)):
        desk_client.get(reverse("returns_portal:detail", args=[three.rma_number]))
    purchases = reverse("returns_portal:purchases", args=[shopper.pk])
    desk_client.get(purchases)  # warm: the first look writes the customer.viewed row (once per 10 minutes)
    with CaptureQueriesContext(connection) as two_orders:
        desk_client.get(purchases)
    for _ in range(3):
        deliver([("SHIRT-M", 1), ("JEANS-32", 1)], channel="app")
    with django_assert_num_queries(len(two_orders.captured_queries)):
        assert desk_client.get(purchases).content.decode().count("Return items") == 5


def test_purchases_page_through_older_orders(desk_client, policy, deliver, shirt, shopper, store):
    from inventory import services as inventory
    from orders.returns.portal.views import PURCHASES_PER_PAGE

    inventory.receive_stock(location=store, lines=[(shirt, 10)], reference="PO-more")

    for _ in range(PURCHASES_PER_PAGE + 1):
        deliver([("SHIRT-M", 1)])
    url = reverse("returns_portal:purchases", args=[shopper.pk])
    first = desk_client.get(url).content.decode()
    second = desk_client.get(url, {"page": "2"}).content.decode()
    assert first.count("Return items") == PURCHASES_PER_PAGE and "Older purchases" in first
    assert second.count("Return items") == 1 and "Newer purchases" in second
    assert desk_client.get(url, {"page": "x"}).status_code == 200
