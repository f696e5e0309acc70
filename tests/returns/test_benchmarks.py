"""The returns benchmark scenarios run against real rows and leave nothing behind."""

import pytest

from benchmarks.context import ScenarioContext
from benchmarks.scales import SCALES
from benchmarks.scenarios import returns as scenarios
from orders.models import Order
from orders.returns.models import ReturnRequest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("setup", "status"), [(scenarios.find_and_verdict, 200), (scenarios.complete, 302)])
def test_scenario_calls_answer_and_clean_up(setup, status, store, associate, policy):
    # given the scenario's setup (a shopper with 200 delivered orders at a store)
    context = ScenarioContext(scale=SCALES["tiny"], name=setup.__name__)
    steps = setup(context)
    call = next(steps)
    assert Order.objects.filter(email=scenarios.EMAIL).count() == scenarios.ORDERS
    # when it is called a few times
    answers = [call().status_code for _ in range(3)]
    # then every call succeeds, and the cleanup removes what the setup and the calls made
    assert answers == [status] * 3
    next(steps, None)
    assert not Order.objects.filter(email=scenarios.EMAIL).exists()
    assert not ReturnRequest.objects.exists()
