"""`python -m benchmarks.run --scale small|medium|large|xlarge [--only NAME ...] [--repeat N]`

Builds (once) the dataset of the scale in its own PostgreSQL database, measures the floor and
the named scenarios in-process through the full middleware stack with production settings,
prints the table and writes benchmarks/results.json.
"""

import argparse
import os
import secrets
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

DEFAULT_DATABASE_URL = "postgres://root@127.0.0.1:5432/omnistore_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    from benchmarks.scales import SCALES

    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n\n")[1])
    parser.add_argument("--scale", choices=[s for s in SCALES if s != "tiny"] + ["tiny"], default="small")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="scenarios to run (the floor always runs)")
    parser.add_argument("--repeat", type=int, default=1, help="rounds, interleaved; samples are pooled")
    parser.add_argument("--calls", type=int, help="override every scenario's number of timed calls")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--rebuild", action="store_true", help="drop the bench database and build it again")
    parser.add_argument("--list", action="store_true", help="list scenarios and dataset builders, then stop")
    parser.add_argument("--fail-on-miss", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--output", type=Path, help="results file (default benchmarks/results.json)")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        help="bench database, never the demo or test one (env BENCH_DATABASE_URL)",
    )
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL))
    args = parser.parse_args(argv)
    if args.repeat < 1 or (args.calls is not None and args.calls < 1):
        parser.error("--repeat and --calls must be at least 1")
    return args


def check_bench_database(url: str) -> dict:
    """The runner creates, drops and fills this database: it must be PostgreSQL and say 'bench'."""
    import dj_database_url

    cfg = dj_database_url.parse(url)
    if cfg["ENGINE"] != "django.db.backends.postgresql":
        raise SystemExit(f"The bench database must be PostgreSQL, not {url!r}.")
    if "bench" not in (cfg["NAME"] or ""):
        raise SystemExit(
            f"Refusing to use database {cfg['NAME']!r}: the runner may drop and refill it. "
            "Use a database whose name contains 'bench' (BENCH_DATABASE_URL)."
        )
    return cfg


def _admin_connection(cfg: dict):
    import psycopg

    return psycopg.connect(
        host=cfg["HOST"] or None,
        port=cfg["PORT"] or None,
        user=cfg["USER"] or None,
        password=cfg["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
        connect_timeout=5,
    )


def ensure_database(cfg: dict, *, drop: bool = False) -> bool:
    """Create the bench database if missing (dropping it first when asked); True if created."""
    from psycopg import sql

    with _admin_connection(cfg) as conn:
        name = sql.Identifier(cfg["NAME"])
        if drop:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [cfg["NAME"]]).fetchone():
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(name))
        return True


def configure_environment(args: argparse.Namespace) -> None:
    """Production settings (DEBUG off, manifest static files, Redis cache) minus the TLS redirect:
    requests arrive with X-Forwarded-Proto: https as they would behind the load balancer."""
    os.environ["DJANGO_ENV"] = "production"
    os.environ["DEBUG"] = "false"
    os.environ["DATABASE_URL"] = args.database_url
    os.environ["REDIS_URL"] = args.redis_url
    os.environ["SECURE_SSL_REDIRECT"] = "false"
    os.environ.setdefault("SECRET_KEY", "bench-" + secrets.token_urlsafe(48))
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    os.environ.setdefault("CACHE_KEY_PREFIX", "omnistore-bench")
    os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.dummy.EmailBackend")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # Throttling still runs on every request (a Redis round trip); only the limit is lifted.
    for scope in ("ANON", "USER", "DEVICE"):
        os.environ.setdefault(f"API_THROTTLE_{scope}", "100000000/min")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retail.settings")


def prepare_database(cfg: dict, *, rebuild: bool) -> None:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    if ensure_database(cfg, drop=rebuild):
        print(f"created database {cfg['NAME']}")
    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    connection.close()
    print(f"migrated {cfg['NAME']} ({time.perf_counter() - started:.1f}s)")
    if settings.PRODUCTION:  # templates resolve {% static %} through the manifest
        started = time.perf_counter()
        call_command("collectstatic", interactive=False, verbosity=0)
        print(f"collected static files ({time.perf_counter() - started:.1f}s)")


def vacuum(cfg: dict) -> None:
    """VACUUM (ANALYZE) the bench database after a build, as autovacuum would soon after a bulk load.

    COPY leaves the visibility map empty, so until a vacuum every index-only scan still visits the
    heap; a production database has had autovacuum over its tables long ago. VACUUM cannot run
    inside a transaction (each builder's is committed by now), and some servers run with
    autovacuum off (this machine's Debian cluster does), so the runner does it itself."""
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(
        host=cfg["HOST"] or None,
        port=cfg["PORT"] or None,
        user=cfg["USER"] or None,
        password=cfg["PASSWORD"] or None,
        dbname=cfg["NAME"],
        autocommit=True,
    ) as conn:
        conn.execute("VACUUM (ANALYZE)")
    print(f"vacuumed {cfg['NAME']} ({time.perf_counter() - started:.1f}s)")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    cfg = check_bench_database(args.database_url)
    configure_environment(args)

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from benchmarks.build import DatasetMismatch, ensure_dataset
    from benchmarks.harness import run_benchmark
    from benchmarks.registry import discover
    from benchmarks.report import RESULTS_PATH, format_table, machine_info, write_results
    from benchmarks.scales import get_scale

    if settings.DEBUG:
        raise SystemExit("DEBUG is on: benchmarks must run without it.")
    registry = discover()
    if args.list:
        for b in registry.ordered_datasets():
            print(f"dataset  {b.order:>3} {b.name:<24} {b.description}")
        for s in sorted(registry.scenarios.values(), key=lambda s: s.name):
            print(f"scenario     {s.name:<24} {s.description}")
        return 0
    scale = get_scale(args.scale)
    started_at = datetime.now(UTC)

    prepare_database(cfg, rebuild=args.rebuild)
    try:
        built = ensure_dataset(scale=scale, registry=registry, seed=args.seed)
    except DatasetMismatch as exc:
        print(f"the bench database holds another dataset ({exc}); rebuilding it from empty")
        connection.close()
        prepare_database(cfg, rebuild=True)
        built = ensure_dataset(scale=scale, registry=registry, seed=args.seed)
    for b in built:
        how = "built now" if b.built_now else "already built"
        print(f"dataset {b.name}: {how} at {b.scale} ({b.seconds:.1f}s to build)")
    if any(b.built_now for b in built):
        connection.close()
        vacuum(cfg)

    run = run_benchmark(
        scale=scale, registry=registry, names=args.only, repeat=args.repeat, calls=args.calls, seed=args.seed
    )
    machine = machine_info()
    print()
    print(
        f"Omnistore benchmarks, scale {scale.name}, repeat {args.repeat}, {started_at:%Y-%m-%d %H:%M} UTC: "
        f"{machine['cpu_model']}, {machine['cpu_cores']} cores, {machine['ram_gb']} GB RAM, "
        f"Python {machine['python']}, PostgreSQL {machine['postgresql']}, "
        f"load {' '.join(map(str, machine['load_average_1m_5m_15m'] or []))}"
    )
    print(format_table(run))
    output = args.output or RESULTS_PATH
    write_results(
        output,
        run=run,
        machine=machine,
        dataset=[b.to_dict() for b in built],
        extra={
            "started_at": started_at.isoformat(timespec="seconds"),
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "argv": sys.argv[1:] if argv is None else argv,
        },
    )
    print(f"\nwrote {output}")
    if run.failed:
        return 1
    return 1 if args.fail_on_miss and run.missed else 0


if __name__ == "__main__":
    sys.exit(main())
