"""Checks a running compose.yaml topology from the Docker host (docs/deploy.md 9.1); the standard library only.

    SECRET_KEY=... POSTGRES_PASSWORD=... docker-compose up -d --build
    docker-compose run --rm migrate python manage.py seed_demo --scale tiny --if-empty
    python3 deploy/compose_smoke.py [--url http://127.0.0.1:8080] [--seconds 30] [--clients 4]

1. /healthz and /readyz through nginx; 2. a demo associate signs in to the portal (the login form, then the
dashboard of LON-01), and the demo shopper signs in through the app API (allauth headless) and
places a pick-up order (a write through PgBouncer to the primary); 3. the order is read back on the replica and
the primary shows the replica streaming (pg_stat_replication); 4. clients send GETs through nginx (/readyz, and
the shopper's orders under the API's throttle) while web-1's gunicorn is killed (SIGKILL, from the host: a crash)
a third of the way in; every answer is counted by status; Docker restarts web-1 and nginx's log tells which host
answered each request. Exits 1 when a check fails. Run as root (the kill) from the checkout (it calls
`docker-compose` here; COMPOSE overrides the command).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

COMPOSE = shlex.split(os.environ.get("COMPOSE", "docker-compose"))
SHOPPER = {"email": "shopper@omnistore.local", "password": "omnistore-demo"}


def request(url: str, body: dict | None = None, headers: dict | None = None, timeout: float = 30) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        return status, json.loads(raw or b"{}")
    except ValueError:
        return status, {"raw": raw[:200].decode(errors="replace")}


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def portal_sign_in(url: str, email: str, password: str) -> tuple[int, str, str]:
    """An associate signs in to the portal with the login form: (status of the POST, its Location, the dashboard).

    nginx tells the app the request came over TLS (X-Forwarded-Proto), so its cookies are Secure: the standard
    cookie jar keeps them from a plain-HTTP URL, hence the cookies by hand; the Referer is what a browser on
    https would send (Django's CSRF check on a secure request)."""
    opener = urllib.request.build_opener(NoRedirect)
    cookies: dict[str, str] = {}

    def call(path: str, data: bytes | None = None) -> tuple[int, dict, str]:
        headers = {
            "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
            "Referer": f"https://{host}/accounts/login/",
        }
        try:
            response = opener.open(urllib.request.Request(url + path, data=data, headers=headers), timeout=60)
        except urllib.error.HTTPError as error:
            response = error
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            cookies[name] = rest.split(";", 1)[0]
        return response.status, response.headers, response.read().decode(errors="replace")

    host = url.split("://", 1)[1]
    _, _, form = call("/accounts/login/")
    token = form.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    fields = {"csrfmiddlewaretoken": token, "login": email, "password": password}
    status, headers, _ = call("/accounts/login/", urllib.parse.urlencode(fields).encode())
    _, _, dashboard = call("/portal/")
    title = dashboard.split("<title>", 1)[-1].split("</title>", 1)[0] if "<title>" in dashboard else ""
    return status, headers.get("Location", ""), title


def sql(service: str, query: str, host: str = "") -> str:
    """One value from psql in the `service` container (on the primary's own socket, or `host` over TCP)."""
    command = [*COMPOSE, "exec", "-T", service, "psql", "-U", "omnistore", "-d", "omnistore", "-Atc", query]
    if host:
        password = os.environ["POSTGRES_PASSWORD"]
        command[len(COMPOSE) + 3 : len(COMPOSE) + 3] = ["env", f"PGPASSWORD={password}"]
        command += ["-h", host]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip()


class Checks:
    def __init__(self):
        self.failed = []

    def check(self, ok: bool, what: str) -> None:
        print(("ok    " if ok else "FAIL  ") + what, flush=True)
        if not ok:
            self.failed.append(what)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    checks = Checks()

    for path in ("/healthz", "/readyz"):
        began = time.monotonic()
        status, body = request(args.url + path)
        checks.check(status == 200, f"GET {path} through nginx: {status} {body} in {time.monotonic() - began:.3f} s")

    began = time.monotonic()
    status, location, title = portal_sign_in(args.url, "associate.lon01@omnistore.local", SHOPPER["password"])
    took = time.monotonic() - began
    checks.check(
        status == 302 and location.endswith("/portal/") and "LON-01" in title,
        f"an associate signs in to the portal: {status} to {location}, then '{title}' ({took:.2f} s)",
    )

    status, body = request(args.url + "/_allauth/app/v1/auth/login", SHOPPER)
    token = body.get("meta", {}).get("session_token", "")
    checks.check(status == 200 and bool(token), f"the shopper signs in (app API): {status}")
    if not token:
        return 1
    shopper = {"X-Session-Token": token}
    sku, store = sql(
        "primary",
        "SELECT v.sku || ' ' || s.code FROM inventory_stocklevel l JOIN inventory_variant v ON v.id = l.variant_id"
        " JOIN retail_store s ON s.id = l.location_id WHERE s.pickup_enabled AND s.code = 'LON-01'"
        " AND l.available >= 5 ORDER BY v.sku LIMIT 1",
    ).split()
    order = {
        "channel": "app",
        "lines": [{"sku": sku, "quantity": 1}],
        "fulfillment": {"kind": "pickup", "store": store},
        "payments": [{"method": "card", "token": "tok_visa_4242"}],
    }
    began = time.monotonic()
    status, body = request(args.url + "/api/v1/orders/", order, {**shopper, "Idempotency-Key": str(uuid.uuid4())})
    took = time.monotonic() - began
    number = body.get("number") or body.get("id")
    checks.check(
        status == 201, f"the shopper places a pick-up order of {sku} at {store}: {status} {number} ({took:.2f} s)"
    )

    if status == 201:
        time.sleep(1)
        on_replica = sql("replica", f"SELECT count(*) FROM orders_order WHERE number = '{body.get('number')}'")
        checks.check(on_replica == "1", f"the order is on the replica: {on_replica} row")
    streaming = sql(
        "primary",
        "SELECT application_name || ' ' || state || ' ' || sync_state || ' replay lag '"
        " || pg_wal_lsn_diff(sent_lsn, replay_lsn) || ' bytes' FROM pg_stat_replication",
    )
    checks.check(" streaming " in streaming, f"pg_stat_replication on the primary: {streaming or 'no row'}")
    in_recovery = sql("replica", "SELECT pg_is_in_recovery()")
    checks.check(in_recovery == "t", f"the replica is a hot standby: pg_is_in_recovery() = {in_recovery}")

    # traffic through nginx while web-1 crashes: its gunicorn master is killed (SIGKILL) from the host, as a crash
    # would; Docker restarts it (restart: unless-stopped; `docker kill` would count as a deliberate stop instead)
    counts: collections.Counter[str] = collections.Counter()
    slowest = [0.0]
    lock = threading.Lock()
    last_shopper = [0.0]
    stop = time.monotonic() + args.seconds
    since = str(int(time.time()) - 1)

    def client() -> None:
        while time.monotonic() < stop:
            began = time.monotonic()
            with lock:  # the shopper's requests under the API's user throttle (600/min): 8/s, the rest /readyz
                mine = began - last_shopper[0] >= 0.125
                if mine:
                    last_shopper[0] = began
            path, headers = ("/api/v1/me/orders/", shopper) if mine else ("/readyz", {})
            try:
                status, _ = request(args.url + path, headers=headers, timeout=70)
                key = str(status)
            except OSError as error:
                key = type(error).__name__
            with lock:
                counts[key] += 1
                slowest[0] = max(slowest[0], time.monotonic() - began)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(args.clients)]
    for thread in threads:
        thread.start()
    time.sleep(args.seconds / 3)
    web1 = container_id("web-1")
    restarts = int(inspect(web1, "{{.RestartCount}}"))
    os.kill(int(inspect(web1, "{{.State.Pid}}")), signal.SIGKILL)
    killed_at = time.monotonic()
    print(f"      killed web-1's gunicorn (SIGKILL) at {args.seconds / 3:.0f} s", flush=True)
    for thread in threads:
        thread.join()
    total = sum(counts.values())
    print(f"      {total} requests in {args.seconds:.0f} s ({total / args.seconds:.1f}/s) by {args.clients} clients;"
          f" answers {dict(counts)}; slowest {slowest[0]:.2f} s", flush=True)  # fmt: skip
    checks.check(set(counts) == {"200"}, "every request answered 200 while web-1 crashed under it")

    while time.monotonic() - killed_at < 180 and inspect(web1, "{{.State.Health.Status}}") != "healthy":
        time.sleep(1)
    back = int(inspect(web1, "{{.RestartCount}}")) - restarts
    health = inspect(web1, "{{.State.Health.Status}}")
    after = time.monotonic() - killed_at
    checks.check(
        back == 1 and health == "healthy", f"Docker restarted web-1 ({back}), {health} {after:.0f} s after the kill"
    )
    for _ in range(20):
        request(args.url + "/healthz")
    upstreams: collections.Counter[str] = collections.Counter()
    log = subprocess.run(["docker", "logs", "--since", since, container_id("nginx")], capture_output=True, text=True)
    for line in log.stdout.splitlines():
        if line.count("|") == 3:
            upstreams[line.split("|")[1]] += 1
    moved = sum(n for upstream, n in upstreams.items() if "," in upstream)
    print(f"      nginx's upstreams (address: requests) since the load began: {dict(upstreams)}", flush=True)
    checks.check(moved >= 1, f"nginx sent {moved} request(s) on to the other host after the dead one failed them")
    web1_address = inspect(web1, "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}") + ":8000"
    last = [line.split("|")[1] for line in log.stdout.splitlines()[-20:] if line.count("|") == 3]
    checks.check(
        web1_address in last,
        f"nginx balances over web-1 ({web1_address}) again: {last.count(web1_address)} of the last {len(last)}",
    )

    print(f"\n{len(checks.failed)} failed" if checks.failed else "\nall checks passed", flush=True)
    return 1 if checks.failed else 0


def inspect(container: str, template: str) -> str:
    return subprocess.run(
        ["docker", "inspect", "-f", template, container], capture_output=True, text=True
    ).stdout.strip()


def container_id(service: str) -> str:
    return subprocess.run([*COMPOSE, "ps", "-q", service], capture_output=True, text=True, check=True).stdout.strip()


if __name__ == "__main__":
    sys.exit(main())
