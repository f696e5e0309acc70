"""The load tool over HTTP: a real gunicorn on the test database at the tiny scale, for ~3 seconds.

No timing assertions: every request class must be answered as expected, the results file must
say what it measured, and the dataset must be left as it was found.
"""

import json
import os

import pytest
from django.contrib.sessions.models import Session
from django.db import connection

from benchmarks.build import MARKER_TABLE, ensure_dataset
from benchmarks.load import CLASSES, run_load, write_results
from benchmarks.registry import discover
from benchmarks.report import machine_info
from benchmarks.scales import get_scale
from customers.models import Customer, CustomerIdentity, Interaction, LoyaltyAccount, Note
from inventory.models import StockLevel, Variant
from orders.models import Order
from retail.models import AuditEvent, PosDevice, User
from tests.helpers import database_url

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

COUNTED = (Order, Customer, CustomerIdentity, Interaction, Note, User, Variant, StockLevel, PosDevice, AuditEvent)


@pytest.fixture
def tiny_dataset():
    """The tiny dataset, committed so that gunicorn sees it; tables are flushed after a transaction=True
    test but the builders' marker table is not a model's: it goes too, or the next run would skip the build."""

    def drop_markers():
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {MARKER_TABLE}")

    drop_markers()
    yield ensure_dataset(scale=get_scale("tiny"), registry=discover(), log=lambda message: None)
    drop_markers()


def server_env() -> dict:
    """The pytest database and Redis, test settings, API throttles lifted as in the bench runs."""
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(
        DJANGO_ENV="test",
        DATABASE_URL=database_url(),
        LOG_LEVEL="WARNING",
    )
    for scope in ("ANON", "USER", "DEVICE"):
        env[f"API_THROTTLE_{scope}"] = "100000000/min"
    return env


def counts() -> dict[str, int]:
    found = {model.__name__: model.objects.count() for model in COUNTED}
    found["linked customers"] = Customer.objects.filter(user__isnull=False).count()
    found["Session"] = Session.objects.count()
    found["loyalty"] = sorted(LoyaltyAccount.objects.values_list("customer_id", "balance", "tier_id", "spend_12m"))
    return found


def test_a_short_mixed_load_answers_every_class_and_leaves_the_dataset_as_it_was(tiny_dataset, tmp_path):
    # given the tiny dataset in the test database
    built = tiny_dataset
    before = counts()

    # when the load runs for ~3 seconds with 3 client threads against 2 sync workers
    run = run_load(env=server_env(), duration=3, warmup=0.5, concurrency=3, workers=2, max_requests=5000,
                   log_dir=tmp_path, log=lambda message: None)  # fmt: skip

    # then every class was sent and answered as expected (no error, the first bodies shown if any)
    classes = {c["name"]: c for c in run.summary["classes"]}
    assert set(classes) == {c.name for c in CLASSES}
    for name, c in classes.items():
        assert c["count"] > 0, f"{name} was never sent"
        assert c["errors"] == 0, f"{name}: {c['error_bodies']}"
        assert c["p95_ms"] > 0 and c["queries_per_request"]["min"] >= 0
    assert not run.failed and run.summary["overall"]["count"] == sum(c["count"] for c in classes.values())
    # the floor's statements are counted in the server: session-less, one indexed read
    assert classes["floor"]["queries_per_request"]["max"] == 1
    assert classes["floor"]["ratio_p95_to_floor"] == 1.0
    assert run.server["worker_class"] == "sync" and run.server["workers"] == 2

    # and the results file has what a reader needs
    output = tmp_path / "load-results.json"
    write_results(output, run, machine=machine_info(), dataset=[b.to_dict() for b in built], extra={"scale": "tiny"})
    document = json.loads(output.read_text())
    assert {"machine", "settings", "server", "overall", "classes", "floor_p95_ms", "wall_s", "client_cpu_s"} <= set(
        document
    )
    assert document["machine"]["cpu_cores"] >= 1
    assert {"count", "errors", "p50_ms", "p95_ms", "p99_ms", "max_ms", "throughput_rps"} <= set(document["overall"])
    assert {"ratio_p95_to_floor", "queries_per_request", "error_bodies"} <= set(document["classes"][0])

    # and what the run made (users, sessions, tills, stock, orders, events, notes) is gone
    assert counts() == before
