"""The customers.screen benchmark makes the requests an associate's browser makes for the
clienteling screen (issue 16): the shell, then what its placeholders fetch when scrolled to."""

import pytest

from benchmarks.build import ensure_dataset
from benchmarks.context import ScenarioContext
from benchmarks.harness import run_benchmark
from benchmarks.registry import discover
from benchmarks.scales import get_scale
from benchmarks.scenarios.customers import follow_ups
from customers.models import Customer
from retail.models import User

TINY = get_scale("tiny")


@pytest.fixture
def registry():
    return discover()


@pytest.fixture
def tiny_dataset(db, registry):
    return ensure_dataset(scale=TINY, registry=registry, log=lambda message: None)


def test_the_screen_scenario_follows_the_shell_to_the_panels_below_the_fold(tiny_dataset):
    # given the shell of a shopper's screen as an associate's browser gets it
    associate = User.objects.filter(email__startswith="bench.associate.").order_by("email").first()
    client = ScenarioContext(scale=TINY, name="test.screen").client_for(associate)
    client.get("/portal/")
    customer = Customer.objects.live().order_by("pk").first()
    html = client.get(f"/portal/customers/{customer.pk}/").content.decode()
    # then the requests the page makes by itself are the one for the panels below the fold
    # (not each panel's own URL, not the timeline's older pages, not the search box)
    assert follow_ups(html) == [f"/portal/customers/{customer.pk}/panels/"]


def test_follow_ups_are_the_lazy_hx_gets_in_page_order_each_once():
    html = """
    <input hx-get="/search/" hx-trigger="input changed delay:200ms, search">
    <section hx-get="/a/" hx-trigger="intersect once"></section>
    <section hx-get="/b/" hx-trigger="load"></section>
    <section hx-get="/a/" hx-trigger="intersect once"></section>
    <li class="tl-more" hx-get="/older/" hx-trigger="revealed"></li>
    <a hx-get="/filter/">App</a>
    """
    assert follow_ups(html) == ["/a/", "/b/"]


def test_the_screen_scenario_counts_both_requests_within_its_statement_budget(tiny_dataset, registry):
    # when the scenario runs a few calls at the tiny scale
    run = run_benchmark(
        scale=TINY, registry=registry, names=["customers.screen"], calls=4, warmup=1, log=lambda message: None
    )
    # then it measured without error, and the statements of both requests together stay within 25
    screen = next(r for r in run.results if r.name == "customers.screen")
    assert screen.error is None, screen.error
    assert len(screen.queries) == 4 and all(15 <= q <= 25 for q in screen.queries), screen.queries
