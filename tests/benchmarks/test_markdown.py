"""benchmarks.markdown: the measured part of REPORT.md is rewritten, the reading around it kept."""

import json

from benchmarks.markdown import END, START, main

RESULTS = {
    "started_at": "2026-12-03T06:00:00+00:00",
    "finished_at": "2026-12-03T06:30:00+00:00",
    "argv": ["--scale", "large"],
    "machine": {
        "cpu_model": "Test CPU",
        "cpu_cores": 2,
        "cpu_cores_usable": 2,
        "ram_gb": 23.5,
        "os": "Linux",
        "python": "3.13.0",
        "django": "6.1.3",
        "postgresql": "15.20",
        "git_commit": "abc1234",
        "cpu_calibration_ms": 41.5,
        "load_average_1m_5m_15m": [1.0, 0.8, 0.5],
    },
    "settings": {"DJANGO_ENV": "production", "DEBUG": False},
    "dataset": [{"name": "orders", "scale": "large", "version": 3, "seconds": 897.2, "built_now": False}],
    "dataset_rows_estimated": {"orders": 2_000_000},
    "scale": "large",
    "floor_p95_ms": 3.0,
    "scenarios": [
        {
            "name": "floor",
            "description": "one indexed read",
            "calls": 400,
            "p50_ms": 2.0,
            "p95_ms": 3.0,
            "p99_ms": 4.0,
            "queries_per_call": {"min": 1, "max": 1, "mean": 1},
            "ratio_p95_to_floor": 1.0,
            "target_p95_ms": 10,
            "max_queries": 1,
            "verdict": "PASS",
            "misses": [],
            "throughput": None,
        },
        {
            "name": "orders.pos_batch",
            "description": "50 receipts",
            "calls": 60,
            "p50_ms": 150.0,
            "p95_ms": 300.0,
            "p99_ms": 320.0,
            "queries_per_call": {"min": 80, "max": 90, "mean": 85},
            "ratio_p95_to_floor": 100.0,
            "target_p95_ms": 250,
            "max_queries": None,
            "verdict": "MISS",
            "misses": ["p95 300.0 ms > target 250 ms"],
            "throughput": {"item": "receipts", "per_call": 50, "per_s_at_mean": 320.0, "per_s_at_p95": 166.7},
        },
    ],
}


def test_the_generated_block_is_replaced_and_the_reading_around_it_kept(tmp_path):
    # given a report with a hand-written reading around an old generated block
    results = tmp_path / "results.json"
    results.write_text(json.dumps(RESULTS))
    report = tmp_path / "REPORT.md"
    report.write_text(f"# Report\n\nWhy pos_batch misses.\n\n{START}\nold numbers\n{END}\n\n## Left\nnothing\n")

    # when the report is generated from a run
    main(["--results", str(results), "--load", str(tmp_path / "none.json"), "--output", str(report)])

    # then the numbers are new, the reading is still there, and the miss is named with its reason
    text = report.read_text()
    assert "old numbers" not in text
    assert text.startswith("# Report\n\nWhy pos_batch misses.") and text.rstrip().endswith("## Left\nnothing")
    row = "| 6 orders | `orders.pos_batch` | 60 | 150.0 | 300.0 | 320.0 | 80-90 | 100.0x | p95 ≤ 250 ms | **MISS** |"
    assert row in text
    assert "- `orders.pos_batch`: p95 300.0 ms > target 250 ms" in text
    assert "**320 receipts/s** at the mean call" in text
    assert "orders ≈ 2,000,000" in text and "commit `abc1234`" in text
    assert "best of 5, taken at the end): 41.5 ms" in text
    assert text.count(START) == 1 and text.count(END) == 1


def test_each_issue_target_is_judged_from_its_scenarios(tmp_path):
    results, report = tmp_path / "results.json", tmp_path / "REPORT.md"
    results.write_text(json.dumps(RESULTS))

    main(["--results", str(results), "--load", str(tmp_path / "none.json"), "--output", str(report)])

    # a rate target is judged on the items per second of the mean call (320 receipts/s >= 200),
    # even where the scenario's own p95 ceiling was missed; a target whose scenario did not run says so
    text = report.read_text()
    assert (
        "| 6 orders | POS ingestion ≥ 200 receipts/s | `orders.pos_batch` | 320 receipts/s (p95 call: 167/s) "
        "| 100.0x | met |" in text
    )
    assert "| `orders.checkout_pickup` | not run | - | **NOT RUN** |" in text


def test_the_mixed_load_is_tabled_when_its_results_exist(tmp_path):
    results, load, report = tmp_path / "results.json", tmp_path / "load.json", tmp_path / "REPORT.md"
    results.write_text(json.dumps(RESULTS))
    load.write_text(
        json.dumps(
            {
                "load": {"concurrency": 8, "duration_s": 60, "warmup_s": 5},
                "server": {"worker_class": "sync", "workers": 4, "threads": 1},
                "wall_s": 60.0,
                "overall": {"count": 6000, "errors": 0, "throughput_rps": 100.0, "p50_ms": 20, "p95_ms": 80},
                "classes": [
                    {
                        "name": "floor",
                        "weight": 5,
                        "description": "one indexed read",
                        "count": 600,
                        "errors": 0,
                        "throughput_rps": 10.0,
                        "p95_ms": 9.5,
                        "queries_per_request": {"min": 1, "max": 1, "mean": 1},
                        "ratio_p95_to_floor": 1.0,
                    }
                ],
            }
        )
    )

    main(["--results", str(results), "--load", str(load), "--output", str(report)])

    text = report.read_text()
    assert "## Mixed load over HTTP" in text and "**100.0 req/s**" in text
    assert "| `floor` | 600 | 0 | 10.0 | - | 9.5 | - | - | 1 | 1.0x |" in text
    assert "| **all** | 6,000 | 0 | 100.0 |" in text
    assert "gunicorn (sync, 4 workers x 1 threads)" in text and "- `floor` (5): one indexed read" in text


def test_a_second_scale_gets_its_own_block_and_leaves_the_first_alone(tmp_path):
    # given a report whose main block holds the large run
    results, report = tmp_path / "results.json", tmp_path / "REPORT.md"
    results.write_text(json.dumps(RESULTS))
    report.write_text(f"# Report\n\n{START}\nthe large run\n{END}\n\n## xlarge\n\nHow it was built.\n")
    none = str(tmp_path / "none.json")

    # when a second run is written as the xlarge block, twice (the second replaces the first)
    for _ in range(2):
        main(["--results", str(results), "--load", none, "--output", str(report), "--block", "xlarge"])

    # then the main block is untouched, the xlarge block is appended once, its headings one level down
    text = report.read_text()
    assert f"{START}\nthe large run\n{END}" in text
    assert text.count("<!-- generated:xlarge:start -->") == 1 and text.count("<!-- generated:xlarge:end -->") == 1
    head, _, block = text.partition("<!-- generated:xlarge:start -->")
    assert "How it was built." in head
    assert "\n### The issues' targets, one by one\n" in block and "\n## " not in block
    assert "| 6 orders | `orders.pos_batch` | 60 | 150.0 | 300.0 |" in block
