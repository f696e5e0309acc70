"""Sentences the system stores as data and words when read, in the reader's language (issue 19.1).

One mechanism for every app (the shopper's timeline, tasks raised by events, the ledgers' notes): a
service that writes a sentence into a row stores a message, not words:

    post_movement(..., note=say("inventory.transfer_out", to="WAW-01"))

The message is {"key": ..., "params": ...} (`Message.stored`), kept in the row's JSON (`message`, or
`Interaction.data["msg"]`), and the sentence worded once in the project's language
(settings.LANGUAGE_CODE) is kept in the row's text (`subject`, `note`) for search and for readers that
only know the text. Whoever shows the row words it again in the active language with `spoken`: a row
written before, a key no longer registered or params that no longer fit fall back to the stored text,
never to an error.

Params are data: order and receipt numbers, store codes and person names, counts, amounts as text. What
a language says itself (a channel, an amount's format, a date) is stored as a code, a number or an ISO
value and worded when read, by the sentence's `words`. Each app registers its sentences when its
module is imported (from its AppConfig.ready, or at the top of the module whose services say them);
this module imports no app.
"""

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.utils import formats, translation
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from retail.domain.channel import Channel, TimelineChannel
from retail.domain.money import format_money


@dataclass(frozen=True)
class Sentence:
    """A registered sentence: `text` is gettext_lazy(...) with named %(params)s, or ngettext_lazy(...,
    "count") when a number chooses the form; `words` word the params stored as codes, when read."""

    text: Promise
    words: Mapping[str, Callable[[Any], str]] = field(default_factory=dict)


SENTENCES: dict[str, Sentence] = {}


def register_sentences(sentences: Mapping[str, Sentence]) -> None:
    """Add an app's sentences; a key is one app's, once."""
    for key, sentence in sentences.items():
        if SENTENCES.get(key, sentence) is not sentence:
            raise ImproperlyConfigured(f"The sentence {key!r} is registered twice.")
        SENTENCES[key] = sentence


@dataclass(frozen=True)
class Message:
    key: str
    params: dict
    subject: str  # in settings.LANGUAGE_CODE: what the row's text keeps

    @property
    def stored(self) -> dict:
        return {"key": self.key, "params": self.params}


def say(key: str, **params) -> Message:
    """The message `key` with `params` (JSON values), worded once in the project's language.

    A key not registered, params that are no JSON or that the sentence cannot take raise: a
    programming error, caught where it is written rather than on the screen that reads it."""
    if key not in SENTENCES:
        raise ImproperlyConfigured(f"No sentence {key!r} is registered.")
    params = json.loads(json.dumps(params))  # TypeError for what JSON does not hold
    with translation.override(settings.LANGUAGE_CODE):
        subject = word({"key": key, "params": params})
    if subject is None:
        raise ImproperlyConfigured(f"The sentence {key!r} does not take {sorted(params)}.")
    return Message(key=key, params=params, subject=subject[:200])


def word(message) -> str | None:
    """The stored `message` in the active language; None when it cannot be worded."""
    if not isinstance(message, dict):
        return None
    sentence = SENTENCES.get(message.get("key"))
    params = message.get("params")
    if sentence is None or not isinstance(params, dict):
        return None
    try:
        words = sentence.words
        worded = {name: words[name](value) if name in words else value for name, value in params.items()}
        return str(sentence.text % worded)
    except (KeyError, TypeError, ValueError, AttributeError, InvalidOperation):
        return None


def spoken(message, text: str) -> str:
    """What a row says in the active language: its stored message worded, else the `text` it stored."""
    return word(message) or text


def system_note_field() -> models.JSONField:
    """The `message` column beside a ledger row's `note`: the note the system wrote, as a stored message."""
    return models.JSONField(
        default=dict,
        blank=True,
        editable=False,
        help_text=gettext_lazy(
            "A note the system wrote, as its sentence's key and values: worded in the reader's language."
        ),
        verbose_name=gettext_lazy("message"),
    )


def text_and_message(note: "str | Message", limit: int) -> tuple[str, dict]:
    """A note given as typed words or as a message: the row's text and its stored message ({} for words)."""
    if isinstance(note, Message):
        return note.subject[:limit], note.stored
    return (note or "")[:limit], {}


# --- words for params stored as codes ------------------------------------------------------------


def amount(value: dict) -> str:
    """{"amount": "12.50", "currency": "PLN"} as the reader's language writes money."""
    return format_money(value["amount"], value.get("currency") or None)


def money_param(value, currency: str) -> dict:
    """An amount as a param: its text and its currency, worded by `amount` when read."""
    return {"amount": str(value), "currency": currency}


def where_bought(code: str) -> str:
    """A channel as where something was bought or opened: "in the app", "on the web"."""
    channel = Channel.read(code)
    if channel is not None:
        return str(channel.bought)
    return str(dict(TimelineChannel.choices).get(code, code))


def store_time(value: str) -> str:
    """An ISO time kept with its store's offset, written on that store's clock ("3 December 19:30")."""
    moment = parse_datetime(value)
    if moment is None:
        raise ValueError(value)
    return formats.date_format(moment, "j E H:i")


def day_month(value: str) -> str:
    """An ISO date as a day and the month's name ("11 December", "11 grudnia")."""
    day = parse_date(value)
    if day is None:
        raise ValueError(value)
    return formats.date_format(day, "j E")
