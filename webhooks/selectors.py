"""Reads of the webhooks app: the change feed."""

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from webhooks.errors import WebhookCode, WebhookError
from webhooks.models import Event

CURSOR_PATTERN = r"\A[0-9]{1,19}\Z"


@dataclass
class FeedPage:
    events: list[Event]
    next_cursor: str
    has_more: bool


def parse_cursor(cursor: str | None) -> int:
    if cursor is None:
        return 0
    if not re.match(CURSOR_PATTERN, cursor, re.ASCII):
        raise WebhookError(
            _("The cursor is not one the feed gave out; start without `after`."),
            code=WebhookCode.INVALID_FEED_CURSOR,
            fields={"after": [_("Unknown cursor.")]},
        )
    return int(cursor)


def feed_page(*, after: str | None, limit: int, types: list[str] | None = None) -> FeedPage:
    """Published events after the cursor, in feed order (their position).

    Positions become visible in increasing order (webhooks.handlers.assign_positions), so a reader
    that keeps the last `next_cursor` and asks again sees every event once, none skipped.
    """
    position = parse_cursor(after)
    events = Event.objects.filter(position__gt=position)
    if types:
        events = events.filter(type__in=types)
    rows = list(events.order_by("position")[: limit + 1])
    page, has_more = rows[:limit], len(rows) > limit
    next_cursor = str(page[-1].position) if page else str(position)
    return FeedPage(page, next_cursor, has_more)
