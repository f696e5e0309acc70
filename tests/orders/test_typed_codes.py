"""Every order input of the portal reads typed and scanned codes one way (retail.domain.codes):
SKUs in any case, barcodes, order numbers, pick-up codes with spaces, phones without +44."""

import pytest

from orders.services import mark_ready, scan_pick

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(place_pickup, shirt, jeans):
    return place_pickup([("SHIRT-M", 1), ("JEANS-32", 1)])


def test_the_pick_list_takes_a_sku_typed_in_lower_case(associate_client, order):
    # given a pick list with SHIRT-M
    f = order.fulfillments.get()
    # when the associate types it in lower case, with the scanner's line end
    answer = associate_client.post(
        f"/portal/orders/pickups/{f.pk}/scan/", {"code": " shirt-m\r\n"}, HTTP_HX_REQUEST="true"
    )
    # then the unit is picked, not refused as "not on this order"
    assert "SHIRT-M: 1 of 1 picked" in answer.content.decode()
    assert f.lines.get(sku="SHIRT-M").picked_quantity == 1


def test_a_pick_up_code_typed_with_a_space_finds_the_order_at_the_counter(associate_client, order, associate, store):
    f = order.fulfillments.get()
    for sku in ("shirt-m", "5000000000024"):
        scan_pick(fulfillment=f, code=sku, actor=associate, store=store)
    f = mark_ready(fulfillment=f, actor=associate, store=store)
    spaced = f"{f.pickup_code[:3]} {f.pickup_code[3:]}"
    page = associate_client.post("/portal/orders/counter/", {"q": spaced}, HTTP_HX_REQUEST="true").content.decode()
    assert order.number in page and "Pick-up code" in page
    number = associate_client.post(
        "/portal/orders/counter/", {"q": order.number.lower().replace("-", " ")}, HTTP_HX_REQUEST="true"
    )
    assert order.number in number.content.decode()


@pytest.mark.parametrize("typed", ["07700 900123", "07700900123", "+44 7700 900123", "0044 7700 900 123"])
def test_order_search_finds_a_phone_in_any_format(associate_client, place_pickup, shirt, shopper, typed, settings):
    # given an order whose contact phone was stored in E.164
    settings.PHONE_REGION = "GB"
    shopper.phone = "+447700900123"
    shopper.save(update_fields=["phone"])
    order = place_pickup([("SHIRT-M", 1)])
    assert order.phone == "+447700900123"
    # when the associate searches with a national number (no +44)
    page = associate_client.get("/portal/orders/", {"q": typed}).content.decode()
    # then the order is found
    assert order.number in page


def test_order_search_by_number_typed_loosely_and_by_email_in_capitals(associate_client, order):
    assert order.number in associate_client.get("/portal/orders/", {"q": order.number.lower()}).content.decode()
    assert order.number in associate_client.get("/portal/orders/", {"q": "JANE@EXAMPLE.COM"}).content.decode()
    assert "No order matches" in associate_client.get("/portal/orders/", {"q": "07000 000000"}).content.decode()


def test_send_to_cart_takes_a_lower_case_sku_or_a_barcode(associate_client, shopper, shirt, jeans):
    url = f"/portal/orders/customer/{shopper.pk}/cart/"
    sent = associate_client.post(url, {"sku": "shirt-m", "quantity": "1"}, HTTP_HX_REQUEST="true").content.decode()
    assert f"1 x {shirt.product.name} (SHIRT-M) is now in" in sent  # named, not only the SKU (issue 16)
    scanned = associate_client.post(url, {"sku": "5000000000024", "quantity": "2"}, HTTP_HX_REQUEST="true")
    assert f"2 x {jeans.product.name} (JEANS-32) is now in" in scanned.content.decode()
    unknown = associate_client.post(url, {"sku": "nope-1", "quantity": "1"}, HTTP_HX_REQUEST="true")
    assert unknown.status_code == 200 and "NOPE-1" in unknown.content.decode()
