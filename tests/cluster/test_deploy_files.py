"""The container files (Dockerfile, compose.yaml, deploy/) describe the rehearsal's topology.

Building and running them takes minutes and a Docker daemon (docs/deploy.md 9.1 says how it was done,
with deploy/offline-images.sh and deploy/compose_smoke.py), so the suite checks them statically: the
compose file parses and has every host of `make cluster`, one beat, the app through PgBouncer in
transaction pooling with the replica for reports; every base image is the official one unless
overridden, and the offline stand-ins are the ones the script builds; the image installs the locked
requirements; nginx balances with the rehearsal's upstream and proxy settings; PgBouncer pools as
tests/pgbouncer.py does.
"""

import re
from pathlib import Path

import yaml

from tests.cluster.hosts import NGINX_CONFIG, UPSTREAM_SERVER

ROOT = Path(__file__).resolve().parents[2]
HOSTS = {"primary", "replica", "pgbouncer", "redis", "migrate", "web-1", "web-2", "nginx", "worker-1", "worker-2",
         "beat"}  # fmt: skip


def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def directives(text: str, block: str) -> list[str]:
    """The directives of an nginx block (`location /`, `upstream ...`), comments and spacing aside."""
    body = text.split(block, 1)[1].split("}", 1)[0]
    return [" ".join(line.split()) for line in body.splitlines() if line.strip() and not line.strip().startswith("#")]


def test_compose_has_every_host_of_the_rehearsal_and_one_beat():
    services = compose()["services"]
    assert set(services) == HOSTS
    app = [name for name, s in services.items() if s.get("image") == "omnistore:latest"]
    assert set(app) == {"migrate", "web-1", "web-2", "worker-1", "worker-2", "beat"}
    commands = [" ".join(services[name].get("command") or []) for name in app]
    assert sum(" beat" in c for c in commands) == 1 and not any("--beat" in c for c in commands)
    assert sum(" worker " in c for c in commands) == 2


def test_the_app_reaches_the_primary_through_pgbouncer_in_transaction_pooling_and_reads_reports_from_the_replica():
    services = compose()["services"]
    for name in ("web-1", "web-2", "worker-1", "worker-2", "beat"):
        env = services[name]["environment"]
        assert "@pgbouncer:6432/" in env["DATABASE_URL"] and env["DB_POOL_MODE"] == "transaction", name
        assert "@replica:5432/" in env["DATABASE_REPLICA_URL"] and env["REDIS_URL"].startswith("redis://redis:")
        assert env["DJANGO_ENV"] == "production" and env["TRUSTED_PROXY_COUNT"] == "1"
    # migrations run on the primary itself (DDL, advisory locks of a session), before any host starts
    assert "@primary:5432/" in services["migrate"]["environment"]["DATABASE_URL"]
    assert services["web-1"]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    # healthy only once the real server listens: over TCP, not the socket initdb's temporary server also answers on
    assert services["primary"]["healthcheck"]["test"][:4] == ["CMD", "pg_isready", "-h", "127.0.0.1"]
    assert services["migrate"]["depends_on"]["primary"] == {"condition": "service_healthy"}
    replica = (ROOT / "deploy/replica-start.sh").read_text()
    assert "pg_basebackup -h primary" in replica and " -R " in replica and "hot_standby=on" in replica
    ini = (ROOT / "deploy/pgbouncer.ini").read_text()
    assert re.search(r"^pool_mode = transaction$", ini, re.M)
    assert re.search(r"^ignore_startup_parameters = extra_float_digits, options$", ini, re.M)


def test_the_image_installs_the_locked_requirements_and_serves_with_gunicorn():
    dockerfile = (ROOT / "Dockerfile").read_text()
    # from the index, or from deploy/wheels/ (offline), hashes checked either way; pip's stage is not the image's
    assert 'pip install --prefix /install "$@" --require-hashes --no-deps -r /tmp/requirements.lock' in dockerfile
    assert "COPY --from=requirements /install /usr/local" in dockerfile
    assert "collectstatic" in dockerfile and "gunicorn retail.wsgi" in dockerfile and "USER omnistore" in dockerfile
    # found by running it (docs/deploy.md 9.1): the port opens once the app is imported, so nginx moves requests off
    # a (re)starting host at once; gunicorn's control socket would go under /app, which the app user cannot write
    assert "--preload --no-control-socket" in dockerfile
    apps = {p.parent.name for p in ROOT.glob("*/apps.py")}
    copied = set(re.findall(r"^COPY (\w+) \./\1$", dockerfile, re.M))
    assert apps <= copied, f"the image misses {apps - copied}"


def test_nginx_balances_as_in_the_rehearsal():
    deployed = (ROOT / "deploy/nginx.conf").read_text()
    rehearsed = NGINX_CONFIG.replace("{{", "{").replace("}}", "}")
    assert directives(deployed, "location / {") == directives(rehearsed, "location / {")
    servers = directives(deployed, "upstream omnistore_web {")
    assert servers == [UPSTREAM_SERVER.format(address=f"web-{i}:8000") for i in (1, 2)]


OFFICIAL = {
    "PYTHON_IMAGE": "python:3.13-slim-bookworm",
    "POSTGRES_IMAGE": "postgres:15-bookworm",
    "REDIS_IMAGE": "redis:7-bookworm",
    "NGINX_IMAGE": "nginx:stable-bookworm",
    "DEBIAN_IMAGE": "debian:bookworm-slim",
}


def test_every_base_image_is_the_official_one_unless_overridden_and_the_script_builds_the_stand_ins():
    services = compose()["services"]
    images = {name: s["image"] for name, s in services.items() if "image" in s and name not in
              {"migrate", "web-1", "web-2", "worker-1", "worker-2", "beat"}}  # fmt: skip
    assert images == {
        "primary": "${POSTGRES_IMAGE:-postgres:15-bookworm}",
        "replica": "${POSTGRES_IMAGE:-postgres:15-bookworm}",
        "redis": "${REDIS_IMAGE:-redis:7-bookworm}",
        "nginx": "${NGINX_IMAGE:-nginx:stable-bookworm}",
    }
    for name in ("migrate", "web-1", "beat"):
        assert services[name]["build"]["args"] == {"PYTHON_IMAGE": "${PYTHON_IMAGE:-python:3.13-slim-bookworm}"}
    assert services["pgbouncer"]["build"]["args"] == {"DEBIAN_IMAGE": "${DEBIAN_IMAGE:-debian:bookworm-slim}"}
    for dockerfile, variable in (("Dockerfile", "PYTHON_IMAGE"), ("deploy/pgbouncer.Dockerfile", "DEBIAN_IMAGE")):
        text = (ROOT / dockerfile).read_text()
        assert f"ARG {variable}={OFFICIAL[variable]}\n" in text and f"FROM ${{{variable}}}" in text, dockerfile
    # the stand-ins: each on the debootstrapped Debian, tagged as the script's closing advice says
    script = (ROOT / "deploy/offline-images.sh").read_text()
    advice = dict(re.findall(r"(\w+_IMAGE)=(omnistore-offline/[\w.:-]+)", script))
    assert advice == {
        "PYTHON_IMAGE": "omnistore-offline/python:3.13",
        "POSTGRES_IMAGE": "omnistore-offline/postgres:15",
        "REDIS_IMAGE": "omnistore-offline/redis:7",
        "NGINX_IMAGE": "omnistore-offline/nginx:bookworm",
        "DEBIAN_IMAGE": "omnistore-offline/debian:bookworm",
    }
    assert "docker import" in script and "build omnistore-offline/python:3.13 " in script
    assert "for service in postgres:15 redis:7 nginx:bookworm; do" in script
    for name in ("python", "postgres", "redis", "nginx"):
        text = (ROOT / f"deploy/offline/{name}.Dockerfile").read_text()
        assert "ARG DEBIAN_IMAGE=omnistore-offline/debian:bookworm\nFROM ${DEBIAN_IMAGE}\n" in text, name
    assert (ROOT / "deploy/wheels/.gitignore").read_text().splitlines()[1:] == ["*", "!.gitignore"]
