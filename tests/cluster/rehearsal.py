"""The rehearsal itself: set up the topology, drive the load, break things on a schedule, drain, check.

Django runs in this process against the primary (directly, not through PgBouncer) for the set-up
and the checks; every host gets the same settings a production host would, through the pooler.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from tests.cluster import checks, hosts
from tests.cluster.load import Journal, PlacedOrders, cancel_class, client_class, pickup_class, reports_class

WEB_HOSTS = 2
WEB_WORKERS = 2  # per host: two sync workers each on this 2-core machine (docs/deploy.md 2.1)
CELERY_CONCURRENCY = 2
TRAP_WAIT_FRACTION = 0.2  # how long (of the run) the kill waits for worker-2 to be sending an e-mail
KILL_WINDOW_S = 5.0  # a 5xx this soon after a host was killed was in flight on it
LEASE_S = 15  # outbox and webhooks leases: what a killed worker held is handed on this soon
# when, as fractions of the load's duration, each fault happens
SCHEDULE = (
    (0.30, "kill web-2 and worker-2"),
    (0.40, "stop the replica"),
    (0.60, "start the replica"),
    (0.70, "restart web-2 and worker-2"),
)


def host_environment(*, pooler_url: str, replica_url: str, redis_url: str, smtp_port: int) -> dict:
    """What each web host, worker and beat is given: production settings, the pooler, the replica."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=pooler_url,
        DB_POOL_MODE="transaction",
        DATABASE_REPLICA_URL=replica_url,
        REDIS_URL=redis_url,
        TRUSTED_PROXY_COUNT="1",  # nginx appends X-Forwarded-For
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        OUTBOX_LEASE_SECONDS=str(LEASE_S),
        WEBHOOKS_LEASE_SECONDS=str(LEASE_S),
        LOG_LEVEL="WARNING",
    )
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env


def drop_database(cfg: dict) -> None:
    from django.db import connection
    from psycopg import sql

    from benchmarks.run import _admin_connection

    connection.close()
    with _admin_connection(cfg) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(cfg["NAME"])))


def make_manager(store_code: str) -> str:
    """A manager of the first staff store, signed in with MFA: the Cookie header of the reports."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.conf import settings

    from benchmarks.load import EMAIL_DOMAIN, MARK, signed_in_session
    from retail.models import Store, StoreMembership, User
    from retail.portal.access import SESSION_KEY as PORTAL_STORE

    store = Store.objects.get(code=store_code)
    user = User.objects.create_user(email=f"load.manager{EMAIL_DOMAIN}", full_name=f"{MARK} manager")
    StoreMembership.objects.create(user=user, store=store, role=StoreMembership.Role.MANAGER)
    TOTP.activate(user, generate_totp_secret())
    key = signed_in_session(user, mfa=Authenticator.objects.get(user=user), extra={PORTAL_STORE: store.pk})
    return f"{settings.SESSION_COOKIE_NAME}={key}"


SUBSCRIPTION_NAME = "Cluster rehearsal warehouse"


def make_subscription() -> int:
    """A paused webhook subscription to order.placed: the fan-out makes one Delivery per event for it.

    Paused, because production refuses loopback receivers (WEBHOOKS_ALLOW_LOOPBACK) and nothing may
    leave this machine; a paused subscription still gets its Delivery rows (docs/webhooks.md)."""
    from django.utils import timezone

    from webhooks.models import Subscription

    Subscription.objects.filter(name=SUBSCRIPTION_NAME).delete()
    return Subscription.objects.create(
        name=SUBSCRIPTION_NAME, url="https://warehouse.cluster-rehearsal.invalid/hooks", event_types=["order.placed"],
        status=Subscription.Status.PAUSED, paused_reason="The cluster rehearsal counts the fan-out only.",
        paused_at=timezone.now(), secret_encrypted="-", secret_hint="-", created_at=timezone.now(),
    ).pk  # fmt: skip


def drop_subscription() -> None:
    from webhooks.models import Subscription

    Subscription.objects.filter(name=SUBSCRIPTION_NAME).delete()


def nginx_upstreams(log: Path) -> dict:
    """From nginx's access log: requests per upstream host, and those it sent to a second host."""
    per_host, moved = Counter(), 0
    with contextlib.suppress(OSError):
        for line in log.read_text(errors="replace").splitlines():
            fields = line.rsplit('" ', 1)[-1].split("|")
            if len(fields) != 4:
                continue
            tried = [a.strip() for a in fields[1].replace(" : ", ", ").split(",") if a.strip()]
            moved += len(tried) > 1
            per_host[tried[-1] if tried else "-"] += 1
    return {"answered_by": dict(per_host), "moved_to_another_host": moved}


def explain(journal: Journal, kills: list[float]) -> tuple[int, int]:
    """5xx answers seen by the clients: (in flight on a killed host, anything else)."""
    near = [e for e in journal.server_errors if any(0 <= e["at"] - k <= KILL_WINDOW_S for k in kills)]
    return len(near), len(journal.server_errors) - len(near)


def run(options: argparse.Namespace, log) -> dict:
    from benchmarks.run import check_bench_database, configure_environment, prepare_database, vacuum

    cfg = check_bench_database(options.database_url)
    workdir = Path(tempfile.mkdtemp(prefix="omnistore-cluster-"))
    base_dir = Path(__file__).resolve().parents[2]
    every: list[hosts.Process] = []
    with contextlib.ExitStack() as stack:
        stack.callback(lambda: None if options.keep else shutil.rmtree(workdir, ignore_errors=True))
        if not options.keep_database:  # pg_basebackup copies the whole server: leave no database behind
            stack.callback(drop_database, cfg)

        # Redis first: Django's settings read REDIS_URL once
        redis_process, redis_url = hosts.redis(workdir)
        stack.callback(redis_process.stop)
        configure_environment(argparse.Namespace(database_url=options.database_url, redis_url=redis_url))
        import django

        django.setup()
        from django.db import connection

        from benchmarks import event_load
        from benchmarks.build import ensure_dataset
        from benchmarks.load import cleanup_actors, drive, prepare_actors, summarise
        from benchmarks.registry import discover
        from benchmarks.scales import get_scale
        from tests.pgbouncer import running_pgbouncer
        from tests.replica import running_replica

        started = time.monotonic()
        prepare_database(cfg, rebuild=options.rebuild)
        built = ensure_dataset(scale=get_scale(options.scale), registry=discover(), seed=options.seed)
        connection.close()
        if any(b.built_now for b in built):
            vacuum(cfg)
        log(f"database {cfg['NAME']}: {options.scale} dataset ready ({time.monotonic() - started:.0f} s)")

        sink = hosts.SmtpSink()
        sink.start()
        stack.callback(sink.stop)
        pooler_url = stack.enter_context(running_pgbouncer(options.database_url, log=log))
        replica = stack.enter_context(running_replica(cfg, log=log))
        replica_url = f"postgres://{cfg['USER'] or 'postgres'}@127.0.0.1:{replica.port}/{cfg['NAME']}"
        env = host_environment(pooler_url=pooler_url, replica_url=replica_url, redis_url=redis_url,
                               smtp_port=sink.port)  # fmt: skip

        actors = prepare_actors(concurrency=options.concurrency, seed=options.seed, log=log)
        stack.callback(lambda: (connection.close(), cleanup_actors(actors), drop_subscription(), connection.close()))
        stack.callback(lambda: [p.stop() for p in reversed(every)])  # first of all: no host writes during clean-up
        feeds = None
        if options.events_per_second:  # tills' batches, goods received, profile edits: straight to the primary
            event_load.cleanup()
            event_load.prepare(skus=200, customers=100)
            stack.callback(event_load.cleanup)
            feeds = event_load.Load(events=True, mix=event_load.Mix(options.events_per_second),
                                    seconds=options.duration)  # fmt: skip
        manager = make_manager(actors.staff[0]["store"])
        subscription = make_subscription()
        marks = checks.Marks.now()
        connection.close()

        # every host at once (each imports Django for seconds), then wait for each
        web, ports, waits = [], [], []
        for i in range(1, WEB_HOSTS + 1):
            process, port = hosts.gunicorn(f"web-{i}", env=env, workers=WEB_WORKERS, workdir=workdir,
                                           base_dir=base_dir)  # fmt: skip
            every.append(process)
            waits.append(hosts.start_web(process, port, wait=False))
            web.append(process)
            ports.append(port)
        workers = [hosts.celery(f"worker-{i}", env=env, workdir=workdir, base_dir=base_dir,
                                concurrency=CELERY_CONCURRENCY) for i in (1, 2)]  # fmt: skip
        beat = hosts.celery("beat", env=env, workdir=workdir, base_dir=base_dir, beat=True)
        for process in (*workers, beat):
            every.append(process)
            waits.append(hosts.start_celery(process, wait=False))
        for ready in waits:
            ready()
        balancer, port = hosts.nginx(web_ports=ports, workdir=workdir)
        every.append(balancer)
        for staff in actors.staff:  # the portal's CSRF check compares Origin with the balancer's host
            staff["origin"] = f"https://127.0.0.1:{port}"
        log(
            f"topology up ({time.monotonic() - started:.0f} s): nginx :{port} -> web-1 :{ports[0]}, web-2 :{ports[1]}"
            f" ({WEB_WORKERS} sync workers each) -> PgBouncer -> primary; replica :{replica.port}; "
            f"Redis {redis_url}; worker-1, worker-2 (x{CELERY_CONCURRENCY}), beat; mail relay :{sink.port}"
        )

        # the load, in the background; the faults, on schedule, here
        journal = Journal()
        placed = PlacedOrders()
        clients = client_class(journal, pickup_class(), cancel_class(placed), reports_class(manager), placed=placed)
        result: dict = {}
        stop = threading.Event()

        def load():
            result["load"] = drive(port=port, actors=actors, seconds=options.duration, concurrency=options.concurrency,
                                   max_requests=options.max_requests, seed=options.seed, stop=stop,
                                   client_class=clients)  # fmt: skip

        if feeds is not None:  # benchmarks/event_load.py's writers, without its publisher: the workers publish
            stack.callback(feeds.stop)
            feeds.start(roles=[role for role in event_load.ROLES if role != "publisher"])
            connection.close()
        driver = threading.Thread(target=load, name="cluster-load", daemon=True)
        journal.started = time.monotonic()
        driver.start()
        timeline, kills, late = [], [], 0.0
        try:
            for fraction, what in SCHEDULE:
                # every fault after the kill moves by the time the kill waited for an e-mail in flight
                while time.monotonic() < journal.started + fraction * options.duration + late and driver.is_alive():
                    time.sleep(0.05)
                at = round(time.monotonic() - journal.started, 1)
                if what.startswith("kill"):
                    # worker-2 dies while sending an e-mail (the relay holds its answer), if one comes soon
                    sink.trap(workers[1].process.pid)
                    waited = time.monotonic()
                    caught = sink.trapped.wait(TRAP_WAIT_FRACTION * options.duration)
                    late = time.monotonic() - waited
                    what += " (worker-2 mid-delivery of an e-mail)" if caught else " (no e-mail in flight on worker-2)"
                    at = round(time.monotonic() - journal.started, 1)
                    kills.append(time.monotonic() - journal.started)
                    web[1].kill()
                    workers[1].kill()
                    sink.release()
                elif what == "stop the replica":
                    replica.stop()
                elif what == "start the replica":
                    replica.start()
                else:
                    waits = [hosts.start_web(web[1], ports[1], wait=False), hosts.start_celery(workers[1], wait=False)]
                    for ready in waits:
                        ready()
                timeline.append(f"{at:.1f} s: {what}")
                log(f"  {at:6.1f} s  {what}")
            while driver.is_alive():
                driver.join(timeout=0.5)
        finally:
            stop.set()
            driver.join(timeout=90)
        fed = feeds.stop() if feeds is not None else {}
        connection.close()
        samples, errors, _reconnects, wall = result["load"]
        summary = summarise(samples, errors, wall, mix=clients.classes)
        log(f"load done: {summary['overall']['count']} requests in {wall:.0f} s; draining the outbox")

        # the workers catch up (the killed one's leases run out, beat's sweeps hand them on)
        drain_started = time.monotonic()
        while True:
            left = checks.undelivered(marks)
            connection.close()
            if not any(left.values()) or time.monotonic() - drain_started > options.drain:
                break
            time.sleep(1)
        drained = round(time.monotonic() - drain_started, 1)
        replica_caught_up = True
        try:
            replay = replica.wait_for_replay(timeout=60)
        except Exception:  # noqa: BLE001 — reported as a failed check
            replica_caught_up, replay = False, None

        explained, unexplained = explain(journal, kills)
        summary = {
            "topology": {
                "nginx": port,
                "web": ports,
                "web_workers": WEB_WORKERS,
                "celery_workers": 2,
                "celery_concurrency": CELERY_CONCURRENCY,
                "beat": 1,
                "replica": replica.port,
                "pooler": pooler_url.rsplit("@", 1)[-1],
                "redis": redis_url,
                "database": cfg["NAME"],
                "scale": options.scale,
            },
            "timeline": timeline,
            "http": {
                "requests": summary["overall"]["count"],
                "throughput_rps": summary["overall"]["throughput_rps"],
                "p95_ms": summary["overall"]["p95_ms"],
                "errors": summary["overall"]["errors"],
                "error_bodies": {c["name"]: c["error_bodies"] for c in summary["classes"] if c["error_bodies"]},
                "5xx_seen": len(journal.server_errors),
                "5xx_in_flight_on_killed_host": explained,
                "unexplained_5xx": unexplained,
                "retries": len(journal.retries),
                "unanswered": len(journal.unanswered),
                "server_errors": journal.server_errors[:20],
                "classes": {
                    c["name"]: {"count": c["count"], "errors": c["errors"], "p95_ms": c["p95_ms"]}
                    for c in summary["classes"]
                },
                "balancer": nginx_upstreams(workdir / "nginx" / "nginx-access.log"),
            },
            "replica": {
                "reports_by_source": dict(journal.sources),
                "caught_up": replica_caught_up,
                "replay_wait_s": round(replay, 2) if replay is not None else None,
            },
            "feeds": fed,
            "drain": {"seconds": drained, "limit_s": options.drain, "left": left},
            "deliveries": checks.deliveries(marks, received=sink.keys(), subscription_id=subscription),
            "ledgers": checks.ledgers(),
            "wall_s": round(time.monotonic() - started, 1),
            "workdir": str(workdir) if options.keep else None,
        }
        connection.close()
        summary["failures"] = checks.failures(summary)
        return summary
