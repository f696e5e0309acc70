"""The printed table and benchmarks/results.json, with the machine the numbers came from."""

import json
import os
import platform
import subprocess
import time
from pathlib import Path

import django
from django.conf import settings
from django.db import connection

from benchmarks.harness import BenchRun, ScenarioResult

RESULTS_PATH = Path(__file__).resolve().parent / "results.json"


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def cpu_calibration_ms(rounds: int = 5) -> float:
    """Best of `rounds` timings of one fixed pure-Python workload (a million additions).

    A virtual machine's cores run at different speeds at different times of day (other tenants
    of the host); this number, taken with every run, says how fast they were (lower is faster;
    35-55 ms on this project's 2-core VM when it was measured). Compare runs by it and by the
    ratios to the floor, not by milliseconds alone."""
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        total = 0
        for i in range(1_000_000):
            total += i
        best = min(best, (time.perf_counter() - started) * 1000)
    return round(best, 1)


def machine_info() -> dict:
    cpuinfo = _read("/proc/cpuinfo")
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")), "")
    meminfo = _read("/proc/meminfo")
    mem_kb = next((int(line.split()[1]) for line in meminfo.splitlines() if line.startswith("MemTotal:")), 0)
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
            cwd=settings.BASE_DIR,
            timeout=5,
        ).stdout.strip()
    except OSError:
        commit = ""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cpu_model": model or platform.processor() or "unknown",
        "cpu_cores": os.cpu_count(),
        "cpu_cores_usable": usable,
        "ram_gb": round(mem_kb / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgresql": pg_version,
        "git_commit": commit,
        "cpu_calibration_ms": cpu_calibration_ms(),
        # other processes on the machine skew the tail: say how busy it was
        "load_average_1m_5m_15m": [round(v, 2) for v in os.getloadavg()] if hasattr(os, "getloadavg") else None,
    }


# The tables a reader of the report wants sized; estimates from the planner's statistics (the
# builders ANALYZE what they write), so reading them costs nothing at 10M rows.
SIZED_TABLES = {
    "stores": "retail_store",
    "variants": "inventory_variant",
    "stock levels": "inventory_stocklevel",
    "stock movements": "inventory_stockmovement",
    "customers": "customers_customer",
    "identities": "customers_customeridentity",
    "interactions": "customers_interaction",
    "orders": "orders_order",
    "order lines": "orders_orderline",
    "returns": "returns_returnrequest",
}


def dataset_rows() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reltuples::bigint FROM pg_class WHERE relkind IN ('r', 'p') AND relname = ANY(%s)",
            [list(SIZED_TABLES.values())],
        )
        found = dict(cursor.fetchall())
    return {label: max(found.get(table, 0), 0) for label, table in SIZED_TABLES.items()}


def settings_info() -> dict:
    return {
        "DJANGO_ENV": settings.DJANGO_ENV,
        "DEBUG": settings.DEBUG,
        "database": settings.DATABASES["default"]["NAME"],
        "cache": settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1],
        "conn_max_age": settings.DATABASES["default"]["CONN_MAX_AGE"],
    }


def _fmt(value: float | None, digits: int = 2) -> str:
    return "-" if value is None or value != value else f"{value:.{digits}f}"


def _queries(result: ScenarioResult) -> str:
    if not result.queries:
        return "-"
    low, high = min(result.queries), max(result.queries)
    return str(low) if low == high else f"{low}-{high}"


def format_table(run: BenchRun) -> str:
    header = ["scenario", "calls", "p50 ms", "p95 ms", "p99 ms", "max ms", "queries", "p95/floor", "target", "verdict"]
    rows = []
    for r in run.results:
        measured = bool(r.durations_ms)
        target = []
        if r.target_p95_ms is not None:
            target.append(f"{r.target_p95_ms:g}ms")
        if r.max_queries is not None:
            target.append(f"<={r.max_queries}q")
        rows.append(
            [
                r.name,
                str(r.calls),
                _fmt(r.pct(50) if measured else None),
                _fmt(r.pct(95) if measured else None),
                _fmt(r.pct(99) if measured else None),
                _fmt(max(r.durations_ms) if measured else None),
                _queries(r),
                "1.00x (floor)" if r is run.floor and r.ratio else (f"{r.ratio:.2f}x" if r.ratio else "-"),
                " ".join(target) or "-",
                r.verdict,
            ]
        )
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    numeric = {1, 2, 3, 4, 5, 7}

    def line(cells):
        padded = (
            c.rjust(w) if i in numeric else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )
        return "  ".join(padded).rstrip()

    out = [line(header), line(["-" * w for w in widths])]
    out += [line(row) for row in rows]
    for r in run.results:
        if r.items_per_call and r.durations_ms and not r.error:
            mean = sum(r.durations_ms) / len(r.durations_ms)
            out.append(
                f"RATE  {r.name}: {r.items_per_call} {r.item} per call -> "
                f"{r.items_per_s(mean):,.0f} {r.item}/s at the mean, {r.items_per_s(r.p95_ms):,.0f} at the p95"
            )
        if r.compared_ratio is not None:
            limit = f" (max {r.max_ratio:g}x)" if r.max_ratio is not None else ""
            out.append(
                f"VS    {r.name}: p95 {r.p95_ms:.2f} ms / {r.compare_with} p95 {r.compared_p95_ms:.2f} ms "
                f"= {r.compared_ratio:.3f}x{limit}"
            )
        for round_no, notes in enumerate(r.notes, 1):
            out.append(f"NOTE  {r.name} [{round_no}]: " + ", ".join(f"{k} {v}" for k, v in notes.items()))
        if r.error:
            out.append(f"ERROR {r.name}: {r.error}")
        for miss in r.misses:
            out.append(f"MISS  {r.name}: {miss}")
    return "\n".join(out)


def write_results(path: Path, *, run: BenchRun, machine: dict, dataset: list[dict], extra: dict) -> None:
    document = {
        **extra,
        "machine": machine,
        "settings": settings_info(),
        "dataset": dataset,
        "dataset_rows_estimated": dataset_rows(),
        **run.to_dict(),
    }
    path.write_text(json.dumps(document, indent=2) + "\n")
