"""The click-and-collect promise (issue 19.4): when an order placed now is ready at a store, and how
the shopper reads it ("Ready in about 2 hours", "Ready tomorrow from 10:30").

Picking takes `Store.picking_minutes` of the store's opening hours (Store.opening_hours, on its own
clock, Store.time_zone): an order placed while the store is open is picked from then on; one placed
after closing, on a day it is closed, or too late to finish before closing, is finished after the
next opening. A store without opening hours is taken as always open; one that opens on no day in
the next fortnight promises nothing (None). Time is counted in UTC, so a clock change inside the
picking time neither adds nor loses an hour; the answer is rounded up to the next five minutes.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from retail.models import Store

DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HORIZON_DAYS = 15
ROUND_TO = timedelta(minutes=5)


def _clock(value) -> tuple[int, int] | None:
    """ "09:30" as (9, 30); "24:00" as (24, 0); anything else None."""
    try:
        hours, minutes = (int(part) for part in str(value).split(":"))
    except (TypeError, ValueError):
        return None
    if (0 <= hours <= 23 and 0 <= minutes <= 59) or (hours, minutes) == (24, 0):
        return hours, minutes
    return None


def _at(store: Store, day: date, clock: tuple[int, int]) -> datetime:
    """The UTC moment of a wall-clock time on `day` at the store (24:00 is the next midnight)."""
    hours, minutes = clock
    extra = timedelta(days=1) if hours == 24 else timedelta()
    local = datetime.combine(day + extra, time(hours % 24, minutes), tzinfo=store.zone)
    return local.astimezone(UTC)


def opening_span(store: Store, day: date) -> tuple[datetime, datetime] | None:
    """When the store is open on `day` (UTC), or None: closed, or hours that cannot be read. A closing
    time at or before the opening one ("00:00") means midnight."""
    hours = (store.opening_hours or {}).get(DAY_KEYS[day.weekday()])
    if not hours or len(hours) != 2:
        return None
    opens, closes = _clock(hours[0]), _clock(hours[1])
    if opens is None or closes is None or opens == (24, 0):
        return None
    start, end = _at(store, day, opens), _at(store, day, closes)
    if end <= start:
        end = _at(store, day, (24, 0))
    return start, end


def _round_up(moment: datetime) -> datetime:
    seconds = ROUND_TO.total_seconds()
    stamp = moment.timestamp()
    return datetime.fromtimestamp(-(-stamp // seconds) * seconds, tz=UTC)


def collect_promise(store: Store, placed_at: datetime | None = None) -> datetime | None:
    """When an order placed at `placed_at` (default now) is ready to collect at `store`; see the module."""
    placed_at = (placed_at or timezone.now()).astimezone(UTC)
    left = timedelta(minutes=store.picking_minutes)
    if not store.opening_hours:
        return _round_up(placed_at + left)
    first = store.local(placed_at).date()
    for offset in range(-1, HORIZON_DAYS):  # yesterday: its hours may run past midnight
        span = opening_span(store, first + timedelta(days=offset))
        if span is None:
            continue
        start, end = max(span[0], placed_at), span[1]
        if start >= end:
            continue
        if left <= end - start:
            return _round_up(start + left)
        left -= end - start
    return None


@dataclass(frozen=True)
class Promise:
    ready_at: datetime  # on the store's clock
    label: str  # in the active language


def describe_promise(store: Store, ready_at: datetime, *, now: datetime | None = None) -> str:
    """The promise as a shopper reads it, on the store's clock: within four hours today "Ready in about
    N hours" (or minutes), later today "Ready today from 17:30", then tomorrow, a weekday, a date."""
    now = store.local(now or timezone.now())
    ready = store.local(ready_at)
    days = (ready.date() - now.date()).days
    clock = ready.strftime("%H:%M")
    if days <= 0:
        minutes = max(0, int((ready - now).total_seconds() // 60))
        if minutes < 60:
            return ngettext("Ready in about %(count)d minute", "Ready in about %(count)d minutes", minutes) % {
                "count": max(minutes, 5)
            }
        if minutes <= 4 * 60:
            hours = round(minutes / 60)
            return ngettext("Ready in about %(count)d hour", "Ready in about %(count)d hours", hours) % {"count": hours}
        return _("Ready today from %(time)s") % {"time": clock}
    if days == 1:
        return _("Ready tomorrow from %(time)s") % {"time": clock}
    if days < 7:
        return _("Ready on %(day)s from %(time)s") % {"day": date_format(ready, "l"), "time": clock}
    return _("Ready on %(date)s from %(time)s") % {"date": date_format(ready, "j E"), "time": clock}


def promise_for(store: Store, *, now: datetime | None = None) -> Promise | None:
    """What the app and the portal say of an order placed now at `store`; None without pick-up or hours."""
    if not store.pickup_enabled or store.kind != Store.Kind.STORE:
        return None
    now = now or timezone.now()
    ready_at = collect_promise(store, now)
    if ready_at is None:
        return None
    return Promise(ready_at=store.local(ready_at), label=describe_promise(store, ready_at, now=now))
