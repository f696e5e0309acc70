"""Fault-injection harness: a private redis-server the tests start, stop and restart.

It listens on a free port of 127.0.0.1 the kernel picks (or FAULTS_REDIS_PORT), so that stopping it
never touches the shared Redis other test runs use, and two runs on one machine never meet on one port.
Every wait is bounded; the server is killed at teardown.
"""

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.ports import free_port
from tests.retail.test_outbox_worker import broker, producer, queue, start_worker  # noqa: F401 — the worker harness

FIXED_PORT = os.environ.get("FAULTS_REDIS_PORT")


WAIT = 30


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _wait(condition, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    pytest.fail(f"gave up waiting for {what}\n" + (log.read_text() if log and log.exists() else ""))


class PrivateRedis:
    """One redis-server process at a time on its port, with no persistence: a restart starts empty."""

    def __init__(self, tmp_path: Path):
        self.tmp_path = tmp_path
        self.process: subprocess.Popen | None = None
        self.port = int(FIXED_PORT) if FIXED_PORT else free_port()  # kept across restarts
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.starts = 0

    def start(self) -> None:
        assert self.process is None, "already running"
        if _answers(self.port):
            pytest.fail(f"something else already answers on port {self.port}; set FAULTS_REDIS_PORT")
        self.starts += 1
        log = self.tmp_path / f"redis-{self.starts}.log"
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", str(self.tmp_path), "--logfile", str(log),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        _wait(lambda: _answers(self.port) or self.process.poll() is not None, "redis-server to start", log)
        assert self.process.poll() is None, log.read_text()

    def stop(self) -> None:
        """Kill it outright (SIGKILL), as a crashed or rebooted Redis would vanish."""
        if self.process is None:
            return
        self.process.kill()
        self.process.wait(timeout=WAIT)
        self.process = None
        _wait(lambda: not _answers(self.port), "the port to close")


@pytest.fixture
def private_redis(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed (apt-get install redis-server)")
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def broker_on_private_redis(private_redis, monkeypatch):
    """Point the shared worker harness (producer, start_worker, broker) at the private Redis."""
    monkeypatch.setenv("TEST_BROKER_URL", private_redis.url)
    return private_redis
