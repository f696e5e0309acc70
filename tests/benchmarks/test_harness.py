"""The benchmark harness, run in-process at the tiny scale on the test database.

No timing assertions: these check that the harness measures what it says it measures.
"""

import json

import pytest
from django.db import connection

from benchmarks.build import DatasetMismatch, ensure_dataset
from benchmarks.bulk import analyze, copy_rows
from benchmarks.context import ScenarioContext
from benchmarks.harness import percentile, run_benchmark
from benchmarks.registry import FLOOR, Registry, discover
from benchmarks.report import format_table
from benchmarks.run import check_bench_database
from benchmarks.scales import get_scale
from retail.markets import home_market
from retail.models import Store, StoreMembership, User

TINY = get_scale("tiny")


def quiet(message: str) -> None:
    pass


@pytest.fixture
def registry():
    return discover()


@pytest.fixture
def tiny_dataset(db, registry):
    return ensure_dataset(scale=TINY, registry=registry, log=quiet)


def _select_ones(n: int) -> None:
    with connection.cursor() as cursor:
        for _ in range(n):
            cursor.execute("SELECT 1")


def test_registry_discovers_the_foundation_scenarios_and_the_retail_builder(registry):
    # when the scenario and dataset modules are discovered
    # then the foundation's scenarios and builder are registered with their targets
    assert {FLOOR, "stores.list", "stores.near", "readyz"} <= set(registry.scenarios)
    assert registry.ordered_datasets()[0].name == "retail"
    floor = registry.scenarios[FLOOR]
    assert floor.max_queries == 1
    assert floor.expect_status == frozenset({200})
    assert floor.description.startswith("GET /api/v1/stores/<code>/")


def test_registering_another_scenario_under_a_taken_name_is_refused():
    # given a registry with a scenario
    reg = Registry()

    @reg.scenario(name="x.one")
    def first(ctx):
        return lambda: None

    # when another function registers under the same name / then it is refused
    with pytest.raises(ValueError, match="already registered"):

        @reg.scenario(name="x.one")
        def second(ctx):
            return lambda: None


def test_the_dataset_of_a_scale_is_built_once(db, registry):
    # given an empty database
    # when the tiny dataset is ensured twice
    first = ensure_dataset(scale=TINY, registry=registry, log=quiet)
    stores_after_first = Store.objects.count()
    second = ensure_dataset(scale=TINY, registry=registry, log=quiet)

    # then each builder ran once, in order, and left its marker
    builders = [b.name for b in sorted(registry.datasets.values(), key=lambda b: b.order)]
    assert builders[0] == "retail"
    assert [(b.name, b.built_now) for b in first] == [(name, True) for name in builders]
    assert [(b.name, b.built_now, b.scale) for b in second] == [(name, False, "tiny") for name in builders]
    assert stores_after_first == TINY.count("stores") + TINY.count("warehouses")
    assert Store.objects.count() == stores_after_first
    assert StoreMembership.objects.count() == TINY.count("stores")


def test_asking_for_another_scale_than_the_one_built_asks_for_a_rebuild(tiny_dataset, registry):
    # given the tiny dataset / when the small one is asked for / then the runner is told to start over
    with pytest.raises(DatasetMismatch, match="wanted small, found: retail \\(built at tiny v1\\)"):
        ensure_dataset(scale=get_scale("small"), registry=registry, log=quiet)


def test_a_run_measures_the_floor_first_and_reports_ratios_to_it(tiny_dataset, registry):
    # when two foundation scenarios run twice at the tiny scale
    run = run_benchmark(
        scale=TINY, registry=registry, names=["stores.near", "stores.list"], repeat=2, calls=5, warmup=1, log=quiet
    )

    # then the floor comes first, and every scenario is measured, counted and compared to it
    assert [r.name for r in run.results] == [FLOOR, "stores.list", "stores.near"]
    assert not run.failed
    floor_p95 = run.floor.p95_ms
    for result in run.results:
        assert result.error is None
        assert result.calls == 10
        assert len(result.round_p95_ms) == 2
        assert 0 < result.pct(50) <= result.pct(95) <= result.pct(99) <= max(result.durations_ms)
        assert result.ratio == pytest.approx(result.p95_ms / floor_p95)
        assert result.queries == [1] * 10  # one SELECT each: no N+1, no session or user lookups
        assert result.verdict in {"PASS", "MISS"}
    assert run.floor.ratio == pytest.approx(1.0)

    document = json.loads(json.dumps(run.to_dict()))
    assert document["floor"] == FLOOR
    assert document["floor_p95_ms"] == pytest.approx(floor_p95, abs=0.001)
    near = next(s for s in document["scenarios"] if s["name"] == "stores.near")
    assert near["queries_per_call"] == {"min": 1, "max": 1, "mean": 1.0}
    assert near["ratio_p95_to_floor"] == pytest.approx(near["p95_ms"] / floor_p95, rel=0.01)
    assert set(near) >= {"p50_ms", "p95_ms", "p99_ms", "max_ms", "target_p95_ms", "max_queries", "verdict"}

    table = format_table(run)
    assert table.splitlines()[0].split() == [
        "scenario", "calls", "p50", "ms", "p95", "ms", "p99", "ms", "max", "ms",
        "queries", "p95/floor", "target", "verdict",
    ]  # fmt: skip
    assert "1.00x (floor)" in table
    assert "stores.near" in table


def test_queries_are_counted_per_call_and_targets_are_judged(tiny_dataset, registry):
    # given scenarios with known query counts, one with a teardown
    reg = Registry()
    reg.add(registry.scenarios[FLOOR])
    torn_down = []

    @reg.scenario(name="test.three", calls=4, warmup=0, target_p95_ms=1e6, max_queries=3)
    def three(ctx):
        yield lambda: _select_ones(3)
        torn_down.append(ctx.name)

    @reg.scenario(name="test.varies", calls=4, warmup=0, max_queries=1)
    def varies(ctx):
        counts = iter([0, 2, 0, 2])
        return lambda: _select_ones(next(counts))

    # when they run
    run = run_benchmark(scale=TINY, registry=reg, calls=4, warmup=0, log=quiet)

    # then each call's queries are counted, and the verdicts follow the targets
    three_result, varies_result = run.result("test.three"), run.result("test.varies")
    assert three_result.queries == [3, 3, 3, 3]
    assert three_result.verdict == "PASS"
    assert torn_down == ["test.three"]
    assert varies_result.queries == [0, 2, 0, 2]
    assert varies_result.verdict == "MISS"
    assert varies_result.misses == ["2 queries > max 1"]
    assert varies_result.to_dict()["queries_per_call"] == {"min": 0, "max": 2, "mean": 1.0}
    assert run.missed and not run.failed


def test_a_batch_scenario_reports_its_items_per_second(tiny_dataset, registry):
    # given a scenario that carries 50 receipts per call, and one that is not a batch
    reg = Registry()
    reg.add(registry.scenarios[FLOOR])

    @reg.scenario(name="test.batch", calls=5, warmup=0, items_per_call=50, item="receipts")
    def batch(ctx):
        return lambda: _select_ones(1)

    # when they run
    run = run_benchmark(scale=TINY, registry=reg, calls=5, warmup=0, log=quiet)

    # then the batch's throughput is its items over the time of one call, at the mean and the p95
    result = run.result("test.batch")
    mean = sum(result.durations_ms) / len(result.durations_ms)
    throughput = result.to_dict()["throughput"]
    assert throughput["item"] == "receipts" and throughput["per_call"] == 50
    assert throughput["per_s_at_mean"] == pytest.approx(50_000 / mean, rel=1e-3)
    assert throughput["per_s_at_p95"] == pytest.approx(50_000 / result.p95_ms, rel=1e-3)
    assert run.result(FLOOR).to_dict()["throughput"] is None
    assert "RATE  test.batch: 50 receipts per call ->" in format_table(run)


def test_a_scenario_with_fixed_calls_keeps_its_count_and_may_size_its_batch_by_scale(tiny_dataset, registry):
    # given a scenario with inputs for exactly two calls, whose batch size depends on the scale
    reg = Registry()
    reg.add(registry.scenarios[FLOOR])

    @reg.scenario(name="test.files", calls=2, warmup=0, fixed_calls=True, items_per_call=lambda s: len(s) * 10)
    def files(ctx):
        todo = iter(["a.csv", "b.csv"])
        return lambda: next(todo)

    # when the run overrides every scenario's number of calls
    run = run_benchmark(scale=TINY, registry=reg, calls=7, warmup=0, log=quiet)

    # then the fixed scenario made its own two calls (no error from a third), the floor seven
    result = run.result("test.files")
    assert result.error is None and result.calls == 2
    assert run.result(FLOOR).calls == 7
    assert result.to_dict()["throughput"]["per_call"] == 40  # "tiny" -> 4 x 10


def test_a_call_with_an_unexpected_status_is_an_error_not_a_timing(tiny_dataset, registry):
    # given a scenario whose calls answer 404
    reg = Registry()
    reg.add(registry.scenarios[FLOOR])

    @reg.scenario(name="test.missing", calls=3, warmup=0)
    def missing(ctx):
        return lambda: ctx.client.get("/api/v1/stores/NOPE-999/")

    # when it runs
    run = run_benchmark(scale=TINY, registry=reg, calls=3, warmup=0, log=quiet)

    # then it is reported as an error with the answer, and the floor is still measured
    result = run.result("test.missing")
    assert result.verdict == "ERROR"
    assert "HTTP 404" in result.error
    assert result.ratio is None and result.calls == 0
    assert run.failed
    assert run.floor.calls == 3 and run.floor.error is None
    assert "ERROR test.missing: ScenarioFailed: call 0 answered HTTP 404" in format_table(run)


def test_unknown_scenario_names_are_refused(registry):
    # when a run names a scenario nobody registered / then it says which ones exist
    with pytest.raises(ValueError, match=r"Unknown scenario\(s\) stores\.nowhere; known: .*stores\.near"):
        run_benchmark(scale=TINY, registry=registry, names=["stores.nowhere"], log=quiet)


def test_the_runner_only_fills_a_postgresql_database_named_for_benchmarks():
    # then demo, test and non-PostgreSQL databases are refused; a bench database is accepted
    with pytest.raises(SystemExit, match="contains 'bench'"):
        check_bench_database("postgres://root@127.0.0.1:5432/omnistore")
    with pytest.raises(SystemExit, match="must be PostgreSQL"):
        check_bench_database("sqlite:///bench.sqlite3")
    assert check_bench_database("postgres://root@127.0.0.1:5432/omnistore_bench")["NAME"] == "omnistore_bench"


def test_copy_rows_loads_rows_with_json_through_copy(db):
    # given rows as a builder makes them, one with opening hours as a dict
    rows = [
        ("CPY-001", "Copy One", "Leeds", "53.800800", "-1.549100", {"mon": ["09:00", "17:00"]}),
        ("CPY-002", "Copy Two", "York", "53.959900", "-1.087300", {}),
    ]

    # when they are copied in
    fields = [
        *("code", "name", "city", "latitude", "longitude", "opening_hours"),
        # COPY fills no Python-side defaults: every NOT NULL column is given
        *("kind", "country", "time_zone", "pickup_enabled", "accepts_returns", "ships_orders"),
        *("pickup_hold_days", "is_active", "address_line", "postcode", "phone"),
        *("count_approval_units", "count_approval_value", "market"),
    ]
    market = home_market().pk
    written = copy_rows(
        Store,
        fields,
        [
            (*row, "store", "GB", "Europe/London", True, True, False, 7, True, "", "", "", 5, "150.00", market)
            for row in rows
        ],
    )
    analyze(Store)

    # then they are there, with ids from the sequence and the JSON intact
    assert written == 2
    one = Store.objects.get(code="CPY-001")
    assert one.opening_hours == {"mon": ["09:00", "17:00"]}
    assert str(one.latitude) == "53.800800"
    assert Store.objects.create(code="CPY-003", name="After", city="Hull", latitude=1, longitude=1).pk > one.pk


def test_a_scenario_can_sign_a_client_in_as_a_bench_associate(tiny_dataset):
    # given an associate made by the retail builder
    associate = User.objects.filter(email__startswith="bench.associate.").order_by("email").first()

    # when a scenario asks for a client signed in as them
    client = ScenarioContext(scale=TINY, name="test.portal").client_for(associate)

    # then its session belongs to that associate
    assert client.session["_auth_user_id"] == str(associate.pk)


def test_percentiles_interpolate_between_ranks():
    # given ten samples / then p50 lies between the middle two and p100 is the largest
    samples = [float(v) for v in range(10, 0, -1)]
    assert percentile(samples, 50) == pytest.approx(5.5)
    assert percentile(samples, 95) == pytest.approx(9.55)
    assert percentile(samples, 100) == 10.0
    assert percentile([4.0], 99) == 4.0
