"""The rehearsal's processes, each started in its own process group and stopped (or killed) by it.

Every process is started with the parent-death signal set (Linux `PR_SET_PDEATHSIG`): should the
rehearsal itself be killed outright, its servers do not outlive it. A normal exit, an exception,
Ctrl-C or SIGTERM stop them through `Hosts.close()` (SIGTERM, then SIGKILL after a bound).
"""

from __future__ import annotations

import contextlib
import ctypes
import email.parser
import grp
import http.client
import os
import pwd
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.ports import free_port

WAIT_S = 60
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # runs in the child between fork and exec
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class HostDown(RuntimeError):
    pass


@dataclass
class Process:
    """One server process (and its children) in a process group of its own."""

    name: str
    command: list[str]
    log_path: Path
    env: dict | None = None
    cwd: Path | None = None
    process: subprocess.Popen | None = field(default=None, repr=False)
    starts: int = 0

    def spawn(self) -> None:
        assert not self.alive, f"{self.name} is already running"
        self.starts += 1
        with self.log_path.open("a") as out:
            out.write(f"\n--- start {self.starts} at {time.strftime('%H:%M:%S')}\n")
            out.flush()
            self.process = subprocess.Popen(
                self.command, env=self.env, cwd=self.cwd, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True, preexec_fn=_die_with_parent,
            )  # fmt: skip

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL to the whole group, as a host that loses power: nothing is flushed, nothing says goodbye."""
        self._signal(signal.SIGKILL)
        self._reap(WAIT_S)

    def stop(self, timeout: float = 15) -> None:
        if not self.alive:
            self._signal(signal.SIGKILL)  # children of a leader that died on its own
            return
        self._signal(signal.SIGTERM)
        if not self._reap(timeout):
            self._signal(signal.SIGKILL)
            self._reap(WAIT_S)

    def _signal(self, signum: int) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signum)

    def _reap(self, timeout: float) -> bool:
        if self.process is None:
            return True
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return False
        # the group's other members (gunicorn's or Celery's children) go with their leader
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and _group_alive(self.process.pid):
            time.sleep(0.05)
        return not _group_alive(self.process.pid)

    def log_tail(self, chars: int = 3000) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")[-chars:]
        return ""

    def wait_for(self, ready, what: str, timeout: float = WAIT_S) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if ready():
                return
            if not self.alive:
                raise HostDown(f"{self.name} exited ({self.process.returncode}) before {what}:\n{self.log_tail()}")
            time.sleep(0.1)
        raise HostDown(f"{self.name}: no {what} within {timeout:g} s:\n{self.log_tail()}")


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def answers_http(port: int, path: str = "/readyz") -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", path, headers={"X-Forwarded-Proto": "https"})
        ok = conn.getresponse().status == 200
        conn.close()
        return ok
    except (OSError, http.client.HTTPException):
        return False


def answers_redis(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def unprivileged_user() -> str | None:
    """Servers that refuse root (nginx's workers) run as this user when we are root."""
    if os.geteuid() != 0:
        return None
    for name in ("nobody", "postgres"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    return None


# --- the servers ----------------------------------------------------------------------------------


def redis(workdir: Path) -> tuple[Process, str]:
    """A private redis-server on a free port, no persistence (as docs/deploy.md 4 allows)."""
    port = free_port()
    command = [shutil.which("redis-server") or "redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save",
               "", "--appendonly", "no", "--dir", str(workdir), "--maxmemory-policy", "noeviction"]  # fmt: skip
    process = Process("redis", command, workdir / "redis.log")
    process.spawn()
    process.wait_for(lambda: answers_redis(port), "PONG")
    return process, f"redis://127.0.0.1:{port}/0"


def gunicorn(name: str, *, env: dict, workers: int, workdir: Path, base_dir: Path) -> tuple[Process, int]:
    """One web "host": gunicorn's sync workers serving retail.wsgi (counting statements, as the load does)."""
    port = free_port()
    command = [str(Path(sys.executable).with_name("gunicorn")), "benchmarks.load_wsgi:application",
               "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--worker-class", "sync",
               "--timeout", "60", "--graceful-timeout", "10", "--backlog", "512", "--no-control-socket",
               "--access-logfile", "-", "--access-logformat", '%(h)s "%(r)s" %(s)s %(M)sms']  # fmt: skip
    return Process(name, command, workdir / f"{name}.log", env=env, cwd=base_dir), port


def start_web(host: Process, port: int, *, wait: bool = True):
    """Start a web host; with `wait=False`, return the function that waits until it is ready."""
    host.spawn()

    def ready() -> None:
        host.wait_for(lambda: answers_http(port), "200 on /readyz")

    return ready() if wait else ready


def celery(name: str, *, env: dict, workdir: Path, base_dir: Path, concurrency: int = 2, beat: bool = False) -> Process:
    """A Celery worker (prefork, `concurrency` processes) or, with `beat`, the one beat of the deployment."""
    celery_bin = str(Path(sys.executable).with_name("celery"))
    if beat:
        command = [celery_bin, "-A", "retail", "beat", "--loglevel", "INFO",
                   "--schedule", str(workdir / "beat-schedule"), "--pidfile", ""]  # fmt: skip
    else:
        command = [celery_bin, "-A", "retail", "worker", "--loglevel", "INFO", "-n", f"{name}@%h",
                   "--concurrency", str(concurrency), "--without-gossip", "--without-mingle"]  # fmt: skip
    return Process(name, command, workdir / f"{name}.log", env=env, cwd=base_dir)


def start_celery(process: Process, *, wait: bool = True):
    """Start a worker or beat; with `wait=False`, return the function that waits until it is ready."""
    mark = len(process.log_tail(10**7))  # what an earlier start wrote
    process.spawn()
    line = "beat: Starting" if "beat" in process.command else " ready."

    def ready() -> None:
        process.wait_for(lambda: line in process.log_tail(10**7)[mark:], f"'{line.strip()}' in its log")

    return ready() if wait else ready


UPSTREAM_SERVER = "server {address} max_fails=1 fail_timeout=5s;"
NGINX_CONFIG = """\
# The rehearsal's load balancer (tests/cluster): round robin over the web hosts, passive health checks.
worker_processes 1;
daemon off;
master_process on;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
{user}
events {{ worker_connections 1024; }}

http {{
    log_format upstream '$remote_addr "$request" $status|$upstream_addr|$upstream_status|$request_time';
    access_log {dir}/nginx-access.log upstream;
    client_body_temp_path {dir}/tmp/body;
    proxy_temp_path {dir}/tmp/proxy;
    fastcgi_temp_path {dir}/tmp/fastcgi;
    uwsgi_temp_path {dir}/tmp/uwsgi;
    scgi_temp_path {dir}/tmp/scgi;

    upstream omnistore_web {{
        # a host that fails once is left alone for 5 s, then tried again (passive health checks)
{servers}
    }}

    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://omnistore_web;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            # TLS ends at the load balancer in production; plain HTTP on loopback stands in for it here
            proxy_set_header X-Forwarded-Proto https;
            # the next host answers a request the first could not: GET/HEAD always; POST only when it was
            # never sent (connection refused), never after (nginx's default: no `non_idempotent`)
            proxy_next_upstream error timeout http_502 http_503 http_504;
            proxy_next_upstream_tries 2;
            proxy_connect_timeout 2s;
            proxy_read_timeout 60s;
        }}
    }}
}}
"""


def nginx(*, web_ports: list[int], workdir: Path) -> tuple[Process, int]:
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(binary).exists():
        raise HostDown("nginx is not installed: `apt-get install nginx` (Debian's package; only its binary is used).")
    port = free_port()
    folder = workdir / "nginx"
    for sub in ("tmp/body", "tmp/proxy", "tmp/fastcgi", "tmp/uwsgi", "tmp/scgi"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    user = unprivileged_user()
    if user:  # nginx's workers run as `user`; they write request bodies under tmp/
        for path in (folder / "tmp", *(folder / "tmp").iterdir()):
            shutil.chown(path, user=user)
        workdir.chmod(0o755)
        folder.chmod(0o755)
    servers = "\n".join(" " * 8 + UPSTREAM_SERVER.format(address=f"127.0.0.1:{p}") for p in web_ports)
    group = grp.getgrgid(pwd.getpwnam(user).pw_gid).gr_name if user else ""
    config = NGINX_CONFIG.format(dir=folder, port=port, servers=servers, user=f"user {user} {group};" if user else "")
    (folder / "nginx.conf").write_text(config)
    check = subprocess.run([binary, "-t", "-p", str(folder), "-c", str(folder / "nginx.conf")],
                           capture_output=True, text=True, check=False)  # fmt: skip
    if check.returncode != 0:
        raise HostDown(f"nginx refused its configuration:\n{check.stderr}")
    process = Process("nginx", [binary, "-p", str(folder), "-c", str(folder / "nginx.conf")], workdir / "nginx.log")
    process.spawn()
    process.wait_for(lambda: answers_http(port, "/healthz"), "200 on /healthz through it")
    return process, port


# --- the mail relay: what leaves the outbox -------------------------------------------------------


def socket_owner(client_port: int, server_port: int) -> int | None:
    """The process holding the loopback connection from `client_port` to `server_port` (Linux /proc)."""
    inode = None
    with contextlib.suppress(OSError), open("/proc/net/tcp") as table:
        for line in table.readlines()[1:]:
            fields = line.split()
            local, remote = (int(f.split(":")[1], 16) for f in fields[1:3])
            if (local, remote) == (client_port, server_port):
                inode = fields[9]
    if inode is None:
        return None
    for pid in filter(str.isdigit, os.listdir("/proc")):
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                if os.readlink(f"/proc/{pid}/fd/{fd}") == f"socket:[{inode}]":
                    return int(pid)
    return None


class SmtpSink:
    """A minimal SMTP server on loopback that keeps each message's `X-Idempotency-Key` (orders'
    notifications carry `outbox:<id>`): the outside world that must receive each message, once.

    `trap(pgid)` holds the answer to the next message sent by that process group (a Celery worker) until
    `release()`: the rehearsal kills the worker then, with the message received and its delivery not
    yet recorded (the at-least-once case: the outbox must send it again, with the same key)."""

    def __init__(self):
        self.received: list[dict] = []
        self.lock = threading.Lock()
        self.trap_group: int | None = None
        self.trapped = threading.Event()
        self.released = threading.Event()
        sink = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                with contextlib.suppress(OSError):  # a client killed mid-conversation (the rehearsal's doing)
                    self.converse()

            def converse(self):
                self.wfile.write(b"220 cluster-sink ESMTP\r\n")
                while line := self.rfile.readline():
                    verb = line.decode(errors="replace").strip().split(" ")[0].upper()
                    if verb in ("EHLO", "HELO"):
                        self.wfile.write(b"250 cluster-sink\r\n")
                    elif verb == "DATA":
                        self.wfile.write(b"354 end with .\r\n")
                        body = []
                        while (chunk := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
                            body.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                        sink.keep(b"".join(body))
                        if sink.holds(self.client_address[1]):
                            sink.trapped.set()
                            sink.released.wait(WAIT_S)
                        self.wfile.write(b"250 queued\r\n")
                    elif verb == "QUIT":
                        self.wfile.write(b"221 bye\r\n")
                        return
                    else:  # MAIL, RCPT, RSET, NOOP
                        self.wfile.write(b"250 ok\r\n")

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, name="smtp-sink", daemon=True)

    def keep(self, raw: bytes) -> None:
        message = email.parser.BytesParser().parsebytes(raw, headersonly=True)
        with self.lock:
            self.received.append({"key": message.get("X-Idempotency-Key", ""), "to": message.get("To", "")})

    def holds(self, client_port: int) -> bool:
        group = self.trap_group
        if group is None:
            return False
        pid = socket_owner(client_port, self.port)
        with contextlib.suppress(OSError):
            if pid is not None and os.getpgid(pid) == group:
                self.trap_group = None  # one message only
                return True
        return False

    def trap(self, pgid: int) -> None:
        self.trapped.clear()
        self.released.clear()
        self.trap_group = pgid

    def release(self) -> None:
        self.trap_group = None
        self.released.set()

    def keys(self) -> list[str]:
        with self.lock:
            return [m["key"] for m in self.received]

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.release()
        self.server.shutdown()
        self.server.server_close()
