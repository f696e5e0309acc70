"""The clienteling screen as a whole (issue 16): two requests, <= 25 statements, whatever the history.

The shell renders the header and the first view (timeline, online cart, notes); the panels below
the fold arrive together in one htmx request. Every panel is given data here, so each of its
reads really runs, and then the history grows ten-fold: the statements stay the same.
"""

import itertools
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from customers.models import Customer, CustomerList, Interaction, ListItem, Note, OfferAssignment, Tag, Task
from customers.services import earn_points, issue_store_credit, set_consent, update_customer_profile
from orders.models import Cart, CartLine, Fulfillment, Order
from orders.returns.models import ReturnLine, ReturnRequest
from retail.models import AuditEvent
from tests.customers.factories import OfferFactory, TierFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
_serial = itertools.count(1)

# Shell: session, user, memberships with stores, the customer with every header fact (one
# statement), the audit row, then the first view: timeline and the products its SKUs name, cart
# (lines, stock online), notes.
SHELL = 9
# Below the fold: session, user, memberships, customer; orders, their fulfilments and the open
# pick-ups; returns with lines; tasks; offers; lists; list items with stock here; recommendations
# (bought, co-bought, picks).
BELOW = 14


@pytest.fixture
def shopper(store, purchase_history, catalog):
    TierFactory(code="silver", name="Silver", min_spend=Decimal("0"))
    TierFactory(code="gold", name="Gold", min_spend=Decimal("500"))
    customer = update_customer_profile(
        customer=purchase_history, values={"phone": "07700 900123", "preferred_sizes": {"tops": "M"}}
    )
    earn_points(customer=customer, points=250, reference="ORD-1")
    issue_store_credit(customer=customer, amount=Decimal("12.50"), reference="RET-1")
    set_consent(customer=customer, channel="email", granted=True, source="app")
    customer.tags.add(Tag.objects.create(name="vip"))
    grow(customer, store, catalog, 1)
    return customer


def grow(customer: Customer, store, catalog, n: int) -> None:
    """`n` more of everything the screen shows: interactions, orders with a pick-up, returns with
    lines, cart lines, list items, notes, tasks and offers."""
    now = timezone.now()
    variants = list(catalog.values())
    batch = next(_serial)
    Interaction.objects.bulk_create(
        Interaction(
            customer=customer,
            channel=("app", "web", "store")[i % 3],
            kind="store_visit",
            store=store,
            occurred_at=now - timedelta(minutes=i),
            source="screen-test",
            external_id=f"{batch}-{i}",
            recorded_at=now,
        )
        for i in range(10 * n)
    )
    cart, _ = Cart.objects.get_or_create(
        customer=customer, status=Cart.Status.OPEN, defaults={"channel": "app", "created_at": now, "updated_at": now}
    )
    wishlist, _ = CustomerList.objects.get_or_create(
        customer=customer, kind="wishlist", defaults={"name": "Wishlist", "created_at": now, "updated_at": now}
    )
    for _ in range(n):
        k = next(_serial)
        variant = variants[k % len(variants)]
        order = Order.objects.create(
            number=f"T-{k:05d}", customer=customer, channel="app", store=store, currency="EUR",
            subtotal=Decimal("40.00"), total=Decimal("40.00"), placed_at=now - timedelta(hours=k), updated_at=now,
        )  # fmt: skip
        Fulfillment.objects.create(
            order=order,
            kind="pickup",
            location=store,
            status="ready",
            hold_until=now + timedelta(days=3),
            created_at=now,
        )
        Fulfillment.objects.create(order=order, kind="ship", location=store, status="shipped", created_at=now)
        rma = ReturnRequest.objects.create(
            rma_number=f"RMA-T{k:05d}", qr_token=f"qr{k}", order=order, currency=order.currency, customer=customer,
            channel="store",
            store=store, status="requested", created_at=now, updated_at=now,
        )  # fmt: skip
        for reason in ("changed_mind", "too_small"):
            ReturnLine.objects.create(request=rma, variant=variant, name=f"Shirt {k}", quantity=1, reason=reason)
        CartLine.objects.get_or_create(
            cart=cart, variant=variant, defaults={"quantity": 1, "price_when_added": variant.price, "added_at": now}
        )
        ListItem.objects.get_or_create(
            customer_list=wishlist, variant=variant, defaults={"channel": "app", "added_at": now}
        )
        Note.objects.create(customer=customer, store=store, body=f"Note {k}", created_at=now)
        Task.objects.create(
            customer=customer, store=store, kind="call", title=f"Call {k}", due_on=now.date(), created_at=now
        )
        OfferAssignment.objects.create(offer=OfferFactory(code=f"T{k}"), customer=customer, assigned_at=now)


def _below_fold_url(html: str) -> str:
    found = set(re.findall(r'hx-get="([^"]*/panels/)"', html))
    assert len(found) == 1, found
    return found.pop()


def test_the_whole_screen_is_two_requests_and_at_most_25_statements_whatever_the_history(
    associate_client, associate, shopper, store, catalog, django_assert_num_queries
):
    from django.core.cache import cache

    shell = reverse("customers_portal:detail", args=[shopper.pk])
    associate_client.get("/portal/")  # the first request of a shift picks the store

    def load_screen() -> tuple[str, str]:
        # counted as an associate's first look at the shopper in 10 minutes: with the audit row
        cache.delete(f"customer-viewed:{associate.pk}:{shopper.pk}")
        with django_assert_num_queries(SHELL):
            first = associate_client.get(shell)
        below = _below_fold_url(first.content.decode())
        with django_assert_num_queries(BELOW):
            rest = associate_client.get(below, **HTMX)
        assert first.status_code == rest.status_code == 200
        return first.content.decode(), rest.content.decode()

    # given a shopper with one of everything, the whole screen is two requests
    small = load_screen()
    assert SHELL + BELOW <= 25
    # when their history grows ten-fold, then neither request reads more
    grow(shopper, store, catalog, 10)
    _, rest = load_screen()
    assert rest.count("Call ") > small[1].count("Call ")  # the bigger history is on the screen


def test_the_first_view_is_in_the_shell_and_the_rest_comes_in_one_request(associate_client, shopper, store):
    html = associate_client.get(reverse("customers_portal:detail", args=[shopper.pk])).content.decode()
    # the header and the first view are in the page itself
    # (the shopper's note and task are numbered by a counter of this process: read, not assumed)
    note, call = Note.objects.get(customer=shopper).body, Task.objects.get(customer=shopper).title
    for text in ["Grace Hopper", "#vip", "EMAIL ✓", "Online cart", note, "Visited a store"]:
        assert text in html, text
    assert "Add note" in html and 'id="panel-timeline"' in html
    # every panel below the fold is a placeholder, loaded by one request on scroll (either column)
    below = _below_fold_url(html)
    for key in ["orders", "pickups", "returns", "recommendations", "tasks", "offers", "lists"]:
        section = re.search(rf'<section[^>]*id="panel-{key}"[^>]*>', html).group(0)
        assert 'aria-busy="true"' in section, key
    triggers = re.findall(r'<section[^>]*hx-get="[^"]*/panels/"[^>]*>', html)
    assert [re.search(r'id="panel-(\w+)"', t).group(1) for t in triggers] == ["orders", "tasks"]
    assert all('hx-trigger="intersect once"' in t and "hx-sync=" in t for t in triggers)
    # which swaps each of them out of band, with its content
    rest = associate_client.get(below, **HTMX).content.decode()
    for key in ["orders", "pickups", "returns", "recommendations", "tasks", "offers", "lists"]:
        assert re.search(rf'<section[^>]*id="panel-{key}"[^>]*hx-swap-oob="true"', rest), key
    for text in ["T-000", "Ready", "RMA-T", "changed their mind", call, "Wishlist", "Recommended here"]:
        assert text in rest, text
    assert "panel-timeline" not in rest and "panel-notes" not in rest


def test_without_javascript_every_panel_is_on_one_page(associate_client, shopper):
    below = reverse("customers_portal:below-fold", args=[shopper.pk])
    # a plain GET of the below-the-fold URL (no htmx) lands on the page with every panel
    response = associate_client.get(below)
    assert response.status_code == 302 and response.url.endswith("?all=1")
    html = associate_client.get(response.url).content.decode()
    assert "/panels/" not in html and 'aria-busy="true"' not in html
    call = Task.objects.get(customer=shopper).title  # numbered by a counter of this process
    for text in ["Online cart", "RMA-T", call, "Wishlist", "Recommended here"]:
        assert text in html
    # and a stranger is sent to sign in (htmx: the whole page moves)
    client = Client()
    assert "/accounts/login/" in client.get(below).url
    assert "/accounts/login/" in client.get(below, **HTMX)["HX-Redirect"]


def test_the_screen_records_one_view_however_many_panels_it_shows(associate_client, associate, shopper, store):
    # when the associate opens the profile (three panels in that request) and scrolls down
    html = associate_client.get(reverse("customers_portal:detail", args=[shopper.pk])).content.decode()
    associate_client.get(_below_fold_url(html), **HTMX)
    # then the trail says once who saw whom, where
    view = AuditEvent.objects.get(action="customer.viewed", object_id=str(shopper.pk))
    assert (view.actor, view.store) == (associate, store)


def test_unknown_shoppers_are_404_on_every_panel_url(associate_client, shopper):
    missing = Customer.objects.order_by("-pk").first().pk + 1000
    for url in [
        reverse("customers_portal:below-fold", args=[missing]),
        reverse("orders_portal:customer-cart", args=[missing]),
        reverse("orders_portal:customer-pickups", args=[missing]),
        reverse("returns_portal:customer-returns", args=[missing]),
    ]:
        assert associate_client.get(url, **HTMX).status_code == 404, url
