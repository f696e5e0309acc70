"""Adding a channel is the kernel plus data (issue 17, done when): a "marketplace" registered in a
fixture is checked out, shown on the shopper's timeline, judged by its own return window and
reported in the channel insights, with no other code knowing its name."""

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import Interaction
from insights import pages
from insights.filters import Period
from orders.returns.models import standard_windows
from orders.returns.services import LineRequest, start_return
from orders.returns.services.policy_admin import save_return_windows
from retail.domain.channel import Channel, TimelineChannel, Traits, register_channel, unregister_channel

pytestmark = pytest.mark.django_db

MARKETPLACE = Traits(
    online=False,
    assisted=False,
    in_store=False,
    own_device=False,
    bought="on a marketplace",
    purchases="Marketplace orders",
)


@pytest.fixture
def marketplace():
    channel = register_channel(value="marketplace", label="Marketplace", traits=MARKETPLACE)
    yield channel
    unregister_channel("marketplace")


def test_a_channel_added_as_data_runs_end_to_end(marketplace, policy, deliver, shirt, shopper, associate, client):
    # given the policy's windows: the standard ones and 14 days for the marketplace (data)
    save_return_windows(policy=policy, windows={**standard_windows(), "marketplace": 14}, actor=None)

    # when a marketplace order is checked out and handed over
    order = deliver([("SHIRT-M", 1)], channel="marketplace")

    # then checkout stored the kernel's channel
    assert order.channel == Channel.MARKETPLACE and order.get_channel_display() == "Marketplace"
    assert Channel.MARKETPLACE in Channel.away_from_the_counter() and "marketplace" in TimelineChannel.values

    # and the purchase is on the shopper's timeline, which the associate can filter on it
    assert Interaction.objects.filter(customer=shopper, channel="marketplace", kind="purchase").exists()
    client.force_login(associate)
    url = reverse("customers_portal:timeline", args=[shopper.pk])
    page = client.get(url, {"channel": "marketplace"})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'href="?channel=marketplace" class="pill active"' in html
    assert '<span class="tl-channel ch-marketplace">Marketplace</span>' in html

    # and a return is judged by the marketplace's own window, in its words
    request = start_return(
        order=order, lines=[LineRequest(line_number=1, quantity=1, reason="wrong_size")], channel="web"
    )
    assert request.lines.get().explanation.startswith(
        "Bought on a marketplace today; marketplace orders can be returned within 14 days."
    )
    assert not request.approval_required

    # and the channel insights report it under its name
    today = timezone.localdate()
    sales = pages.sales(Period(start=today, end=today))
    assert [t["channel"] for t in sales["channel_totals"]] == ["marketplace"]
    assert "Marketplace" in sales["chart_channels"] and "Marketplace" in sales["chart_trend"]


def test_without_a_window_row_the_new_channel_needs_a_manager(marketplace, policy, deliver, shirt):
    # given windows for the built-in channels only: the marketplace has none
    built_in = {channel: days for channel, days in standard_windows().items() if channel != "marketplace"}
    save_return_windows(policy=policy, windows=built_in, actor=None)
    order = deliver([("SHIRT-M", 1)], channel="marketplace")
    # when it comes back
    request = start_return(
        order=order, lines=[LineRequest(line_number=1, quantity=1, reason="wrong_size")], channel="web"
    )
    # then no other channel's window stands in
    assert request.approval_required
    assert "the policy sets no return window for marketplace orders" in request.lines.get().explanation


def test_unregistering_leaves_the_built_in_channels(marketplace):
    assert Channel.values[-1] == "marketplace"
    unregister_channel("marketplace")
    assert Channel.values == ["app", "web", "store", "phone", "kiosk"] and not hasattr(Channel, "MARKETPLACE")
    register_channel(value="marketplace", label="Marketplace", traits=MARKETPLACE)  # the fixture takes it back
    with pytest.raises(ValueError):
        register_channel(value="marketplace", label="Again", traits=MARKETPLACE)
    with pytest.raises(ValueError):
        register_channel(value="email", label="Email", traits=MARKETPLACE)  # a way a message reaches the shopper
    with pytest.raises(ValueError):
        unregister_channel("store")
