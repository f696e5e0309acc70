"""Django 6's own words that its Italian or Polish catalog leaves in English are translated by ours
(retail/django_texts.py): a merchandiser working in Italian read "Run" under the actions, "Filter by
creato il" over the dates and "- Select an option -" in every select."""

import pytest
from django.utils import translation

from retail.django_texts import MISSING, MISSING_PLURAL


@pytest.mark.parametrize("language", ["it", "pl"])
def test_every_word_django_leaves_in_english_reads_in_the_language(language):
    with translation.override(language):
        untranslated = [text for text in MISSING if translation.gettext(text) == text]
        plurals = [text % {"count": 5} for text in MISSING_PLURAL]

    assert untranslated == []
    assert all("5" in text and "more" not in text for text in plurals), plurals


def test_the_empty_choice_of_a_select_and_the_actions_button_read_in_italian():
    with translation.override("it"):
        assert translation.gettext("- Select an option -") == "- Seleziona un'opzione -"
        assert translation.gettext("Run") == "Esegui"
        assert translation.gettext("Filter by %(field_name)s") % {"field_name": "creato il"} == "Filtra per creato il"
