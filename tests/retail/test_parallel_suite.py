"""The suite runs in parallel (pytest-xdist): a database per worker (pytest-django), Redis keys per
worker (retail/settings.py, tests/conftest.py), and a wrong query count prints its SQL."""

import os
import subprocess
import sys

import pytest
import redis
from django.conf import settings

from retail.models import Store
from tests.conftest import delete_keys


def test_each_xdist_worker_has_its_own_cache_key_prefix():
    # given a worker's environment as pytest-xdist sets it
    env = {**os.environ, "DJANGO_ENV": "test", "REDIS_URL": settings.REDIS_URL, "PYTEST_XDIST_WORKER": "gw7"}

    # when its settings are read
    prefix = subprocess.run(
        [sys.executable, "-c", "from retail import settings; print(settings.CACHES['default']['KEY_PREFIX'])"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()

    # then
    assert prefix == "omnistore-gw7"


def test_a_worker_clears_its_own_cache_keys_and_leaves_the_others():
    # given keys of two workers in the shared Redis database
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.set("omnistore-gw97:1:throttle", "1")
    client.set("omnistore-gw98:1:throttle", "1")

    try:
        # when worker 97 starts a test
        deleted = delete_keys(client, prefix="omnistore-gw97")

        # then only its own key went
        assert deleted == 1
        assert client.get("omnistore-gw97:1:throttle") is None
        assert client.get("omnistore-gw98:1:throttle") == b"1"
    finally:
        client.delete("omnistore-gw97:1:throttle", "omnistore-gw98:1:throttle")


@pytest.mark.django_db
def test_a_wrong_query_count_fails_with_the_sql_of_every_query(django_assert_num_queries):
    with pytest.raises(pytest.fail.Exception) as failure, django_assert_num_queries(1):
        Store.objects.filter(code="LON-01").exists()
        Store.objects.filter(code="MAN-01").count()

    message = str(failure.value)
    assert message.startswith("Expected 1 queries but 2 were done")
    assert "1. SELECT 1 AS " in message and "\"code\" = 'LON-01'" in message
    assert "2. SELECT COUNT(*)" in message and "\"code\" = 'MAN-01'" in message


@pytest.mark.django_db
def test_a_maximum_holds_below_and_at_the_count(django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        Store.objects.exists()
    with django_assert_max_num_queries(1):
        Store.objects.exists()
    with (
        pytest.raises(pytest.fail.Exception, match="Expected at most 0 queries but 1 were done"),
        django_assert_max_num_queries(0),
    ):
        Store.objects.exists()
