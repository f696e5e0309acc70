"""Django 6's own words that its Italian or Polish catalog leaves in English are translated by ours
(retail/django_texts.py): a merchandiser working in Italian read "Run" under the actions, "Filter by
creato il" over the dates and "- Select an option -" in every select."""

from datetime import date

import pytest
from django.utils import dateformat, translation

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


def test_a_month_after_a_day_is_written_in_lower_case_in_italian():
    # given a birthday (the clienteling header read "19 Novembre")
    day = date(2026, 11, 19)

    # then Italian writes the month in lower case, Polish in the genitive, English as ever
    with translation.override("it"):
        assert dateformat.format(day, "j E") == "19 novembre"
    with translation.override("pl"):
        assert dateformat.format(day, "j E") == "19 listopada"
    with translation.override("en-gb"):
        assert dateformat.format(day, "j E") == "19 November"
