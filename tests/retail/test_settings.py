import json
import os
import subprocess
import sys

import pytest
from django.conf import settings

from retail.models import Store
from tests.helpers import database_url

pytestmark = pytest.mark.django_db


def run_manage(*args, env_overrides=None):
    # A clean process: nothing the test session set for itself (e.g. the e2e tests' async flag).
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DJANGO_ENV", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(env_overrides or {})
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=settings.BASE_DIR,
        timeout=120,
        check=False,
    )


def test_tests_run_on_postgres_and_redis():
    # given the suite's settings / then the real engines are in use, never local memory
    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    from django.core.cache.backends.redis import RedisCache
    from django.utils.module_loading import import_string

    assert issubclass(import_string(settings.CACHES["default"]["BACKEND"]), RedisCache)
    assert settings.CELERY_BROKER_URL.startswith("redis://")


def test_check_deploy_is_clean_with_production_settings():
    # when Django's deployment checklist runs with production values
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env_overrides={
            "DJANGO_ENV": "production",
            "SECRET_KEY": "x" * 20 + "a-long-random-production-secret-value-0987",
            "ALLOWED_HOSTS": "shop.example.com",
            # the checks ask the server its version (StockLevel.available is a generated column):
            # production has its database; here, the suite's own
            "DATABASE_URL": database_url(),
        },
    )
    # then it reports nothing
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS"])
def test_production_refuses_to_start_without_required_settings(missing):
    values = {"DJANGO_ENV": "production", "SECRET_KEY": "s" * 60, "ALLOWED_HOSTS": "shop.example.com"}
    values.pop(missing)
    env = {**values, missing: ""}
    result = run_manage("check", env_overrides=env)
    assert result.returncode != 0
    assert f"{missing} must be set in production" in result.stderr


def test_unknown_environment_name_is_refused():
    result = run_manage("check", env_overrides={"DJANGO_ENV": "staging"})
    assert result.returncode != 0
    assert "DJANGO_ENV must be demo, test or production" in result.stderr


def test_demo_defaults_are_the_embedded_postgresql_server_and_eager_celery():
    # given no DATABASE_URL or REDIS_URL
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='retail.settings'; django.setup();"
        "from django.conf import settings as s; d = s.DATABASES['default'];"
        "print(d['ENGINE'], d['HOST'], d['PORT'], d['NAME'], d['USER'],"
        " s.CELERY_TASK_ALWAYS_EAGER, s.CACHES['default']['BACKEND'].rsplit('.', 1)[-1])"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ENV"}}
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        cwd=settings.BASE_DIR,
        timeout=60,
        check=True,
    ).stdout.split()
    # then the demo reaches the embedded PostgreSQL server of .pgdata/demo by its socket (no server is
    # started by reading settings), with eager Celery and a local-memory cache
    expected_host = str(settings.BASE_DIR / ".pgdata" / "demo")
    assert out[0] == "django.db.backends.postgresql"
    if not (settings.BASE_DIR / ".pgdata" / "demo" / "postmaster.pid").exists():  # else: where it runs
        assert out[1:3] == [expected_host, "5432"]
    assert out[3:] == ["omnistore", "postgres", "True", "LocMemCache"]


@pytest.mark.parametrize("url", ["sqlite:///db.sqlite3", "mysql://root@127.0.0.1/omnistore"])
def test_any_engine_but_postgresql_is_refused(url):
    # when DATABASE_URL names another engine
    result = run_manage("check", env_overrides={"DATABASE_URL": url})
    # then Django does not start, and says why and what to do
    assert result.returncode != 0
    assert "Omnistore runs on PostgreSQL only" in result.stderr
    assert "Unset it to use the embedded PostgreSQL server" in result.stderr


def test_production_needs_a_database_url():
    env = {"DJANGO_ENV": "production", "SECRET_KEY": "s" * 60, "ALLOWED_HOSTS": "shop.example.com", "DATABASE_URL": ""}
    result = run_manage("check", env_overrides=env)
    assert result.returncode != 0
    assert "DATABASE_URL must be set in production" in result.stderr


def test_content_security_policy_has_no_unsafe_inline(client):
    response = client.get("/")
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "'unsafe-inline'" not in policy
    assert "script-src 'self' 'nonce-" in policy
    # the page's only inline-capable script tag (htmx) carries the nonce of this response
    nonce = policy.split("'nonce-")[1].split("'")[0]
    assert f'nonce="{nonce}"' in response.content.decode()


def test_store_coordinates_are_checked_by_the_database():
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Store.objects.create(code="BAD", name="Bad", city="Nowhere", latitude=95, longitude=0)


def test_catalog_image_origins_reach_the_csp_img_src():
    # given the catalog's pictures on a CDN (issue 16: thumbnails beside product names)
    code = "from django.conf import settings; print(settings.CATALOG_IMAGE_ORIGINS, settings.SECURE_CSP['img-src'][-1])"
    result = run_manage("shell", "-c", code, env_overrides={"CATALOG_IMAGE_ORIGINS": "https://img.shop.example/"})
    # then the browser may load them, and only from there
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1]  # after the shell's "N objects imported" line
    assert last.split() == ["['https://img.shop.example']", "https://img.shop.example"]


def _database_settings(**env_overrides) -> subprocess.CompletedProcess:
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='retail.settings'; django.setup();"
        "from django.conf import settings as s; d = s.DATABASES['default'];"
        "print(d.get('DISABLE_SERVER_SIDE_CURSORS', False), repr(d['OPTIONS'].get('options')))"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"DB_POOL_MODE", "DJANGO_ENV"}} | env_overrides
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=settings.BASE_DIR, timeout=60
    )


def test_behind_a_transaction_pooler_no_server_side_cursor_and_no_startup_options():
    # given a deployment behind PgBouncer in transaction pooling (docs/deploy.md 3.1)
    pooled = _database_settings(DB_POOL_MODE="transaction")
    direct = _database_settings()
    # then Django uses no server-side cursor (a named cursor outlives its transaction) and sends no
    # startup options (PgBouncer refuses them; the role carries jit = off instead)
    assert pooled.stdout.split() == ["True", "None"], pooled.stderr
    # and without a pooler, the session options stay as measured
    assert direct.stdout.split() == ["False", "'-c", "jit=off'"], direct.stderr


def test_an_unknown_pool_mode_is_refused_by_name():
    result = _database_settings(DB_POOL_MODE="statement")
    assert result.returncode != 0
    assert "DB_POOL_MODE must be empty, 'session' or 'transaction'" in result.stderr


def _replica_settings(**env_overrides) -> subprocess.CompletedProcess:
    code = (
        "import django, json, os; os.environ['DJANGO_SETTINGS_MODULE']='retail.settings'; django.setup();"
        "from django.conf import settings as s; from django.db import router;"
        "r = s.DATABASES.get('replica'); print(json.dumps(r and {k: r[k] for k in"
        " ('HOST', 'PORT', 'NAME', 'CONN_MAX_AGE', 'OPTIONS', 'TEST')}));"
        "print(router.allow_migrate('replica', 'orders'), router.allow_migrate('default', 'orders'))"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"DB_POOL_MODE", "DJANGO_ENV", "DATABASE_REPLICA_URL"}}
    env |= {"DATABASE_URL": "postgres://app@primary:5432/omnistore"} | env_overrides
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=settings.BASE_DIR, timeout=60
    )


def test_a_replica_url_adds_the_replica_alias_with_the_primarys_options_and_a_short_connect_timeout():
    # given a deployment with a streaming replica (docs/deploy.md 5), and one without
    with_replica = _replica_settings(DATABASE_REPLICA_URL="postgres://app@replica:5433/omnistore")
    without = _replica_settings()
    # then the alias reaches the replica with the primary's options, never migrated, never a test database
    alias = json.loads(with_replica.stdout.splitlines()[0])
    assert (alias["HOST"], alias["PORT"], alias["NAME"], alias["CONN_MAX_AGE"]) == ("replica", 5433, "omnistore", 60)
    assert alias["OPTIONS"] == {"connect_timeout": 2, "options": "-c jit=off"}
    assert alias["TEST"]["MIRROR"] == "default"
    assert with_replica.stdout.splitlines()[1] == "False True"  # migrations: on the primary only
    assert without.stdout.splitlines()[0] == "null", without.stderr


def test_a_replica_on_another_engine_is_refused():
    result = _replica_settings(DATABASE_REPLICA_URL="mysql://app@replica/omnistore")
    assert result.returncode != 0
    assert "DATABASE_REPLICA_URL must name a PostgreSQL streaming replica" in result.stderr


def test_cache_and_broker_may_have_urls_of_their_own():
    # given one REDIS_URL, then a cache and a broker on instances of their own (docs/deploy.md §4)
    code = (
        "import django, json, os; os.environ['DJANGO_SETTINGS_MODULE']='retail.settings'; django.setup();"
        "from django.conf import settings as s;"
        "print(json.dumps([s.CACHES['default']['LOCATION'], s.CELERY_BROKER_URL, s.CELERY_RESULT_BACKEND,"
        " s.CELERY_TASK_ALWAYS_EAGER]))"
    )
    base = {k: v for k, v in os.environ.items() if k not in {"CACHE_URL", "CELERY_BROKER_URL", "DJANGO_ENV"}}

    def read(**env):
        result = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            env=base | env,
            cwd=settings.BASE_DIR,
            timeout=60,
        )
        return json.loads(result.stdout.strip().splitlines()[-1])

    shared = read(REDIS_URL="redis://one:6379/0")
    apart = read(REDIS_URL="redis://one:6379/0", CACHE_URL="redis://cache:6379/0", CELERY_BROKER_URL="redis://q:6379/1")
    # then one instance serves all three, or each its own; a broker means Celery is not eager
    assert shared == ["redis://one:6379/0", "redis://one:6379/0", "redis://one:6379/0", False]
    assert apart == ["redis://cache:6379/0", "redis://q:6379/1", "redis://q:6379/1", False]
