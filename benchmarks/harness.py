"""Measure scenarios in-process: time per call, queries per call, p95 as a ratio to the floor."""

import gc
import inspect
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection
from django.test.utils import CaptureQueriesContext

from benchmarks.context import ScenarioContext
from benchmarks.registry import FLOOR, Registry, Scenario
from benchmarks.scales import Scale


class ScenarioFailed(Exception):
    """A call raised or answered with an unexpected status: its timings mean nothing."""


def percentile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    k = (len(ordered) - 1) * q / 100
    lower = math.floor(k)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (k - lower)


@dataclass
class ScenarioResult:
    name: str
    description: str = ""
    durations_ms: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    round_p95_ms: list[float] = field(default_factory=list)
    target_p95_ms: float | None = None
    max_queries: int | None = None
    floor_p95_ms: float | None = None
    error: str | None = None
    items_per_call: int | None = None
    item: str = "items"
    compare_with: str | None = None
    max_ratio: float | None = None
    compared_p95_ms: float | None = None  # the p95 of `compare_with` in the same run
    notes: list[dict] = field(default_factory=list)  # what the scenario measured besides calls, per round

    @property
    def calls(self) -> int:
        return len(self.durations_ms)

    def pct(self, q: float) -> float:
        return percentile(self.durations_ms, q)

    @property
    def p95_ms(self) -> float:
        return self.pct(95)

    @property
    def ratio(self) -> float | None:
        """This scenario's p95 divided by the floor's p95 in the same run."""
        if self.error or not self.durations_ms or not self.floor_p95_ms:
            return None
        return self.p95_ms / self.floor_p95_ms

    @property
    def compared_ratio(self) -> float | None:
        """This scenario's p95 divided by the p95 of the scenario it is compared with (same run)."""
        if self.error or not self.durations_ms or not self.compared_p95_ms:
            return None
        return self.p95_ms / self.compared_p95_ms

    def items_per_s(self, at_ms: float) -> float | None:
        """Throughput of a batch scenario, single-threaded, if every call took `at_ms`."""
        if not self.items_per_call or not self.durations_ms or at_ms <= 0:
            return None
        return self.items_per_call * 1000 / at_ms

    @property
    def misses(self) -> list[str]:
        found = []
        if self.target_p95_ms is not None and self.durations_ms and self.p95_ms > self.target_p95_ms:
            found.append(f"p95 {self.p95_ms:.1f} ms > target {self.target_p95_ms:g} ms")
        if self.max_queries is not None and self.queries and max(self.queries) > self.max_queries:
            found.append(f"{max(self.queries)} queries > max {self.max_queries}")
        if self.max_ratio is not None and self.compared_ratio is not None and self.compared_ratio > self.max_ratio:
            found.append(f"p95 {self.compared_ratio:.3f}x {self.compare_with}'s > max {self.max_ratio:g}x")
        return found

    @property
    def verdict(self) -> str:
        if self.error:
            return "ERROR"
        if self.target_p95_ms is None and self.max_queries is None and self.max_ratio is None:
            return "-"
        return "MISS" if self.misses else "PASS"

    def to_dict(self) -> dict:
        measured = bool(self.durations_ms)

        def ms(value: float) -> float | None:
            return round(value, 3) if measured else None

        return {
            "name": self.name,
            "description": self.description,
            "calls": self.calls,
            "p50_ms": ms(self.pct(50)),
            "p95_ms": ms(self.pct(95)),
            "p99_ms": ms(self.pct(99)),
            "max_ms": ms(max(self.durations_ms, default=0.0)),
            "mean_ms": ms(sum(self.durations_ms) / len(self.durations_ms) if measured else 0.0),
            "round_p95_ms": [round(v, 3) for v in self.round_p95_ms],
            "queries_per_call": {
                "min": min(self.queries, default=None),
                "max": max(self.queries, default=None),
                "mean": round(sum(self.queries) / len(self.queries), 3) if self.queries else None,
            },
            "ratio_p95_to_floor": round(self.ratio, 3) if self.ratio is not None else None,
            "throughput": (
                {
                    "item": self.item,
                    "per_call": self.items_per_call,
                    "per_s_at_mean": round(self.items_per_s(sum(self.durations_ms) / len(self.durations_ms)), 1),
                    "per_s_at_p95": round(self.items_per_s(self.p95_ms), 1),
                }
                if self.items_per_call and measured
                else None
            ),
            "target_p95_ms": self.target_p95_ms,
            "max_queries": self.max_queries,
            "compare_with": self.compare_with,
            "ratio_p95_to_compared": round(self.compared_ratio, 3) if self.compared_ratio is not None else None,
            "max_ratio": self.max_ratio,
            "notes": self.notes,
            "verdict": self.verdict,
            "misses": self.misses,
            "error": self.error,
        }


@dataclass
class BenchRun:
    scale: str
    repeat: int
    results: list[ScenarioResult]

    @property
    def floor(self) -> ScenarioResult:
        return self.results[0]

    def result(self, name: str) -> ScenarioResult:
        return next(r for r in self.results if r.name == name)

    @property
    def failed(self) -> bool:
        return any(r.error for r in self.results)

    @property
    def missed(self) -> bool:
        return any(r.verdict == "MISS" for r in self.results)

    def to_dict(self) -> dict:
        return {
            "scale": self.scale,
            "repeat": self.repeat,
            "floor": FLOOR,
            "floor_p95_ms": self.floor.to_dict()["p95_ms"],
            "scenarios": [r.to_dict() for r in self.results],
        }


def select_scenarios(registry: Registry, names: list[str] | None) -> list[Scenario]:
    """The floor first, then the named scenarios (all of them when none are named), with the
    scenarios they are compared with."""
    if FLOOR not in registry.scenarios:
        raise ValueError(f"No {FLOOR!r} scenario is registered: every run measures the floor.")
    unknown = sorted(set(names or []) - set(registry.scenarios))
    if unknown:
        raise ValueError(f"Unknown scenario(s) {', '.join(unknown)}; known: {', '.join(sorted(registry.scenarios))}.")
    chosen = set(names) if names else set(registry.scenarios)
    chosen |= {registry.scenarios[n].compare_with for n in chosen if registry.scenarios[n].compare_with}
    chosen = sorted(chosen)
    return [registry.scenarios[FLOOR]] + [registry.scenarios[n] for n in chosen if n != FLOOR]


def _check(scenario: Scenario, response, index: int) -> None:
    status = getattr(response, "status_code", None)
    if status is None:
        return
    ok = status in scenario.expect_status if scenario.expect_status else status < 400
    if not ok:
        body = getattr(response, "content", b"")[:300].decode(errors="replace")
        raise ScenarioFailed(f"call {index} answered HTTP {status}: {body}")


def _open(scenario: Scenario, ctx: ScenarioContext) -> tuple[Callable, Callable[[], None]]:
    """Run setup; return the per-call callable and the teardown."""
    made = scenario.setup(ctx)
    if inspect.isgenerator(made):
        call = next(made, None)
        if not callable(call):
            raise TypeError(f"setup of {scenario.name!r} must yield the per-call callable once, not {call!r}")

        def teardown():
            next(made, None)

        return call, teardown
    if not callable(made):
        raise TypeError(f"setup of {scenario.name!r} must return a callable or yield one, not {made!r}")
    return made, lambda: None


def _measure(scenario: Scenario, result: ScenarioResult, ctx: ScenarioContext, calls: int, warmup: int) -> None:
    call, teardown = _open(scenario, ctx)
    try:
        for i in range(warmup):
            _check(scenario, call(), -(i + 1))
        durations, queries = [], []
        gc.collect()
        for i in range(calls):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter_ns()
                response = call()
                elapsed = time.perf_counter_ns() - started
            _check(scenario, response, i)
            durations.append(elapsed / 1e6)
            queries.append(len(captured.captured_queries))
    finally:
        teardown()
    if ctx.notes:
        result.notes.append(dict(ctx.notes))
    result.durations_ms.extend(durations)
    result.queries.extend(queries)
    result.round_p95_ms.append(percentile(durations, 95))


def run_benchmark(
    *,
    scale: Scale,
    registry: Registry,
    names: list[str] | None = None,
    repeat: int = 1,
    calls: int | None = None,
    warmup: int | None = None,
    seed: int = 42,
    log: Callable[[str], None] = print,
) -> BenchRun:
    """Measure the floor and the chosen scenarios `repeat` times, interleaved so that drift of
    the machine touches all of them alike. `calls`/`warmup` override every scenario's own."""
    if repeat < 1:
        raise ValueError("repeat must be at least 1")
    scenarios = select_scenarios(registry, names)
    results = {
        s.name: ScenarioResult(
            name=s.name,
            description=s.description,
            target_p95_ms=s.target_p95_ms,
            max_queries=s.max_queries,
            items_per_call=s.items_per_call(scale.name) if callable(s.items_per_call) else s.items_per_call,
            item=s.item,
            compare_with=s.compare_with,
            max_ratio=s.max_ratio,
        )
        for s in scenarios
    }
    for round_no in range(1, repeat + 1):
        for s in scenarios:
            result = results[s.name]
            if result.error:
                continue
            log(f"[{round_no}/{repeat}] {s.name} ...")
            ctx = ScenarioContext(scale=scale, name=s.name, seed=seed, log=log)
            try:
                wanted = s.calls if s.fixed_calls or not calls else calls
                _measure(s, result, ctx, wanted, s.warmup if warmup is None else warmup)
            except Exception as exc:  # noqa: BLE001 — one broken scenario must not hide the others
                result.error = f"{type(exc).__name__}: {exc}"[:500]
                log(f"  {s.name} failed: {result.error}")
    floor = results[FLOOR]
    floor_p95 = floor.p95_ms if floor.durations_ms and not floor.error else None
    for result in results.values():
        result.floor_p95_ms = floor_p95
        compared = results.get(result.compare_with or "")
        if compared is not None and compared.durations_ms and not compared.error:
            result.compared_p95_ms = compared.p95_ms
    return BenchRun(scale=scale.name, repeat=repeat, results=[results[s.name] for s in scenarios])
