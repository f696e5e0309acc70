"""Before the suite: say clearly if PostgreSQL or Redis cannot be reached, instead of 300 errors."""

import os
import sys

import dj_database_url
import psycopg
import redis


def main() -> int:
    db_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    problems = []
    cfg = dj_database_url.parse(db_url) if db_url else {}
    if cfg.get("ENGINE") != "django.db.backends.postgresql":
        problems.append(f"DATABASE_URL must point at PostgreSQL for the tests (got {db_url or 'nothing'}).")
    else:
        try:
            psycopg.connect(
                host=cfg["HOST"] or None,
                port=cfg["PORT"] or None,
                user=cfg["USER"] or None,
                password=cfg["PASSWORD"] or None,
                dbname="postgres",
                connect_timeout=3,
            ).close()
        except Exception as exc:  # noqa: BLE001
            problems.append(
                f"PostgreSQL is not reachable at {cfg['HOST']}:{cfg['PORT'] or 5432} ({exc}).\n"
                "    Start it, e.g.: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
            )
    if not redis_url:
        problems.append("REDIS_URL must be set for the tests (e.g. redis://127.0.0.1:6379/0).")
    else:
        try:
            redis.Redis.from_url(redis_url, socket_connect_timeout=3).ping()
        except Exception as exc:  # noqa: BLE001
            problems.append(
                f"Redis is not reachable at {redis_url} ({exc}).\n"
                "    Start it, e.g.: redis-server --daemonize yes --bind 127.0.0.1 --port 6379"
                ' --save "" --appendonly no'
            )
    if problems:
        print("Cannot run the test suite:", *problems, sep="\n  - ", file=sys.stderr)
        return 2
    print(f"PostgreSQL and Redis reachable ({cfg['HOST']}:{cfg['PORT'] or 5432}, {redis_url}).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
