import os
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from retail.models import StoreMembership
from tests.factories import TEST_PASSWORD, MembershipFactory, StoreFactory

XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
TESTS = Path(__file__).resolve().parent

# Tests that must not run at the same time as others of their group (`make test` runs the suite with
# pytest-xdist, `--dist loadgroup`: a group runs on one worker, one test after another).
XDIST_GROUPS = {
    # one private redis-server on a fixed port (tests/faults/conftest.py), gunicorn and Celery workers
    "processes": ("faults/", "retail/test_outbox_worker.py", "webhooks/test_worker.py"),
    # races of up to 50 threads, each with its own PostgreSQL connection (max_connections is 100)
    "connections": ("inventory/test_concurrency.py", "orders/test_concurrency.py", "returns/test_concurrency.py"),
    # a chromium per journey against a live server: one browser at a time keeps their timeouts honest
    "browser": ("e2e/",),
    # one streaming replica of the server (tests/replica.py), made once by the worker that runs them
    "replica": ("insights/test_replica.py",),
}


def pytest_configure(config):
    if settings.DJANGO_ENV != "test":
        raise pytest.UsageError("Run the suite with DJANGO_ENV=test (use `make test`).")


def pytest_collection_modifyitems(config, items):
    # the cluster rehearsal takes the machine's two cores for two minutes: only on its own (`-m cluster`)
    alone = pytest.mark.skip(reason="the cluster rehearsal runs alone: -m cluster (CI's own step; make cluster)")
    cluster_asked = "cluster" in (config.getoption("markexpr", "") or "")
    for item in items:
        if item.get_closest_marker("cluster") and not cluster_asked:
            item.add_marker(alone)
        where = Path(item.path).relative_to(TESTS).as_posix()
        for group, paths in XDIST_GROUPS.items():
            if where.startswith(paths):
                item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(scope="session", autouse=True)
def _pooled_test_database(request):
    """Behind the suite's PgBouncer (TEST_POOLER=pgbouncer, tests/pgbouncer.py), the pooler keeps idle
    server connections to the test database: at the end it lets them go, so Django can drop it."""
    if os.environ.get("DB_POOL_MODE") != "transaction":
        yield
        return
    from tests.pgbouncer import release_database

    request.getfixturevalue("django_db_setup")
    yield
    connections.close_all()
    release_database(os.environ["DATABASE_URL"], settings.DATABASES[DEFAULT_DB_ALIAS]["NAME"])


@pytest.fixture(scope="session")
def _cache_redis():
    url = settings.CACHES["default"].get("LOCATION")  # the Redis the cache is on (none: in memory)
    return redis.Redis.from_url(url) if XDIST_WORKER and url else None


@pytest.fixture(autouse=True)
def _fresh_cache(_cache_redis):
    """Rate limits and throttles live in the (Redis) cache: each test starts with none.

    Under pytest-xdist the workers share the Redis database, each with its own key prefix
    (retail/settings.py): a worker deletes its own keys, never FLUSHDB (cache.clear()) under another.
    """
    if _cache_redis is None:
        cache.clear()
    else:
        delete_keys(_cache_redis, prefix=settings.CACHES["default"]["KEY_PREFIX"])
    yield


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the deployment's language: a request activates its reader's for the thread
    (LocaleMiddleware, a portal user's choice) and nothing switches it back between requests."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


def delete_keys(client: redis.Redis, *, prefix: str) -> int:
    """Delete the cache keys under `prefix` (Django writes "<prefix>:<version>:<key>"); how many."""
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    return client.delete(*keys) if keys else 0


@contextmanager
def _assert_num_queries(num: int, exact: bool = True, connection=None, info: str | None = None, *, using=None):
    """pytest-django's assertion, printing the SQL of the captured queries whenever the count is wrong
    (pytest-django prints it only under -v): a changed count is read off the failure, not re-run."""
    with CaptureQueriesContext(connection or connections[using or DEFAULT_DB_ALIAS]) as context:
        yield context
    done = len(context)
    if done == num or (not exact and done <= num):
        return
    sql = "\n\n".join(f"{n}. {query['sql']}" for n, query in enumerate(context.captured_queries, start=1))
    pytest.fail(
        f"Expected {'' if exact else 'at most '}{num} queries but {done} were done"
        + (f"\n{info}" if info else "")
        + f"\n\nQueries:\n========\n\n{sql}"
    )


@pytest.fixture
def django_assert_num_queries():
    return partial(_assert_num_queries, exact=True)


@pytest.fixture
def django_assert_max_num_queries():
    return partial(_assert_num_queries, exact=False)


@pytest.fixture
def store(db):
    return StoreFactory(code="LON-01", name="Covent Garden")


@pytest.fixture
def other_store(db):
    return StoreFactory(code="MAN-01", name="Manchester", city="Manchester", latitude="53.4839", longitude="-2.2386")


@pytest.fixture
def associate(store):
    return MembershipFactory(store=store, role=StoreMembership.Role.ASSOCIATE).user


@pytest.fixture
def manager(store):
    return MembershipFactory(store=store, role=StoreMembership.Role.MANAGER).user


@pytest.fixture
def password():
    return TEST_PASSWORD


@pytest.fixture
def associate_client(client, associate):
    client.force_login(associate)
    return client


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()
