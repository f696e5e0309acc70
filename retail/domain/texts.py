"""Texts head office writes as data, in the reader's language (issue 19.1): offers' names and terms,
loyalty tiers' names. The row keeps its own text in the deployment's language (settings.LANGUAGE_CODE)
and a JSON map of the other languages' (`translations`: {"it": {"name": "Oro"}, "pl": {"name": "Złoty"}}).
A reader reads the active language's text (the portal's staff language, the API's Accept-Language, a
message's shopper language), else the row's own: the map travels with the row, so no screen reads more.

Products keep their translation rows (inventory.catalog_texts): they have many texts per language
(name, description, colours, sizes), are imported and exported by CSV and fall back through the market's
language. An offer or a tier has one or two short texts, is read beside the shopper's other rows and is
edited in one admin page: a map on the row is the simpler sound shape for it.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _


def supported(language: str | None) -> str | None:
    """A language code as settings.LANGUAGES spells it, or None."""
    if not language:
        return None
    try:
        return translation.get_supported_language_variant(language)
    except LookupError:
        return None


def own_language() -> str:
    return supported(settings.LANGUAGE_CODE) or settings.LANGUAGE_CODE


def other_languages() -> list[tuple[str, str]]:
    """(code, name) of the languages a text can be translated into: every one but the deployment's."""
    own = own_language()
    return [(code, name) for code, name in settings.LANGUAGES if code != own]


def translated(translations: Any, field: str, own_text: str, language: str | None = None) -> str:
    """`field` in `language` (the active one when None) from `translations`, else `own_text`."""
    code = supported(language or translation.get_language())
    if not code or code == own_language() or not isinstance(translations, Mapping):
        return own_text
    texts = translations.get(code)
    text = texts.get(field) if isinstance(texts, Mapping) else None
    return text.strip() if isinstance(text, str) and text.strip() else own_text


def refusal(translations: Any, fields: Iterable[str]) -> str | None:
    """Why `translations` is not a map of other languages to their texts of `fields`, or None."""
    fields = set(fields)
    languages = {code for code, _name in other_languages()}
    if not isinstance(translations, Mapping):
        return _('Give the texts per language: {"it": {"name": "..."}, "pl": {"name": "..."}}.')
    for code, texts in translations.items():
        if code not in languages:
            return _("%(language)s is not a language texts are translated into.") % {"language": code}
        if not isinstance(texts, Mapping) or not all(
            key in fields and isinstance(value, str) for key, value in texts.items()
        ):
            return _("The %(language)s texts can be: %(fields)s, each a text.") % {
                "language": code,
                "fields": ", ".join(sorted(fields)),
            }
    return None


def cleaned(translations: Mapping) -> dict:
    """`translations` without empty texts and languages left with none (an empty text reads the row's own)."""
    out = {}
    for code, texts in translations.items():
        kept = {key: value.strip() for key, value in texts.items() if value.strip()}
        if kept:
            out[code] = kept
    return out


def text_param(own_text: str, translations: Any, field: str) -> dict:
    """A row's text as a stored sentence's param (retail.messages): its own and each language's,
    so the sentence names it in the reader's language when read, whatever the row becomes."""
    param = {"text": own_text}
    if isinstance(translations, Mapping):
        for code, texts in translations.items():
            text = texts.get(field) if isinstance(texts, Mapping) else None
            if isinstance(text, str) and text.strip():
                param[code] = text.strip()
    return param


def worded_param(value: Mapping) -> str:
    """A `text_param` in the active language, else the row's own text (a sentence's `words`)."""
    code = supported(translation.get_language())
    text = value.get(code) if code and code != own_language() else None
    return text if isinstance(text, str) and text else value["text"]
