"""`python -m benchmarks.markdown`: write the measured part of benchmarks/REPORT.md from a run.

Reads benchmarks/results.json (the in-process scenarios) and, when present,
benchmarks/load-results.json (the mixed load over HTTP), and replaces what lies between the
`<!-- generated:start -->` and `<!-- generated:end -->` markers of the report. The hand-written
reading of the numbers outside the markers is kept, so a new run updates the figures without
losing the explanations (which must then be re-read against them).

`--block NAME` writes a second scale's run beside the first: between
`<!-- generated:NAME:start -->` and `<!-- generated:NAME:end -->` (appended when absent), its
headings one level down (`###`) so the block sits under a hand-written `## NAME` section; e.g.
`python -m benchmarks.markdown --block xlarge --results xl.json --load xl-load.json`.
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
    "giftcards": "18 selling",
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


# The benchmark targets the issues set, each with the scenarios that show it. A ("rate", n)
# target is met when the scenario's items/s at the mean call is at least n; every other target
# is the scenario's own (p95 and query ceilings, judged by the harness).
ISSUE_TARGETS = [
    ("4 inventory", "availability of one SKU near a point, p95 ≤ 20 ms", ["inventory.availability.near"], None),
    ("4 inventory", "reserve-and-release of 3 lines, p95 ≤ 30 ms", ["inventory.reserve_release.3_lines"], None),
    ("5 customers", "search by phone / email, p95 ≤ 20 ms", ["customers.search.phone", "customers.search.email"], None),
    ("5 customers", "search by name, p95 ≤ 50 ms", ["customers.search.name", "customers.search.prefix"], None),
    ("5 customers", "clienteling shell, p95 ≤ 60 ms", ["customers.shell"], None),
    ("5 customers", "each panel, p95 ≤ 60 ms", "customers.panel.", None),
    ("5 customers", "event ingestion ≥ 5,000 events/s", ["customers.events.batch"], 5000),
    ("6 orders", "checkout of 3 lines for pick-up, p95 ≤ 150 ms, ≤ 40 queries", ["orders.checkout_pickup"], None),
    ("6 orders", "pick-up queue with 500 open orders, p95 ≤ 80 ms", ["orders.pickup_queue"], None),
    ("6 orders", "POS ingestion ≥ 200 receipts/s", ["orders.pos_batch"], 200),
    ("7 returns", "find purchase and verdict (200 orders), p95 ≤ 80 ms", ["returns.find_and_verdict"], None),
    ("7 returns", "complete a return, p95 ≤ 150 ms", ["returns.complete"], None),
    ("8 head office", "insights page over 1M orders, p95 ≤ 500 ms", "insights.", None),
    ("16 portal", "whole clienteling screen, p95 ≤ 100 ms, ≤ 25 queries", ["customers.screen"], None),
    ("8 head office", "100,000 transactions imported in under a minute", ["imports.transactions"], None),
    ("18 selling", "gift-card redeem, p95 ≤ 2x the floor", ["giftcards.redeem"], None),
]


def _met(s: dict, rate: int | None) -> bool:
    if rate is not None:
        return bool(s.get("throughput")) and s["throughput"]["per_s_at_mean"] >= rate and s["verdict"] != "ERROR"
    return s["verdict"] == "PASS"


def _measured(s: dict, rate: int | None) -> str:
    if rate is not None and s.get("throughput"):
        t = s["throughput"]
        return f"{t['per_s_at_mean']:,.0f} {t['item']}/s (p95 call: {t['per_s_at_p95']:,.0f}/s)"
    queries = _queries(s.get("queries_per_call"))
    return f"p95 {_ms(s['p95_ms'])} ms, {queries} q"


def targets_section(results: dict) -> list[str]:
    by_name = {s["name"]: s for s in results["scenarios"]}
    out = [
        _row(["issue", "target", "scenario", "measured", "p95 / floor", "verdict"]),
        _row(["---", "---", "---", "---", "---:", "---"]),
    ]
    for issue, target, names, rate in ISSUE_TARGETS:
        chosen = sorted(n for n in by_name if n.startswith(names)) if isinstance(names, str) else names
        for name in chosen:
            s = by_name.get(name)
            if s is None:
                out.append(_row([issue, target, f"`{name}`", "not run", "-", "**NOT RUN**"]))
                continue
            ratio = s.get("ratio_p95_to_floor")
            verdict = "met" if _met(s, rate) else "**MISSED**"
            out.append(
                _row(
                    [issue, target, f"`{name}`", _measured(s, rate), "-" if ratio is None else f"{ratio:.1f}x", verdict]
                )
            )
    return out


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
        _row(LOAD_HEADER),
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


def render(results: dict, load: dict | None, *, level: int = 2) -> str:
    h = "#" * level
    lines = [f"{h} The issues' targets, one by one", "", *targets_section(results), ""]
    lines += [f"{h} Machine and dataset", "", *machine_section(results), "", f"{h} Scenarios (in-process)", ""]
    lines += scenario_section(results)
    if load:
        lines += ["", f"{h} Mixed load over HTTP", "", *load_section(load)]
    return "\n".join(lines)


def markers(block: str | None) -> tuple[str, str]:
    """The generated block's markers: the report's main run, or a named second one (`--block`)."""
    return (START, END) if not block else (f"<!-- generated:{block}:start -->", f"<!-- generated:{block}:end -->")


def update(report: str, generated: str, *, block_name: str | None = None) -> str:
    start, end = markers(block_name)
    block = f"{start}\n{generated}\n{end}"
    if start in report and end in report:
        head, _, rest = report.partition(start)
        _, _, tail = rest.partition(end)
        return head + block + tail
    return report.rstrip("\n") + ("\n\n" if report else "") + block + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.markdown", description=__doc__.split("\n\n")[1])
    parser.add_argument("--results", type=Path, default=HERE / "results.json")
    parser.add_argument("--load", type=Path, default=HERE / "load-results.json")
    parser.add_argument("--output", type=Path, default=HERE / "REPORT.md")
    parser.add_argument("--block", help="a second scale's block (its own markers, headings one level down)")
    args = parser.parse_args(argv)
    results = json.loads(args.results.read_text())
    load = json.loads(args.load.read_text()) if args.load.exists() else None
    report = args.output.read_text() if args.output.exists() else "# Omnistore benchmark report\n"
    generated = render(results, load, level=3 if args.block else 2)
    args.output.write_text(update(report, generated, block_name=args.block))
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
