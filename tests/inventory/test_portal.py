import pytest
from django.urls import reverse

from inventory import services
from inventory.models import StockCount, StockLevel, Transfer
from tests.factories import StoreFactory, UserFactory
from tests.inventory.factories import VariantFactory

pytestmark = pytest.mark.django_db
LOOKUP = reverse("inventory_portal:lookup")


def test_lookup_needs_a_signed_in_store_member(client):
    # anonymous: sent to sign in
    response = client.get(LOOKUP)
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]
    # signed in but in no store: refused
    client.force_login(UserFactory())
    assert client.get(LOOKUP).status_code == 403


def test_lookup_by_scan_shows_this_store_then_nearby(associate_client, store, stocked, make_store):
    nearby = make_store("NBY", "51.520000", "-0.100000")
    services.receive_stock(location=nearby, lines=[(stocked, 4)], reference="PO")
    response = associate_client.get(LOOKUP, {"q": stocked.barcode})
    assert response.status_code == 200
    html = response.content.decode()
    assert stocked.sku in html and "scanned" in html
    assert "NBY" in html and "km" in html and "<strong>4</strong> available" in html
    assert "<html" in html  # a full page without JavaScript


def test_lookup_answers_htmx_with_the_results_partial(associate_client, store, stocked):
    response = associate_client.get(LOOKUP, {"q": "linen"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html
    assert stocked.sku in html


def test_lookup_says_when_nothing_matches(associate_client, store):
    html = associate_client.get(LOOKUP, {"q": "zebra"}).content.decode()
    assert "Nothing matches" in html


def test_lookup_query_count_is_constant_in_stores_and_skus(associate_client, store, django_assert_num_queries):
    # given one SKU in one store
    product_variants = [VariantFactory(product__name="Denim jacket")]
    services.receive_stock(location=store, lines=[(product_variants[0], 2)], reference="PO")

    def look():
        response = associate_client.get(LOOKUP, {"q": "denim"}, HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        return response.content.decode()

    look()  # session warm-up
    with django_assert_num_queries(7) as first:  # 9 before the portal read the memberships once
        look()
    # when 15 stores stock 12 variants of the style
    product = product_variants[0].product
    product_variants += [VariantFactory(product=product) for _ in range(11)]
    for n in range(15):
        other = StoreFactory(code=f"N-{n:02d}", latitude=f"51.{n + 10}", longitude="-0.12")
        services.receive_stock(location=other, lines=[(v, 1) for v in product_variants], reference="PO")
    # then the same number of queries
    with django_assert_num_queries(len(first.captured_queries)):
        html = look()
    assert html.count("<li>N-14 ·") == 12  # the nearest other store, listed for every variant


def test_cycle_count_with_a_scanner(associate_client, associate, store, stocked):
    # given
    response = associate_client.post(reverse("inventory_portal:count-start"), {"note": "shirts wall"})
    count = StockCount.objects.get(location=store)
    assert response["Location"] == reverse("inventory_portal:count", args=[count.pk])
    scan = reverse("inventory_portal:count-scan", args=[count.pk])
    # when 12 scans of the barcode (htmx), one mistaken scan, and a correction to 11
    for _ in range(12):
        html = associate_client.post(scan, {"code": stocked.barcode}, HTTP_HX_REQUEST="true").content.decode()
    assert 'id="count-sheet"' in html and ">12<" in html
    bad = associate_client.post(scan, {"code": "999"}, HTTP_HX_REQUEST="true").content.decode()
    assert "No SKU or barcode" in bad and "check the label" in bad
    associate_client.post(
        reverse("inventory_portal:count-set", args=[count.pk]), {"sku": stocked.sku, "quantity": "11"}
    )
    review = associate_client.get(reverse("inventory_portal:count-review", args=[count.pk])).content.decode()
    reviewed = review.split('name="reviewed" value="')[1].split('"')[0]
    response = associate_client.post(reverse("inventory_portal:count-post", args=[count.pk]), {"reviewed": reviewed})
    # then 11 on hand, one count movement of +1
    assert response.status_code == 302
    level = StockLevel.objects.get(variant=stocked, location=store)
    assert level.on_hand == 11 and level.last_counted_at is not None
    count.refresh_from_db()
    assert count.status == "posted" and count.posted_by == associate


def test_a_count_of_another_store_is_not_found(associate_client, other_store):
    count = services.start_stock_count(location=other_store)
    assert associate_client.get(reverse("inventory_portal:count", args=[count.pk])).status_code == 404
    response = associate_client.post(reverse("inventory_portal:count-scan", args=[count.pk]), {"code": "x"})
    assert response.status_code == 404


def test_receive_a_transfer_with_a_missing_unit(associate_client, store, other_store, variant):
    # given 3 units shipped from MAN-01
    services.receive_stock(location=other_store, lines=[(variant, 5)], reference="PO")
    transfer = services.request_transfer(from_location=other_store, to_location=store, lines=[(variant, 3)])
    services.ship_transfer(transfer=transfer)
    url = reverse("inventory_portal:transfer-receive", args=[transfer.pk])
    line = transfer.lines.get()
    assert transfer.reference in associate_client.get(reverse("inventory_portal:transfers")).content.decode()
    # when a bad figure is typed, nothing is written
    response = associate_client.post(url, {f"line-{line.pk}": "-1"})
    assert response.status_code == 200 and "0 or more" in response.content.decode()
    assert not StockLevel.objects.filter(location=store).exists()
    # when 2 arrived
    response = associate_client.post(url, {f"line-{line.pk}": "2"})
    # then
    assert response.status_code == 302
    assert StockLevel.objects.get(location=store, variant=variant).on_hand == 2
    line.refresh_from_db()
    assert line.discrepancy == -1


def test_cannot_receive_a_transfer_to_another_store(associate_client, store, other_store, variant):
    third = StoreFactory(code="THIRD")
    services.receive_stock(location=other_store, lines=[(variant, 5)], reference="PO")
    transfer = services.request_transfer(from_location=other_store, to_location=third, lines=[(variant, 1)])
    services.ship_transfer(transfer=transfer)
    assert associate_client.get(reverse("inventory_portal:transfer-receive", args=[transfer.pk])).status_code == 404


def test_request_a_unit_from_a_nearby_store_then_it_ships(associate_client, store, other_store, variant):
    services.receive_stock(location=other_store, lines=[(variant, 2)], reference="PO")
    response = associate_client.post(
        reverse("inventory_portal:transfer-request"), {"sku": variant.sku, "from": other_store.code, "quantity": "1"}
    )
    assert response.status_code == 302
    transfer = Transfer.objects.get()
    assert (transfer.from_location, transfer.to_location, transfer.status) == (other_store, store, "requested")
    # a store can only ship what was asked of it
    assert associate_client.post(reverse("inventory_portal:transfer-ship", args=[transfer.pk])).status_code == 404


def test_dashboard_shows_low_stock(associate_client, store):
    low = VariantFactory(product__name="Cable cardigan")
    services.receive_stock(location=store, lines=[(low, 1)], reference="PO")
    html = associate_client.get(reverse("portal:dashboard")).content.decode()
    assert "Low stock" in html and "Cable cardigan" in html and "1 left" in html
