"""Every changelist in the admin costs the same number of queries with 1 row and with 20 (no N+1)."""

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.admin.rows import NOT_LISTS, ROWS

pytestmark = pytest.mark.django_db

REGISTERED = sorted(model._meta.label for model in admin.site._registry)


def test_every_registered_model_has_a_row_maker():
    # then a newly registered admin cannot escape the query-count test below
    assert set(REGISTERED) - NOT_LISTS == set(ROWS)


def _queries(client, url) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return [q["sql"] for q in captured.captured_queries]


@pytest.mark.parametrize("label", [label for label in REGISTERED if label not in NOT_LISTS])
def test_changelist_queries_do_not_grow_with_rows(superuser_client, label):
    # given one row
    model = next(m for m in admin.site._registry if m._meta.label == label)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    make = ROWS[label]
    make(1)
    superuser_client.get(url)  # warm caches (content types, sessions)
    one = _queries(superuser_client, url)
    # when 19 more are added
    make(19)
    twenty = _queries(superuser_client, url)
    # then the page shows them with the same number of queries
    assert model._default_manager.count() >= 20
    assert len(twenty) == len(one), "\n".join(twenty)
