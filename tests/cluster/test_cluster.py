"""The many-hosts rehearsal, short (`make cluster` is the long one): its own CI step, never beside other tests.

It runs `python -m tests.cluster` in a process of its own (production settings, a database of its
own, ~40 s of load, ~2 minutes in all) and reads the summary it writes. Whatever happens, the
rehearsal's processes are stopped: by the rehearsal itself, else by SIGTERM, else by SIGKILL.
"""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import dj_database_url
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.cluster]

BASE_DIR = Path(__file__).resolve().parents[2]
DURATION_S = 45
CONCURRENCY = 6
TIMEOUT_S = 600  # ~2 minutes on a quiet machine; a busy one copies the server for the replica slowly


def cluster_database_url() -> str:
    """On the suite's server, a database named after the suite's, with "bench" in it (the harness's guard)."""
    cfg = dj_database_url.parse(os.environ["DATABASE_URL"])
    auth = cfg["USER"] + (f":{cfg['PASSWORD']}" if cfg["PASSWORD"] else "")
    return f"postgres://{auth}@{cfg['HOST'] or '127.0.0.1'}:{cfg['PORT'] or 5432}/{cfg['NAME']}_cluster_bench"


def rehearse(tmp_path: Path) -> tuple[int, str, dict]:
    summary = tmp_path / "summary.json"
    command = [sys.executable, "-m", "tests.cluster", "--duration", str(DURATION_S), "--concurrency",
               str(CONCURRENCY), "--json", str(summary), "--database-url", cluster_database_url()]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=BASE_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    try:
        output, _ = process.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGTERM)  # the rehearsal stops its hosts on SIGTERM
        try:
            output, _ = process.communicate(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            output, _ = process.communicate()
        pytest.fail(f"the rehearsal ran past {TIMEOUT_S} s:\n{output[-5000:]}")
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return process.returncode, output, json.loads(summary.read_text()) if summary.exists() else {}


def test_two_hosts_two_workers_and_a_replica_survive_a_killed_host_a_killed_worker_and_a_replica_restart(tmp_path):
    # given the topology of docs/deploy.md on loopback, under the mixed load through nginx
    # when web-2 and worker-2 are killed mid-load (and later restarted) and the replica is restarted
    code, output, summary = rehearse(tmp_path)

    # then the rehearsal says every check held, and its summary shows it
    assert summary, output[-5000:]
    assert code == 0 and summary["failures"] == [], output[-5000:]
    http, deliveries = summary["http"], summary["deliveries"]
    assert http["requests"] > 100 and http["unanswered"] == 0 and http["unexplained_5xx"] == 0
    # only requests in flight on the killed host failed, at most one per client
    assert http["5xx_in_flight_on_killed_host"] <= CONCURRENCY
    # both hosts answered: nginx sent requests round robin, and to web-2 again once it was back
    assert len(http["balancer"]["answered_by"]) == 2 and min(http["balancer"]["answered_by"].values()) > 10
    # the reports read the replica
    assert summary["replica"]["reports_by_source"].get("replica", 0) > 0 and summary["replica"]["caught_up"]
    # every message of the run left the outbox; the e-mails reached the relay, none lost, none twice unexplained
    assert deliveries["outbox_messages"] == deliveries["outbox_delivered"] > 0
    assert deliveries["emails_sent"] > 0 and deliveries["emails_lost"] == deliveries["emails_duplicated"] == 0
    if "mid-delivery" in summary["timeline"][0]:  # worker-2 died with an e-mail received, its delivery unrecorded
        assert deliveries["outbox_redelivered"] >= 1 and deliveries["emails_again_after_a_lost_worker"] >= 1
    # one order.placed per order, fanned out to the subscription once
    assert deliveries["orders"] == deliveries["order_placed_events"] == deliveries["webhook_deliveries"] > 0
    assert set(summary["ledgers"]) == {
        "stock on hand",
        "stock reserved",
        "gift cards",
        "loyalty points",
        "store credit",
    }
    assert not any(summary["ledgers"].values())
    # and nothing of it is left running
    leftovers = subprocess.run(["pgrep", "-f", "omnistore-cluster-"], capture_output=True, text=True, check=False)
    assert leftovers.stdout == "", leftovers.stdout
