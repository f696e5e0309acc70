"""Input fields whose validation is exactly what the schema says, so generated clients and the server agree.

DRF's stock fields accept more than their OpenAPI description (`12.5` for a money string, ` 7`
for a pattern, "2026-W09-1" for a date): each field here checks the raw JSON value against the
same pattern the schema publishes (`\\A...\\Z` in Python is `^...$` in the schema) before parsing it.
"""

import re
from datetime import UTC, date, datetime

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from retail.domain.channel import Channel
from retail.domain.money import money
from retail.errors import DomainError, ErrorCode, RetailCode

EXAMPLE_STORE = "LON-01"  # the examples in the schema name rows of the demo (and of the fuzz run's chain)
MONEY_PATTERN = r"\A[0-9]{1,10}(\.[0-9]{1,2})?\Z"
E164_PATTERN = r"\A\+[1-9][0-9]{6,14}\Z"
# The dot-atom address Django's EmailValidator takes, with a domain of letters, digits and hyphens.
EMAIL_PATTERN = (
    r"\A[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}\Z"
)
STORE_CODE_PATTERN = r"\A[A-Za-z0-9][A-Za-z0-9_-]{0,19}\Z"
DATE_PATTERN = r"\A[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])\Z"
# RFC 3339 date-time (what JSON Schema's `date-time` means): seconds and an offset are required.
DATE_TIME_PATTERN = (
    r"\A[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?"
    r"([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])\Z"
)


def schema_pattern(pattern: str) -> str:
    """The ECMA form of one of our Python patterns."""
    return pattern.replace(r"\A", "^").replace(r"\Z", "$")


class PatternField(serializers.RegexField):
    """A string matching `pattern` (published in the schema), never trimmed or coerced from a number.

    `example` goes into the schema: the docs show it, and the fuzzer's first valid case sends it.
    """

    def __init__(self, pattern: str, *, example: str | None = None, **kwargs):
        kwargs.setdefault("trim_whitespace", False)
        self.example = example
        super().__init__(re.compile(pattern, re.ASCII), **kwargs)


class E164Field(PatternField):
    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", "International format (E.164), e.g. +447700900123.")
        kwargs.setdefault(
            "error_messages", {"invalid": gettext_lazy("A phone number in international format, e.g. +447700900123.")}
        )
        kwargs.setdefault("example", "+447700900123")
        super().__init__(E164_PATTERN, max_length=16, **kwargs)


class EmailField(PatternField):
    def __init__(self, **kwargs):
        kwargs.setdefault("error_messages", {"invalid": gettext_lazy("An email address, e.g. ada@example.com.")})
        kwargs.setdefault("example", "ada@example.com")
        super().__init__(EMAIL_PATTERN, max_length=254, **kwargs)


class StoreCodeField(PatternField):
    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", "A store code, e.g. LON-01.")
        kwargs.setdefault("example", EXAMPLE_STORE)
        super().__init__(STORE_CODE_PATTERN, max_length=20, **kwargs)


@extend_schema_field(
    {
        "type": "string",
        "pattern": schema_pattern(MONEY_PATTERN),
        "example": "12.50",
        "description": "An amount with at most 2 decimals, as a string.",
    }
)
class MoneyField(serializers.DecimalField):
    """An amount as a string ("12.50"): never a JSON number, never NaN, Infinity or negative."""

    default_error_messages = {"invalid": gettext_lazy('An amount as a string with at most 2 decimals, e.g. "12.50".')}

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str) or not re.match(MONEY_PATTERN, data, re.ASCII):
            self.fail("invalid")
        return money(data)  # the pattern allows 2 decimals at most: nothing is rounded


# `format: date` (RFC 3339 full-date) says exactly what is taken, never an impossible day; a pattern
# beside it would admit 0000-01-01 and 2026-02-31, which the fuzzer then sent as valid data.
@extend_schema_field({"type": "string", "format": "date", "example": "2019-06-14"})
class DateField(serializers.DateField):
    """A calendar day as YYYY-MM-DD only (Python also reads "20260301" and "2026-W09-1")."""

    default_error_messages = {
        "invalid": gettext_lazy("A date as YYYY-MM-DD, e.g. 2019-06-14."),
        "no_such_day": gettext_lazy("There is no such day as {value} (year 0001 to 9999, a day the month has)."),
    }

    def to_internal_value(self, value):
        if not isinstance(value, str) or not re.match(DATE_PATTERN, value, re.ASCII):
            self.fail("invalid")
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.fail("no_such_day", value=value)


@extend_schema_field({"type": "string", "format": "date-time"})
class AwareDateTimeField(serializers.DateTimeField):
    """An RFC 3339 time with its offset, kept in UTC (PostgreSQL refuses offsets past +/-15:59)."""

    default_error_messages = {
        "invalid": gettext_lazy("An RFC 3339 time with a time zone, e.g. 2026-05-01T10:15:00Z."),
        "out_of_range": gettext_lazy("This time is out of range."),
    }

    def to_internal_value(self, value):
        if not isinstance(value, str) or not re.match(DATE_TIME_PATTERN, value, re.ASCII):
            self.fail("invalid")
        try:
            # Python keeps microseconds: a longer fraction is cut to 6 digits.
            parsed = datetime.fromisoformat(re.sub(r"(\.[0-9]{6})[0-9]+", r"\1", value.upper()))
            return parsed.astimezone(UTC)
        except (ValueError, OverflowError):
            self.fail("out_of_range")


# Query parameters: text, checked against the same pattern their OpenAPI parameter publishes.
EXAMPLE_POINT = "51.5072,-0.1276"
EXAMPLE_ID = 900_001  # a product, a list item: example ids in paths
# latitude -90..90, longitude -180..180, up to 12 decimals: "51.5072,-0.1276"
COORDINATES_PATTERN = (
    r"\A-?(90(\.0{1,12})?|[1-8]?[0-9](\.[0-9]{1,12})?)"
    r",-?(180(\.0{1,12})?|(1[0-7][0-9]|[1-9]?[0-9])(\.[0-9]{1,12})?)\Z"
)
BOOLEAN_PATTERN = r"\A(true|false)\Z"
POSITIVE_INT_PATTERN = r"\A[1-9][0-9]{0,5}\Z"


def query_param(
    request, name: str, pattern: str, *, required: bool = False, message: str = "", code: ErrorCode = RetailCode.INVALID
) -> str | None:
    """The query parameter `name` when it matches `pattern`; a 400 naming it when it does not (`code`)."""
    value = request.query_params.get(name)
    if value is None and not required:
        return None
    if value is None or not re.match(pattern, value, re.ASCII):
        message = message or _("%(name)s must match %(pattern)s.") % {"name": name, "pattern": schema_pattern(pattern)}
        raise DomainError(message, code=code, fields={name: [message]})
    return value


class OnlineChannelField(serializers.ChoiceField):
    """A channel a shopper's own client acts on (the kernel's online ones). DRF makes a serializer's
    fields afresh for each instance, so a channel added as data is offered without a restart."""

    def __init__(self, **kwargs):
        super().__init__(choices=Channel.online_values(), **kwargs)
