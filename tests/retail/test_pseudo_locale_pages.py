"""No English left on the portal (issue 19.1, done when), page by page with a world of data: a shopper
with history on every channel (orders, pick-ups in every state, returns, a cart, lists, offers,
notes, tasks), rendered in the pseudo-locale of tests/retail/test_pseudo_locale.py, which fails on
any visible word outside ⟦ ⟧ that is not the data of the database."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import Tag
from customers.services import earn_points, issue_store_credit, set_consent, update_customer_profile
from orders.models import Fulfillment, Order
from orders.returns.models import ReturnLine
from tests.customers.conftest import catalog, purchase_history  # noqa: F401 - fixtures
from tests.customers.factories import TierFactory
from tests.customers.test_screen import grow
from tests.retail.test_pseudo_locale import assert_all_translated, database_data, pseudo_locale  # noqa: F401

pytestmark = pytest.mark.django_db
HTMX = {"hx-request": "true"}


@pytest.fixture
def shopper(store, purchase_history, catalog):  # noqa: F811
    TierFactory(code="silver", name="Silver", min_spend=Decimal("0"))
    TierFactory(code="gold", name="Gold", min_spend=Decimal("500"))
    customer = update_customer_profile(
        customer=purchase_history,
        values={"phone": "07700 900123", "preferred_sizes": {"tops": "M"}, "card_number": "4001234"},
    )
    earn_points(customer=customer, points=250, reference="ORD-1")
    issue_store_credit(customer=customer, amount=Decimal("12.50"), reference="RET-1")
    set_consent(customer=customer, channel="email", granted=True, source="app")
    set_consent(customer=customer, channel="sms", granted=False, source="store")
    customer.tags.add(Tag.objects.create(name="vip"))
    grow(customer, store, catalog, 2)
    ReturnLine.objects.filter(reason="too_small").update(reason="wrong_size")  # a reason the desk offers
    # pick-ups in every state, one collected by a proxy, one shopper outside
    now = timezone.now()
    order = Order.objects.filter(customer=customer).first()
    for status in Fulfillment.Status.values:
        Fulfillment.objects.create(
            order=order, kind="curbside", location=store, status=status, hold_until=now + timedelta(days=1),
            created_at=now, arrived_at=now if status == "ready" else None, proxy_name="Ada Lovelace",
        )  # fmt: skip
    return customer


def test_clienteling_screen(associate_client, store, shopper, pseudo_locale):  # noqa: F811
    """The header, every panel inline (?all=1), the panels below the fold (htmx) and each panel's
    own fragment, with data in every panel."""
    from customers.portal.panels import _placed

    data = database_data() | {"tops", "#vip", "Ada Lovelace"}
    shell = reverse("customers_portal:detail", args=[shopper.pk])
    assert_all_translated(associate_client.get(shell), data)
    assert_all_translated(associate_client.get(shell, {"all": "1"}), data)
    below = reverse("customers_portal:below-fold", args=[shopper.pk])
    assert_all_translated(associate_client.get(below, headers=HTMX), data)
    for _panel, url in _placed(shopper.pk):
        assert_all_translated(associate_client.get(url, headers=HTMX), data)
