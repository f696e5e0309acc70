"""Every page of the head-office admin in the pseudo-locale (issue 19.1): no English but data.

As a superuser, the admin index, and for every model in admin.site._registry its changelist, its add
form and the change form of an object the row makers of tests/admin/rows.py made, are rendered in the
pseudo-locale of tests/retail/test_pseudo_locale.py; any visible text outside ⟦ ⟧ that is not stored
data (names, codes, numbers) fails. The models are enumerated from the registry, and
test_every_registered_model_has_a_row_maker (tests/admin/test_changelists.py) holds for the same rows,
so a model registered later cannot escape. The pages a ModelAdmin adds (get_urls: CSV imports, the goodwill
gift card) are swept too, each either rendered or listed in NOT_PAGES with the reason.
"""

import json
import re

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import models
from django.urls import reverse

from tests.admin.conftest import staff_user
from tests.admin.rows import NOT_LISTS, ROWS
from tests.retail.test_pseudo_locale import is_code, pseudo_locale, untranslated  # noqa: F401 - a fixture
from webhooks.events import EVENT_TYPE_CHOICES

pytestmark = pytest.mark.django_db

REGISTERED = sorted(model._meta.label for model in admin.site._registry)

# allauth's Authenticator fields have no verbose names (its app names itself, the model is named in
# retail.apps); naming them here would change allauth's migration state, so its column and field labels stay.
# The add form's empty JSON document reads "null".
THIRD_PARTY_LABELS = {"mfa.Authenticator": {"User", "Type", "Data", "Created at", "Last used at", "null"}}


def stored_texts() -> set[str]:
    """Every text the database holds (names, codes, emails, URLs, JSON documents): the admin's data.

    Columns with choices are left out: their stored value is a code, and the admin shows its translated label.
    """
    found: set[str] = set()
    for model in apps.get_models():
        fields = [
            f
            for f in model._meta.concrete_fields
            if isinstance(f, (models.CharField, models.TextField, models.JSONField)) and not f.choices
        ]
        if not fields:
            continue
        for row in model._base_manager.values_list(*[f.attname for f in fields]):
            for value in row:
                if isinstance(value, (dict, list)):
                    found.add(json.dumps(value, ensure_ascii=False, sort_keys=True))
                    found.update(_json_texts(value))
                elif value:
                    found.add(str(value))
    for user in apps.get_model("retail", "User").objects.all():  # "Welcome, Ada" at the top
        found.update({str(user), user.get_short_name()})
    found |= {"English", "Italiano", "Polski"}  # each language in its own name
    found |= {code for code, _label in EVENT_TYPE_CHOICES}  # webhook event types: the API's machine names
    return found


def assert_all_translated(response, data: set[str]):
    """As the portal's assert_all_translated, with the data taken out whole words only: the database holds
    short texts ("M", "Tier") that must not hide a part of an English word."""
    assert response.status_code == 200
    values = sorted((d for d in data if d.strip()), key=len, reverse=True)
    stored = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, values)) + r")(?!\w)") if values else None
    left = []
    for text in untranslated(response.content.decode(), set()):
        rest = stored.sub(" ", text) if stored else text
        rest = re.sub(r"[\w+/=$]*\*{4,}", " ", rest)  # a secret shown masked (a password hash: "wQ*****")
        # "x" as in "2 x SKU-1" (a line's __str__) is a multiplication sign
        if [w for w in re.findall(r"[^\W\d_][\w'\u2019.@-]*", rest) if not is_code(w) and w != "x"]:
            left.append(text)
    assert not left, "Visible text not marked for translation:\n" + "\n".join(left)


def _json_texts(value) -> set[str]:
    if isinstance(value, dict):
        return set(map(str, value)) | {t for v in value.values() for t in _json_texts(v)}
    if isinstance(value, list):
        return {t for v in value for t in _json_texts(v)}
    return {str(value)} if isinstance(value, str) and value else set()


def _model(label):
    return next(m for m in admin.site._registry if m._meta.label == label)


@pytest.fixture
def head_office(client, db):
    user = staff_user(superuser=True)
    client.force_login(user)
    return user


def test_admin_index(client, head_office, pseudo_locale):  # noqa: F811
    assert_all_translated(client.get(reverse("admin:index")), stored_texts())


@pytest.mark.parametrize("label", REGISTERED)
def test_every_admin_page_of_a_model(client, head_office, label, pseudo_locale):  # noqa: F811
    # given rows of the model (the report has none: its changelist is the insights page)
    model = _model(label)
    model_admin = admin.site._registry[model]
    if label not in NOT_LISTS:
        ROWS[label](2)
    info = (model._meta.app_label, model._meta.model_name)
    request = client.get(reverse("admin:index")).wsgi_request
    data = stored_texts() | THIRD_PARTY_LABELS.get(label, set())

    # then the changelist, the add form and an object's change form have no English but data
    failures = []
    pages = [reverse("admin:{}_{}_changelist".format(*info))]
    if model_admin.has_add_permission(request):
        pages.append(reverse("admin:{}_{}_add".format(*info)))
    obj = model._default_manager.order_by("pk").last() if label not in NOT_LISTS else None
    if obj is not None:
        pages.append(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]))
    for url in pages:
        try:
            assert_all_translated(client.get(url), data)
        except AssertionError as failure:
            failures.append(f"{url}: {failure}")
    assert not failures, "\n\n".join(failures)


# The admin's own pages beside each model's (get_urls): rendered below unless they answer no page.
STANDARD = ("_changelist", "_add", "_change", "_delete", "_history")
NOT_PAGES = {"admin:insights_report_csv": "a CSV download (column names are machine names)"}


def own_pages() -> list[str]:
    found = []
    for model_admin in admin.site._registry.values():
        for pattern in model_admin.get_urls():
            name = getattr(pattern, "name", None)
            if name and not name.endswith(STANDARD) and f"admin:{name}" not in NOT_PAGES:
                found.append(f"admin:{name}")
    return sorted(found)


def test_every_own_admin_page(client, head_office, pseudo_locale):  # noqa: F811
    # then the CSV import pages and the goodwill gift card page have no English but data
    pages = own_pages()
    assert len(pages) >= 5  # four import pages and the goodwill card
    failures = []
    for name in pages:
        try:
            assert_all_translated(client.get(reverse(name)), stored_texts())
        except AssertionError as failure:
            failures.append(f"{name}: {failure}")
    assert not failures, "\n\n".join(failures)
