"""Reports read from a streaming replica (DATABASE_REPLICA_URL), explicitly, and say how fresh they are.

Insights, CSV exports and other heavy read-only pages run long scans and group-bys: on a replica they
do not compete with checkouts for the primary's CPU and cache. Nothing reads from the replica unless
it asks: a report's view opens `reporting(user)`, which picks the database once for the request, and
its selectors read with `.using(reporting_db())` / `connections[reporting_db()]`. No router sends
reads there, so no write path, stock check or reservation ever reads stale rows.

The primary answers instead, and the page says why, when
- the replica does not answer (a short connect timeout; the failure is remembered DOWN_SECONDS in
  the cache, so a dead replica costs one request a timeout, not every request);
- it lags more than DATABASE_REPLICA_MAX_LAG seconds;
- the signed-in user changed something moments ago that the replica may not have replayed yet
  (read-your-writes: `RecentWritesMiddleware` marks them after a successful POST/PUT/PATCH/DELETE).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

logger = logging.getLogger(__name__)

REPLICA = "replica"
PRIMARY = DEFAULT_DB_ALIAS
DOWN_KEY = "replica:down"
DOWN_SECONDS = 30
WROTE_KEY = "replica:wrote:{}"
# After a change, the user's reports read the primary at least this long (the replica may not even
# have received it), then until the replica's figures are newer than the change.
FRESH_SECONDS = 5

UNREACHABLE = gettext_lazy("the replica does not answer")
RECENT_CHANGE = gettext_lazy("you changed something moments ago")

# Seconds behind the primary: 0 when it has replayed everything it received (an idle primary sends
# nothing, and the last replayed transaction's time would then grow forever), else the age of the
# last replayed transaction; NULL (unknown) when nothing was replayed yet. 0 on a primary.
LAG_SQL = """SELECT CASE WHEN NOT pg_is_in_recovery() THEN 0
    WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
    ELSE GREATEST(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END"""


@dataclass(frozen=True)
class Source:
    """Where a report's figures come from: `alias`, with every change committed before `as_of`."""

    alias: str
    as_of: datetime
    lag: float = 0.0  # seconds behind the primary
    reason: str = ""  # why the primary answers although a replica is configured

    @property
    def on_replica(self) -> bool:
        return self.alias == REPLICA

    @property
    def replica_configured(self) -> bool:
        return self.on_replica or bool(self.reason)


_current: ContextVar[Source | None] = ContextVar("reporting_source", default=None)


def configured() -> bool:
    return bool(settings.DATABASE_REPLICA_URL) and REPLICA in settings.DATABASES


def reporting_db() -> str:
    """The alias the current report reads from: the one `reporting` chose, the primary outside it."""
    source = _current.get()
    return PRIMARY if source is None else source.alias


@contextlib.contextmanager
def reporting(user=None) -> Iterator[Source]:
    """Choose the database of a report (`choose_source`) for the code inside: its `reporting_db()`."""
    token = _current.set(choose_source(user))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def choose_source(user=None) -> Source:
    """The replica when it answers, is close enough and has `user`'s latest change; else the primary.
    No query without a replica; one on the replica (its lag) with one."""
    now = timezone.now()
    if not configured():
        return Source(PRIMARY, now)
    wrote_at = _wrote_at(user)
    if wrote_at is not None and now.timestamp() - wrote_at < FRESH_SECONDS:
        return Source(PRIMARY, now, reason=RECENT_CHANGE)
    if cache.get(DOWN_KEY):
        return Source(PRIMARY, now, reason=UNREACHABLE)
    try:
        lag = replica_lag()
    except DatabaseError as exc:
        _mark_down(exc)
        return Source(PRIMARY, now, reason=UNREACHABLE)
    limit = settings.DATABASE_REPLICA_MAX_LAG
    if lag is None or lag > limit:
        reason = (
            gettext("the replica is an unknown time behind (more than %(limit)s s)")
            if lag is None
            else gettext("the replica is %(lag)s s behind (more than %(limit)s s)")
        )
        return Source(PRIMARY, now, reason=reason % {"lag": f"{lag or 0:.0f}", "limit": f"{limit:g}"})
    as_of = now - timedelta(seconds=lag)
    if wrote_at is not None and as_of.timestamp() <= wrote_at:
        return Source(PRIMARY, now, reason=RECENT_CHANGE)
    return Source(REPLICA, as_of, lag)


def _mark_down(exc: Exception) -> None:
    logger.warning("Replica unreachable, reports read the primary for %s s: %s", DOWN_SECONDS, exc)
    cache.set(DOWN_KEY, True, DOWN_SECONDS)
    with contextlib.suppress(DatabaseError):
        connections[REPLICA].close()


def read_report[T](user, build: Callable[[Source], T]) -> T:
    """`build(source)` under `reporting(user)`; when the replica fails in the middle of it (restarted,
    its connection cut, a query cancelled by a recovery conflict), once more on the primary, and the
    replica is left alone for DOWN_SECONDS. `build` only reads, so running it twice is harmless."""
    with reporting(user) as source:
        try:
            return build(source)
        except DatabaseError as exc:
            if not source.on_replica:
                raise
            _mark_down(exc)
    with reporting(user) as source:  # the primary now (DOWN_KEY), and the page says why
        return build(source)


def replica_lag() -> float | None:
    """Seconds the replica is behind the primary (None: unknown). One query on the replica."""
    with connections[REPLICA].cursor() as cursor:
        cursor.execute(LAG_SQL)
        value = cursor.fetchone()[0]
    return None if value is None else float(value)


def _wrote_at(user) -> float | None:
    if user is None or not user.is_authenticated:
        return None
    return cache.get(WROTE_KEY.format(user.pk))


def mark_write(user) -> None:
    """`user` just changed data: their reports read the primary until the replica has it."""
    cache.set(WROTE_KEY.format(user.pk), time.time(), FRESH_SECONDS + settings.DATABASE_REPLICA_MAX_LAG)


class RecentWritesMiddleware:
    """Read-your-writes: after a successful data-changing request (not GET/HEAD/OPTIONS, answered below
    400) by a signed-in user, that user's next reports read from the primary until the replica has
    replayed past it (`choose_source`). Any signed-in user is marked (one cache write; asking whether
    they are staff would cost a query); only with a replica configured."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method not in ("GET", "HEAD", "OPTIONS") and response.status_code < 400 and configured():
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                mark_write(user)
        return response


class NoMigrationsOnReplica:
    """The replica is a physical copy of the primary: migrations run on the primary and replicate.
    Routes nothing else (reads go to the replica only when a report asks, `reporting_db`)."""

    def allow_migrate(self, db, app_label, **hints):
        return False if db == REPLICA else None
