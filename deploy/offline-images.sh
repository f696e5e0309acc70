#!/bin/sh
# Builds local stand-ins for the official images compose.yaml starts from, for a Docker host that reaches no image
# registry but does reach Debian's package archive and the Python package index (docs/deploy.md 9.1):
#   omnistore-offline/debian:bookworm    debootstrap --variant=minbase bookworm, imported with `docker import`
#   omnistore-offline/python:3.13        that + a CPython 3.13 built on Debian bookworm (PYTHON_ROOT)
#   omnistore-offline/postgres:15        that + Debian's postgresql-15 and deploy/offline/postgres-entrypoint.sh
#   omnistore-offline/redis:7            that + Debian's redis-server (7.0)
#   omnistore-offline/nginx:bookworm     that + Debian's nginx (1.22)
# and downloads the wheels of requirements.lock (hashes checked) into deploy/wheels/, which the app image's build
# then installs from. Needs root (debootstrap), docker and pip. Then:
#   export PYTHON_IMAGE=omnistore-offline/python:3.13 POSTGRES_IMAGE=omnistore-offline/postgres:15 \
#          REDIS_IMAGE=omnistore-offline/redis:7 NGINX_IMAGE=omnistore-offline/nginx:bookworm \
#          DEBIAN_IMAGE=omnistore-offline/debian:bookworm
#   SECRET_KEY=... POSTGRES_PASSWORD=... docker-compose up --build
# Environment: MIRROR (default: the first bookworm URI of this machine's apt sources, else deb.debian.org),
# PYTHON_ROOT (default: pyenv's 3.13.0; an installation prefix of CPython 3.13 built on Debian bookworm),
# PIP (default: python3 -m pip), BUILD_NETWORK (default: host; the network of the builds' apt-get).
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PYTHON_ROOT=${PYTHON_ROOT:-$HOME/.pyenv/versions/3.13.0}
PIP=${PIP:-python3 -m pip}
BUILD_NETWORK=${BUILD_NETWORK:-host}
if [ -z "${MIRROR:-}" ]; then
  MIRROR=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
           | grep -Eo 'https?://[^ ]+/debian/?( |$)' | grep -v security | head -n 1 | tr -d ' ')
  MIRROR=${MIRROR:-http://deb.debian.org/debian}
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
step() { printf '\n== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }

step "Debian bookworm from $MIRROR"
if ! docker image inspect omnistore-offline/debian:bookworm > /dev/null 2>&1; then
  debootstrap --variant=minbase bookworm "$WORK/rootfs" "$MIRROR"
  rm -rf "$WORK/rootfs/var/cache/apt/archives/"*.deb "$WORK/rootfs/var/cache/apt/"*.bin "$WORK/rootfs/var/lib/apt/lists/"*
  # as the official Debian images: apt keeps no package caches, and dpkg installs no manuals or documentation
  cat > "$WORK/rootfs/etc/apt/apt.conf.d/docker-clean" <<'CONF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";
Acquire::Languages "none";
CONF
  cat > "$WORK/rootfs/etc/dpkg/dpkg.cfg.d/docker-slim" <<'CONF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
CONF
  tar -C "$WORK/rootfs" -c . | docker import --change 'CMD ["bash"]' --change 'ENV LANG=C.UTF-8' - \
    omnistore-offline/debian:bookworm
  rm -rf "$WORK/rootfs"
fi

build() {  # tag dockerfile context
  docker build --network "$BUILD_NETWORK" --build-arg DEBIAN_IMAGE=omnistore-offline/debian:bookworm \
    -t "$1" -f "$2" "$3"
}

step "CPython from $PYTHON_ROOT"
"$PYTHON_ROOT/bin/python3" -c 'import sys; assert sys.version_info[:2] == (3, 13), sys.version'
mkdir "$WORK/python"
# what the official slim image leaves out too: tests, byte code, the static library; and pip's scripts (their
# first line names the interpreter's old place) and anything installed beside pip
tar -C "$PYTHON_ROOT" -c --exclude='test' --exclude='tests' --exclude='idle_test' --exclude='*.pyc' \
    --exclude='__pycache__' --exclude='*.a' --exclude='./bin/pip*' --exclude='./bin/idle*' --exclude='./bin/2to3*' \
    --exclude='./lib/python3.13/site-packages' --exclude='./lib/python3.13/tkinter' \
    --exclude='./lib/python3.13/idlelib' --exclude='./lib/python3.13/turtledemo' \
    --exclude='./lib/python3.13/lib-dynload/_tkinter*' --exclude='./lib/python3.13/lib-dynload/_test*' . \
  | tar -C "$WORK/python" -x
mkdir -p "$WORK/python/lib/python3.13/site-packages"
for d in "$PYTHON_ROOT"/lib/python3.13/site-packages/pip "$PYTHON_ROOT"/lib/python3.13/site-packages/pip-*.dist-info; do
  cp -a "$d" "$WORK/python/lib/python3.13/site-packages/"
done
find "$WORK/python" -name __pycache__ -prune -exec rm -rf {} +
cp deploy/offline/python.Dockerfile "$WORK/"
build omnistore-offline/python:3.13 "$WORK/python.Dockerfile" "$WORK"
rm -rf "$WORK/python"

for service in postgres:15 redis:7 nginx:bookworm; do
  step "$service"
  build "omnistore-offline/$service" "deploy/offline/${service%%:*}.Dockerfile" deploy/offline
done

step "the wheels of requirements.lock into deploy/wheels/"
# the app image's interpreter: CPython 3.13 on x86-64 Linux (glibc 2.36, as bookworm's)
$PIP download --require-hashes --no-deps --only-binary=:all: --python-version 3.13 --implementation cp \
  --platform manylinux_2_36_x86_64 --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
  --platform manylinux2014_x86_64 --platform linux_x86_64 -d deploy/wheels -r requirements.lock

step "done"
docker image ls 'omnistore-offline/*'
