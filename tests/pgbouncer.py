"""A real PgBouncer in transaction-pooling mode in front of the suite's PostgreSQL (`TEST_POOLER=pgbouncer`).

In transaction pooling, each transaction of one Django connection may run on another server
connection, so anything kept in a server session between transactions is lost or leaks to the next
client: session advisory locks, `SET` without `LOCAL`, server-side cursors, prepared statements.
CI runs the concurrency, idempotency and search tests through this pooler (.ci/pgbouncer-subset)
with `DB_POOL_MODE=transaction`, as a deployment behind PgBouncer would (docs/deploy.md 3.1).

PgBouncer is Debian's package (`apt-get install pgbouncer`); it refuses to run as root, so as root it
runs as the system user `postgres` (the PostgreSQL package's) or `nobody`.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import dj_database_url
import psycopg

from tests.ports import free_port

INSTALL = (
    "PgBouncer is not installed: `sudo apt-get install pgbouncer` (Debian/Ubuntu), `brew install pgbouncer` (macOS)."
)
ADMIN_DATABASE = "pgbouncer"


def _run_as() -> str | None:
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise SystemExit("PgBouncer does not run as root and no unprivileged user (postgres, nobody) exists.")


def _config(upstream: dict, port: int, workdir: Path) -> str:
    server = f"host={upstream['HOST'] or '127.0.0.1'} port={upstream['PORT'] or 5432}"
    if upstream["PASSWORD"]:
        server += f" password={upstream['PASSWORD']}"
    user = upstream["USER"] or "postgres"
    return f"""\
[databases]
* = {server}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {workdir / "userlist.txt"}
admin_users = {user}
pool_mode = transaction
; Django's connection options (`-c jit=off`) are a startup parameter PgBouncer does not pass on;
; DB_POOL_MODE=transaction stops sending them, this only keeps an older client from being refused.
ignore_startup_parameters = extra_float_digits, options
max_client_conn = 500
default_pool_size = 20
server_reset_query =
logfile = {workdir / "pgbouncer.log"}
pidfile = {workdir / "pgbouncer.pid"}
"""


@contextlib.contextmanager
def running_pgbouncer(upstream_url: str, *, log=print) -> Iterator[str]:
    """Start a PgBouncer (transaction pooling) in front of `upstream_url`; yield the same database's
    URL through it; stop it and remove its files on the way out."""
    binary = shutil.which("pgbouncer") or next(
        (p for p in ("/usr/sbin/pgbouncer", "/usr/local/bin/pgbouncer") if Path(p).exists()), None
    )
    if binary is None:
        raise SystemExit(INSTALL)
    upstream = dj_database_url.parse(upstream_url)
    workdir = Path(tempfile.mkdtemp(prefix="omnistore-pgbouncer-"))
    port = free_port()
    user = upstream["USER"] or "postgres"
    (workdir / "userlist.txt").write_text(f'"{user}" ""\n')
    (workdir / "pgbouncer.ini").write_text(_config(upstream, port, workdir))
    command = [binary, str(workdir / "pgbouncer.ini")]
    if run_as := _run_as():
        shutil.chown(workdir, user=run_as)
        for path in workdir.iterdir():
            shutil.chown(path, user=run_as)
        command[1:1] = ["-u", run_as]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            if process.poll() is not None or time.monotonic() > deadline:
                tail = (workdir / "pgbouncer.log").read_text()[-2000:] if (workdir / "pgbouncer.log").exists() else ""
                raise SystemExit(f"PgBouncer did not start (exit {process.poll()}).\n{tail}")
            time.sleep(0.1)
        log(f"PgBouncer {_version(binary)} on 127.0.0.1:{port}, transaction pooling, in front of the server")
        password = f":{quote(upstream['PASSWORD'], safe='')}" if upstream["PASSWORD"] else ""
        yield f"postgres://{quote(user, safe='')}{password}@127.0.0.1:{port}/{upstream['NAME']}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(workdir, ignore_errors=True)


def _version(binary: str) -> str:
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False).stdout
    return out.split()[1] if out.split()[:1] == ["PgBouncer"] else "?"


def release_database(pooler_url: str, database: str) -> None:
    """Close the pooler's server connections to `database`, so the server lets it be dropped
    (`DROP DATABASE` refuses while PgBouncer keeps idle server connections to it)."""
    cfg = dj_database_url.parse(pooler_url)
    with psycopg.connect(
        host=cfg["HOST"],
        port=cfg["PORT"],
        user=cfg["USER"] or None,
        password=cfg["PASSWORD"] or None,
        dbname=ADMIN_DATABASE,
        autocommit=True,
        connect_timeout=5,
    ) as admin:
        # The admin console speaks the simple query protocol only: no parameters, a quoted identifier.
        name = database.replace('"', "")
        admin.execute(f'KILL "{name}"', prepare=False)
