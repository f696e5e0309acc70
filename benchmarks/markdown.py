"""`python -m benchmarks.markdown`: write the measured part of benchmarks/REPORT.md from a run.

Reads benchmarks/results.json (the in-process scenarios) and, when present,
benchmarks/load-results.json (the mixed load over HTTP), and replaces what lies between the
`<!-- generated:start -->` and `<!-- generated:end -->` markers of the report. The hand-written
reading of the numbers outside the markers is kept, so a new run updates the figures without
losing the explanations (which must then be re-read against them).
"""

import argparse
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
START, END = "<!-- generated:start -->", "<!-- generated:end -->"

# Which issue each scenario family answers to (the prefix before the first dot).
ISSUES = {
    "floor": "3 foundation",
    "stores": "3 foundation",
    "readyz": "3 foundation",
    "inventory": "4 inventory",
    "customers": "5 customers",
    "orders": "6 orders",
    "returns": "7 returns",
    "insights": "8 head office",
    "imports": "8 head office",
}


HEADER = ["issue", "scenario", "calls", "p50 ms", "p95 ms", "p99 ms", "queries", "p95 / floor", "target", "verdict"]


LOAD_HEADER = [
    "request class",
    "count",
    "errors",
    "req/s",
    "p50 ms",
    "p95 ms",
    "p99 ms",
    "max ms",
    "queries",
    "p95 / floor",
]


def _ms(value) -> str:
    return "-" if value is None else f"{value:,.1f}"


def _queries(q: dict) -> str:
    if not q or q.get("min") is None:
        return "-"
    return str(q["min"]) if q["min"] == q["max"] else f"{q['min']}-{q['max']}"


def _target(s: dict) -> str:
    parts = []
    if s.get("target_p95_ms") is not None:
        parts.append(f"p95 ≤ {s['target_p95_ms']:g} ms")
    if s.get("max_queries") is not None:
        parts.append(f"≤ {s['max_queries']} q")
    return ", ".join(parts) or "-"


def _row(cells) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def scenario_section(results: dict) -> list[str]:
    floor = results.get("floor_p95_ms")
    out = [
        f"Floor (`GET /api/v1/stores/<code>/`, one indexed read through the whole stack): p95 **{_ms(floor)} ms**.",
        "",
        _row(
            ["issue", "scenario", "calls", "p50 ms", "p95 ms", "p99 ms", "queries", "p95 / floor", "target", "verdict"]
        ),
        _row(["---", "---", "---:", "---:", "---:", "---:", "---:", "---:", "---", "---"]),
    ]
    ordered = sorted(results["scenarios"], key=lambda s: (ISSUES.get(s["name"].split(".")[0], "9"), s["name"]))
    for s in ordered:
        ratio = s.get("ratio_p95_to_floor")
        verdict = s["verdict"] if s["verdict"] != "-" else "measured"
        out.append(
            _row(
                [
                    ISSUES.get(s["name"].split(".")[0], "-"),
                    f"`{s['name']}`",
                    s["calls"],
                    _ms(s["p50_ms"]),
                    _ms(s["p95_ms"]),
                    _ms(s["p99_ms"]),
                    _queries(s.get("queries_per_call")),
                    "-" if ratio is None else f"{ratio:.1f}x",
                    _target(s),
                    f"**{verdict}**" if verdict in ("MISS", "ERROR") else verdict,
                ]
            )
        )
    rates = [s for s in ordered if s.get("throughput")]
    if rates:
        out += ["", "Batch scenarios, single-threaded throughput:", ""]
        for s in rates:
            t = s["throughput"]
            out.append(
                f"- `{s['name']}`: {t['per_call']} {t['item']} per call, **{t['per_s_at_mean']:,.0f} {t['item']}/s** "
                f"at the mean call, {t['per_s_at_p95']:,.0f}/s at the p95 call."
            )
    misses = [s for s in ordered if s["verdict"] in ("MISS", "ERROR")]
    out += ["", "Misses and errors as the harness judged them:" if misses else "Every declared target held.", ""]
    for s in misses:
        reasons = "; ".join(s.get("misses") or []) or (s.get("error") or "")
        out.append(f"- `{s['name']}`: {reasons}")
    out.append("")
    out.append("Descriptions (the first line of each scenario's docstring):")
    out.append("")
    for s in ordered:
        out.append(f"- `{s['name']}`: {s['description']}")
    return out


def load_section(load: dict) -> list[str]:
    overall, server, knobs = load.get("overall", {}), load.get("server", {}), load.get("load", {})
    out = [
        f"gunicorn ({server.get('worker_class', 'sync')}, {server.get('workers', '?')} workers x "
        f"{server.get('threads', 1)} threads) on 127.0.0.1, {knobs.get('concurrency', '?')} client threads with "
        f"keep-alive for {load.get('wall_s', knobs.get('duration_s', '?'))} s after a "
        f"{knobs.get('warmup_s', 0)} s warm-up; load average before "
        f"{', '.join(map(str, load.get('load_average_before_1m_5m_15m') or []))}. "
        f"{overall.get('count', 0):,} requests, **{overall.get('throughput_rps') or 0:,.1f} req/s**, "
        f"{overall.get('errors', 0)} errors; client CPU {load.get('client_cpu_s', '?')} s.",
        "",
        _row(
            [
                "request class",
                "count",
                "errors",
                "req/s",
                "p50 ms",
                "p95 ms",
                "p99 ms",
                "max ms",
                "queries",
                "p95 / floor",
            ]
        ),
        _row(["---", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:"]),
    ]
    for c in [*load.get("classes", []), {"name": "all", **overall}]:
        ratio = c.get("ratio_p95_to_floor")
        name = f"`{c['name']}`" if "weight" in c else "**all**"
        out.append(
            _row(
                [
                    name,
                    f"{c.get('count', 0):,}",
                    c.get("errors", 0),
                    f"{c.get('throughput_rps') or 0:,.1f}",
                    _ms(c.get("p50_ms")),
                    _ms(c.get("p95_ms")),
                    _ms(c.get("p99_ms")),
                    _ms(c.get("max_ms")),
                    _queries(c.get("queries_per_request")),
                    "-" if ratio is None else f"{ratio:.1f}x",
                ]
            )
        )
    described = [c for c in load.get("classes", []) if c.get("description")]
    if described:
        out += ["", "Request classes (weight in the mix):", ""]
        out += [f"- `{c['name']}` ({c.get('weight', '?')}): {c['description']}" for c in described]
    return out


def machine_section(results: dict) -> list[str]:
    m = results["machine"]
    rows = results.get("dataset_rows_estimated") or {}
    load = ", ".join(map(str, m.get("load_average_1m_5m_15m") or []))
    out = [
        f"Run of {results.get('started_at', '?')} to {results.get('finished_at', '?')} (UTC), commit "
        f"`{m.get('git_commit', '?')}`, arguments `{' '.join(results.get('argv', []))}`.",
        "",
        f"- Machine: {m['cpu_model']}, {m['cpu_cores']} cores ({m.get('cpu_cores_usable', '?')} usable), "
        f"{m['ram_gb']} GB RAM, {m['os']}",
        f"- Software: Python {m['python']}, Django {m['django']}, PostgreSQL {m['postgresql']}",
        f"- Load average at the end of the run (1, 5, 15 min): {load}",
        f"- CPU calibration (one million Python additions, best of 5, taken at the end): "
        f"{m.get('cpu_calibration_ms', '-')} ms",
        f"- Settings: {', '.join(f'{k}={v}' for k, v in results.get('settings', {}).items())}",
        "",
        "Dataset (`"
        + results["scale"]
        + "`): "
        + ", ".join(f"{label} ≈ {n:,}" for label, n in rows.items())
        + " (planner estimates).",
        "",
        _row(["builder", "version", "seconds to build"]),
        _row(["---", "---:", "---:"]),
    ]
    for b in results.get("dataset", []):
        out.append(_row([b["name"], b["version"], f"{b['seconds']:,.0f}"]))
    return out


def render(results: dict, load: dict | None) -> str:
    lines = ["## Machine and dataset", "", *machine_section(results), "", "## Scenarios (in-process)", ""]
    lines += scenario_section(results)
    if load:
        lines += ["", "## Mixed load over HTTP", "", *load_section(load)]
    return "\n".join(lines)


def update(report: str, generated: str) -> str:
    block = f"{START}\n{generated}\n{END}"
    if START in report and END in report:
        head, _, rest = report.partition(START)
        _, _, tail = rest.partition(END)
        return head + block + tail
    return report.rstrip("\n") + ("\n\n" if report else "") + block + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.markdown", description=__doc__.split("\n\n")[1])
    parser.add_argument("--results", type=Path, default=HERE / "results.json")
    parser.add_argument("--load", type=Path, default=HERE / "load-results.json")
    parser.add_argument("--output", type=Path, default=HERE / "REPORT.md")
    args = parser.parse_args(argv)
    results = json.loads(args.results.read_text())
    load = json.loads(args.load.read_text()) if args.load.exists() else None
    report = args.output.read_text() if args.output.exists() else "# Omnistore benchmark report\n"
    args.output.write_text(update(report, render(results, load)))
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
