"""The policy's sentence names the category in the reader's language (issue 19, QA in Polish: "artykuły z
kategorii Men" — the catalog's own name inside a Polish sentence)."""

import pytest
from django.urls import reverse

from inventory.models import CategoryTranslation
from tests.returns.test_portal import form

pytestmark = pytest.mark.django_db


@pytest.fixture
def men(tops):
    men = type(tops).objects.create(name="Men", slug="men", return_window_days=45)
    tops.parent = men
    tops.save(update_fields=["parent"])
    CategoryTranslation.objects.create(category=men, language="pl", name="Mężczyźni")
    CategoryTranslation.objects.create(category=men, language="it", name="Uomo")
    return men


@pytest.mark.parametrize(("language", "name"), [("pl", "Mężczyźni"), ("it", "Uomo"), ("en-gb", "Men")])
def test_the_preview_names_the_category_in_the_readers_language(
    client, associate, policy, deliver, shirt, men, language, name
):
    associate.language = language
    associate.save(update_fields=["language"])
    client.force_login(associate)
    order = deliver([("SHIRT-M", 1)], channel="web", days_ago=5)
    preview = client.post(
        reverse("returns_portal:order-preview", args=[order.number]), form(order), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "45" in preview and name in preview
    if language != "en-gb":
        assert " Men " not in preview and " Men." not in preview and "Men " not in preview.replace("Mężczyźni", "")
