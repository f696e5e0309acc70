"""What the timeline says in words, in the reader's language: sentences stored as a key and its params.

(The titles of tasks raised by events are stored the same way, in `Task.message`: `spoken_title`.)

A service that tells the timeline something in a sentence (an order ready, a return, a cart sent)
records a message, not words:

    record_interaction(..., message=say("order.ready", order="W-1001", store="Covent Garden"))

keeps {"key": ..., "params": ...} in `Interaction.data["msg"]`, and the sentence in the project's
language (settings.LANGUAGE_CODE) in `subject`, for the admin's search and for readers that only know
`subject`. Whoever shows the row (the clienteling timeline, the admin) words it again in the active
language with `spoken_subject`; a row written before, a key no longer registered or params that no
longer fit fall back to the stored subject, never to an error.

Params are data: order and receipt numbers, store and person names, counts, amounts as text. What a
language says itself (a channel, a fulfilment kind, an amount's format, a date) is stored as a code,
a number or an ISO value and worded when read, by the sentence's `words`. Apps register their
sentences when ready (customers imports no app): orders/timeline_messages.py,
orders/returns/timeline_messages.py.
"""

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import formats, translation
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from retail.domain.channel import Channel, TimelineChannel
from retail.domain.money import format_money

MESSAGE_KEY = "msg"  # where the message lives in Interaction.data


@dataclass(frozen=True)
class Sentence:
    """A registered sentence: `text` is gettext_lazy(...) with named %(params)s, or ngettext_lazy(...,
    "count") when a number chooses the form; `words` word the params stored as codes, when read."""

    text: Promise
    words: Mapping[str, Callable[[Any], str]] = field(default_factory=dict)


SENTENCES: dict[str, Sentence] = {}


def register_sentences(sentences: Mapping[str, Sentence]) -> None:
    """Add an app's sentences (from its AppConfig.ready); a key is one app's, once."""
    for key, sentence in sentences.items():
        if SENTENCES.get(key, sentence) is not sentence:
            raise ImproperlyConfigured(f"The timeline sentence {key!r} is registered twice.")
        SENTENCES[key] = sentence


@dataclass(frozen=True)
class TimelineMessage:
    key: str
    params: dict
    subject: str  # in settings.LANGUAGE_CODE: what `Interaction.subject` keeps

    @property
    def stored(self) -> dict:
        return {"key": self.key, "params": self.params}


def say(key: str, **params) -> TimelineMessage:
    """The message `key` with `params` (JSON values), worded once in the project's language.

    A key not registered, params that are no JSON or that the sentence cannot take raise: a
    programming error, caught where it is written rather than on the screen that reads it."""
    if key not in SENTENCES:
        raise ImproperlyConfigured(f"No timeline sentence {key!r} is registered.")
    params = json.loads(json.dumps(params))  # TypeError for what JSON does not hold
    with translation.override(settings.LANGUAGE_CODE):
        subject = word({"key": key, "params": params})
    if subject is None:
        raise ImproperlyConfigured(f"The timeline sentence {key!r} does not take {sorted(params)}.")
    return TimelineMessage(key=key, params=params, subject=subject[:200])


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


def spoken_subject(interaction) -> str:
    """What the row says in the active language: its message worded, else the subject it stored."""
    data = interaction.data if isinstance(interaction.data, dict) else {}
    return word(data.get(MESSAGE_KEY)) or interaction.subject


def spoken_title(task) -> str:
    """A task's title in the active language: the message of the event that raised it, else its title."""
    return word(task.message) or task.title


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


# --- customers' own sentences: the titles of tasks raised by events -------------------------------

register_sentences(
    {
        # Translators: a task's title; %(day)s is a day and month ("11 December"), %(name)s the shopper's first name
        "customers.birthday_task": Sentence(_("Birthday on %(day)s: call %(name)s"), {"day": day_month}),
        "customers.birthday_task_unnamed": Sentence(_("Birthday on %(day)s: call the client"), {"day": day_month}),
        # Translators: a task's title; %(label)s is what the shopper called the date ("Anniversary")
        "customers.important_date_task": Sentence(_("%(label)s on %(day)s: call %(name)s"), {"day": day_month}),
        "customers.important_date_task_unnamed": Sentence(
            _("Important date on %(day)s: call %(name)s"), {"day": day_month}
        ),
        "customers.back_in_stock_task": Sentence(_("Back in stock: %(product)s (%(sku)s)")),
    }
)
