"""The API's JSON parser: DRF's, with limits that keep hostile bodies to a 400."""

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_DEPTH = 32  # objects and arrays nested deeper than this are refused (no input of ours nests past 6)


class JSONParser(parsers.JSONParser):
    """Refuses JSON nested deeper than MAX_DEPTH (100,000 `[` was a RecursionError, a 500) and text
    PostgreSQL cannot store (lone UTF-16 surrogates such as "\\ud800"); NaN and Infinity are refused
    by DRF's strict JSON already."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("The body is not valid JSON: %(problem)s.") % {"problem": _deep()}) from None
        except ParseError as exc:  # DRF's, untranslated: "JSON parse error - <what Python's json said>"
            problem = str(exc.detail).removeprefix("JSON parse error - ")
            raise ParseError(_("The body is not valid JSON: %(problem)s") % {"problem": problem}) from None
        problem = _problem(data)
        if problem:
            raise ParseError(_("The body is not valid JSON: %(problem)s.") % {"problem": problem})
        return data


def _deep() -> str:
    return _("nested deeper than %(most)s levels") % {"most": MAX_DEPTH}


def _problem(data) -> str | None:
    """Walks the parsed body iteratively (no recursion), checking depth and text."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            if depth > MAX_DEPTH:
                return _deep()
            for key, item in value.items():
                if not _storable(key):
                    return _("text with an invalid character (a lone surrogate)")
                stack.append((item, depth + 1))
        elif isinstance(value, list):
            if depth > MAX_DEPTH:
                return _deep()
            stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, str) and not _storable(value):
            return _("text with an invalid character (a lone surrogate)")
    return None


def _storable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
