import pytest
from django.conf import settings
from django.core.cache import cache

from retail.models import StoreMembership
from tests.factories import TEST_PASSWORD, MembershipFactory, StoreFactory


def pytest_configure(config):
    if settings.DJANGO_ENV != "test":
        raise pytest.UsageError("Run the suite with DJANGO_ENV=test (use `make test`).")


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate limits and throttles live in the (Redis) cache: each test starts with none."""
    cache.clear()
    yield


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
