"""The imports benchmark scenarios import every row of fresh files and leave nothing behind."""

import pytest

from benchmarks.context import ScenarioContext
from benchmarks.scales import SCALES
from benchmarks.scenarios import imports as scenarios
from customers.models import Customer, Interaction, PurchasedItem

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("setup", [scenarios.transactions, scenarios.customers])
def test_scenario_calls_import_and_clean_up(setup, store):
    # given the scenario's setup at the tiny scale (its own shoppers when the database has none)
    logged = []
    steps = setup(ScenarioContext(scale=SCALES["tiny"], name=setup.__name__, log=logged.append))
    call = next(steps)
    # when every call runs (each raises if a row was not imported)
    for _ in range(scenarios.CALLS):
        call()
    # then each reported its rate, and the cleanup leaves the tables as they were
    assert len(logged) == scenarios.CALLS and all("rows/s" in line for line in logged)
    next(steps, None)
    assert not Interaction.objects.exists() and not PurchasedItem.objects.exists()
    assert not Customer.objects.exists()
