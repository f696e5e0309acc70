import pytest

from tests.factories import UserFactory
from tests.helpers import enrol_totp


def staff_user(*groups: str, superuser: bool = False):
    """A head-office user in `groups`, with the second factor the admin requires."""
    user = UserFactory(is_staff=True, is_superuser=superuser, groups=list(groups))
    enrol_totp(user)
    return user


@pytest.fixture
def superuser_client(client, db):
    client.force_login(staff_user(superuser=True))
    return client
