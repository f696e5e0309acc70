"""`python -m tests.cluster [--duration 120] [--concurrency 8] [--json path]` (`make cluster`)."""

import argparse
import json
import os
import signal
import sys
from pathlib import Path

DEFAULT_DATABASE_URL = "postgres://root@127.0.0.1:5432/omnistore_cluster_bench"
MAX_DURATION_S = 900


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.cluster", description=__doc__)
    parser.add_argument("--duration", type=float, default=120, help=f"seconds of load (at most {MAX_DURATION_S})")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads")
    parser.add_argument("--max-requests", type=int, default=200_000)
    parser.add_argument("--drain", type=float, default=150, help="seconds the workers get to catch up afterwards")
    parser.add_argument(
        "--scale", default="small", choices=["tiny", "small"], help="the dataset (the replica copies it)"
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--events-per-second", type=float, default=30,
        help="beside the HTTP load, benchmarks/event_load.py's tills, deliveries and profile edits (0: none)",
    )  # fmt: skip
    parser.add_argument("--rebuild", action="store_true", help="drop the cluster database and build it again")
    parser.add_argument("--keep", action="store_true", help="keep the hosts' logs and configuration (printed)")
    parser.add_argument(
        "--keep-database",
        action="store_true",
        help="keep the cluster database (dropped by default: the replica copies it)",
    )
    parser.add_argument("--json", type=Path, help="write the summary there too")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("CLUSTER_DATABASE_URL", DEFAULT_DATABASE_URL),
        help="a database of its own, named *bench*: made, migrated and filled here (env CLUSTER_DATABASE_URL)",
    )
    args = parser.parse_args(argv)
    if not 10 <= args.duration <= MAX_DURATION_S or not 1 <= args.concurrency <= 32:
        parser.error(f"--duration must be 10-{MAX_DURATION_S} s and --concurrency 1-32")
    return args


def say(text: str) -> None:
    print(text, flush=True)


def print_summary(s: dict) -> None:
    t, h, d, r = s["topology"], s["http"], s["deliveries"], s["replica"]
    say("")
    say(f"Cluster rehearsal: {t['scale']} dataset in {t['database']}, {s['wall_s']} s in all")
    say("  faults:     " + "; ".join(s["timeline"]))
    say(f"  requests:   {h['requests']} through nginx ({h['throughput_rps']} req/s, p95 {h['p95_ms']} ms), "
        f"answered by {h['balancer']['answered_by']}; nginx moved {h['balancer']['moved_to_another_host']} "
        "to the other host")  # fmt: skip
    say(f"  5xx:        {h['5xx_seen']} seen ({h['5xx_in_flight_on_killed_host']} in flight on the killed host, "
        f"{h['unexplained_5xx']} otherwise); client retries {h['retries']}; unanswered after retries "
        f"{h['unanswered']}; other errors {h['errors']}")  # fmt: skip
    if f := s["feeds"]:
        say(f"  feeds:      {f['receipts_per_s']} receipts/s, {f['delivery_lines_per_s']} delivery lines/s, "
            f"{f['profile_changes_per_s']} profile edits/s straight to the primary; {f['events_per_s']} events/s "
            f"written in all, errors {f['errors']}")  # fmt: skip
    say(f"  reports:    by source {r['reports_by_source']}; replica caught up after restart: {r['caught_up']}")
    say(f"  outbox:     {d['outbox_delivered']}/{d['outbox_messages']} messages delivered "
        f"({d['outbox_redelivered']} needed a second attempt), drained in {s['drain']['seconds']} s")  # fmt: skip
    say(
        f"  e-mails:    {d['emails_received']} received for {d['emails_sent']} sent; lost {d['emails_lost']}, "
        f"again after a lost worker {d['emails_again_after_a_lost_worker']}, duplicated {d['emails_duplicated']}"
    )
    say(f"  orders:     {d['orders']}, order.placed events {d['order_placed_events']} (two for one order: "
        f"{d['orders_with_two_events']}, none: {d['orders_without_event']}); webhook deliveries "
        f"{d['webhook_deliveries']} (missing {d['webhook_deliveries_missing']})")  # fmt: skip
    say("  ledgers:    " + ", ".join(f"{name} {'ok' if n == 0 else f'{n} DRIFT'}" for name, n in s["ledgers"].items()))
    if s["failures"]:
        say("FAILED:\n  - " + "\n  - ".join(s["failures"]))
    else:
        say("OK: every check held.")
    if s.get("workdir"):
        say(f"logs and configuration kept in {s['workdir']}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    def stop(signum, frame):
        raise KeyboardInterrupt  # SIGTERM (CI's timeout, the test's) cleans up as Ctrl-C does

    signal.signal(signal.SIGTERM, stop)
    from tests.cluster.rehearsal import run

    try:
        summary = run(args, say)
    except KeyboardInterrupt:
        say("interrupted: every process of the rehearsal was stopped")
        return 130
    print_summary(summary)
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2, default=str) + "\n")
    return 1 if summary["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
