"""StrictSerializer: the fast path for valid input gives what DRF's full path gives, and refuses nothing
the full path takes; wrong types and unknown fields never pass either way."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from customers.api.serializers import EventSerializer, ListItemCreateSerializer
from orders.api.serializers import CartInput, CartLineInput, PaymentInput, PosLineInput, PosSaleInput, PosTenderInput
from retail.api.serializers import _fast_path, _plan
from webhooks.api.serializers import SubscriptionCreateInput, SubscriptionUpdateInput

SERIALIZERS = [
    EventSerializer,
    CartInput,
    CartLineInput,
    PosLineInput,
    PosTenderInput,
    PosSaleInput,
    PaymentInput,
    ListItemCreateSerializer,
    SubscriptionCreateInput,
    SubscriptionUpdateInput,
]
JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 10**6),
    st.floats(allow_nan=False),
    st.text(max_size=50),
    st.sampled_from(["", " ", "TSH-BLU-M", "app", "product_view", "12.50", "2026-05-01T10:15:00Z", "card", "x" * 300]),
    st.dictionaries(st.sampled_from(["app_install", "web_cookie", "zz"]), st.text(max_size=5), max_size=2),
)
ITEMS = st.lists(
    st.fixed_dictionaries({"sku": st.sampled_from(["TSH-BLU-M", "", 5]), "quantity": st.integers(0, 120)}), max_size=3
)


def full_path(serializer, data):
    serializer.__dict__["_fast_plan"] = None  # DRF's own validation, field by field
    try:
        return serializer.run_validation(data)
    except Exception:  # noqa: BLE001 — any refusal
        return None
    finally:
        del serializer.__dict__["_fast_plan"]


@pytest.mark.parametrize("cls", SERIALIZERS)
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_the_fast_path_agrees_with_drf(cls, data):
    serializer = cls()
    fields = list(serializer.fields)
    values = st.one_of(JUNK, ITEMS)
    body = data.draw(st.dictionaries(st.sampled_from([*fields, "zz_unknown"]), values, max_size=len(fields) + 1))
    fast = _fast_path(serializer, body)
    if fast is not None:
        assert "zz_unknown" not in body
        assert fast == dict(full_path(serializer, body))


def test_the_items_of_batches_have_a_fast_plan():
    # an item with no plan takes DRF's full path: ~0.3 ms an event, the whole budget of a 500-event batch
    assert _plan(EventSerializer()) is not None and _plan(PosSaleInput()) is not None


def test_a_valid_receipt_takes_the_fast_path():
    receipt = {
        "receipt_number": "R-1",
        "lines": [{"sku": "TSH-BLU-M", "quantity": 2, "unit_price": "25.00"}],
        "tenders": [{"method": "card", "amount": "50.00", "last4": "4242"}],
    }
    fast = _fast_path(PosSaleInput(), receipt)
    assert fast == dict(full_path(PosSaleInput(), receipt))
    assert fast["lines"][0]["discount"] == Decimal("0.00") and fast["tenders"][0]["amount"] == Decimal("50.00")


def test_valid_event_takes_the_fast_path_with_defaults():
    event = {"id": "e1", "kind": "app_open", "channel": "app", "occurred_at": "2026-05-01T10:15:00+23:59"}
    fast = _fast_path(EventSerializer(), event)
    assert fast["occurred_at"].isoformat() == "2026-04-30T10:16:00+00:00"
    assert (fast["subject"], fast["data"], fast["identities"], fast["store"]) == ("", {}, {}, None)
