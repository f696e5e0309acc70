"""A till's receipts: the lean single path (statements pinned) and the offline batch upload.

The batch stores each receipt in its own savepoint: one refused receipt never drops the others,
and a receipt stored before (or by a concurrent upload of the same batch) is answered `replayed`
with its first order, never stored twice.
"""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from customers.models import Interaction, LoyaltyAccount, PointsEntry, PurchasedItem
from customers.services.loyalty import issue_store_credit
from customers.services.profiles import create_customer, update_customer_profile
from inventory import services as inventory
from inventory.models import StockLevel, StockMovement
from inventory.selectors import ledger_drift
from orders.models import Order, OrderLine, Payment
from retail.models import AuditEvent
from retail.services import issue_pos_device
from tests.factories import StoreFactory
from tests.helpers import race
from tests.inventory.factories import VariantFactory

BATCH = "/api/v1/pos/sales/batch/"


@pytest.fixture
def till(store, api_client):
    _, token = issue_pos_device(store=store, name="Till 1")
    api_client.credentials(HTTP_AUTHORIZATION=f"Device {token}")
    return api_client


@pytest.fixture
def member(shopper):
    update_customer_profile(customer=shopper, values={"card_number": "OMNI-000123"})
    return shopper


def receipt(number: str, *, lines=None, customer=None, tenders=None) -> dict:
    lines = lines or [{"sku": "SHIRT-M", "quantity": 1}]
    body = {
        "receipt_number": number,
        "lines": lines,
        "tenders": tenders or [{"method": "card", "amount": "30.00", "brand": "visa", "last4": "4242"}],
    }
    if customer:
        body["customer"] = customer
    return body


# --------------------------------------------------------------------------- the single receipt


@pytest.mark.django_db
@pytest.mark.parametrize("skus", [["SHIRT-M"], ["SHIRT-M", "JEANS-32", "SOCKS-1", "BELT-1", "CAP-1"]])
def test_a_member_receipt_costs_the_same_statements_whatever_its_lines(
    skus, till, member, shirt, store, django_assert_num_queries
):
    for i, sku in enumerate(skus[1:]):
        variant = VariantFactory(sku=sku, barcode=f"977100000{i:04d}", product__base_price="30.00")
        inventory.receive_stock(location=store, lines=[(variant, 5)])
    till.post("/api/v1/pos/sales/", receipt("R-WARM", customer={"card": "OMNI-000123"}), format="json")
    lines = [{"sku": sku, "quantity": 1} for sku in skus]
    amount = f"{30 * len(skus)}.00"
    body = receipt("R-1", lines=lines, customer={"card": "OMNI-000123"}, tenders=[{"method": "cash", "amount": amount}])
    # device, replay check, SKUs, shopper, account lock; order (savepoint, insert, release); fulfilment,
    # lines, payment, status, audit; stock lock, update, movements; interaction key, interaction, items,
    # profile; points, account; webhooks: the order.placed event with its outbox message (one statement),
    # the stock.changed upsert (coalesced into the open event); + the transaction, a savepoint pair;
    # the lines come without their price: the store's market's prices, read once
    with django_assert_num_queries(27):
        response = till.post("/api/v1/pos/sales/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["points_earned"] == 30 * len(skus)
    assert PurchasedItem.objects.filter(interaction__data__receipt="R-1").count() == len(skus)


@pytest.mark.django_db
def test_an_anonymous_receipt_costs_eighteen_statements(till, shirt, django_assert_num_queries):
    till.post("/api/v1/pos/sales/", receipt("R-WARM"), format="json")  # the device's last_seen_at is written
    # no shopper: no identity, account, points nor timeline (14 in production, without the savepoint pair)
    # 16 + the webhook event with its outbox message, the stock upsert, + the market's prices (no unit_price)
    with django_assert_num_queries(19):
        response = till.post("/api/v1/pos/sales/", receipt("R-1"), format="json")
    assert response.status_code == 201


@pytest.mark.django_db
def test_a_purchase_crossing_the_next_tier_threshold_re_ranks_the_member(till, member, shirt):
    from customers.models import LoyaltyTier

    silver = LoyaltyTier.objects.create(code="silver", name="Silver", min_spend=Decimal("50.00"),
                                        points_per_unit=Decimal("2"))  # fmt: skip
    till.post("/api/v1/pos/sales/", receipt("R-1", customer={"card": "OMNI-000123"}), format="json")
    account = LoyaltyAccount.objects.get(customer=member)
    assert (account.tier_id, account.spend_12m, account.balance) == (None, Decimal("30.00"), 30)
    # when the next purchase takes the 12-month spend over Silver's threshold
    till.post("/api/v1/pos/sales/", receipt("R-2", customer={"card": "OMNI-000123"}), format="json")
    account.refresh_from_db()
    # then the member is Silver (earned at the old rate), and the spend is exact
    assert (account.tier_id, account.spend_12m, account.balance) == (silver.pk, Decimal("60.00"), 60)
    assert AuditEvent.objects.filter(action="loyalty.tier_changed").count() == 1


# --------------------------------------------------------------------------- the batch


@pytest.mark.django_db
def test_a_batch_stores_every_receipt_with_stock_points_timeline_and_audit(till, member, shirt, jeans, store):
    batch = {
        "receipts": [
            receipt("R-1", customer={"card": "OMNI-000123"}),
            receipt(
                "R-2",
                lines=[{"barcode": "5000000000024", "quantity": 2}],
                tenders=[{"method": "cash", "amount": "119.98"}],
            ),
            receipt("R-3", customer={"email": "new.shopper@example.com"}),
        ]
    }
    response = till.post(BATCH, batch, format="json")
    assert response.status_code == 200, response.json()
    results = response.json()["results"]
    assert [(r["receipt_number"], r["status"], r["error"]) for r in results] == [
        ("R-1", "created", None),
        ("R-2", "created", None),
        ("R-3", "created", None),
    ]
    orders = {o.receipt_number: o for o in Order.objects.all()}
    assert [r["number"] for r in results] == [orders[n].number for n in ("R-1", "R-2", "R-3")]
    assert [r["order_id"] for r in results] == [orders[n].pk for n in ("R-1", "R-2", "R-3")]
    assert orders["R-1"].customer == member and orders["R-2"].customer is None
    assert orders["R-3"].customer.email == "new.shopper@example.com"
    assert OrderLine.objects.count() == 3 and Payment.objects.count() == 3
    # stock: each receipt its own movements, the ledger adds up
    assert StockLevel.objects.get(variant=shirt, location=store).on_hand == 8
    assert StockLevel.objects.get(variant=jeans, location=store).on_hand == 8
    assert StockMovement.objects.filter(kind="sale", reference__startswith="pos:LON-01:R-").count() == 3
    assert ledger_drift() == []
    # points, timeline and audit for every stored receipt
    assert LoyaltyAccount.objects.get(customer=member).balance == orders["R-1"].points_earned == 30
    assert PointsEntry.objects.filter(kind="earn").count() == 2
    assert Interaction.objects.filter(kind="purchase").count() == 2
    assert AuditEvent.objects.filter(action="pos.sale_recorded").count() == 3


@pytest.mark.django_db
def test_refused_receipts_are_answered_one_by_one_and_never_drop_the_others(till, member, shirt, store):
    issue_store_credit(customer=member, amount=Decimal("5.00"), reference="RMA-1")
    batch = {
        "receipts": [
            receipt("R-1"),
            {"lines": [{"sku": "SHIRT-M", "quantity": 1}], "tenders": []},  # no receipt number
            receipt("R-3", lines=[{"sku": "NOPE-1", "quantity": 1}]),
            # store credit short: refused in its savepoint, after its order row was written
            receipt("R-4", customer={"card": "OMNI-000123"}, tenders=[{"method": "store_credit", "amount": "30.00"}]),
            "not a receipt",
            receipt("R-6", customer={"card": "OMNI-000123"}),
        ]
    }
    response = till.post(BATCH, batch, format="json")
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["created", "rejected", "rejected", "rejected", "rejected", "created"]
    assert results[1]["error"]["code"] == "invalid" and "receipt_number" in results[1]["error"]["fields"]
    assert results[2]["error"]["code"] == "invalid_sale" and "NOPE-1" in results[2]["error"]["fields"]["lines.0"][0]
    assert results[3]["error"]["code"] == "invalid_sale" and "store credit" in results[3]["error"]["message"]
    assert results[4]["error"]["code"] == "invalid" and results[4]["number"] is None
    assert sorted(Order.objects.values_list("receipt_number", flat=True)) == ["R-1", "R-6"]
    assert StockLevel.objects.get(variant=shirt, location=store).on_hand == 8
    assert LoyaltyAccount.objects.get(customer=member).balance == 30


@pytest.mark.django_db
def test_a_replayed_batch_stores_nothing_twice(till, member, shirt, store):
    one = receipt("R-1", customer={"card": "OMNI-000123"})
    batch = {"receipts": [one, receipt("R-2"), one]}
    first = till.post(BATCH, batch, format="json").json()["results"]
    # the same receipt twice in one batch is one sale (sent with another sale, it is refused: below)
    assert [r["status"] for r in first] == ["created", "created", "replayed"]
    assert first[2]["number"] == first[0]["number"]
    # when the till uploads the batch again (it did not hear the answer)
    again = till.post(BATCH, batch, format="json").json()["results"]
    assert [r["status"] for r in again] == ["replayed", "replayed", "replayed"]
    assert [r["number"] for r in again] == [r["number"] for r in first]
    assert Order.objects.count() == 2 and StockMovement.objects.filter(kind="sale").count() == 2
    assert StockLevel.objects.get(variant=shirt, location=store).on_hand == 8
    assert PointsEntry.objects.count() == 1 and Interaction.objects.filter(kind="purchase").count() == 1
    # and a receipt posted alone before is a replay in a batch too
    assert till.post("/api/v1/pos/sales/", receipt("R-2"), format="json").status_code == 200


@pytest.mark.django_db
def test_a_receipt_number_resent_in_a_batch_with_another_sale_is_refused_by_itself(till, member, shirt, store):
    # given R-1 stored from the single path
    first = till.post("/api/v1/pos/sales/", receipt("R-1"), format="json").json()
    two = receipt("R-2", lines=[{"sku": "SHIRT-M", "quantity": 2}], tenders=[{"method": "cash", "amount": "60.00"}])
    # when a batch sends R-1 unchanged, R-1 with two shirts, R-2, and R-2 again with one shirt
    batch = [receipt("R-1"), receipt("R-1", lines=[{"sku": "SHIRT-M", "quantity": 2}], tenders=two["tenders"]), two,
             receipt("R-2", tenders=[{"method": "cash", "amount": "30.00"}])]  # fmt: skip
    results = till.post(BATCH, {"receipts": batch}, format="json").json()["results"]
    # then the unchanged R-1 is a replay, each changed one refused with idempotency_mismatch, R-2 stored once
    assert [r["status"] for r in results] == ["replayed", "rejected", "created", "rejected"]
    assert results[0]["number"] == first["number"]
    assert [r["error"]["code"] for r in results if r["error"]] == ["idempotency_mismatch"] * 2
    assert Order.objects.count() == 2 and StockLevel.objects.get(variant=shirt, location=store).on_hand == 7


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"receipts": []}, "invalid"),
        ({"receipts": {"receipt_number": "R-1"}}, "invalid"),
        ([{"receipt_number": "R-1"}], "invalid"),
        ({"receipt": [{"receipt_number": "R-1"}]}, "unknown_field"),
        ({"receipts": [receipt(f"R-{i}") for i in range(101)]}, "batch_too_large"),
    ],
)
def test_a_malformed_batch_is_a_400_with_a_code(body, code, till, shirt):
    response = till.post(BATCH, body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == code and response.json()["fields"]
    assert not Order.objects.exists()


@pytest.mark.django_db
def test_a_hundred_receipts_are_one_batch_and_only_a_device_may_send_it(till, shirt, store, api_client, shopper_user):
    inventory.receive_stock(location=store, lines=[(shirt, 100)])
    response = till.post(BATCH, {"receipts": [receipt(f"R-{i}") for i in range(100)]}, format="json")
    assert response.status_code == 200 and Order.objects.count() == 100
    other = APIClient()
    assert other.post(BATCH, {"receipts": [receipt("R-X")]}, format="json").status_code in (401, 403)
    other.force_authenticate(shopper_user)
    assert other.post(BATCH, {"receipts": [receipt("R-X")]}, format="json").status_code == 403


@pytest.mark.django_db
def test_a_batch_costs_the_statements_of_one_receipt(till, member, shirt, jeans, django_assert_num_queries):
    till.post("/api/v1/pos/sales/", receipt("R-WARM", customer={"card": "OMNI-000123"}), format="json")
    receipts = [
        receipt(f"R-{i}", customer={"card": "OMNI-000123"} if i % 2 else None,
                lines=[{"sku": "SHIRT-M", "quantity": 1}, {"barcode": "5000000000024", "quantity": 1}],
                tenders=[{"method": "card", "amount": "89.99"}])
        for i in range(10)
    ]  # fmt: skip
    # a single receipt's 27, whatever the number of receipts (not 10 x 27): one insert per table
    with django_assert_num_queries(27):
        response = till.post(BATCH, {"receipts": receipts}, format="json")
    assert [r["status"] for r in response.json()["results"]] == ["created"] * 10


@pytest.mark.django_db(transaction=True)
def test_the_same_batch_uploaded_on_two_connections_at_once_is_stored_once():
    store = StoreFactory(code="LON-01")
    shirt = VariantFactory(sku="SHIRT-M", product__base_price="30.00")
    inventory.receive_stock(location=store, lines=[(shirt, 20)], reference="PO-1")
    shopper = create_customer(first_name="Jane", last_name="Shopper", email="jane@example.com")
    update_customer_profile(customer=shopper, values={"card_number": "OMNI-000777"})
    _, token = issue_pos_device(store=store, name="Till 1")
    batch = {
        "receipts": [
            receipt(f"R-{i}", customer={"card": "OMNI-000777"} if i % 2 else {"email": f"new{i}@example.com"})
            for i in range(6)
        ]
    }

    def upload(_):
        till = APIClient()
        till.credentials(HTTP_AUTHORIZATION=f"Device {token}")
        response = till.post(BATCH, batch, format="json")
        return response.status_code, response.json()["results"]

    # when the till's retry races its first upload
    results, errors = race(upload, 2, expected=LookupError)
    assert errors == [] and [code for code, _ in results] == [200, 200], results
    # then every receipt was created by exactly one upload and replayed by the other, same order
    for i in range(6):
        statuses = sorted(body[i]["status"] for _, body in results)
        assert statuses == ["created", "replayed"], results
        assert len({body[i]["number"] for _, body in results}) == 1
    assert Order.objects.count() == 6 and Payment.objects.count() == 6
    assert StockLevel.objects.get(variant=shirt, location=store).on_hand == 14
    assert StockMovement.objects.filter(kind="sale").count() == 6
    assert LoyaltyAccount.objects.get(customer=shopper).balance == 90
    assert PointsEntry.objects.filter(kind="earn").count() == 6
    assert Interaction.objects.filter(kind="purchase").count() == 6
    assert ledger_drift() == []
