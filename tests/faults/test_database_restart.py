"""PostgreSQL drops the site's connections, then refuses new ones for a while (a failover, a restart).

A real gunicorn process serves the test database with persistent connections (CONN_MAX_AGE), as in
production. Its connections are killed from outside; then the database is closed to new connections
and opened again. The site must answer /readyz honestly all along (503 while it cannot reach the
database, never a hang) and recover by itself: no restart, no 500 once the database is back.
"""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from tests.factories import StoreFactory
from tests.helpers import database_url

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

WAIT = 30


def get(base: str, path: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(base + path, timeout=WAIT) as response:  # noqa: S310 — loopback test server
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


@pytest.fixture
def server(tmp_path):
    """gunicorn (one sync worker) on a free loopback port, against the pytest database; killed at teardown."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(
        DJANGO_ENV="test",
        DATABASE_URL=database_url(),
        DB_CONN_MAX_AGE="600",
        DB_CONNECT_TIMEOUT="2",
    )
    log = tmp_path / "gunicorn.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(Path(sys.executable).with_name("gunicorn")), "retail.wsgi", "--bind", f"127.0.0.1:{port}",
             "--workers", "1", "--timeout", "60"],
            cwd=settings.BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if get(base, "/healthz")[0] == 200:
                break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("gunicorn did not start\n" + log.read_text())
    yield base
    process.kill()
    process.wait(timeout=WAIT)


def kill_other_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def allow_connections(allowed: bool) -> None:
    """Open or close the test database to new connections (from the server's maintenance database)."""
    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"], password=db["PASSWORD"] or None,
        dbname="postgres", autocommit=True,
    ) as admin:  # fmt: skip
        admin.execute(f'ALTER DATABASE "{db["NAME"]}" ALLOW_CONNECTIONS {str(allowed).lower()}')


def test_the_site_recovers_by_itself_when_the_database_drops_its_connections(server):
    StoreFactory(code="LON-01")
    # given a site holding a persistent database connection
    assert get(server, "/api/v1/stores/")[0] == 200
    # when the database kills it (a failover, a restart, an operator)
    assert kill_other_connections() >= 1
    # then the next requests reconnect: no 500, ready
    status, stores = get(server, "/api/v1/stores/")
    assert status == 200 and [s["code"] for s in stores["results"]] == ["LON-01"]
    assert get(server, "/readyz") == (200, {"status": "ok", "checks": {"database": "ok", "redis": "ok"}})

    try:
        # when the database refuses new connections for a while and drops the current ones
        allow_connections(False)
        kill_other_connections()
        # then /readyz says so at once (503 naming the database), and the API fails cleanly
        down = {"status": "unavailable", "checks": {"database": "error", "redis": "ok"}}
        assert get(server, "/readyz") == (503, down)
        status, body = get(server, "/api/v1/stores/")
        assert status == 500 and body["code"] == "server_error"
    finally:
        allow_connections(True)
    # when it accepts connections again, the same process is ready and serves again, by itself
    assert get(server, "/readyz")[0] == 200
    assert get(server, "/api/v1/stores/")[0] == 200
