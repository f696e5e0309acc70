"""The registries later issues plug into, without touching the runner.

Scenarios live in `benchmarks/scenarios/<app>.py`, dataset builders in
`benchmarks/datasets/<app>.py`; both packages are imported by `discover()`.

    @dataset(order=20)
    def build(ctx: DatasetContext) -> None: ...

    @scenario(name="inventory.availability", calls=300, target_p95_ms=40, max_queries=3)
    def availability(ctx: ScenarioContext):
        skus = ...                       # setup: not timed
        def call():                      # timed, once per call
            return ctx.client.get(f"/api/v1/availability/{next(skus)}/")
        return call                      # or `yield call` and clean up after the yield
"""

import importlib
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

FLOOR = "floor"


@dataclass(frozen=True)
class Scenario:
    name: str
    setup: Callable[..., Any]
    calls: int = 200
    warmup: int = 10
    target_p95_ms: float | None = None
    max_queries: int | None = None
    expect_status: frozenset[int] | None = None  # None: any status below 400
    description: str = ""
    items_per_call: int | Callable[[str], int] | None = None  # a batch: items (events, receipts) per call, or f(scale)
    item: str = "items"
    fixed_calls: bool = False  # inputs made in setup for exactly `calls` calls (files to import): --calls leaves it
    compare_with: str | None = None  # another scenario of the run: the table gives p95 / its p95
    max_ratio: float | None = None  # ... and a MISS when that ratio is above this


@dataclass(frozen=True)
class DatasetBuilder:
    name: str
    order: int
    func: Callable[..., None]
    version: int = 1
    description: str = ""


def _first_line(func: Callable) -> str:
    return (func.__doc__ or "").strip().splitlines()[0] if func.__doc__ else ""


@dataclass
class Registry:
    scenarios: dict[str, Scenario] = field(default_factory=dict)
    datasets: dict[str, DatasetBuilder] = field(default_factory=dict)

    def add(self, item: Scenario | DatasetBuilder) -> None:
        table = self.scenarios if isinstance(item, Scenario) else self.datasets
        known = table.get(item.name)
        if known is not None and known != item:
            raise ValueError(f"A benchmark {type(item).__name__.lower()} named {item.name!r} is already registered.")
        table[item.name] = item

    def scenario(
        self,
        *,
        name: str,
        calls: int = 200,
        warmup: int = 10,
        target_p95_ms: float | None = None,
        max_queries: int | None = None,
        expect_status: int | Iterable[int] | None = None,
        items_per_call: int | Callable[[str], int] | None = None,
        item: str = "items",
        fixed_calls: bool = False,
        compare_with: str | None = None,
        max_ratio: float | None = None,
    ):
        """Register `setup(ctx) -> call` (or a generator that yields `call` once, then cleans up).

        `items_per_call` marks a batch scenario (500 events, 50 receipts per call): the report then
        gives its throughput in `item`s per second, single-threaded, at the mean and at the p95
        (a callable gets the scale's name). `fixed_calls`: `--calls` does not override `calls`.
        `compare_with` names the scenario this one is a variant of (the same request without a
        feature): the report divides this p95 by that one's, and `max_ratio` is a target for it.
        """
        if max_ratio is not None and compare_with is None:
            raise ValueError("max_ratio needs compare_with")
        if calls < 1 or warmup < 0:
            raise ValueError("calls must be at least 1 and warmup at least 0")
        if isinstance(items_per_call, int) and items_per_call < 1:
            raise ValueError("items_per_call must be at least 1")
        statuses = None
        if expect_status is not None:
            statuses = frozenset([expect_status] if isinstance(expect_status, int) else expect_status)

        def register(setup):
            self.add(
                Scenario(
                    name=name,
                    setup=setup,
                    calls=calls,
                    warmup=warmup,
                    target_p95_ms=target_p95_ms,
                    max_queries=max_queries,
                    expect_status=statuses,
                    description=_first_line(setup),
                    items_per_call=items_per_call,
                    item=item,
                    fixed_calls=fixed_calls,
                    compare_with=compare_with,
                    max_ratio=max_ratio,
                )
            )
            return setup

        return register

    def dataset(self, *, order: int, name: str | None = None, version: int = 1):
        """Register `build(ctx) -> None`; `name` defaults to the app (the module's name).

        Bump `version` when the builder changes what it makes: the bench database is rebuilt.
        """

        def register(func):
            self.add(
                DatasetBuilder(
                    name=name or func.__module__.rpartition(".")[2],
                    order=order,
                    func=func,
                    version=version,
                    description=_first_line(func),
                )
            )
            return func

        return register

    def ordered_datasets(self) -> list[DatasetBuilder]:
        return sorted(self.datasets.values(), key=lambda b: (b.order, b.name))


default_registry = Registry()
scenario = default_registry.scenario
dataset = default_registry.dataset


def discover() -> Registry:
    """Import every module of benchmarks.datasets and benchmarks.scenarios (they register themselves)."""
    for package_name in ("benchmarks.datasets", "benchmarks.scenarios"):
        package = importlib.import_module(package_name)
        for module in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
            if not module.name.startswith("_"):
                importlib.import_module(f"{package_name}.{module.name}")
    return default_registry
